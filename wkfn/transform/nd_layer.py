"""n-D layers in the spec (pure): NDBoundingBox <-> ``boundingBox`` +
``additionalAxes`` + ``axisOrder``, array dimension names, and extra-axis selections.

The reference stores an n-D layer's box as the x/y/z part in ``boundingBox``, one
``additionalAxes`` entry per extra axis (``name``, ``bounds``, ``index`` = array
dimension) and the array dimensions of x, y, z in ``axisOrder`` (in the mags, or in
``boundingBox`` while the layer has no mag). Its arrays have one dimension per box
axis in box order and no channel dimension (it refuses multi-channel n-D layers).
Arrays of other writers may carry a ``c`` dimension; :func:`array_dims` names every
dimension so the storage can address any layout.
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from wkfn.errors import InvalidArgumentError, InvalidAxesError
from wkfn.geometry.nd_bbox import NDBoundingBox
from wkfn.geometry.nd_check import SPATIAL, check_extra_name, check_layer_box
from wkfn.spec.array import NDSelect
from wkfn.spec.base import DEFAULT_AXIS_ORDER
from wkfn.spec.layer import AdditionalAxisSpec, BoundingBoxSpec, LayerSpec, MagSpec

Vec3 = tuple[int, int, int]


def is_nd(layer: LayerSpec) -> bool:
    """True for a layer with extra axes."""
    return bool(layer.additional_axes)


def layer_parts(
    box: NDBoundingBox,
) -> tuple[BoundingBoxSpec, tuple[AdditionalAxisSpec, ...], dict[str, int]]:
    """``boundingBox`` (with the axis order, as for a layer without mags), the
    ``additionalAxes`` and the ``axisOrder`` of a layer whose array has one dimension
    per axis of ``box``, in box order.

    Raises:
        InvalidAxesError: see :func:`wkfn.geometry.nd_check.check_layer_box`; also a
            negative topleft.
    """
    check_layer_box(box)
    if any(t < 0 for t in box.topleft):
        raise InvalidAxesError(f"layer box topleft must be non-negative: {box!r}")
    order = {a: box.axes.index(a) for a in SPATIAL}
    extras = tuple(
        AdditionalAxisSpec(name=a, bounds=box.get_bounds(a), index=i)
        for i, a in enumerate(box.axes)
        if a not in SPATIAL
    )
    bb = BoundingBoxSpec(
        top_left=box.topleft_xyz.to_tuple(),
        width=box.size_xyz.x,
        height=box.size_xyz.y,
        depth=box.size_xyz.z,
        axis_order=dict(order),
    )
    return bb, extras, order


def axis_order_of(layer: LayerSpec, mag: MagSpec | None = None) -> dict[str, int]:
    """The array dimension of x, y, z (and ``c`` if the array has one)."""
    if mag is not None and mag.axis_order:
        return dict(mag.axis_order)
    for m in layer.mags:
        if m.axis_order:
            return dict(m.axis_order)
    return dict(layer.bounding_box.axis_order or DEFAULT_AXIS_ORDER)


def array_dims(layer: LayerSpec, mag: MagSpec | None = None) -> tuple[str, ...]:
    """Names of the array's dimensions in array order (``c`` where it has one).

    Raises:
        InvalidAxesError: two axes claim one dimension, or a dimension is unnamed.
    """
    order = axis_order_of(layer, mag)
    if not is_nd(layer) and "c" not in order:
        order = {"c": 0, **{k: v for k, v in order.items() if k != "c"}}
    positions: dict[int, str] = {}
    named = [*order.items(), *((a.name, a.index) for a in layer.additional_axes)]
    for name, pos in named:
        if pos in positions:
            raise InvalidAxesError(
                f"layer {layer.name!r}: axes {positions[pos]!r} and {name!r} both "
                f"claim array dimension {pos}"
            )
        positions[pos] = name
    rank = len(positions)
    if sorted(positions) != list(range(rank)):
        raise InvalidAxesError(
            f"layer {layer.name!r}: array dimensions {sorted(positions)} are not "
            f"0..{rank - 1}"
        )
    return tuple(positions[i] for i in range(rank))


def layer_nd_box(layer: LayerSpec) -> NDBoundingBox:
    """The layer's box with its extra axes, axes in array order (``c`` left out),
    ``index`` = array dimension, as the reference's ``layer.bounding_box``."""
    bb = layer.bounding_box
    xyz_tl = bb.top_left
    xyz_sz = (bb.width, bb.height, bb.depth)
    dims = array_dims(layer)
    axes: list[str] = []
    topleft: list[int] = []
    size: list[int] = []
    index: list[int] = []
    extras = {a.name: a for a in layer.additional_axes}
    for pos, name in enumerate(dims):
        if name == "c":
            continue
        if name in SPATIAL:
            i = SPATIAL.index(name)
            lo, n = xyz_tl[i], xyz_sz[i]
        else:
            lo, hi = extras[name].bounds
            n = hi - lo
        axes.append(name)
        topleft.append(lo)
        size.append(n)
        index.append(pos)
    return NDBoundingBox(topleft, size, tuple(axes), index=index)


