"""The observing half of image imports: input files, headers, options and jobs.

:mod:`wkfn.api.images` (the facade functions) uses this module to find the input
files and read their *headers* (``wkfn.images``), to parse the import options and to
turn header groups into per-layer jobs that the pure planner
(``wkfn.transform.images``) plans. :class:`CaptureStats` collects the statistics the
executor's import tasks return (to guess a layer's category afterwards).
"""

from __future__ import annotations

import glob
import os
import threading
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future
from typing import Any

import numpy as np

from wkfn.api._parse import optional_vec3 as _vec
from wkfn.api.enums import parse_data_format
from wkfn.errors import (
    CorruptImageError,
    ExecutionError,
    InvalidArgumentError,
    UnsupportedImageDataError,
    UnsupportedImageFormatError,
)
from wkfn.execute.image_tasks import ImportStats, run_import_images
from wkfn.geometry import Mag
from wkfn.images.readers import (
    OPTIONAL_READERS,
    SUPPORTED_EXTENSIONS,
    check_extension,
    extension,
)
from wkfn.spec.dataset import DatasetSpec
from wkfn.transform.change import Change
from wkfn.transform.images import (
    RGB_IMAGE_EXTENSIONS,
    ImageFileInfo,
    LayerImport,
    guess_segmentation_path,
    plan_layer_import,
    plan_layers,
)

Vec3 = tuple[int, int, int]
_GLOB_CHARS = frozenset("*?[")
THRESHOLD = 1 / 200
MIN_INSPECTED = 1000


# ------------------------------------------------------------------ inputs


def walk_images(root: str) -> tuple[list[str], set[str]]:
    """Supported files below ``root`` (recursive) and every extension seen."""
    files: list[str] = []
    seen: set[str] = set()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in filenames:
            ext = extension(name)
            seen.add(ext)
            if ext in SUPPORTED_EXTENSIONS:
                files.append(os.path.join(dirpath, name))
    return files, seen


def nothing_found(where: str, seen: set[str]) -> UnsupportedImageFormatError:
    optional = sorted(e for e in seen if e in OPTIONAL_READERS)
    if optional:
        need = OPTIONAL_READERS[optional[0]]
        return UnsupportedImageFormatError(
            f"found only .{', .'.join(optional)} files, which need {need}",
            path=where,
            install=need,
        )
    found = ", ".join(sorted("." + e for e in seen if e)) or "no files"
    return UnsupportedImageFormatError(
        f"no convertible images found (found {found}; supported: "
        f"{', '.join('.' + e for e in sorted(SUPPORTED_EXTENSIONS))})",
        path=where,
    )


def _natsorted(paths: list[str]) -> list[str]:
    from natsort import natsorted

    return list(natsorted(paths))


def resolve_images(images: object) -> list[str]:
    """Absolute image paths from a file, directory, glob string or list."""
    if isinstance(images, str | os.PathLike):
        text = os.fspath(images)
        if os.path.isdir(text):
            files, seen = walk_images(text)
            if not files:
                raise nothing_found(text, seen)
            return [os.path.abspath(p) for p in _natsorted(files)]
        if os.path.isfile(text):
            check_extension(text)
            return [os.path.abspath(text)]
        if _GLOB_CHARS & set(text):
            matches = [p for p in glob.glob(text, recursive=True) if os.path.isfile(p)]
            if not matches:
                raise UnsupportedImageFormatError(
                    "the glob pattern matches no files", path=text
                )
            for p in matches:
                check_extension(p)
            return [os.path.abspath(p) for p in _natsorted(matches)]
        raise UnsupportedImageFormatError("no such file or directory", path=text)
    if isinstance(images, Sequence):
        out = []
        for item in images:
            text = os.fspath(item)
            check_extension(text)
            if not os.path.isfile(text):
                raise CorruptImageError("image file not found", path=text)
            out.append(os.path.abspath(text))
        if not out:
            raise UnsupportedImageFormatError("the list of images is empty")
        return out
    raise InvalidArgumentError(
        "images must be a path, a glob string, a list of paths or a "
        f"pims.FramesSequence, got {type(images).__name__}"
    )


def is_frames(images: object) -> bool:
    return (
        hasattr(images, "frame_shape")
        and hasattr(images, "__getitem__")
        and hasattr(images, "__len__")
        and not isinstance(images, str | bytes | list | tuple)
    )


