"""Tests for LengthUnit, length_unit_from_str, VoxelSize and parse_voxel_size."""

from __future__ import annotations

import math
import pickle

import pytest
from hypothesis import given

from wkfn.errors import InvalidArgumentError
from wkfn.geometry import (
    LENGTH_UNIT_TO_NANOMETER,
    LengthUnit,
    Vec3Float,
    VoxelSize,
    length_unit_from_str,
    parse_voxel_size,
)
from wkfn.testing.geometry_strategies import length_units, vec3_floats

EXPECTED_UNITS = {
    "yoctometer": ("ym", 1e-15),
    "zeptometer": ("zm", 1e-12),
    "attometer": ("am", 1e-9),
    "femtometer": ("fm", 1e-6),
    "picometer": ("pm", 1e-3),
    "nanometer": ("nm", 1.0),
    "micrometer": ("µm", 1e3),
    "millimeter": ("mm", 1e6),
    "centimeter": ("cm", 1e7),
    "decimeter": ("dm", 1e8),
    "meter": ("m", 1e9),
    "hectometer": ("hm", 1e11),
    "kilometer": ("km", 1e12),
    "megameter": ("Mm", 1e15),
    "gigameter": ("Gm", 1e18),
    "terameter": ("Tm", 1e21),
    "petameter": ("Pm", 1e24),
    "exameter": ("Em", 1e27),
    "zettameter": ("Zm", 1e30),
    "yottameter": ("Ym", 1e33),
    "angstrom": ("Å", 0.1),
    "inch": ("in", 25.4e6),
    "foot": ("ft", 304.8e6),
    "yard": ("yd", 914.4e6),
    "mile": ("mi", 1.609344e12),
    "parsec": ("pc", 3.085677581e25),
}


def test_all_units_present() -> None:
    assert [u.value for u in LengthUnit] == list(EXPECTED_UNITS)
    assert len(LengthUnit) == 26
    assert set(LENGTH_UNIT_TO_NANOMETER) == set(LengthUnit)


@pytest.mark.parametrize("name", list(EXPECTED_UNITS))
def test_unit_table(name: str) -> None:
    symbol, factor = EXPECTED_UNITS[name]
    unit = LengthUnit(name)
    assert unit.name == name.upper()
    assert length_unit_from_str(name) is unit
    assert length_unit_from_str(symbol) is unit
    assert unit.symbol == symbol
    assert math.isclose(unit.nanometers, factor, rel_tol=1e-12)
    assert math.isclose(LENGTH_UNIT_TO_NANOMETER[unit], factor, rel_tol=1e-12)


def test_extra_spellings() -> None:
    assert length_unit_from_str("um") is LengthUnit.MICROMETER
    assert length_unit_from_str("\u03bcm") is LengthUnit.MICROMETER
    assert length_unit_from_str(LengthUnit.METER) is LengthUnit.METER


@pytest.mark.parametrize("bad", ["foo", "NM", "Nanometer", "", "nanometers", 5, None])
def test_unknown_unit(bad: object) -> None:
    with pytest.raises(InvalidArgumentError, match="Unknown unit"):
        length_unit_from_str(bad)  # type: ignore[arg-type]


def test_voxel_size() -> None:
    vs = VoxelSize((11, 11, 24))
    assert vs.factor == (11.0, 11.0, 24.0)
    assert type(vs.factor) is Vec3Float
    assert vs.unit is LengthUnit.NANOMETER
    assert vs.to_nanometer() == (11.0, 11.0, 24.0)
    assert VoxelSize((1, 1, 2), LengthUnit.MICROMETER).to_nanometer() == (
        1000.0,
        1000.0,
        2000.0,
    )
    assert VoxelSize((1, 2, 3), "µm") == VoxelSize((1.0, 2.0, 3.0), "micrometer")
    assert hash(VoxelSize((1, 2, 3))) == hash(VoxelSize((1.0, 2.0, 3.0)))
    assert VoxelSize((1, 2, 3)) != VoxelSize((1, 2, 3), "angstrom")
    assert VoxelSize(4).factor == (4.0, 4.0, 4.0)
    assert repr(vs) == (
        "VoxelSize(factor=Vec3Float(11.0,11.0,24.0), "
        "unit=<LengthUnit.NANOMETER: 'nanometer'>)"
    )
    assert pickle.loads(pickle.dumps(vs)) == vs
    with pytest.raises(AttributeError):
        vs.unit = LengthUnit.METER  # type: ignore[misc]


@pytest.mark.parametrize(
    "bad",
    [
        (0, 1, 1),
        (-1, 1, 1),
        (1, 1),
        (1, 1, 1, 1),
        (float("nan"), 1, 1),
        (float("inf"), 1, 1),
        ("a", 1, 1),
        "111",
        None,
        (True, 1, 1),
    ],
)
def test_parse_voxel_size_rejects(bad: object) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        parse_voxel_size(bad)
    assert repr(bad) in str(info.value)
    with pytest.raises(InvalidArgumentError):
        VoxelSize(bad)  # type: ignore[arg-type]


def test_parse_voxel_size_accepts() -> None:
    assert parse_voxel_size((11, 11, 24.5)) == (11.0, 11.0, 24.5)
    assert parse_voxel_size([1e-3, 2, 3]) == (1e-3, 2.0, 3.0)


@given(vec3_floats(), length_units(), length_units())
def test_conversion_properties(factor: Vec3Float, a: LengthUnit, b: LengthUnit) -> None:
    in_a = VoxelSize(factor, a).to_nanometer()
    # expressing the same physical size in unit b gives the same nanometres
    scale = a.nanometers / b.nanometers
    in_b = VoxelSize(tuple(f * scale for f in factor), b).to_nanometer()
    for x, y in zip(in_a, in_b):
        assert math.isclose(x, y, rel_tol=1e-9)
    assert VoxelSize(factor).to_nanometer() == factor.to_tuple()
