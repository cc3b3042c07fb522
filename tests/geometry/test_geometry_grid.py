"""Tests for the tuple-based grid math in wkfn.geometry.grid."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wkfn.errors import InvalidArgumentError
from wkfn.geometry import (
    BoundingBox,
    Vec3Int,
    align_down3,
    align_up3,
    ceil_div3,
    grid_cell_range,
    grid_cells,
    is_aligned,
    next_pow2,
    shard_index,
    split_box_by_grid,
)
from wkfn.testing.geometry_strategies import chunk_shapes, vec3_ints

Vec3 = tuple[int, int, int]


def test_tables() -> None:
    assert ceil_div3((10, 32, 0), (4, 32, 8)) == (3, 1, 0)
    assert ceil_div3((-5, 5, 1), (4, 4, 4)) == (-1, 2, 1)
    assert align_down3((33, -1, 64), (32, 32, 32)) == (32, -32, 64)
    assert align_up3((33, -1, 64), (32, 32, 32)) == (64, 0, 64)
    assert shard_index((1023, 1024, -1), (1024, 1024, 1024)) == (0, 1, -1)
    assert [next_pow2(n) for n in (0, 1, 2, 3, 5, 64, 65)] == [1, 1, 2, 4, 8, 64, 128]
    assert is_aligned((0, 0, 0), (64, 64, 64), (32, 32, 32))
    assert not is_aligned((0, 0, 0), (64, 64, 10), (32, 32, 32))
    assert is_aligned((0, 0, 0), (64, 64, 10), (32, 32, 32), clip_end=(100, 100, 10))
    assert not is_aligned(
        (0, 0, 0), (64, 64, 10), (32, 32, 32), clip_end=(100, 100, 11)
    )
    assert not is_aligned((1, 0, 0), (63, 64, 64), (32, 32, 32), clip_end=(64, 64, 64))
    assert is_aligned((0, 0, 0), (0, 0, 0), (32, 32, 32))
    assert grid_cell_range((10, 0, 0), (30, 32, 1), (32, 32, 32)) == (
        (0, 0, 0),
        (2, 1, 1),
    )
    assert list(grid_cells((30, 0, 0), (4, 1, 1), (32, 32, 32))) == [
        ((0, 0, 0), (30, 0, 0), (2, 1, 1)),
        ((1, 0, 0), (32, 0, 0), (2, 1, 1)),
    ]
    assert split_box_by_grid((0, 0, 0), (10, 4, 4), (8, 8, 8)) == [
        ((0, 0, 0), (8, 4, 4)),
        ((8, 0, 0), (2, 4, 4)),
    ]
    assert list(grid_cells((0, 0, 0), (0, 5, 5), (4, 4, 4))) == []


def test_order_is_z_fastest() -> None:
    indices = [i for i, _, _ in grid_cells((0, 0, 0), (4, 4, 4), (2, 2, 2))]
    assert indices == list(itertools.product(range(2), range(2), range(2)))


@pytest.mark.parametrize(
    "call",
    [
        lambda: ceil_div3((1, 1, 1), (0, 1, 1)),
        lambda: align_down3((1, 1, 1), (1, -1, 1)),
        lambda: align_up3((1, 1, 1), (1, 1, 0)),
        lambda: is_aligned((0, 0, 0), (1, 1, 1), (0, 1, 1)),
        lambda: shard_index((0, 0, 0), (0, 0, 0)),
        lambda: next_pow2(-1),
        lambda: list(grid_cells((0, 0, 0), (-1, 1, 1), (1, 1, 1))),
        lambda: list(grid_cells((0, 0, 0), (1, 1, 1), (1, 0, 1))),
        lambda: grid_cell_range((0, 0, 0), (1, 1, -1), (1, 1, 1)),
    ],
)
def test_rejects(call: object) -> None:
    with pytest.raises(InvalidArgumentError):
        call()  # type: ignore[operator]


def test_accepts_vec3int() -> None:
    assert align_up3(Vec3Int(1, 2, 3), Vec3Int(4, 4, 4)) == (4, 4, 4)


@settings(deadline=None)
@given(vec3_ints(), vec3_ints(0, 30), chunk_shapes(2, 12))
def test_grid_cells_tile_exactly(offset: Vec3Int, size: Vec3Int, cell: Vec3Int) -> None:
    cells = list(grid_cells(offset, size, cell))
    box = BoundingBox(offset, size)
    assert sum(s[0] * s[1] * s[2] for _, _, s in cells) == size.prod()
    seen: set[Vec3] = set()
    for index, o, s in cells:
        assert all(v > 0 for v in s)
        part = BoundingBox(o, s)
        assert box.contains_bbox(part)
        # part lies inside its own grid cell
        cell_box = BoundingBox(tuple(i * c for i, c in zip(index, cell)), cell)
        assert cell_box.contains_bbox(part)
        assert index not in seen
        seen.add(index)
        assert shard_index(o, cell) == index
    # disjoint: distinct cells and parts within their cells → disjoint; union = box
    first, end = grid_cell_range(offset, size, cell)
    expected = (
        set(itertools.product(*(range(a, b) for a, b in zip(first, end))))
        if not box.is_empty()
        else set()
    )
    assert seen == expected
    assert [(o, s) for _, o, s in cells] == split_box_by_grid(offset, size, cell)
    assert [c for c, _, _ in cells] == sorted(c for c, _, _ in cells)


@given(vec3_ints(-1000, 1000), chunk_shapes(1, 64))
def test_align_properties(v: Vec3Int, grid: Vec3Int) -> None:
    lo, hi = align_down3(v, grid), align_up3(v, grid)
    for a, b, x, g in zip(lo, hi, v, grid):
        assert a % g == 0 and b % g == 0
        assert a <= x <= b
        assert b - a in (0, g)
    assert ceil_div3(v, grid) == tuple(h // g for h, g in zip(hi, grid))


@given(vec3_ints(-64, 64), vec3_ints(0, 64), chunk_shapes(1, 16))
def test_is_aligned_matches_definition(
    offset: Vec3Int, size: Vec3Int, g: Vec3Int
) -> None:
    end = offset + size
    expected = all(o % c == 0 and e % c == 0 for o, e, c in zip(offset, end, g))
    assert is_aligned(offset, size, g) == expected
    assert is_aligned(offset, size, g, clip_end=end) == all(
        o % c == 0 for o, c in zip(offset, g)
    )


@given(st.integers(0, 2**40))
def test_next_pow2(n: int) -> None:
    p = next_pow2(n)
    assert p & (p - 1) == 0 and p >= max(n, 1)
    assert p == 1 or p // 2 < n
