"""Pure planning of image imports: files → layers, z order, target boxes, batches.

Everything here works on header information passed in as data
(:class:`ImageFileInfo`, read by ``wkfn.images``); no file is touched. The facade
(``wkfn.api.images``) reads the headers, calls these functions and applies the
resulting :class:`~wkfn.transform.change.Change`.

Conventions follow the reference (``webknossos`` 4.3.3): image rows become y and
columns x (``swap_xy`` swaps), ``flip_x`` mirrors the source rows and ``flip_y`` the
source columns (named for the output of an unswapped import), ``flip_z`` reverses the
slice order, data sits at ``topleft`` (Mag-1) and is written at ``mag``.
"""

from __future__ import annotations

import colorsys
import re
from collections.abc import Callable, Sequence
from enum import Enum, unique
from typing import Any

import msgspec

from wkfn.errors import UnsupportedImageDataError
from wkfn.plan.ops import ImportImages, PlanOp
from wkfn.spec import lookup
from wkfn.spec.array import ArrayLayout, DataFormatName
from wkfn.spec.dataset import DatasetSpec
from wkfn.spec.dtypes import allowed_dtypes
from wkfn.spec.names import mag_dir_name
from wkfn.transform import dataset as ds_transform
from wkfn.transform import layer as layer_transform
from wkfn.transform.change import Change, make_change

Vec3 = tuple[int, int, int]

#: Shards of image imports span (128, 128, 1) chunks: (4096, 4096, 32) by default.
CHUNKS_PER_SHARD_FROM_IMAGES: Vec3 = (128, 128, 1)
DEFAULT_CHUNK: Vec3 = (32, 32, 32)
#: Image formats whose several channels are RGB(A) of one picture.
RGB_IMAGE_EXTENSIONS = frozenset({"bmp", "gif", "jpeg", "jpg", "png"})
_UNALLOWED_LAYER_NAME_CHARS = re.compile(r"[^A-Za-z0-9_$@\-\.]")


@unique
class ConversionLayerMapping(Enum):
    """Strategies for mapping file paths to layers when importing images.

    Used by ``Dataset.from_images``; the default is ``INSPECT_SINGLE_FILE``. A
    custom callable taking a (relative) ``Path`` and returning a layer name is
    accepted as well.
    """

    INSPECT_SINGLE_FILE = "inspect_single_file"
    """Inspect the first file: 3D data → a layer per file, 2D → a layer per folder."""

    INSPECT_EVERY_FILE = "inspect_every_file"
    """Like INSPECT_SINGLE_FILE, but decided for every file separately."""

    ENFORCE_LAYER_PER_FILE = "enforce_layer_per_file"
    """One layer per input file."""

    ENFORCE_SINGLE_LAYER = "enforce_single_layer"
    """All files form one layer (2D slices stacked along z)."""

    ENFORCE_LAYER_PER_FOLDER = "enforce_layer_per_folder"
    """One layer per folder holding files."""

    ENFORCE_LAYER_PER_TOPLEVEL_FOLDER = "enforce_layer_per_toplevel_folder"
    """One layer per top-level folder (stacks may be split across subfolders)."""


class ImageFileInfo(msgspec.Struct, frozen=True, kw_only=True):
    """Header of one image file (or in-memory frame sequence), as plain data.

    Attributes:
        path: the file (absolute, posix) or a label for in-memory sources.
        reader: ``"tiff"``, ``"pil"`` or ``"frames"``.
        width: columns of one frame (becomes x).
        height: rows of one frame (becomes y).
        depth: frames along z.
        channels: channels per voxel in the source.
        timepoints: time points in the source.
        dtype: numpy dtype name of the source (native byte order).
        rgb: the channels are the colours of one picture (RGB(A) image formats,
            photometric-RGB TIFFs).
    """

    path: str
    reader: str
    width: int
    height: int
    depth: int = 1
    channels: int = 1
    timepoints: int = 1
    dtype: str = "uint8"
    rgb: bool = False


class LayerImport(msgspec.Struct, frozen=True, kw_only=True):
    """One layer an import will create."""

    name: str
    channels: tuple[int, ...]
    num_channels: int
    dtype: str
    color: tuple[int, int, int] | None = None