def frames_info(frames: Any) -> ImageFileInfo:
    shape = tuple(int(s) for s in frames.frame_shape)
    if len(shape) == 2:
        rows, cols, channels = shape[0], shape[1], 1
    elif len(shape) == 3:
        rows, cols, channels = shape
    else:
        raise UnsupportedImageDataError(
            f"frames of shape {shape} are not supported (need (y, x) or (y, x, c))"
        )
    dtype = np.dtype(getattr(frames, "pixel_type", None) or np.asarray(frames[0]).dtype)
    return ImageFileInfo(
        path=f"<{type(frames).__name__}>",
        reader="frames",
        width=cols,
        height=rows,
        depth=len(frames),
        channels=channels,
        dtype=dtype.newbyteorder("=").name,
        rgb=channels > 1,
    )


def check_reader_options(use_bioformats: bool | None, paths: Sequence[str]) -> None:
    if use_bioformats:
        raise UnsupportedImageFormatError(
            "use_bioformats=True is not supported: wkfn has no Bio-Formats reader "
            "(it needs pims' bioformats adapter with JPype1 and a Java runtime, "
            "none of which wkfn uses). Leave use_bioformats unset to read TIFF with "
            "tifffile and PNG/JPEG/GIF/BMP with Pillow.",
            install="pims JPype1 and a Java runtime (not supported by wkfn)",
        )
    for p in paths:
        check_extension(p)


# ------------------------------------------------------------------ execution


class CaptureStats(Executor):
    """Forwards tasks to an executor and keeps what the import tasks return.

    With ``frames`` set, import tasks run inline here, reading an in-memory frame
    sequence that cannot be sent to other processes.
    """

    def __init__(self, inner: Executor, frames: Any = None) -> None:
        self.inner = inner
        self.frames = frames
        self.results: list[ImportStats] = []
        self._lock = threading.Lock()

    def _keep(self, fut: Future[Any]) -> None:
        if not fut.cancelled() and fut.exception() is None:
            with self._lock:
                self.results.append(fut.result())

    def submit(
        self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any
    ) -> Future[Any]:
        is_import = fn is run_import_images
        if is_import and self.frames is not None:
            done: Future[Any] = Future()
            try:
                done.set_result(fn(*args, frames=self.frames, **kwargs))
            except Exception as exc:
                done.set_exception(exc)
            self._keep(done)
            return done
        fut = self.inner.submit(fn, *args, **kwargs)
        if is_import:
            fut.add_done_callback(self._keep)
        return fut


def typed_failure(exc: ExecutionError) -> Exception:
    """A corrupt image's own error when that is why the import failed."""
    return exc.cause_of(CorruptImageError) or exc


# ------------------------------------------------------------------ options


class ImportOptions:
    """Parsed keyword arguments shared by every layer of one import."""

    def __init__(
        self,
        *,
        data_format: object,
        mag: object,
        chunk_shape: object,
        shard_shape: object,
        chunks_per_shard: object,
        compress: bool,
        topleft: object,
        swap_xy: bool,
        flip_x: bool,
        flip_y: bool,
        flip_z: bool,
        batch_size: int | None,
    ) -> None:
        self.data_format = parse_data_format(data_format)
        self.mag: Vec3 = Mag(mag).to_tuple()  # type: ignore[arg-type]
        self.chunk_shape = _vec(chunk_shape, "chunk_shape")
        self.shard_shape = _vec(shard_shape, "shard_shape")
        self.chunks_per_shard = _vec(chunks_per_shard, "chunks_per_shard")
        self.compress = bool(compress)
        tl = _vec(topleft, "topleft")
        self.topleft: Vec3 = tl if tl is not None else (0, 0, 0)
        self.swap_xy, self.flip_x, self.flip_y, self.flip_z = (
            bool(swap_xy),
            bool(flip_x),
            bool(flip_y),
            bool(flip_z),
        )
        if batch_size is not None and (
            not isinstance(batch_size, int) or batch_size < 1
        ):
            raise InvalidArgumentError(f"batch_size must be >= 1, got {batch_size!r}")
        self.batch_size = batch_size


