"""Tests for Mag: parsing, naming, equality vs. ordering, arithmetic."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from hypothesis import given

from wkfn.errors import InvalidArgumentError
from wkfn.geometry import Mag, Vec3Int
from wkfn.testing.geometry_strategies import mags


@pytest.mark.parametrize(
    "value, expected",
    [
        (1, (1, 1, 1)),
        (2, (2, 2, 2)),
        (np.int64(4), (4, 4, 4)),
        ("2", (2, 2, 2)),
        ("2-2-1", (2, 2, 1)),
        ([2, 2, 1], (2, 2, 1)),
        ((4, 2, 1), (4, 2, 1)),
        (np.array([2, 2, 1]), (2, 2, 1)),
        (Vec3Int(8, 8, 2), (8, 8, 2)),
        (Mag("2-2-1"), (2, 2, 1)),
    ],
)
def test_parse(value: object, expected: tuple[int, int, int]) -> None:
    mag = Mag(value)  # type: ignore[arg-type]
    assert mag.to_tuple() == expected
    assert mag.to_list() == list(expected)
    assert mag.to_vec3_int() == expected
    assert mag.to_np().tolist() == list(expected)
    assert (mag.x, mag.y, mag.z) == expected
    assert list(mag) == list(expected)


@pytest.mark.parametrize(
    "value",
    [
        3,
        0,
        -2,
        6,
        "3",
        "2-2",
        "2_2_1",
        " 2",
        "(2,2,1)",
        "foo",
        2.0,
        None,
        [1, 2],
        [1, 2, 3],
        (2, 2, 0),
        True,
        "2-2-2-2",
    ],
)
def test_rejects(value: object) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        Mag(value)  # type: ignore[arg-type]
    assert isinstance(info.value, ValueError)
    assert repr(value) in str(info.value)


def test_error_message_like_reference() -> None:
    with pytest.raises(ValueError, match="Mag must be int or a vector3 of ints"):
        Mag(2.5)  # type: ignore[arg-type]


def test_names_and_repr() -> None:
    assert Mag(2).to_layer_name() == "2"
    assert Mag("2-2-1").to_layer_name() == "2-2-1"
    assert Mag(2).to_long_layer_name() == "2-2-2"
    assert str(Mag("4-4-1")) == "4-4-1"
    assert repr(Mag("2-2-1")) == "Mag(2-2-1)"
    assert repr(Mag(1)) == "Mag(1)"
    assert Mag(16).max_dim == 16
    assert Mag("4-2-1").max_dim_log2 == 2
    assert Mag(1).max_dim_log2 == 0


def test_equality_accepts_maglike() -> None:
    assert Mag(1) == 1
    assert Mag(2) == (2, 2, 2)
    assert Mag(2) == "2-2-2"
    assert Mag(2) == "2"
    assert Mag(2) == [2, 2, 2]
    assert Mag(2) != Mag("2-2-1")
    assert Mag(2) != "foo"
    assert Mag(2) != None  # noqa: E711
    assert hash(Mag(2)) == hash(Mag((2, 2, 2))) == hash((2, 2, 2))
    assert len({Mag(2), Mag("2-2-2"), Mag([2, 2, 2])}) == 1


def test_ordering_compares_max_dim_only() -> None:
    assert Mag(2) <= Mag("2-2-1")
    assert Mag("2-2-1") <= Mag(2)
    assert not Mag("2-2-1") < Mag(2)
    assert not Mag(2) < Mag("2-2-1")
    assert Mag(2) >= Mag("2-1-1")
    assert Mag("2-1-1") >= Mag(2)
    assert Mag(2) > Mag("2-2-1") and Mag("2-2-1") > Mag(2)  # reference quirk
    assert not Mag(2) > Mag(2)
    assert not Mag(1) > Mag(2) and not Mag(1) >= Mag(2)
    assert Mag(2) > Mag(1)
    assert Mag(2) < 4
    assert sorted([Mag(4), Mag(1), Mag("2-2-1")]) == [Mag(1), Mag("2-2-1"), Mag(4)]
    assert min([Mag(4), Mag("2-2-1"), Mag(2)]) == Mag("2-2-1")  # first of equals


def test_arithmetic() -> None:
    assert Mag(2) * 2 == Mag(4)
    assert 2 * Mag(2) == Mag(4)
    assert Mag(2) * Mag("2-2-1") == Mag("4-4-2")
    assert Mag(4) // Mag(2) == Mag(2)
    assert Mag(4) // 2 == Mag(2)
    assert Mag("4-4-2") // Mag("2-2-1") == Mag(2)
    for bad in [lambda: Mag(2) * 3, lambda: Mag(1) // 2, lambda: Mag(2) // 0]:
        with pytest.raises(InvalidArgumentError):
            bad()


def test_immutable_and_picklable() -> None:
    mag = Mag("2-2-1")
    with pytest.raises(AttributeError):
        mag._v = Vec3Int(1, 1, 1)  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(mag)) == mag
    assert Mag(mag) is mag


@given(mags(max_exponent=10))
def test_name_round_trip(mag: Mag) -> None:
    assert Mag(mag.to_layer_name()) == mag
    assert Mag(mag.to_long_layer_name()) == mag
    assert Mag(mag.to_list()) == mag
    assert Mag(mag.to_np()) == mag
    assert Mag(repr(mag)[4:-1]) == mag
    assert mag.to_long_layer_name().count("-") == 2
    assert ("-" in mag.to_layer_name()) == (not mag.to_vec3_int().is_uniform())


@given(mags(), mags())
def test_ordering_rule(a: Mag, b: Mag) -> None:
    assert (a < b) == (a.max_dim < b.max_dim)
    assert (a <= b) == (a.max_dim <= b.max_dim)
    # reference quirk: > and >= are derived from < and ==
    assert (a > b) == (a.max_dim >= b.max_dim and a != b)
    assert (a >= b) == (a.max_dim >= b.max_dim)
    assert (a == b) == (a.to_tuple() == b.to_tuple())
    assert (a * b).to_tuple() == tuple(x * y for x, y in zip(a, b))
