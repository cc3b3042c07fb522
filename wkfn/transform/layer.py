"""Layer-level transforms: mags, bounding box, largest segment id."""

from __future__ import annotations

import msgspec

from wkfn.errors import InvalidArgumentError, MagExistsError, UnsupportedLayerError
from wkfn.plan.ops import CreateArray, DeletePath, PlanOp, ResizeArray
from wkfn.spec import lookup
from wkfn.spec.array import ArrayLayout, DataFormatName
from wkfn.spec.dataset import DatasetSpec
from wkfn.spec.dtypes import dtype_per_channel_of
from wkfn.spec.layer import BoundingBoxSpec, LayerSpec, MagSpec
from wkfn.spec.names import long_mag_name, mag_dir_name
from wkfn.transform.change import Change, make_change
from wkfn.transform.layout import array_shape, choose_layout

Vec3 = tuple[int, int, int]
AXIS_ORDER = {"c": 0, "x": 1, "y": 2, "z": 3}


def spatial_box(layer: LayerSpec) -> tuple[Vec3, Vec3]:
    """(topleft, size) of the x/y/z part of a layer's bounding box (Mag-1 voxels)."""
    bb = layer.bounding_box
    return bb.top_left, (bb.width, bb.height, bb.depth)


def require_spatial(layer: LayerSpec) -> None:
    """Refuse layers with additional axes, whose arrays are not (c, x, y, z).

    Raises:
        UnsupportedLayerError: the layer is n-D (e.g. has a time axis).
    """
    if layer.additional_axes:
        names = [axis.name for axis in layer.additional_axes]
        raise UnsupportedLayerError(
            f"layer {layer.name!r} has additional axes {names}: wkfn reads and "
            "writes the data of (c, x, y, z) layers only; n-D layers can be opened, "
            "listed, renamed, deleted, linked and file-copied"
        )


def layer_box(layer: LayerSpec) -> tuple[Vec3, Vec3]:
    """(topleft, size) of a layer's bounding box in Mag-1 voxels, for data work.

    Raises:
        UnsupportedLayerError: the layer is n-D.
    """
    require_spatial(layer)
    return spatial_box(layer)


def layer_dtype(layer: LayerSpec) -> str:
    """Per-channel numpy dtype name of a layer."""
    return dtype_per_channel_of(layer.element_class, layer.num_channels)


def is_local_mag(layer: LayerSpec, mag: MagSpec) -> bool:
    """True if the mag's files live in this dataset's own layer directory."""
    path = lookup.resolve_mag_path(layer.name, mag)
    return path.startswith(f"./{layer.name}/")


def add_mag(
    spec: DatasetSpec,
    layer_name: str,
    mag: Vec3,
    *,
    chunk_shape: Vec3 | None = None,
    shard_shape: Vec3 | None = None,
    chunks_per_shard: Vec3 | None = None,
    compress: bool = True,
) -> tuple[Change, ArrayLayout]:
    """Add a mag to a layer: one new array sized to the layer's bounding box.

    Returns the change and the chosen layout (so callers can report it).
    """
    layer = lookup.get_layer(spec, layer_name)
    if lookup.has_mag(layer, mag):
        raise MagExistsError(
            f"mag {long_mag_name(mag)} already exists in layer {layer_name!r}"
        )
    topleft, size = spatial_box(layer)
    known = all(s > 0 for s in size)
    data_format: DataFormatName = layer.data_format  # type: ignore[assignment]
    if data_format not in ("zarr3", "zarr", "wkw"):
        raise InvalidArgumentError(
            f"cannot add mags to a layer stored as {layer.data_format!r}"
        )
    if layer.additional_axes and data_format == "wkw":
        raise UnsupportedLayerError(
            f"layer {layer_name!r} has extra axes; wkw stores (c, x, y, z) only"
        )
    layout = choose_layout(
        data_format=data_format,
        dtype=layer_dtype(layer),
        num_channels=layer.num_channels,
        mag=mag,
        chunk_shape=chunk_shape,
        shard_shape=shard_shape,
        chunks_per_shard=chunks_per_shard,
        compress=compress,
        layer_extent=size if known else None,
        bbox_topleft=topleft,
    )
    layout = msgspec.structs.replace(
        layout, shape=array_shape(topleft, size, mag, layout.shard_shape)
    )
    axis_order = dict(AXIS_ORDER)
    if layer.additional_axes:
        from wkfn.transform import nd_layer

        dims = nd_layer.array_dims(layer)
        bounds = {a.name: a.bounds for a in layer.additional_axes}
        layout = msgspec.structs.replace(
            layout,
            dims=dims,
            extra_shape=tuple(bounds[d][1] for d in dims if d in bounds),
        )
        axis_order = {d: i for i, d in enumerate(dims) if d not in bounds}
    path = f"./{layer_name}/{mag_dir_name(mag)}"
    mag_spec = MagSpec(
        mag=mag,
        path=path,
        cube_length=layout.shard_shape[0] if data_format == "wkw" else None,
        axis_order=axis_order,
    )
    new = lookup.replace_layer(spec, layer_name, lookup.with_mag_added(layer, mag_spec))
    op = CreateArray(layer=layer_name, mag=mag_dir_name(mag), path=path, layout=layout)
    change = make_change(
        spec,
        new,
        [("create", [op])],
        summary=(f"{layer_name} +mag {mag_dir_name(mag)}",),
    )
    return change, layout


