"""Planning of voxel writes (pure): bounds, resize and shard-alignment rules."""

from __future__ import annotations

import msgspec

from wkfn.errors import InvalidArgumentError, ReadOnlyError
from wkfn.plan.ops import PayloadRef, PlanOp, WriteRegion
from wkfn.spec import lookup
from wkfn.spec.dataset import DatasetSpec
from wkfn.spec.layer import LayerSpec, MagSpec
from wkfn.spec.names import mag_dir_name
from wkfn.transform.change import Change, make_change
from wkfn.transform.layer import is_local_mag, layer_box, resize_ops

Vec3 = tuple[int, int, int]
Box = tuple[Vec3, Vec3]


def writable_mag(
    spec: DatasetSpec, layer_name: str, mag: Vec3
) -> tuple[LayerSpec, MagSpec]:
    """The layer and mag a write goes to, if this dataset owns the mag's files.

    Raises:
        ReadOnlyError: the mag is referenced from another dataset.
    """
    layer = lookup.get_layer(spec, layer_name)
    mag_spec = lookup.get_mag(layer, mag)
    if not is_local_mag(layer, mag_spec):
        raise ReadOnlyError(
            f"mag {mag_dir_name(mag)} of layer {layer_name!r} is read-only: its files "
            f"belong to another dataset ({mag_spec.path}); copy it into this dataset "
            "(add_mag_as_copy) to write to it"
        )
    return layer, mag_spec


def union_box(a: Box, b: Box) -> Box:
    """Smallest box containing both (an empty box is neutral)."""
    if any(s <= 0 for s in a[1]):
        return b
    if any(s <= 0 for s in b[1]):
        return a
    lo = tuple(min(x, y) for x, y in zip(a[0], b[0]))
    hi = tuple(max(x + sx, y + sy) for x, sx, y, sy in zip(a[0], a[1], b[0], b[1]))
    return (
        (lo[0], lo[1], lo[2]),
        (hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2]),
    )


def contains_box(outer: Box, inner: Box) -> bool:
    """True if ``inner`` lies inside ``outer``."""
    return all(
        o <= i and i + si <= o + so
        for o, so, i, si in zip(outer[0], outer[1], inner[0], inner[1])
    )


def mag_box(layer_topleft: Vec3, layer_size: Vec3, mag: Vec3) -> Box:
    """The layer box aligned outward to a mag, in *mag* voxels."""
    lo = tuple(t // m for t, m in zip(layer_topleft, mag))
    hi = tuple(-(-(t + s) // m) for t, s, m in zip(layer_topleft, layer_size, mag))
    return (lo[0], lo[1], lo[2]), (hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2])


def is_shard_aligned(box: Box, view: Box, shard: Vec3) -> bool:
    """A write box is aligned if it covers whole shards, except where clipped by view.

    All boxes in mag voxels.
    """
    for a in range(3):
        start, end = box[0][a], box[0][a] + box[1][a]
        vstart, vend = view[0][a], view[0][a] + view[1][a]
        lo = max(start // shard[a] * shard[a], vstart)
        hi = min(-(-end // shard[a]) * shard[a], vend)
        if (lo, hi) != (start, end):
            return False
    return True


def write_region(
    spec: DatasetSpec,
    layer_name: str,
    mag: Vec3,
    *,
    offset: Vec3,
    size: Vec3,
    payload: PayloadRef,
    allow_resize: bool = False,
    allow_unaligned: bool = False,
    shard_shapes: dict[Vec3, Vec3] | None = None,
) -> Change:
    """Plan writing ``payload`` to ``layer/mag`` at a Mag-1 ``offset``.

    Args:
        offset: absolute Mag-1 position of the first voxel (divisible by ``mag``).
        size: Mag-1 size of the written region (``payload`` spatial shape times mag).
        allow_resize: grow the layer bounding box if the region exceeds it.
        allow_unaligned: permit writes that do not cover whole shards.
        shard_shapes: shard shape per mag (from storage), used for the alignment
            check and for resizing arrays.

    Raises:
        ReadOnlyError: the mag is referenced from another dataset.
        InvalidArgumentError: negative or mag-unaligned offset, region outside the
            layer without ``allow_resize``, or not shard-aligned without
            ``allow_unaligned``.
    """
    layer, mag_spec = writable_mag(spec, layer_name, mag)
    shard_shapes = shard_shapes or {}
    if any(o < 0 for o in offset):
        raise InvalidArgumentError(f"write offset must be non-negative, got {offset}")
    if any(o % m for o, m in zip(offset, mag)) or any(s % m for s, m in zip(size, mag)):
        raise InvalidArgumentError(
            f"write offset {offset} and size {size} must be divisible by mag {mag}"
        )
    target: Box = (offset, size)
    old_box = layer_box(layer)
    view_mag1 = mag_box(*old_box, mag)
    view_mag1 = (
        (
            view_mag1[0][0] * mag[0],
            view_mag1[0][1] * mag[1],
            view_mag1[0][2] * mag[2],
        ),
        (
            view_mag1[1][0] * mag[0],
            view_mag1[1][1] * mag[1],
            view_mag1[1][2] * mag[2],
        ),
    )
    new_box = old_box
    if not contains_box(view_mag1, target):
        if not allow_resize:
            raise InvalidArgumentError(
                f"the bounding box to write {offset}+{size} does not fit in the "
                f"layer's bounding box {old_box[0]}+{old_box[1]}; "
                "use allow_resize=True to grow the layer"
            )
        new_box = union_box(old_box, target)
    in_mag: Box = (
        (offset[0] // mag[0], offset[1] // mag[1], offset[2] // mag[2]),
        (size[0] // mag[0], size[1] // mag[1], size[2] // mag[2]),
    )
    shard = shard_shapes.get(mag)
    if not allow_unaligned and shard is not None:
        view = mag_box(*new_box, mag)
        if not is_shard_aligned(in_mag, view, shard):
            raise InvalidArgumentError(
                f"the write region {offset}+{size} (mag {mag}) is not aligned with "
                f"the shard shape {shard}; pass allow_unaligned=True (wkfn groups "
                "unaligned writes per shard, so this is safe but slower)"
            )
    new_spec = spec
    stages: list[tuple[str, list[PlanOp]]] = []
    if new_box != old_box:
        bb = layer.bounding_box
        new_layer = msgspec.structs.replace(
            layer,
            bounding_box=msgspec.structs.replace(
                bb,
                top_left=new_box[0],
                width=new_box[1][0],
                height=new_box[1][1],
                depth=new_box[1][2],
            ),
        )
        new_spec = lookup.replace_layer(spec, layer_name, new_layer)
        stages.append(("resize", resize_ops(layer, *new_box, shard_shapes)))
    op = WriteRegion(
        layer=layer_name,
        mag=mag_dir_name(mag),
        path=lookup.resolve_mag_path(layer_name, mag_spec),
        data_format=layer.data_format,  # type: ignore[arg-type]
        offset=in_mag[0],
        payload=payload,
    )
    stages.append(("write", [op]))
    summary = () if new_box == old_box else (f"{layer_name}.boundingBox -> {new_box}",)
    return make_change(spec, new_spec, stages, summary=summary)
