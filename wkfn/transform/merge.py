"""Planning ``MagView.merge_with_view`` (pure): overlay another mag's stored chunks.

A merge copies every chunk the *other* array (a volume annotation: one chunk per
shard) holds on disk into this mag, replacing this mag's voxels in those chunks
(zeros of the other chunk included), and grows the layer's bounding box to cover
every shard of this mag that receives data, as webknossos 4.3.3 does.

The plan is ``resize`` (arrays grow to the new box), then copy rounds: the k-th
round holds the k-th chunk of every target shard, so no two ops of one stage
write the same shard (the stage rule of :mod:`wkfn.plan`), and then the
properties.
"""

from __future__ import annotations

from collections.abc import Sequence

from wkfn.errors import InvalidArgumentError, MergePreconditionError
from wkfn.plan.ops import CopyRegion, PlanOp
from wkfn.spec import lookup
from wkfn.spec.array import ArrayLayout
from wkfn.spec.dataset import DatasetSpec
from wkfn.spec.names import mag_dir_name
from wkfn.transform.change import Change, make_change
from wkfn.transform.data import union_box
from wkfn.transform.layer import layer_box, set_bounding_box

Vec3 = tuple[int, int, int]
Box = tuple[Vec3, Vec3]


def check_mergeable(
    target: ArrayLayout, source: ArrayLayout, target_mag: Vec3, source_mag: Vec3
) -> None:
    """Refuse a merge the reference refuses (it asserts the same three facts).

    Raises:
        MergePreconditionError: the source stores more than one chunk per shard,
            the dtypes (or channel counts) differ, or the mags differ.
    """
    if source.shard_shape != source.chunk_shape:
        raise MergePreconditionError(
            "the view to merge must store one chunk per shard (a volume "
            f"annotation), got chunk {source.chunk_shape} in shard "
            f"{source.shard_shape}"
        )
    if (source.dtype, source.num_channels) != (target.dtype, target.num_channels):
        raise MergePreconditionError(
            f"the view to merge stores {source.num_channels}x{source.dtype}, "
            f"this mag stores {target.num_channels}x{target.dtype}"
        )
    if source_mag != target_mag:
        raise MergePreconditionError(
            f"both views need the same mag: this mag is {mag_dir_name(target_mag)}, "
            f"the other is {mag_dir_name(source_mag)}"
        )


def _shard_of(offset: Vec3, shard: Vec3) -> Vec3:
    return (offset[0] // shard[0], offset[1] // shard[1], offset[2] // shard[2])


def plan_merge(
    spec: DatasetSpec,
    layer_name: str,
    mag: Vec3,
    *,
    target: ArrayLayout,
    source_path: str,
    source: ArrayLayout,
    source_chunks: Sequence[Box],
    shard_shapes: dict[Vec3, Vec3],
) -> Change:
    """Plan overlaying ``source_chunks`` (mag voxel boxes stored by the source).

    ``target`` is the layout of this mag's array; ``shard_shapes`` maps every mag
    of the layer to its shard shape (the arrays that grow with the box).

    >>> from wkfn.transform.dataset import create_dataset, add_layer
    >>> from wkfn.transform.layer import add_mag
    >>> s = create_dataset(name="d", voxel_size=(1.0, 1.0, 1.0)).spec
    >>> s = add_layer(s, name="a", category="segmentation", dtype_per_channel="uint8",
    ...               num_channels=1, data_format="zarr3",
    ...               bounding_box=((0, 0, 0), (10, 10, 10))).spec
    >>> change, lay = add_mag(s, "a", (1, 1, 1), chunk_shape=(32, 32, 32),
    ...                       shard_shape=(64, 64, 64))
    >>> src = ArrayLayout(data_format="zarr3", dtype="uint8", num_channels=1,
    ...                   chunk_shape=(32, 32, 32), shard_shape=(32, 32, 32),
    ...                   compress=True)
    >>> c = plan_merge(change.spec, "a", (1, 1, 1), target=lay, source_path="/x/1",
    ...                source=src, source_chunks=[((32, 0, 0), (32, 32, 32))],
    ...                shard_shapes={(1, 1, 1): (64, 64, 64)})
    >>> c.spec.data_layers[0].bounding_box.width
    64
    """
    check_mergeable(target, source, mag, mag)
    layer = lookup.get_layer(spec, layer_name)
    entry = next((m for m in layer.mags if m.mag == mag), None)
    if entry is None:
        raise InvalidArgumentError(
            f"layer {layer_name!r} has no mag {mag_dir_name(mag)} to merge into"
        )
    shard = target.shard_shape
    groups: dict[Vec3, list[Box]] = {}
    for box in sorted(source_chunks):
        if any(s <= 0 for s in box[1]):
            continue
        groups.setdefault(_shard_of(box[0], shard), []).append(box)
    new_box = layer_box(layer)
    for index in groups:
        topleft = tuple(i * s * m for i, s, m in zip(index, shard, mag))
        size = tuple(s * m for s, m in zip(shard, mag))
        new_box = union_box(new_box, (topleft, size))  # type: ignore[arg-type]
    grown = set_bounding_box(spec, layer_name, new_box[0], new_box[1], shard_shapes)
    resize: list[PlanOp] = [
        op for stage in grown.plan.stages if stage.name == "resize" for op in stage.ops
    ]
    target_path = lookup.resolve_mag_path(layer_name, entry)
    rounds: list[list[PlanOp]] = []
    for boxes in groups.values():
        for k, (offset, size) in enumerate(boxes):
            if k == len(rounds):
                rounds.append([])
            rounds[k].append(
                CopyRegion(
                    layer=layer_name,
                    mag=mag_dir_name(mag),
                    source_path=source_path,
                    source_format=source.data_format,
                    target_path=target_path,
                    target_format=target.data_format,
                    offset=offset,
                    size=size,
                    dtype=target.dtype,
                    num_channels=target.num_channels,
                    keep_zeros=True,
                )
            )
    stages = [("resize", resize)] + [
        (f"merge {k + 1}", ops) for k, ops in enumerate(rounds)
    ]
    return make_change(
        spec,
        grown.spec,
        stages,
        summary=(
            f"{layer_name}/{mag_dir_name(mag)}: merge "
            f"{sum(len(b) for b in groups.values())} chunk(s) of {source_path}",
        ),
    )