# ------------------------------------------------------------------ naming


def clean_layer_name(name: str) -> str:
    """Remove characters the reference does not allow, and leading dots."""
    return _UNALLOWED_LAYER_NAME_CHARS.sub("", name).lstrip(".")


def _parent(rel: str) -> str:
    return rel.rsplit("/", 1)[0] if "/" in rel else ""


def layer_name_for(
    strategy: ConversionLayerMapping,
    rel: str,
    input_name: str,
    has_z: bool,
) -> str:
    """Raw layer name of a file (``rel`` is its posix path relative to the input).

    ``has_z`` tells whether the file (INSPECT_EVERY_FILE) or the first file
    (INSPECT_SINGLE_FILE) holds 3D data. Unlike the reference, the 2D branch of
    INSPECT_SINGLE_FILE names a layer after the whole parent path, so that
    ``top1/sub1`` and ``top2/sub1`` never merge into one layer.
    """
    parent = _parent(rel)
    per_folder = input_name if parent == "" else parent.replace("/", "_")
    if strategy is ConversionLayerMapping.ENFORCE_LAYER_PER_FILE:
        return rel.replace("/", "_")
    if strategy is ConversionLayerMapping.ENFORCE_SINGLE_LAYER:
        return input_name
    if strategy is ConversionLayerMapping.ENFORCE_LAYER_PER_FOLDER:
        return per_folder
    if strategy is ConversionLayerMapping.ENFORCE_LAYER_PER_TOPLEVEL_FOLDER:
        return input_name if parent == "" else rel.split("/", 1)[0]
    # INSPECT_SINGLE_FILE / INSPECT_EVERY_FILE
    return rel if has_z else per_folder


def group_files(
    rel_paths: Sequence[str],
    name_of: Callable[[str], str],
    layer_name: str | None = None,
) -> dict[str, list[str]]:
    """Group relative paths by (cleaned) layer name, keeping input order.

    ``layer_name`` renames a single group, or prefixes every group name when
    there are several.

    Raises:
        UnsupportedImageDataError: a file maps to an empty layer name.
    """
    groups: dict[str, list[str]] = {}
    for rel in rel_paths:
        name = clean_layer_name(str(name_of(rel)))
        if not name:
            raise UnsupportedImageDataError(
                "could not determine a layer name for this file", path=rel
            )
        groups.setdefault(name, []).append(rel)
    if layer_name is not None:
        if len(groups) == 1:
            groups = {layer_name: next(iter(groups.values()))}
        else:
            groups = {f"{layer_name}_{k}": v for k, v in groups.items()}
    return groups


def guess_segmentation_path(path: str) -> bool:
    """The reference's path heuristic: "segmentation" or "labels" in the path."""
    low = path.lower()
    return "segmentation" in low or "labels" in low


# ------------------------------------------------------------------ checks


def check_uniform(files: Sequence[ImageFileInfo]) -> ImageFileInfo:
    """The common header of the files of one layer.

    Raises:
        UnsupportedImageDataError: no files, or a file whose frame shape, dtype,
            channels or time points differ from the first file's (naming it).
    """
    if not files:
        raise UnsupportedImageDataError("no image files for this layer")
    first = files[0]
    for f in files[1:]:
        for what, a, b in (
            ("shape (rows, columns)", (f.height, f.width), (first.height, first.width)),
            ("dtype", f.dtype, first.dtype),
            ("channel count", f.channels, first.channels),
            ("time points", f.timepoints, first.timepoints),
        ):
            if a != b:
                raise UnsupportedImageDataError(
                    f"image {what} {a} differs from {b} of {first.path}; all images "
                    "of one layer must agree",
                    path=f.path,
                )
    return first


def channel_layer_color(index: int) -> tuple[int, int, int]:
    """Colour of the layer split off from channel ``index`` (red, green, blue…)."""
    if index < 3:
        return ((255, 0, 0), (0, 255, 0), (0, 0, 255))[index]
    hue = ((index - 3) * 0.618033988749895) % 1.0
    r, g, b = colorsys.hsv_to_rgb(hue, 0.85, 1.0)
    return (round(r * 255), round(g * 255), round(b * 255))


