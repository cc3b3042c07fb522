"""Pure planning of image imports: files → layers, z order, target boxes, batches.

Everything here works on header information passed in as data
(:class:`ImageFileInfo`, read by ``wkfn.images``); no file is touched. The facade
(``wkfn.api.images``) reads the headers, calls these functions and applies the
resulting :class:`~wkfn.transform.change.Change`.

Conventions follow the reference (``webknossos`` 4.3.3): image rows become y and
columns x (``swap_xy`` swaps), ``flip_x`` mirrors the source rows and ``flip_y`` the
source columns (named for the output of an unswapped import), ``flip_z`` reverses the
slice order, data sits at ``topleft`` (Mag-1) and is written at ``mag``.

Which layers a stack becomes is decided in :mod:`wkfn.transform.image_layers`
(re-exported here); this module plans layouts, z batches and the import ops.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from wkfn.errors import UnsupportedImageDataError
from wkfn.plan.ops import ImportImages, PlanOp, WriteProperties
from wkfn.spec import lookup
from wkfn.spec.array import ArrayLayout, DataFormatName
from wkfn.spec.dataset import DatasetSpec
from wkfn.spec.dtypes import allowed_dtypes
from wkfn.spec.names import mag_dir_name
from wkfn.transform import dataset as ds_transform
from wkfn.transform import layer as layer_transform
from wkfn.transform.change import Change, make_change
from wkfn.transform.image_layers import (
    RGB_IMAGE_EXTENSIONS,
    ConversionLayerMapping,
    ImageFileInfo,
    LayerImport,
    channel_layer_color,
    check_uniform,
    clean_layer_name,
    group_files,
    guess_segmentation_path,
    layer_name_for,
    plan_layers,
)

Vec3 = tuple[int, int, int]


#: Shards of image imports span (128, 128, 1) chunks: (4096, 4096, 32) by default.
CHUNKS_PER_SHARD_FROM_IMAGES: Vec3 = (128, 128, 1)


DEFAULT_CHUNK: Vec3 = (32, 32, 32)


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
    return isinstance(op, WriteProperties)


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
    "RGB_IMAGE_EXTENSIONS",
    "ConversionLayerMapping",
    "DataFormatName",
    "ImageFileInfo",
    "LayerImport",
    "channel_layer_color",
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