def with_layer_box(layer: LayerSpec, box: NDBoundingBox) -> LayerSpec:
    """The layer with a new n-D box (same axes; array dimensions unchanged).

    Raises:
        InvalidAxesError: the box's axes differ from the layer's, or bad sizes.
    """
    current = layer_nd_box(layer)
    if set(box.axes) != set(current.axes):
        raise InvalidAxesError(
            f"layer {layer.name!r} has axes {current.axes!r}, the box has {box.axes!r}"
        )
    check_layer_box(box)
    bb = msgspec.structs.replace(
        layer.bounding_box,
        top_left=box.topleft_xyz.to_tuple(),
        width=box.size_xyz.x,
        height=box.size_xyz.y,
        depth=box.size_xyz.z,
    )
    extras = tuple(
        msgspec.structs.replace(a, bounds=box.get_bounds(a.name))
        for a in layer.additional_axes
    )
    return msgspec.structs.replace(layer, bounding_box=bb, additional_axes=extras)


def check_extra_indices(layer: LayerSpec, at: Mapping[str, int]) -> None:
    """Every extra axis has an index inside its bounds, and no other axis is named.

    Raises:
        InvalidAxesError: an unknown axis, a missing one, or an index outside the
            axis' range.
    """
    names = [a.name for a in layer.additional_axes]
    for name in at:
        check_extra_name(name)
        if name not in names:
            raise InvalidAxesError(
                f"layer {layer.name!r} has no extra axis {name!r} (it has {names})"
            )
    for axis in layer.additional_axes:
        if axis.name not in at:
            raise InvalidAxesError(
                f"layer {layer.name!r}: no index for its extra axis {axis.name!r}"
            )
        lo, hi = axis.bounds
        if not lo <= at[axis.name] < hi:
            raise InvalidAxesError(
                f"{axis.name} index {at[axis.name]} is outside the layer's "
                f"{axis.name} range {lo}..{hi - 1}"
            )


def select(layer: LayerSpec, mag: MagSpec, point: Mapping[str, int]) -> NDSelect:
    """The storage selection of one extra-axis point of a mag's array.

    Raises:
        InvalidArgumentError: a point lacks one of the layer's extra axes.
    """
    dims = array_dims(layer, mag)
    at = []
    for name in dims:
        if name in ("c", *SPATIAL):
            continue
        if name not in point:
            raise InvalidArgumentError(f"no index for extra axis {name!r}")
        at.append(int(point[name]))
    return NDSelect(dims=dims, at=tuple(at))


__all__ = [
    "array_dims",
    "axis_order_of",
    "check_extra_indices",
    "is_nd",
    "layer_nd_box",
    "layer_parts",
    "select",
    "with_layer_box",
]