def _fits_one_layer(n: int, dtype: str) -> bool:
    return n == 1 or (n == 3 and dtype == "uint8")


def plan_layers(
    info: ImageFileInfo,
    name: str,
    *,
    dtype: str | None,
    channel: int | None,
    allow_multiple_layers: bool,
    truncate_rgba_to_rgb: bool,
) -> list[LayerImport]:
    """The layers one source becomes (channel selection and splitting).

    Follows the reference: ``channel`` pins one channel; two channels default to
    the first; three or more default to the first three. RGB(A) sources stay one
    layer (RGBA truncated unless ``truncate_rgba_to_rgb=False``); other channels
    become ``<name>__channel<i>`` layers if ``allow_multiple_layers``, else one
    layer if they are three uint8 channels, else an error.

    Raises:
        UnsupportedImageDataError: a bad ``channel`` or channels that fit no layer.
    """
    src_dtype = info.dtype
    layer_dtype = dtype or src_dtype
    raw = info.channels
    if channel is not None:
        if not 0 <= channel < raw:
            raise UnsupportedImageDataError(
                f"channel {channel} selected, but the images have {raw} channel(s)",
                path=info.path,
            )
        return [
            LayerImport(
                name=name, channels=(channel,), num_channels=1, dtype=layer_dtype
            )
        ]
    if raw == 1:
        return [LayerImport(name=name, channels=(), num_channels=1, dtype=layer_dtype)]
    written = 3 if raw == 4 and truncate_rgba_to_rgb else raw
    first3 = LayerImport(
        name=name, channels=(0, 1, 2), num_channels=3, dtype=layer_dtype
    )
    if info.rgb and _fits_one_layer(written, layer_dtype):
        return [first3]
    if not allow_multiple_layers:
        if _fits_one_layer(raw, layer_dtype):
            return [first3]
        raise UnsupportedImageDataError(
            f"cannot write these {raw} channels of {layer_dtype} into a single "
            "layer: WEBKNOSSOS only combines three uint8 channels (RGB) in one "
            "layer. Set allow_multiple_layers=True to write one layer per channel, "
            "or channel=<index> to import a single channel.",
            path=info.path,
        )
    return [
        LayerImport(
            name=f"{name}__channel{i}",
            channels=(i,),
            num_channels=1,
            dtype=layer_dtype,
            color=channel_layer_color(i),
        )
        for i in range(raw)
    ]


# ------------------------------------------------------------------ layouts, batches


def import_layout_shapes(
    data_format: str,
    depth: int,
    chunk_shape: Vec3 | None,
    shard_shape: Vec3 | None,
    chunks_per_shard: Vec3 | None,
) -> tuple[Vec3 | None, Vec3 | None, Vec3 | None]:
    """(chunk, shard, chunks_per_shard) for ``add_mag`` of an imported layer.

    zarr3 defaults to shards of (128, 128, 1) chunks, i.e. (4096, 4096, 32); 2D data
    (``depth == 1``) gets z = 1 chunks and shards.
    """
    if data_format != "zarr3":
        return chunk_shape, shard_shape, chunks_per_shard
    chunk = chunk_shape or DEFAULT_CHUNK
    if shard_shape is None and chunks_per_shard is None:
        shard_shape = (
            chunk[0] * CHUNKS_PER_SHARD_FROM_IMAGES[0],
            chunk[1] * CHUNKS_PER_SHARD_FROM_IMAGES[1],
            chunk[2] * CHUNKS_PER_SHARD_FROM_IMAGES[2],
        )
    elif chunks_per_shard is not None:
        shard_shape = (
            chunk[0] * chunks_per_shard[0],
            chunk[1] * chunks_per_shard[1],
            chunk[2] * chunks_per_shard[2],
        )
    assert shard_shape is not None
    if depth == 1:
        chunk = (chunk[0], chunk[1], 1)
        shard_shape = (shard_shape[0], shard_shape[1], 1)
    return chunk, shard_shape, None


