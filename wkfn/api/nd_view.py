"""Reading and writing n-D layers through views (the facade's half of n-D support).

A view of an n-D layer has an :class:`~wkfn.geometry.NDBoundingBox` (axes in the
layer's array order). Reads and writes take the reference's addressing forms:
``absolute_bounding_box`` / ``relative_bounding_box`` (n-D boxes over any sub-box of
the extra axes, in any axis order: the data follows the box's order),
``absolute_offset`` / ``relative_offset`` with a ``size`` (x, y, z only: the extra
axes span the view). Voxels move one extra-axis point at a time through the 3-D
storage path (:class:`~wkfn.storage.nd_array.NDSliceArray`); writes are planned by
:func:`wkfn.transform.nd_data.write_nd_region`.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import numpy as np

from wkfn.api._location import offset_arg, one_of
from wkfn.errors import InvalidArgumentError, RankMismatchError, UnsupportedLayerError
from wkfn.geometry import BoundingBox, Vec3Int
from wkfn.geometry.nd_bbox import NDBoundingBox
from wkfn.geometry.nd_check import extra_axes, extra_points
from wkfn.plan.ops import PayloadRef
from wkfn.spec import lookup
from wkfn.storage import location as location_of
from wkfn.transform import nd_data, nd_layer

if TYPE_CHECKING:
    from wkfn.api.view import View

__all__ = ["nd_read", "nd_write", "resolve_box"]


def resolve_box(
    view_box: NDBoundingBox,
    *,
    size: object = None,
    data_shape: tuple[int, ...] | None = None,
    mag: Vec3Int,
    relative_offset: object = None,
    absolute_offset: object = None,
    relative_bounding_box: Any = None,
    absolute_bounding_box: Any = None,
) -> NDBoundingBox:
    """The Mag-1 region an n-D read or write addresses, in the order the data has
    (the given box's axis order; the view's order otherwise).

    Raises:
        InvalidArgumentError / InvalidAxesError: conflicting or malformed arguments.
    """
    given = one_of(
        relative_offset=relative_offset,
        absolute_offset=absolute_offset,
        relative_bounding_box=relative_bounding_box,
        absolute_bounding_box=absolute_bounding_box,
    )
    if given is not None and given[0].endswith("bounding_box"):
        name, value = given
        if size is not None:
            raise InvalidArgumentError(f"size cannot be combined with {name}")
        if type(value) is BoundingBox or (
            isinstance(value, NDBoundingBox) and value.axes == ("x", "y", "z")
        ):
            # a 3-D box on an n-D layer: x, y, z only, the extra axes span the view
            box = view_box.with_topleft_xyz(value.topleft).with_size_xyz(value.size)
            if name == "relative_bounding_box":
                box = box.offset(view_box.topleft_xyz)
            return box
        if not isinstance(value, NDBoundingBox):
            raise InvalidArgumentError(f"{name} must be a bounding box, got {value!r}")
        nd_data.conform(view_box, value)  # checks the axes
        if name == "relative_bounding_box":
            value = value.offset([view_box.get_bounds(a)[0] for a in value.axes])
        return value
    box = view_box
    if given is not None:
        name, value = given
        vec = offset_arg(value, name)
        tl = view_box.topleft_xyz + vec if name == "relative_offset" else vec
        box = box.with_topleft_xyz(tl)
    if data_shape is not None:
        return box.with_size(
            [
                data_shape[i] * (mag["xyz".index(a)] if a in "xyz" else 1)
                for i, a in enumerate(box.axes)
            ]
        )
    if size is not None:
        return box.with_size_xyz(offset_arg(size, "size"))
    if given is not None:
        raise InvalidArgumentError(f"{given[0]} needs a size (in Mag-1 voxels)")
    return box


def _in_layer_order(view: View, box: NDBoundingBox) -> tuple[NDBoundingBox, list[int]]:
    """The box in the layer's axis order and the permutation data -> layer order."""
    layer_axes = view.bounding_box.axes
    perm = [box.axes.index(a) for a in layer_axes]
    return nd_data.conform(view.bounding_box, box), perm


def _point_index(
    axes: tuple[str, ...], point: dict[str, int], box: NDBoundingBox
) -> tuple[tuple[Any, ...], list[int]]:
    """Index of one extra-axis point in a layer-order array of ``box``, and the
    permutation of the remaining (x, y, z) dimensions into array order."""
    index: list[Any] = []
    kept: list[str] = []
    for a in axes:
        if a in point:
            index.append(point[a] - box.get_bounds(a)[0])
        else:
            index.append(slice(None))
            kept.append(a)
    return tuple(index), [kept.index(a) for a in "xyz"]


