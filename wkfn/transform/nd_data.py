"""Planning of n-D voxel writes and n-D bounding boxes (pure).

A write to an n-D layer becomes one :class:`~wkfn.plan.ops.WriteRegion` per point of
the extra axes (e.g. one per time point), each carrying the
:class:`~wkfn.spec.array.NDSelect` of its point, so the executor groups, shards,
journals and resumes them exactly like 3-D writes. The checks (bounds, alignment,
rank) happen here, before anything is written. n-D arrays grow on write (extra axes
and x, y, z), so growing the layer box plans no separate resize.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from wkfn.errors import InvalidArgumentError, InvalidAxesError
from wkfn.geometry.mag import Mag
from wkfn.geometry.nd_bbox import NDBoundingBox
from wkfn.geometry.nd_check import check_layer_box, describe_region, extra_axes
from wkfn.plan.ops import PayloadRef, PlanOp, WriteRegion
from wkfn.spec import lookup
from wkfn.spec.dataset import DatasetSpec
from wkfn.spec.names import mag_dir_name
from wkfn.transform import nd_layer
from wkfn.transform.change import Change, make_change
from wkfn.transform.data import is_shard_aligned, mag_box, writable_mag

Vec3 = tuple[int, int, int]
Point = tuple[int, ...]

__all__ = ["conform", "set_nd_bounding_box", "write_nd_region"]


def conform(layer_box: NDBoundingBox, box: NDBoundingBox) -> NDBoundingBox:
    """``box`` with its axes in the layer's order.

    Raises:
        InvalidAxesError: the axes are not those of the layer.
    """
    check_layer_box(box)
    if box.axes == layer_box.axes:
        return box
    if sorted(box.axes) != sorted(layer_box.axes):
        raise InvalidAxesError(
            f"the box has axes {box.axes!r}, the layer has {layer_box.axes!r}"
        )
    return NDBoundingBox(
        [box.get_bounds(a)[0] for a in layer_box.axes],
        [box.get_shape(a) for a in layer_box.axes],
        layer_box.axes,
        index=layer_box.index,
    )


def _check_extra_range(layer_box: NDBoundingBox, box: NDBoundingBox) -> None:
    for axis in extra_axes(layer_box):
        lo, hi = layer_box.get_bounds(axis)
        a, b = box.get_bounds(axis)
        if a < lo or b > hi:
            raise InvalidAxesError(
                f"{axis} indices {a}..{b - 1} are outside the layer's {axis} range "
                f"{lo}..{hi - 1}; use allow_resize=True to grow the layer"
            )


def write_nd_region(
    spec: DatasetSpec,
    layer_name: str,
    mag: Vec3,
    *,
    box: NDBoundingBox,
    payloads: Sequence[tuple[Mapping[str, int], PayloadRef]],
    allow_resize: bool = False,
    allow_unaligned: bool = False,
    shard_shapes: dict[Vec3, Vec3] | None = None,
) -> Change:
    """Plan writing one ``(1, x, y, z)`` payload per extra-axis point of ``box``.

    Args:
        box: the Mag-1 region, axes in the layer's order.
        payloads: ``(point, payload)`` pairs, ``point`` naming every extra axis.

    Raises:
        ReadOnlyError: the mag belongs to another dataset.
        InvalidAxesError: bad axes, or extra indices outside the layer without
            ``allow_resize``.
        InvalidArgumentError: negative or mag-unaligned x/y/z, x/y/z outside the
            layer without ``allow_resize``, not shard-aligned without
            ``allow_unaligned``.
    """
    layer, mag_spec = writable_mag(spec, layer_name, mag)
    old = nd_layer.layer_nd_box(layer)
    box = conform(old, box)
    if any(t < 0 for t in box.topleft):
        raise InvalidArgumentError(f"write offset must be non-negative, got {box!r}")
    tl, size = box.topleft_xyz.to_tuple(), box.size_xyz.to_tuple()
    if any(o % m for o, m in zip(tl, mag)) or any(s % m for s, m in zip(size, mag)):
        raise InvalidArgumentError(
            f"write region {describe_region(box)} must be divisible by mag {mag}"
        )
    covered = old.align_with_mag(Mag(mag), ceil=True)
    new = old
    if not covered.contains_bbox(box):
        if not allow_resize:
            _check_extra_range(old, box)
            raise InvalidArgumentError(
                f"the region to write ({describe_region(box)}) does not fit in the "
                f"layer's box ({describe_region(old)}); use allow_resize=True"
            )
        new = old.extended_by(box)
    in_mag: tuple[Vec3, Vec3] = (
        (tl[0] // mag[0], tl[1] // mag[1], tl[2] // mag[2]),
        (size[0] // mag[0], size[1] // mag[1], size[2] // mag[2]),
    )
    shard = (shard_shapes or {}).get(mag)
    if not allow_unaligned and shard is not None:
        view = mag_box(new.topleft_xyz.to_tuple(), new.size_xyz.to_tuple(), mag)
        if not is_shard_aligned(in_mag, view, shard):
            raise InvalidArgumentError(
                f"the write region {describe_region(box)} (mag {mag}) is not aligned "
                f"with the shard shape {shard}; pass allow_unaligned=True"
            )
    new_layer = layer if new == old else nd_layer.with_layer_box(layer, new)
    new_spec = spec if new == old else lookup.replace_layer(spec, layer_name, new_layer)
    path = lookup.resolve_mag_path(layer_name, mag_spec)
    ops: list[PlanOp] = [
        WriteRegion(
            layer=layer_name,
            mag=mag_dir_name(mag),
            path=path,
            data_format=layer.data_format,  # type: ignore[arg-type]
            offset=in_mag[0],
            payload=ref,
            select=nd_layer.select(new_layer, mag_spec, point),
        )
        for point, ref in payloads
    ]
    summary = () if new == old else (f"{layer_name}.boundingBox -> {new!r}",)
    return make_change(spec, new_spec, [("write", ops)], summary=summary)


def set_nd_bounding_box(
    spec: DatasetSpec, layer_name: str, box: NDBoundingBox
) -> Change:
    """Set an n-D layer's box (arrays grow on later writes; nothing is deleted).

    Raises:
        InvalidAxesError: the box's axes are not the layer's, or negative values.
    """
    layer = lookup.get_layer(spec, layer_name)
    old = nd_layer.layer_nd_box(layer)
    box = conform(old, box)
    if any(t < 0 for t in box.topleft):
        raise InvalidAxesError(f"bounding box topleft must be non-negative: {box!r}")
    new_layer = nd_layer.with_layer_box(layer, box)
    new = lookup.replace_layer(spec, layer_name, new_layer)
    return make_change(
        spec, new, summary=(f"{layer_name}.boundingBox -> {describe_region(box)}",)
    )
