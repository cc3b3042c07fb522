"""Facade methods for image import: ``Dataset.from_images`` and
``Dataset.add_layer_from_images``.

The work is split the functional way: this module finds the input files and reads
their *headers* (``wkfn.images``), the pure planner (``wkfn.transform.images``)
decides layers, z order, target boxes and batches, and the executor runs one
``ImportImages`` task per z-slab (reading the pixels) on any executor. Every input
problem is found before anything is written; a failing task rolls its layer back.
"""

from __future__ import annotations

import glob
import os
import shutil
import threading
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from wkfn.api._parse import optional_vec3 as _vec
from wkfn.api.enums import DEFAULT_DATA_FORMAT, parse_data_format
from wkfn.errors import (
    CorruptImageError,
    ExecutionError,
    InvalidArgumentError,
    UnsupportedImageDataError,
    UnsupportedImageFormatError,
)
from wkfn.execute.executor import execute
from wkfn.execute.image_tasks import ImportStats, combine_stats
from wkfn.geometry import Mag
from wkfn.images.readers import (
    OPTIONAL_READERS,
    SUPPORTED_EXTENSIONS,
    check_extension,
    extension,
    read_header,
)
from wkfn.spec.dataset import DatasetSpec
from wkfn.transform import dataset as ds_transform
from wkfn.transform.change import Change
from wkfn.transform.images import (
    RGB_IMAGE_EXTENSIONS,
    ConversionLayerMapping,
    ImageFileInfo,
    LayerImport,
    finalize_layer,
    group_files,
    guess_segmentation_path,
    layer_name_for,
    plan_layer_import,
    plan_layers,
)

if TYPE_CHECKING:
    from wkfn.api.dataset import Dataset
    from wkfn.api.layer import Layer

Vec3 = tuple[int, int, int]
_GLOB_CHARS = frozenset("*?[")
THRESHOLD = 1 / 200
MIN_INSPECTED = 1000


# ------------------------------------------------------------------ inputs


def _walk(root: str) -> tuple[list[str], set[str]]:
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


def _nothing_found(where: str, seen: set[str]) -> UnsupportedImageFormatError:
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


def _resolve_images(images: object) -> list[str]:
    """Absolute image paths from a file, directory, glob string or list."""
    if isinstance(images, str | os.PathLike):
        text = os.fspath(images)
        if os.path.isdir(text):
            files, seen = _walk(text)
            if not files:
                raise _nothing_found(text, seen)
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


def _is_frames(images: object) -> bool:
    return (
        hasattr(images, "frame_shape")
        and hasattr(images, "__getitem__")
        and hasattr(images, "__len__")
        and not isinstance(images, str | bytes | list | tuple)
    )


def _frames_info(frames: Any) -> ImageFileInfo:
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


def _check_reader_options(use_bioformats: bool | None, paths: Sequence[str]) -> None:
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


class _Capture(Executor):
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
        is_import = getattr(fn, "__name__", "") == "run_import_images"
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


def _typed_failure(exc: ExecutionError) -> Exception:
    for message in exc.failures.values():
        if message.startswith("CorruptImageError"):
            return CorruptImageError(message.split(": ", 1)[-1])
    return exc


# ------------------------------------------------------------------ options


class _Options:
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


class _LayerJob:
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


def _jobs_for(
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
) -> list[_LayerJob]:
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
    return [_LayerJob(lay, infos, cat, user_category, tp) for lay in layers]


def _struct_dict(info: ImageFileInfo) -> dict[str, Any]:
    return {f: getattr(info, f) for f in info.__struct_fields__}


