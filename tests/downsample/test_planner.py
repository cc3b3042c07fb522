"""The pure planner: mag ladder, default coarsest mag, ops and stages."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wkfn.errors import InvalidArgumentError, MagNotFoundError
from wkfn.plan.ops import (
    RESAMPLE_PIECE_BYTES,
    CreateArray,
    DownsampleRegion,
    UpsampleRegion,
)
from wkfn.spec.array import ArrayLayout
from wkfn.transform import dataset as ds_transform
from wkfn.transform import downsample as planner
from wkfn.transform import layer as layer_transform

Vec3 = tuple[int, int, int]

pow2 = st.sampled_from([1, 2, 4])
mag_st = st.tuples(pow2, pow2, pow2)
voxel_st = st.tuples(*(st.floats(0.5, 50, allow_nan=False) for _ in range(3)))


# ------------------------------------------------------------------ ladder


def test_reference_examples() -> None:
    assert planner.mags_to_downsample((1, 1, 1), (4, 4, 4), (11.24, 11.24, 25)) == [
        (2, 2, 1),
        (4, 4, 2),
    ]
    assert planner.mags_to_downsample((1, 1, 1), (4, 4, 4), (1, 1, 1)) == [
        (2, 2, 2),
        (4, 4, 4),
    ]
    assert planner.mags_to_downsample((1, 1, 1), (16, 16, 16), (11.24, 11.24, 25)) == [
        (2, 2, 1),
        (4, 4, 2),
        (8, 8, 4),
        (16, 16, 8),
    ]
    # a step that does not grow max_dim is taken silently
    assert planner.mags_to_downsample((2, 2, 1), (8, 8, 8), (1, 1, 1)) == [
        (4, 4, 4),
        (8, 8, 8),
    ]
    assert planner.sampling_ladder((1, 1, 1), (4, 4, 4), "constant_z", (1, 1, 1)) == [
        (2, 2, 1),
        (4, 4, 1),
    ]
    assert planner.mags_to_upsample((8, 8, 8), (1, 1, 1), (11.24, 11.24, 25)) == [
        (4, 4, 2),
        (2, 2, 1),
        (1, 1, 1),
    ]


def test_aligned_mags_are_preferred() -> None:
    ladder = planner.mags_to_downsample(
        (1, 1, 1), (8, 8, 8), None, align_mags=[(1, 1, 1), (4, 4, 1)]
    )
    assert ladder == [(2, 2, 2), (4, 4, 1), (8, 8, 2)]


@settings(max_examples=200, deadline=None)
@given(
    mag_st,
    st.tuples(st.integers(0, 5), st.integers(0, 5), st.integers(0, 5)),
    st.one_of(st.none(), voxel_st),
)
def test_ladder_properties(
    start: Vec3, extra: tuple[int, int, int], voxel: tuple[float, float, float] | None
) -> None:
    coarsest = (start[0] << extra[0], start[1] << extra[1], start[2] << extra[2])
    try:
        ladder = planner.mags_to_downsample(start, coarsest, voxel)
    except InvalidArgumentError:
        assert voxel is not None  # only the anisotropic rule can get stuck
        return
    prev = start
    for m in ladder:
        assert all(a <= b for a, b in zip(prev, m)), (prev, m)
        if voxel is None:
            assert all(b <= 2 * a for a, b in zip(prev, m)), (prev, m)
        assert all(b <= c for b, c in zip(m, coarsest))
        if voxel is not None:
            assert max(m) > max(prev)
        prev = m
    if max(coarsest) > max(start):
        assert max(ladder[-1]) == max(coarsest)
    else:
        assert ladder == []


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 5), st.one_of(st.none(), st.just((11.24, 11.24, 25.0))))
def test_upsample_ladder_mirrors_downsample(
    k: int, voxel: tuple[float, float, float] | None
) -> None:
    top = (1 << k, 1 << k, 1 << k)
    down = planner.mags_to_downsample((1, 1, 1), top, voxel)
    up = planner.mags_to_upsample(top, (1, 1, 1), voxel)
    assert up == [*list(reversed(down))[1:], (1, 1, 1)]


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        ((64, 64, 16), 4),
        ((512, 512, 512), 8),
        ((1000, 50, 3), 16),
        ((1, 1, 1), 4),
        ((100, 401, 7), 8),
        ((25600, 10, 1), 256),
    ],
)
def test_default_coarsest_mag(size: Vec3, expected: int) -> None:
    assert planner.default_coarsest_mag(size) == (expected,) * 3
    longest = max(size[0], size[1])
    assert expected == max(2 ** math.ceil(math.log2(longest / 100)), 4)


def test_parse_modes() -> None:
    assert planner.parse_interpolation_mode("default", "color") == "median"
    assert planner.parse_interpolation_mode("default", "segmentation") == "mode"
    assert planner.parse_interpolation_mode("BiLinear", "color") == "bilinear"
    with pytest.raises(InvalidArgumentError, match="gaussian"):
        planner.parse_interpolation_mode("gaussian", "color")
    assert planner.parse_sampling_mode("auto") == "anisotropic"
    assert planner.parse_sampling_mode("constant_z") == "constant_z"
    with pytest.raises(InvalidArgumentError):
        planner.parse_sampling_mode("sideways")


def test_distinct_max_dims() -> None:
    planner.check_distinct_max_dims([(1, 1, 1), (2, 2, 1), (4, 4, 2)])
    with pytest.raises(InvalidArgumentError, match="max_dim"):
        planner.check_distinct_max_dims([(4, 2, 8), (8, 2, 8), (8, 8, 8)])


def test_tiles_and_jobs_follow_the_reference() -> None:
    assert planner.tile_shape((2, 2, 1), (1024,) * 3, None) == (512, 512, 512)
    assert planner.tile_shape((4, 4, 2), (1024,) * 3, None) == (256, 256, 512)
    assert planner.tile_shape((2, 2, 2), (32,) * 3, None) == (32, 32, 32)
    assert planner.tile_shape((2, 2, 2), (32,) * 3, (8, 8, 8)) == (8, 8, 8)
    assert planner.job_shape((32, 32, 32)) == (1024, 1024, 1024)
    assert planner.job_shape((4096, 4096, 32)) == (4096, 4096, 64)
    assert planner.reference_shard_shape("zarr3", (64, 64, 16), None, None) == (
        4096,
        4096,
        32,
    )
    assert planner.reference_shard_shape("zarr", (64, 64, 64), None, None) == (32,) * 3
    assert planner.reference_shard_shape("wkw", (64, 64, 16), None, None) == (1024,) * 3


# ------------------------------------------------------------------ plans


def _spec(
    size: Vec3, topleft: Vec3 = (0, 0, 0), fmt: str = "zarr3", category: str = "color"
) -> tuple[object, dict[Vec3, ArrayLayout]]:
    spec = ds_transform.create_dataset(name="ds", voxel_size=(1.0, 1.0, 1.0)).spec
    spec = ds_transform.add_layer(
        spec,
        name="l",
        category=category,
        dtype_per_channel="uint8",
        data_format=fmt,
        bounding_box=(topleft, size),
    ).spec
    change, layout = layer_transform.add_mag(
        spec,
        "l",
        (1, 1, 1),
        chunk_shape=(16, 16, 16) if fmt != "wkw" else None,
    )
    return change.spec, {(1, 1, 1): layout}


def _covers_exactly(regions: list[tuple[Vec3, Vec3]], offset: Vec3, size: Vec3) -> None:
    seen: set[Vec3] = set()
    total = 0
    for off, sz in regions:
        assert all(s > 0 for s in sz)
        for a in range(3):
            assert offset[a] <= off[a] and off[a] + sz[a] <= offset[a] + size[a]
        total += sz[0] * sz[1] * sz[2]
        seen.add(off)
    assert len(seen) == len(regions)
    assert total == size[0] * size[1] * size[2]


@settings(max_examples=40, deadline=None)
@given(
    st.tuples(*(st.integers(1, 300) for _ in range(3))),
    st.tuples(*(st.integers(0, 70) for _ in range(3))),
    st.sampled_from(["zarr3", "zarr"]),
)
def test_ops_tile_the_target_box_exactly(size: Vec3, topleft: Vec3, fmt: str) -> None:
    spec, layouts = _spec(size, topleft, fmt)
    steps = [((1, 1, 1), (2, 2, 2)), ((2, 2, 2), (4, 4, 2))]
    change = planner.plan_downsample(
        spec,
        "l",
        steps,
        layouts,
        interpolation="median",  # type: ignore[arg-type]
    )
    stages = change.plan.stages
    assert [s.name for s in stages] == [
        "create",
        "downsample l 2",
        "downsample l 4-4-2",
        "properties",
    ]
    assert all(isinstance(op, CreateArray) for op in stages[0].ops)
    for stage, (_, target) in zip(stages[1:3], steps):
        ops = [op for op in stage.ops if isinstance(op, DownsampleRegion)]
        assert len(ops) == len(stage.ops)
        offset, tsize = planner.mag_box(topleft, size, target)
        _covers_exactly([(op.offset, op.size) for op in ops], offset, tsize)
        assert all(op.memory_estimate() <= RESAMPLE_PIECE_BYTES + 2**28 for op in ops)
    assert change.plan.memory_estimate() < 2**29


def test_new_mag_layouts_follow_the_source() -> None:
    spec, layouts = _spec((512, 512, 64))
    change = planner.plan_downsample(
        spec,  # type: ignore[arg-type]
        "l",
        [((1, 1, 1), (2, 2, 1)), ((2, 2, 1), (4, 4, 2))],
        layouts,
        interpolation="median",
        compress=False,
    )
    created = [op for op in change.plan.ops if isinstance(op, CreateArray)]
    assert [op.path for op in created] == ["./l/2-2-1", "./l/4-4-2"]
    for op in created:
        assert op.layout.chunk_shape == (16, 16, 16)
        assert op.layout.data_format == "zarr3"
        assert not op.layout.compress
    # extent of 2-2-1 is 256x256x64: shards at most half of it per axis
    assert created[0].layout.shard_shape == (128, 128, 32)
    assert created[1].layout.shard_shape == (64, 64, 16)
    text = str(change.plan)
    assert "+ array l/2-2-1" in text and "+ array l/4-4-2" in text
    assert "l +mag 2-2-1 (8 downsample ops)" in text
    assert "l +mag 4-4-2 (8 downsample ops)" in text


def test_plan_errors() -> None:
    spec, layouts = _spec((64, 64, 64))
    kwargs = {"interpolation": "median"}
    with pytest.raises(MagNotFoundError):
        planner.plan_downsample(spec, "l", [((2, 2, 2), (4, 4, 4))], layouts, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="greater"):
        planner.plan_downsample(
            spec,
            "l",
            [((1, 1, 1), (1, 2, 1)), ((1, 2, 1), (2, 1, 1))],
            layouts,
            **kwargs,
        )  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="already exists"):
        planner.plan_downsample(spec, "l", [((1, 1, 1), (1, 1, 1))], layouts, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="power"):
        planner.plan_downsample(spec, "l", [((1, 1, 1), (3, 3, 3))], layouts, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="interpolation"):
        planner.plan_downsample(
            spec, "l", [((1, 1, 1), (2, 2, 2))], layouts, interpolation="gaussian"
        )  # type: ignore[arg-type]


def test_upsample_plan_covers_source_box() -> None:
    spec, layouts = _spec((101, 70, 45), (5, 1, 3))
    down = planner.plan_downsample(
        spec,  # type: ignore[arg-type]
        "l",
        [((1, 1, 1), (2, 2, 2)), ((2, 2, 2), (4, 4, 4))],
        layouts,
        interpolation="median",
    )
    new_layouts = {
        (1, 1, 1): layouts[(1, 1, 1)],
        **{
            tuple(int(x) for x in op.mag.split("-"))
            if "-" in op.mag
            else (int(op.mag),) * 3: op.layout
            for op in down.plan.ops
            if isinstance(op, CreateArray)
        },
    }
    spec2 = layer_transform.delete_mag(down.spec, "l", (1, 1, 1)).spec
    spec2 = layer_transform.delete_mag(spec2, "l", (2, 2, 2)).spec
    del new_layouts[(1, 1, 1)], new_layouts[(2, 2, 2)]
    up = planner.plan_upsample(
        spec2,
        "l",
        [((4, 4, 4), (2, 2, 2)), ((2, 2, 2), (1, 1, 1))],
        new_layouts,  # type: ignore[arg-type]
    )
    ups = [op for op in up.plan.ops if isinstance(op, UpsampleRegion)]
    first = [op for op in ups if op.target_mag == (2, 2, 2)]
    # mag-4 box of the layer is x 1..27 -> mag 2 target 2..54
    _covers_exactly([(op.offset, op.size) for op in first], (2, 0, 0), (52, 36, 24))
    with pytest.raises(InvalidArgumentError, match="exists"):
        planner.plan_upsample(down.spec, "l", [((4, 4, 4), (2, 2, 2))], new_layouts)  # type: ignore[arg-type]
