"""``plan_merge`` (pure): every stored chunk is copied exactly once, no stage writes a
target shard twice, and the new layer box covers the old box and every target shard
that receives data."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wkfn.errors import MergePreconditionError
from wkfn.plan.ops import CopyRegion
from wkfn.spec.array import ArrayLayout
from wkfn.transform.dataset import add_layer, create_dataset
from wkfn.transform.layer import add_mag
from wkfn.transform.merge import check_mergeable, plan_merge

CHUNK = (32, 32, 32)


def _source(dtype: str = "uint32", shard: tuple[int, int, int] = CHUNK) -> ArrayLayout:
    return ArrayLayout(
        data_format="zarr3",
        dtype=dtype,
        num_channels=1,
        chunk_shape=CHUNK,
        shard_shape=shard,
        compress=True,
    )


def _base(shard: int) -> tuple[object, ArrayLayout]:
    spec = create_dataset(name="d", voxel_size=(1.0, 1.0, 1.0)).spec
    spec = add_layer(
        spec,
        name="seg",
        category="segmentation",
        dtype_per_channel="uint32",
        num_channels=1,
        data_format="zarr3",
        bounding_box=((0, 0, 0), (40, 40, 40)),
    ).spec
    change, layout = add_mag(
        spec, "seg", (1, 1, 1), chunk_shape=CHUNK, shard_shape=(shard,) * 3
    )
    return change.spec, layout


@given(
    chunks=st.sets(
        st.tuples(*(st.integers(0, 7) for _ in range(3))), min_size=0, max_size=40
    ),
    shard=st.sampled_from([32, 64, 128]),
)
def test_every_chunk_once_no_shard_twice_per_stage(
    chunks: set[tuple[int, int, int]], shard: int
) -> None:
    spec, layout = _base(shard)
    boxes = [(tuple(c * 32 for c in idx), CHUNK) for idx in chunks]
    change = plan_merge(
        spec,  # type: ignore[arg-type]
        "seg",
        (1, 1, 1),
        target=layout,
        source_path="/elsewhere/ann/1",
        source=_source(),
        source_chunks=boxes,  # type: ignore[arg-type]
        shard_shapes={(1, 1, 1): layout.shard_shape},
    )
    copied = []
    for stage in change.plan.stages:
        shards = [
            tuple(o // shard for o in op.offset)
            for op in stage.ops
            if isinstance(op, CopyRegion)
        ]
        assert len(shards) == len(set(shards)), stage.name
        copied += [
            (tuple(op.offset), tuple(op.size))
            for op in stage.ops
            if isinstance(op, CopyRegion)
        ]
        assert all(op.keep_zeros for op in stage.ops if isinstance(op, CopyRegion))
    assert sorted(copied) == sorted(boxes)
    layer = change.spec.data_layers[0]
    box = layer.bounding_box
    lo, size = box.top_left, (box.width, box.height, box.depth)
    hi = tuple(a + b for a, b in zip(lo, size))
    assert lo == (0, 0, 0) and all(h >= 40 for h in hi)
    for idx in chunks:
        shard_hi = tuple((c * 32 // shard + 1) * shard for c in idx)
        assert all(h >= s for h, s in zip(hi, shard_hi))
    if chunks:
        assert hi == tuple(
            max([40] + [(c[i] * 32 // shard + 1) * shard for c in chunks])
            for i in range(3)
        )


def test_preconditions_are_typed() -> None:
    _, layout = _base(64)
    with pytest.raises(MergePreconditionError):  # several chunks per shard
        check_mergeable(layout, _source(shard=(64, 64, 64)), (1, 1, 1), (1, 1, 1))
    with pytest.raises(MergePreconditionError):  # dtype
        check_mergeable(layout, _source(dtype="uint8"), (1, 1, 1), (1, 1, 1))
    with pytest.raises(MergePreconditionError):  # mag
        check_mergeable(layout, _source(), (1, 1, 1), (2, 2, 2))
    assert issubclass(MergePreconditionError, AssertionError)
    assert issubclass(MergePreconditionError, ValueError)