def batch_unit(layout: ArrayLayout) -> int:
    """z granularity of parallel writes: a shard if compressed or zarr, else a chunk."""
    shard_aligned = layout.compress or layout.data_format in ("zarr3", "zarr")
    return layout.shard_shape[2] if shard_aligned else layout.chunk_shape[2]


def resolve_batch_size(layout: ArrayLayout, batch_size: int | None) -> int:
    """``batch_size`` or the default (shard z, or chunk z for raw wkw).

    Raises:
        UnsupportedImageDataError: ``batch_size`` is not a multiple of that unit.
    """
    unit = batch_unit(layout)
    if batch_size is None:
        return unit
    if batch_size <= 0 or batch_size % unit:
        raise UnsupportedImageDataError(
            f"batch_size {batch_size} must be a positive multiple of the z "
            f"{'shard' if unit == layout.shard_shape[2] else 'chunk'} size {unit}"
        )
    return batch_size


def z_batches(z0: int, depth: int, batch: int) -> list[tuple[int, int]]:
    """``[start, stop)`` ranges covering ``z0 .. z0+depth`` aligned to ``batch``."""
    out: list[tuple[int, int]] = []
    z = z0
    end = z0 + depth
    while z < end:
        stop = min(end, (z // batch + 1) * batch)
        out.append((z, stop))
        z = stop
    return out


def frame_list(files: Sequence[ImageFileInfo], flip_z: bool) -> list[tuple[int, int]]:
    """(file index, frame) per output z: all frames of all files in order."""
    frames = [(i, z) for i, f in enumerate(files) for z in range(f.depth)]
    return frames[::-1] if flip_z else frames


def plan_layer_import(
    spec: DatasetSpec,
    layer: LayerImport,
    files: Sequence[ImageFileInfo],
    *,
    category: str,
    data_format: str,
    mag: Vec3,
    topleft: Vec3,
    chunk_shape: Vec3 | None,
    shard_shape: Vec3 | None,
    chunks_per_shard: Vec3 | None,
    compress: bool,
    swap_xy: bool,
    flip_x: bool,
    flip_y: bool,
    flip_z: bool,
    timepoint: int,
    batch_size: int | None,
    total_samples: int = 20,
) -> Change:
    """Add one layer with one mag and the ops that import ``files`` into it.

    The layer's bounding box is ``topleft`` + the image extent in Mag-1; the data is
    cut into z-slabs of ``batch_size`` (default: shard z) that span the full x/y
    extent, each one :class:`ImportImages` op (independent: no two touch one shard).

    Raises:
        UnsupportedImageDataError: dtype not allowed for the category, bad
            batch size, ``topleft`` not a multiple of ``mag``.
        plus the errors of ``add_layer`` / ``add_mag``.
    """
    info = check_uniform(files)
    if layer.dtype not in allowed_dtypes(category):
        raise UnsupportedImageDataError(
            f"dtype {layer.dtype} is not allowed for {category} layers "
            f"(allowed: {', '.join(allowed_dtypes(category))}); pass dtype=...",
            path=info.path,
        )
    if any(t % m for t, m in zip(topleft, mag)):
        raise UnsupportedImageDataError(
            f"topleft {topleft} must be a multiple of mag {mag}"
        )
    cols, rows = info.width, info.height
    sx, sy = (rows, cols) if swap_xy else (cols, rows)
    depth = sum(f.depth for f in files)
    size_mag: Vec3 = (sx, sy, depth)
    size1: Vec3 = (sx * mag[0], sy * mag[1], depth * mag[2])
    start = ds_transform.add_layer(
        spec,
        name=layer.name,
        category=category,
        dtype_per_channel=layer.dtype,
        num_channels=layer.num_channels,
        data_format=data_format,
        bounding_box=(topleft, size1),
        largest_segment_id=0 if category == "segmentation" else None,
    )
    chunk, shard, cps = import_layout_shapes(
        data_format, depth, chunk_shape, shard_shape, chunks_per_shard
    )
    mag_change, layout = layer_transform.add_mag(
        start.spec,
        layer.name,
        mag,
        chunk_shape=chunk,
        shard_shape=shard,
        chunks_per_shard=cps,
        compress=compress,
    )
    new = mag_change.spec
    if layer.color is not None:
        lay = lookup.get_layer(new, layer.name)
        view = dict(lay.default_view_configuration or {})
        view["color"] = list(layer.color)
        new = lookup.replace_layer(
            new,
            layer.name,
            msgspec.structs.replace(lay, default_view_configuration=view),
        )
    batch = resolve_batch_size(layout, batch_size)
    off: Vec3 = (topleft[0] // mag[0], topleft[1] // mag[1], topleft[2] // mag[2])
    frames = frame_list(files, flip_z)
    paths = [f.path for f in files]
    ranges = z_batches(off[2], depth, batch)
    samples = max(1, -(-total_samples // max(1, len(ranges))))
    mag_name = mag_dir_name(mag)
    array_path = f"./{layer.name}/{mag_name}"
    ops: list[PlanOp] = []
    for z_start, z_stop in ranges:
        part = frames[z_start - off[2] : z_stop - off[2]]
        used = sorted({i for i, _ in part})
        index = {old: new_i for new_i, old in enumerate(used)}
        ops.append(
            ImportImages(
                layer=layer.name,
                mag=mag_name,
                path=array_path,
                data_format=layout.data_format,
                reader=info.reader,
                files=tuple(paths[i] for i in used),
                slices=tuple((index[i], z) for i, z in part),
                timepoint=timepoint,
                channels=layer.channels,
                source_dtype=info.dtype,
                dtype=layer.dtype,
                swap_xy=swap_xy,
                flip_x=flip_x,
                flip_y=flip_y,
                offset=(off[0], off[1], z_start),
                size=(size_mag[0], size_mag[1], z_stop - z_start),
                samples=samples,
            )
        )
    src = f"{len(files)} file(s)" if len(files) != 1 else paths[0].rsplit("/", 1)[-1]
    summary = (
        f"+ layer {layer.name} ({category}) {layer.dtype}"
        f"{' x' + str(layer.num_channels) if layer.num_channels > 1 else ''} "
        f"{'x'.join(map(str, size1))} at {tuple(topleft)} from {src}",
    )
    create_ops = [op for op in mag_change.plan.ops if not _is_props(op)]
    return make_change(
        spec,
        new,
        [("create", create_ops), ("import", ops)],
        summary=summary,
    )


def _is_props(op: PlanOp) -> bool:
    return type(op).__name__ == "WriteProperties"


def finalize_layer(
    spec: DatasetSpec,
    name: str,
    *,
    category: str,
    value_range: tuple[float, float] | None,
    max_value: int | None,
) -> Change:
    """Set the category found from the data, ``largestSegmentId`` of segmentation
    layers and the ``min``/``max`` view settings of colour layers (format-supplied
    settings win)."""
    lay = lookup.get_layer(spec, name)
    layer_dtype = layer_transform.layer_dtype(lay)
    if category not in ("color", "segmentation") or layer_dtype not in allowed_dtypes(
        category
    ):
        category = lay.category
    updates: dict[str, Any] = {"category": category}
    if category == "segmentation":
        updates["largest_segment_id"] = int(max_value or 0)
        view = lay.default_view_configuration
        if view is not None:
            view = {k: v for k, v in view.items() if k not in ("min", "max")} or None
        updates["default_view_configuration"] = view
    else:
        updates["largest_segment_id"] = None
        updates["mappings"] = ()
        if value_range is not None:
            view = dict(lay.default_view_configuration or {})
            view.setdefault("min", value_range[0])
            view.setdefault("max", value_range[1])
            updates["default_view_configuration"] = view
    new_layer = msgspec.structs.replace(lay, **updates)
    new = lookup.replace_layer(spec, name, new_layer)
    return make_change(spec, new, summary=(f"{name}: category/value range",))


__all__ = [
    "ConversionLayerMapping",
    "DataFormatName",
    "ImageFileInfo",
    "LayerImport",
    "check_uniform",
    "clean_layer_name",
    "finalize_layer",
    "group_files",
    "guess_segmentation_path",
    "layer_name_for",
    "plan_layer_import",
    "plan_layers",
    "resolve_batch_size",
    "z_batches",
]