def delete_mag(spec: DatasetSpec, layer_name: str, mag: Vec3) -> Change:
    """Remove a mag from the layer and delete its files (links are only unlinked)."""
    layer = lookup.get_layer(spec, layer_name)
    mag_spec = lookup.get_mag(layer, mag)
    path = lookup.resolve_mag_path(layer_name, mag_spec)
    new = lookup.replace_layer(spec, layer_name, lookup.with_mag_removed(layer, mag))
    ops: list[PlanOp] = []
    if is_local_mag(layer, mag_spec):
        ops.append(DeletePath(path=path, what="mag"))
    return make_change(
        spec,
        new,
        [("delete", ops)],
        summary=(f"{layer_name} -mag {mag_dir_name(mag)}",),
    )


def resize_ops(
    layer: LayerSpec,
    topleft: Vec3,
    size: Vec3,
    shard_shapes: dict[Vec3, Vec3],
) -> list[PlanOp]:
    """ResizeArray ops growing every local mag array to cover a Mag-1 box.

    ``shard_shapes`` maps mag → shard shape of its array (observed from storage);
    mags missing from it are skipped (nothing known to resize).
    """
    ops: list[PlanOp] = []
    for m in layer.mags:
        if not is_local_mag(layer, m) or m.mag not in shard_shapes:
            continue
        shape = array_shape(topleft, size, m.mag, shard_shapes[m.mag])
        ops.append(
            ResizeArray(
                layer=layer.name,
                mag=mag_dir_name(m.mag),
                path=lookup.resolve_mag_path(layer.name, m),
                data_format=layer.data_format,  # type: ignore[arg-type]
                shape=shape,
            )
        )
    return ops


def set_bounding_box(
    spec: DatasetSpec,
    layer_name: str,
    topleft: Vec3,
    size: Vec3,
    shard_shapes: dict[Vec3, Vec3] | None = None,
) -> Change:
    """Set a layer's bounding box; arrays grow to cover it (they never shrink)."""
    if any(t < 0 for t in topleft) or any(s < 0 for s in size):
        raise InvalidArgumentError(
            "bounding box must have non-negative topleft and size, "
            f"got {topleft}, {size}"
        )
    layer = lookup.get_layer(spec, layer_name)
    new_layer = msgspec.structs.replace(
        layer,
        bounding_box=msgspec.structs.replace(
            layer.bounding_box,
            top_left=topleft,
            width=size[0],
            height=size[1],
            depth=size[2],
        ),
    )
    new = lookup.replace_layer(spec, layer_name, new_layer)
    ops = resize_ops(layer, topleft, size, shard_shapes or {})
    return make_change(
        spec,
        new,
        [("resize", ops)],
        summary=(f"{layer_name}.boundingBox -> {topleft}+{size}",),
    )


def set_largest_segment_id(
    spec: DatasetSpec, layer_name: str, value: int | None
) -> Change:
    """Set (or clear) a segmentation layer's largest segment id."""
    layer = lookup.get_layer(spec, layer_name)
    if layer.category != "segmentation":
        raise InvalidArgumentError(f"layer {layer_name!r} is not a segmentation layer")
    if value is not None and (not isinstance(value, int) or value < 0):
        raise InvalidArgumentError(
            f"largest_segment_id must be a non-negative int, got {value!r}"
        )
    new_layer = msgspec.structs.replace(layer, largest_segment_id=value)
    new = lookup.replace_layer(spec, layer_name, new_layer)
    return make_change(
        spec, new, summary=(f"{layer_name}.largestSegmentId -> {value}",)
    )


__all__ = [
    "BoundingBoxSpec",
    "add_mag",
    "delete_mag",
    "is_local_mag",
    "layer_box",
    "layer_dtype",
    "resize_ops",
    "set_bounding_box",
    "set_largest_segment_id",
]