def nd_read(view: View, box: NDBoundingBox) -> np.ndarray:
    """Voxels of ``box`` (any axis order), shaped like the box in mag voxels."""
    if box.is_empty():
        raise InvalidArgumentError(f"cannot read an empty region {box}")
    ordered, _ = _in_layer_order(view, box)
    mag = view.mag.to_vec3_int()
    if ordered.align_with_mag(view.mag, ceil=True) != ordered:
        raise InvalidArgumentError(f"read region {box} is not aligned with {view.mag}")
    if any(t < 0 for t in ordered.topleft):
        raise InvalidArgumentError(f"read offset must be non-negative, got {box}")
    layer = view.layer
    spec = layer.spec
    mag_spec = lookup.get_mag(spec, view.mag.to_tuple())
    first = {a: ordered.get_bounds(a)[0] for a in extra_axes(ordered)}
    select = nd_layer.select(spec, mag_spec, first)
    start: list[int] = []
    stop: list[int] = []
    for dim in select.dims:
        if dim == "c":
            start.append(0)
            stop.append(layer.num_channels)
            continue
        lo, hi = ordered.get_bounds(dim)
        m = mag["xyz".index(dim)] if dim in ("x", "y", "z") else 1
        start.append(lo // m)
        stop.append(hi // m)
    block = view.session.read_nd_block(layer.name, view.mag, select, start, stop)
    dims = list(select.dims)
    if "c" in dims:  # n-D layers have one channel
        block = block[(slice(None),) * dims.index("c") + (0,)]
        dims.remove("c")
    # array order -> the requested box's axis order (a view, no copy)
    return np.transpose(block, [dims.index(a) for a in box.axes])


def nd_write(
    view: View,
    data: np.ndarray,
    *,
    allow_resize: bool,
    allow_unaligned: bool,
    must_be_inside: bool,
    **location: Any,
) -> None:
    """Plan and apply a write of ``data`` (one axis per box axis, already of the
    layer's dtype) to an n-D view.

    Raises:
        RankMismatchError: ``data`` does not have one dimension per axis of the
            layer, or its shape is not the box's (before anything is written).
        UnsupportedLayerError: the mag lives in object storage (n-D arrays are
            written on local disks only).
    """
    target = view.session.mag_path(view.layer.name, view.mag)
    if location_of.is_object_url(target):
        raise UnsupportedLayerError(
            f"n-D arrays are written on local disks only, not at "
            f"{location_of.redact(str(target))} (reading them there works)"
        )
    data = np.asarray(data)
    axes = view.bounding_box.axes
    if data.ndim != len(axes):
        raise RankMismatchError(
            f"data of shape {data.shape} has rank {data.ndim}; layer "
            f"{view.layer.name!r} has {len(axes)} axes {axes} (n-D layers have "
            "no channel axis)"
        )
    mag = view.mag.to_vec3_int()
    given_box = location.get("absolute_bounding_box") or location.get(
        "relative_bounding_box"
    )
    box = resolve_box(
        view.bounding_box,
        mag=mag,
        data_shape=None if given_box is not None else tuple(data.shape),
        **location,
    )
    expected = tuple(
        n // mag["xyz".index(a)] if a in "xyz" else n
        for a, n in zip(box.axes, box.size)
    )
    if tuple(data.shape) != expected:
        raise RankMismatchError(
            f"the shape of the data {data.shape} does not match the region to write "
            f"{box!r} (mag {view.mag}: expected {expected})"
        )
    ordered, perm = _in_layer_order(view, box)
    data = np.transpose(data, perm) if perm != sorted(perm) else data
    if must_be_inside and not view.bounding_box.contains_bbox(ordered):
        raise InvalidArgumentError(
            f"the write region {ordered} is outside the view {view.bounding_box}"
        )
    if data.size == 0:
        return
    names = extra_axes(ordered)
    payloads: dict[str, np.ndarray] = {}
    refs: list[tuple[dict[str, int], PayloadRef]] = []
    for values in extra_points(ordered):
        point = dict(zip(names, values))
        index, xyz_perm = _point_index(ordered.axes, point, ordered)
        piece = np.transpose(data[index], xyz_perm)[np.newaxis]
        key = uuid.uuid4().hex
        payloads[key] = piece
        refs.append(
            (
                point,
                PayloadRef(key=key, shape=tuple(piece.shape), dtype=str(piece.dtype)),
            )
        )
    change = nd_data.write_nd_region(
        view.session.spec,
        view.layer.name,
        view.mag.to_tuple(),
        box=ordered,
        payloads=refs,
        allow_resize=allow_resize,
        allow_unaligned=allow_unaligned,
        shard_shapes=view.session.shard_shapes(view.layer.name),
    )
    view.session.apply(change, payloads)
