"""Tests for VecInt, Vec3Int, Vec3Float and parse_vec3."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from wkfn.errors import InvalidArgumentError
from wkfn.geometry import Vec3Float, Vec3Int, VecInt, parse_vec3
from wkfn.testing.geometry_strategies import vec3_ints


@pytest.mark.parametrize(
    "args, kwargs",
    [
        ((1, 2, 3), {}),
        (((1, 2, 3),), {}),
        (([1, 2, 3],), {}),
        ((np.array([1, 2, 3]),), {}),
        ((np.array([1.0, 2.0, 3.0]),), {}),
        ((np.int64(1), np.int32(2), 3), {}),
        ((), {"x": 1, "y": 2, "z": 3}),
        ((Vec3Int(1, 2, 3),), {}),
        ((VecInt(1, 2, 3, axes=("x", "y", "z")),), {}),
        ((1.0, 2.0, 3.0), {}),
    ],
)
def test_vec3int_construction(args: tuple[object, ...], kwargs: dict[str, int]) -> None:
    v = Vec3Int(*args, **kwargs)
    assert v == (1, 2, 3)
    assert type(v) is Vec3Int
    assert all(type(c) is int for c in v)
    assert hash(v) == hash((1, 2, 3))
    assert repr(v) == "Vec3Int(1,2,3)"
    assert (v.x, v.y, v.z) == (1, 2, 3)


@pytest.mark.parametrize(
    "args",
    [
        (1, 2),
        (1, 2, 3, 4),
        (1.5, 2, 3),
        ("123",),
        ("a", "b", "c"),
        (None,),
        ((1, 2),),
        (True, 2, 3),
        (np.zeros((3, 1)),),
        (float("nan"), 1, 2),
    ],
)
def test_vec3int_rejects(args: tuple[object, ...]) -> None:
    with pytest.raises(InvalidArgumentError):
        Vec3Int(*args)


def test_vec3int_keyword_errors() -> None:
    with pytest.raises(InvalidArgumentError):
        Vec3Int(x=1, y=2)
    with pytest.raises(InvalidArgumentError):
        Vec3Int(1, y=2, z=3)


def test_vec3int_arithmetic_table() -> None:
    v = Vec3Int(1, 2, 3)
    assert v + 1 == (2, 3, 4)
    assert v + (1, 1, 1) == (2, 3, 4)  # noqa: RUF005
    assert (1, 1, 1) + v == (2, 3, 4)  # noqa: RUF005
    assert type((1, 1, 1) + v) is Vec3Int  # noqa: RUF005
    assert v * 2 == (2, 4, 6)
    assert 2 * v == (2, 4, 6)
    assert v * v == (1, 4, 9)
    assert v // 2 == (0, 1, 1)
    assert v % 2 == (1, 0, 1)
    assert -v == (-1, -2, -3)
    assert v - np.array([1, 1, 1]) == (0, 1, 2)
    assert 10 - v == (9, 8, 7)
    assert v.ceildiv(2) == (1, 1, 2)
    assert Vec3Int(-3, 3, 4).ceildiv(2) == (-1, 2, 2)
    assert v.pairmax((3, 0, 3)) == (3, 2, 3)
    assert v.pairmin(2) == (1, 2, 2)
    assert v.prod() == 6
    assert v < (1, 2, 4)  # lexicographic, like tuples
    with pytest.raises(InvalidArgumentError):
        v + (1, 2)  # noqa: RUF005
    with pytest.raises(InvalidArgumentError):
        v + 0.5


def test_vec3int_helpers() -> None:
    v = Vec3Int(1, 2, 3)
    assert v.is_positive()
    assert Vec3Int(0, 1, 1).is_positive()
    assert not Vec3Int(0, 1, 1).is_positive(strictly_positive=True)
    assert not Vec3Int(-1, 1, 1).is_positive()
    assert Vec3Int(4, 4, 4).is_uniform() and not v.is_uniform()
    assert v.to_list() == [1, 2, 3]
    assert v.to_tuple() == (1, 2, 3) and type(v.to_tuple()) is tuple
    assert v.to_np().dtype == np.int64 and v.to_np().tolist() == [1, 2, 3]
    assert v.with_x(9) == (9, 2, 3)
    assert v.with_y(9) == (1, 9, 3)
    assert v.with_z(9) == (1, 2, 9)
    assert Vec3Int.full(4) == (4, 4, 4)
    assert Vec3Int.zeros() == (0, 0, 0)
    assert Vec3Int.ones() == (1, 1, 1)
    assert Vec3Int.from_vec_or_int(3) == (3, 3, 3)
    assert Vec3Int.from_vec_or_int([1, 2, 3]) == (1, 2, 3)
    assert Vec3Int.from_vec3_float((1.7, 2.2, -3.9)) == (1, 2, -3)
    assert v.axes == ("x", "y", "z")
    assert v.xyz is v
    assert pickle.loads(pickle.dumps(v)) == v


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1,2,3", (1, 2, 3)),
        ("(1,2,3)", (1, 2, 3)),
        ("(1, 2, 3)", (1, 2, 3)),
        ("[4,5,6]", (4, 5, 6)),
        ("5", (5, 5, 5)),
        (" -1,0,7 ", (-1, 0, 7)),
    ],
)
def test_vec3int_from_str(text: str, expected: tuple[int, int, int]) -> None:
    assert Vec3Int.from_str(text) == expected


@pytest.mark.parametrize("text", ["a", "1,2", "1,2,3,4", "", "1.5,2,3"])
def test_vec3int_from_str_rejects(text: str) -> None:
    with pytest.raises(InvalidArgumentError, match=r"1|a|''"):
        Vec3Int.from_str(text)


def test_vec3int_is_immutable() -> None:
    v = Vec3Int(1, 2, 3)
    with pytest.raises(AttributeError):
        v.foo = 1  # type: ignore[attr-defined]


def test_parse_vec3() -> None:
    assert parse_vec3(32) == (32, 32, 32)
    assert parse_vec3([1, 2, 3]) == (1, 2, 3)
    assert type(parse_vec3((1, 2, 3))) is Vec3Int
    assert parse_vec3(np.array([1, 2, 3])) == (1, 2, 3)
    with pytest.raises(InvalidArgumentError, match="oops"):
        parse_vec3("oops")  # type: ignore[arg-type]


ints = st.integers(-(10**6), 10**6)
nonzero = ints.filter(lambda v: v != 0)


@given(vec3_ints(), vec3_ints(), ints)
def test_vec3int_arithmetic_matches_numpy(a: Vec3Int, b: Vec3Int, k: int) -> None:
    na, nb = a.to_np(), b.to_np()
    assert (a + b) == tuple((na + nb).tolist())
    assert (a - b) == tuple((na - nb).tolist())
    assert (a * b) == tuple((na * nb).tolist())
    assert (a + k) == tuple((na + k).tolist())
    assert (a * k) == tuple((na * k).tolist())
    assert a.pairmax(b) == tuple(np.maximum(na, nb).tolist())
    assert a.pairmin(b) == tuple(np.minimum(na, nb).tolist())
    assert a.prod() == int(np.prod(na))
    assert -a == tuple((-na).tolist())


@given(vec3_ints(), vec3_ints(1, 50).map(lambda v: v), nonzero)
def test_vec3int_division_matches_numpy(a: Vec3Int, b: Vec3Int, k: int) -> None:
    na, nb = a.to_np(), b.to_np()
    assert a // b == tuple((na // nb).tolist())
    assert a % b == tuple((na % nb).tolist())
    assert a // k == tuple((na // k).tolist())
    assert a.ceildiv(b) == tuple((-(-na // nb)).tolist())
    assert a.ceildiv(b) * b >= a  # componentwise check below
    assert all(c * d >= e for c, d, e in zip(a.ceildiv(b), b, a))


@given(vec3_ints())
def test_vec3int_str_round_trip(v: Vec3Int) -> None:
    assert Vec3Int.from_str(",".join(map(str, v))) == v
    assert Vec3Int.from_str(str(v.to_tuple())) == v
    assert eval(repr(v), {"Vec3Int": Vec3Int}) == v


def test_vecint() -> None:
    v = VecInt(0, 5, 6, 7, axes=("t", "x", "y", "z"))
    assert v == (0, 5, 6, 7)
    assert v.axes == ("t", "x", "y", "z")
    assert v.xyz == (5, 6, 7) and type(v.xyz) is Vec3Int
    assert v.get("t") == 0
    assert (v.x, v.y, v.z) == (5, 6, 7)
    assert v + 1 == (1, 6, 7, 8)
    assert (v + 1).axes == v.axes
    assert v.with_replaced(0, 9) == (9, 5, 6, 7)
    assert v.with_xyz((1, 2, 3)) == (0, 1, 2, 3)
    assert v.with_x(1) == (0, 1, 6, 7)
    assert repr(v) == "VecInt(0,5,6,7, axes=('t', 'x', 'y', 'z'))"
    assert VecInt((1, 2), ("x", "y")) == (1, 2)
    assert VecInt(x=1, y=2).axes == ("x", "y")
    assert VecInt(v).axes == v.axes
    assert VecInt.zeros(("x", "y")) == (0, 0)
    assert VecInt.full(3, ("a",)) == (3,)
    assert v.moveaxis(0, -1) == (5, 6, 7, 0)
    assert v.moveaxis(0, -1).axes == ("x", "y", "z", "t")
    assert pickle.loads(pickle.dumps(v)).axes == v.axes
    assert v.contains(5) and not v.contains(4)


@pytest.mark.parametrize(
    "build",
    [
        lambda: VecInt(1, 2),
        lambda: VecInt([1, 2]),
        lambda: VecInt(1, 2, axes=("x",)),
        lambda: VecInt(1, 2, axes=("x", "x")),
        lambda: VecInt(1, 2, axes="xy"),
        lambda: VecInt(1, 2, 3, axes=("x", "y", "z")).get("t"),
    ],
)
def test_vecint_rejects(build: object) -> None:
    with pytest.raises(InvalidArgumentError):
        build()  # type: ignore[operator]


def test_vec3float() -> None:
    v = Vec3Float(1, 2, 3)
    assert v == (1.0, 2.0, 3.0)
    assert hash(v) == hash((1.0, 2.0, 3.0))
    assert repr(v) == "Vec3Float(1.0,2.0,3.0)"
    assert v * 2 == (2.0, 4.0, 6.0)
    assert v / 2 == (0.5, 1.0, 1.5)
    assert v + (1, 1, 1) == (2.0, 3.0, 4.0)  # noqa: RUF005
    assert Vec3Float((1, 2, 3)) == v
    assert Vec3Float(np.array([1.0, 2.0, 3.0])) == v
    assert Vec3Float(x=1, y=2, z=3) == v
    assert v.to_vec3_int() == (1, 2, 3)
    assert Vec3Float.from_str("(1.5,2,3)") == (1.5, 2.0, 3.0)
    assert pickle.loads(pickle.dumps(v)) == v
    for bad in [(1, 2), ("a", 1, 2), "abc", None, (True, 1.0, 2.0)]:
        with pytest.raises(InvalidArgumentError):
            Vec3Float(bad)