class LayerJob:
    """One layer to import: what to create and how it was decided."""

    def __init__(
        self,
        layer: LayerImport,
        files: list[ImageFileInfo],
        category: str,
        user_category: bool,
        timepoint: int,
    ) -> None:
        self.layer = layer
        self.files = files
        self.category = category
        self.user_category = user_category
        self.timepoint = timepoint


def jobs_for(
    infos: list[ImageFileInfo],
    name: str,
    *,
    category: str | None,
    dtype: object,
    channel: int | None,
    timepoint: int | None,
    allow_multiple_layers: bool,
    max_layers: int,
    truncate_rgba_to_rgb: bool,
    cap: bool,
) -> list[LayerJob]:
    """Layers for one group of files (channel split, category, time point)."""
    from wkfn.spec.dtypes import parse_dtype

    first = infos[0]
    user_category = category is not None
    cat = category or (
        "segmentation" if guess_segmentation_path(first.path) else "color"
    )
    if cat not in ("color", "segmentation"):
        raise InvalidArgumentError(
            f"category must be 'color' or 'segmentation', got {category!r}"
        )
    if timepoint is None:
        if first.timepoints > 1:
            warnings.warn(
                f"[INFO] {first.path} has {first.timepoints} time points; importing "
                "the first one (wkfn layers are 3D). Pass timepoint=<index> to "
                "choose another one.",
                stacklevel=4,
            )
        tp = 0
    else:
        tp = int(timepoint)
        if not 0 <= tp < first.timepoints:
            raise UnsupportedImageDataError(
                f"timepoint {tp} selected, but the images have {first.timepoints}",
                path=first.path,
            )
    layer_dtype = None if dtype is None else parse_dtype(dtype)
    rgb = first.rgb and (
        first.reader != "pil" or extension(first.path) in RGB_IMAGE_EXTENSIONS
    )
    info = ImageFileInfo(**{**_struct_dict(first), "rgb": rgb})
    layers = plan_layers(
        info,
        name,
        dtype=layer_dtype,
        channel=channel,
        allow_multiple_layers=allow_multiple_layers,
        truncate_rgba_to_rgb=truncate_rgba_to_rgb,
    )
    if len(layers) > max_layers:
        if not cap:
            raise UnsupportedImageDataError(
                f"the images would become {len(layers)} layers, more than "
                f"max_layers={max_layers}",
                path=first.path,
            )
        warnings.warn(
            f"[INFO] Limiting the number of added layers to {max_layers} out of "
            f"{len(layers)}. Increase max_layers to add more.",
            stacklevel=4,
        )
        layers = layers[:max_layers]
    return [LayerJob(lay, infos, cat, user_category, tp) for lay in layers]


def _struct_dict(info: ImageFileInfo) -> dict[str, Any]:
    return {f: getattr(info, f) for f in info.__struct_fields__}


def plan_jobs(
    spec: DatasetSpec, jobs: Sequence[LayerJob], opts: ImportOptions
) -> list[Change]:
    """Chain the pure plans of all layers (validates everything before writing)."""
    changes = []
    for job in jobs:
        change = plan_layer_import(
            spec,
            job.layer,
            job.files,
            category=job.category,
            data_format=opts.data_format,
            mag=opts.mag,
            topleft=opts.topleft,
            chunk_shape=opts.chunk_shape,
            shard_shape=opts.shard_shape,
            chunks_per_shard=opts.chunks_per_shard,
            compress=opts.compress,
            swap_xy=opts.swap_xy,
            flip_x=opts.flip_x,
            flip_y=opts.flip_y,
            flip_z=opts.flip_z,
            timepoint=job.timepoint,
            batch_size=opts.batch_size,
        )
        changes.append(change)
        spec = change.spec
    return changes


def guess_category(job: LayerJob, stats: ImportStats) -> str:
    if job.user_category or stats.inspected < MIN_INSPECTED:
        return job.category
    if job.layer.num_channels > 1:
        return "color"
    return "color" if stats.distinct / stats.inspected > THRESHOLD else "segmentation"


__all__ = [
    "CaptureStats",
    "ImportOptions",
    "LayerJob",
    "check_reader_options",
    "frames_info",
    "guess_category",
    "is_frames",
    "jobs_for",
    "plan_jobs",
    "resolve_images",
    "typed_failure",
    "walk_images",
]