def _plan_jobs(
    spec: DatasetSpec, jobs: Sequence[_LayerJob], opts: _Options
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


def _guess_category(job: _LayerJob, stats: ImportStats) -> str:
    if job.user_category or stats.inspected < MIN_INSPECTED:
        return job.category
    if job.layer.num_channels > 1:
        return "color"
    return "color" if stats.distinct / stats.inspected > THRESHOLD else "segmentation"


class DatasetImagesMixin:
    """Image import methods of ``Dataset``."""

    def _run_import(
        self,
        job: _LayerJob,
        opts: _Options,
        executor: Executor | None,
        frames: Any = None,
    ) -> None:
        """Plan one layer against the current spec, apply it, then finalize it."""
        ds = cast("Dataset", self)
        (change,) = _plan_jobs(ds.spec, [job], opts)
        ds._check_writable()
        if ds._recorder is not None:
            ds._recorder.record(change, {})
            ds._adopt(change)
            return
        pool = executor or ds.executor
        own = None
        if pool is None:
            own = ThreadPoolExecutor(max_workers=os.cpu_count() or 1)
            pool = own
        capture = _Capture(pool, frames)
        from wkfn.execute.progress_bar import progress_bar

        try:
            with progress_bar() as progress:
                execute(change.plan, ds._path, executor=capture, progress=progress)
        except ExecutionError as exc:
            raise _typed_failure(exc) from exc
        finally:
            if own is not None:
                own.shutdown()
        ds._forget_layouts(job.layer.name)
        ds._adopt(change)
        stats = combine_stats(capture.results)
        rng = None if stats.min is None or stats.max is None else (stats.min, stats.max)
        final = finalize_layer(
            ds.spec,
            job.layer.name,
            category=_guess_category(job, stats),
            value_range=rng,
            max_value=stats.max_int,
        )
        ds._apply(final)

    def add_layer_from_images(
        self,
        images: Any,
        layer_name: str,
        category: str | None = "color",
        data_format: Any = DEFAULT_DATA_FORMAT,
        mag: Any = 1,
        chunk_shape: Any = None,
        chunks_per_shard: Any = None,
        compress: bool = True,
        *,
        shard_shape: Any = None,
        topleft: Any = (0, 0, 0),
        swap_xy: bool = False,
        flip_x: bool = False,
        flip_y: bool = False,
        flip_z: bool = False,
        dtype: Any = None,
        use_bioformats: bool | None = None,
        channel: int | None = None,
        timepoint: int | None = None,
        czi_channel: int | None = None,
        batch_size: int | None = None,
        allow_multiple_layers: bool = False,
        max_layers: int = 20,
        truncate_rgba_to_rgb: bool = True,
        executor: Executor | None = None,
        chunk_size: Any = None,
    ) -> Layer:
        """Create a layer (or several, one per channel) from images.

        ``images`` is a file, a directory (all images below it, natural order), a
        glob string, a list of paths or a ``pims.FramesSequence``. Returns the first
        added layer. See ``Dataset.from_images`` for the conventions; inside
        ``dry_run()`` only the image headers are read.

        Raises:
            UnsupportedImageFormatError: nothing readable, unknown extension, a
                format whose optional reader is missing, ``use_bioformats=True``.
            CorruptImageError: an image cannot be decoded (names the file).
            UnsupportedImageDataError: mixed shapes/dtypes, channels that fit no
                layer, too many layers, a dtype the category forbids.
        """
        from wkfn.spec.names import validate_layer_name

        ds = cast("Dataset", self)
        ds._check_writable()
        validate_layer_name(layer_name)
        if chunk_size is not None:
            warnings.warn(
                "chunk_size is deprecated, use chunk_shape",
                DeprecationWarning,
                stacklevel=2,
            )
            chunk_shape = chunk_shape if chunk_shape is not None else chunk_size
        del czi_channel  # only meaningful for CZI, which wkfn cannot read
        opts = _Options(
            data_format=data_format,
            mag=mag,
            chunk_shape=chunk_shape,
            shard_shape=shard_shape,
            chunks_per_shard=chunks_per_shard,
            compress=compress,
            topleft=topleft,
            swap_xy=swap_xy,
            flip_x=flip_x,
            flip_y=flip_y,
            flip_z=flip_z,
            batch_size=batch_size,
        )
        frames = None
        if _is_frames(images):
            if use_bioformats:
                _check_reader_options(use_bioformats, [])
            frames = images
            infos = [_frames_info(images)]
        else:
            paths = _resolve_images(images)
            _check_reader_options(use_bioformats, paths)
            infos = [read_header(p) for p in paths]
        jobs = _jobs_for(
            infos,
            layer_name,
            category=category,
            dtype=dtype,
            channel=channel,
            timepoint=timepoint,
            allow_multiple_layers=allow_multiple_layers,
            max_layers=max_layers,
            truncate_rgba_to_rgb=truncate_rgba_to_rgb,
            cap=True,
        )
        _plan_jobs(ds.spec, jobs, opts)  # validate every layer before writing
        for job in jobs:
            ds._run_import(job, opts, executor, frames)
        return ds.get_layer(jobs[0].layer.name)

    @classmethod
    def from_images(
        cls,
        input_path: str | os.PathLike[str],
        output_path: str | os.PathLike[str],
        voxel_size: tuple[float, float, float] | None = None,
        name: str | None = None,
        *,
        map_filepath_to_layer_name: ConversionLayerMapping
        | Callable[[Path], str] = ConversionLayerMapping.INSPECT_SINGLE_FILE,
        z_slices_sort_key: Callable[[Path], Any] | None = None,
        voxel_size_with_unit: Any = None,
        layer_name: str | None = None,
        layer_category: str | None = None,
        data_format: Any = DEFAULT_DATA_FORMAT,
        chunk_shape: Any = None,
        shard_shape: Any = None,
        chunks_per_shard: Any = None,
        compress: bool = True,
        swap_xy: bool = False,
        flip_x: bool = False,
        flip_y: bool = False,
        flip_z: bool = False,
        use_bioformats: bool | None = None,
        max_layers: int = 20,
        batch_size: int | None = None,
        executor: Executor | None = None,
    ) -> Dataset:
        """Import a folder (or a file) of images as a new dataset.

        Files are grouped into layers by ``map_filepath_to_layer_name`` (a
        :class:`ConversionLayerMapping` or a callable taking the file's path relative
        to the input and returning a layer name); the files of a layer are sorted
        with ``z_slices_sort_key`` (natural order by default) and stacked along z.
        All headers are read and every layer is planned before the dataset is
        created, so bad input leaves nothing behind.

        Raises:
            UnsupportedImageFormatError, CorruptImageError,
            UnsupportedImageDataError: see ``add_layer_from_images``.
        """
        from natsort import natsort_keygen

        from wkfn.api.dataset import Dataset, _parse_voxel_size

        parsed = _parse_voxel_size(voxel_size, voxel_size_with_unit, None)
        if parsed is None:
            raise InvalidArgumentError(
                "Please supply either voxel_size or voxel_size_with_unit."
            )
        src = os.path.abspath(os.fspath(input_path))
        if os.path.isfile(src):
            check_extension(src)
            root, rels = os.path.dirname(src), [os.path.basename(src)]
        elif os.path.isdir(src):
            files, seen = _walk(src)
            if not files:
                raise _nothing_found(src, seen)
            root = src
            rels = [os.path.relpath(f, src).replace(os.sep, "/") for f in files]
        else:
            raise UnsupportedImageFormatError("no such file or directory", path=src)
        _check_reader_options(use_bioformats, rels)
        input_name = os.path.basename(root)
        headers: dict[str, ImageFileInfo] = {}

        def header(rel: str) -> ImageFileInfo:
            if rel not in headers:
                headers[rel] = read_header(os.path.join(root, rel))
            return headers[rel]

        strategy = map_filepath_to_layer_name
        if isinstance(strategy, ConversionLayerMapping):
            first_has_z = (
                strategy is ConversionLayerMapping.INSPECT_SINGLE_FILE
                and header(rels[0]).depth > 1
            )

            def name_of(rel: str) -> str:
                if strategy is ConversionLayerMapping.INSPECT_EVERY_FILE:
                    has_z = header(rel).depth > 1
                else:
                    has_z = first_has_z
                return layer_name_for(strategy, rel, input_name, has_z)

        elif callable(strategy):
            custom = strategy

            def name_of(rel: str) -> str:
                return str(custom(Path(rel)))

        else:
            raise InvalidArgumentError(
                "map_filepath_to_layer_name must be a ConversionLayerMapping or a "
                f"callable, got {strategy!r}"
            )
        groups = group_files(rels, name_of, layer_name)
        sort_key = z_slices_sort_key or natsort_keygen()
        opts = _Options(
            data_format=data_format,
            mag=1,
            chunk_shape=chunk_shape,
            shard_shape=shard_shape,
            chunks_per_shard=chunks_per_shard,
            compress=compress,
            topleft=(0, 0, 0),
            swap_xy=swap_xy,
            flip_x=flip_x,
            flip_y=flip_y,
            flip_z=flip_z,
            batch_size=batch_size,
        )
        jobs: list[_LayerJob] = []
        for group_name, members in groups.items():
            ordered = sorted((Path(root) / r for r in members), key=sort_key)
            infos = [
                header(os.path.relpath(p, root).replace(os.sep, "/")) for p in ordered
            ]
            jobs.extend(
                _jobs_for(
                    infos,
                    group_name,
                    category=layer_category,
                    dtype=None,
                    channel=None,
                    timepoint=None,
                    allow_multiple_layers=True,
                    max_layers=max_layers,
                    truncate_rgba_to_rgb=True,
                    cap=False,
                )
            )
        if len(jobs) > max_layers:
            raise UnsupportedImageDataError(
                f"the input would become {len(jobs)} layers, more than "
                f"max_layers={max_layers}",
                path=src,
            )
        from wkfn.api import locations

        out = locations.dataset_root(output_path)  # a Path, or a UPath on a store
        factor, unit = parsed
        probe = ds_transform.create_dataset(
            name=name or locations.name_of(out), voxel_size=factor, unit=unit
        )
        _plan_jobs(probe.spec, jobs, opts)  # every check before anything is written
        existed = (
            locations.is_nonempty_dir(out)
            if locations.is_object_root(out)
            else out.exists()
        )
        ds = Dataset(
            out,
            voxel_size_with_unit=voxel_size_with_unit,
            voxel_size=voxel_size,
            name=name,
            exist_ok=False,
        )
        try:
            for job in jobs:
                ds._run_import(job, opts, executor)
        except BaseException:
            if not existed:
                if locations.is_object_root(out):
                    from wkfn.storage.files import delete_path

                    delete_path(locations.exec_root(out))
                else:
                    shutil.rmtree(out, ignore_errors=True)
            raise
        return ds


__all__ = ["ConversionLayerMapping", "DatasetImagesMixin"]
