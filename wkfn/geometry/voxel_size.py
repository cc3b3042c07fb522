"""Physical voxel sizes: :class:`LengthUnit`, :class:`VoxelSize` and validation.

The 26 units and their nanometre factors match the reference library exactly (values
are what ``datasource-properties.json`` stores under ``scale.unit``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from enum import Enum
from typing import Any

from wkfn.errors import InvalidArgumentError
from wkfn.geometry.vec import Vec3Float

__all__ = ["LengthUnit", "VoxelSize", "length_unit_from_str", "parse_voxel_size"]


class LengthUnit(Enum):
    """A unit of length; ``.value`` is the long lowercase name used in json files."""

    YOCTOMETER = "yoctometer"
    ZEPTOMETER = "zeptometer"
    ATTOMETER = "attometer"
    FEMTOMETER = "femtometer"
    PICOMETER = "picometer"
    NANOMETER = "nanometer"
    MICROMETER = "micrometer"
    MILLIMETER = "millimeter"
    CENTIMETER = "centimeter"
    DECIMETER = "decimeter"
    METER = "meter"
    HECTOMETER = "hectometer"
    KILOMETER = "kilometer"
    MEGAMETER = "megameter"
    GIGAMETER = "gigameter"
    TERAMETER = "terameter"
    PETAMETER = "petameter"
    EXAMETER = "exameter"
    ZETTAMETER = "zettameter"
    YOTTAMETER = "yottameter"
    ANGSTROM = "angstrom"
    INCH = "inch"
    FOOT = "foot"
    YARD = "yard"
    MILE = "mile"
    PARSEC = "parsec"

    @property
    def nanometers(self) -> float:
        """How many nanometres one of this unit is."""
        return LENGTH_UNIT_TO_NANOMETER[self]

    @property
    def symbol(self) -> str:
        """Short symbol (``"nm"``, ``"µm"``, ``"Å"``, ``"in"`` …)."""
        return _UNIT_TO_SYMBOL[self]


LENGTH_UNIT_TO_NANOMETER: dict[LengthUnit, float] = {
    LengthUnit.YOCTOMETER: 1e-15,
    LengthUnit.ZEPTOMETER: 1e-12,
    LengthUnit.ATTOMETER: 1e-9,
    LengthUnit.FEMTOMETER: 1e-6,
    LengthUnit.PICOMETER: 1e-3,
    LengthUnit.NANOMETER: 1.0,
    LengthUnit.MICROMETER: 1e3,
    LengthUnit.MILLIMETER: 1e6,
    LengthUnit.CENTIMETER: 1e7,
    LengthUnit.DECIMETER: 1e8,
    LengthUnit.METER: 1e9,
    LengthUnit.HECTOMETER: 1e11,
    LengthUnit.KILOMETER: 1e12,
    LengthUnit.MEGAMETER: 1e15,
    LengthUnit.GIGAMETER: 1e18,
    LengthUnit.TERAMETER: 1e21,
    LengthUnit.PETAMETER: 1e24,
    LengthUnit.EXAMETER: 1e27,
    LengthUnit.ZETTAMETER: 1e30,
    LengthUnit.YOTTAMETER: 1e33,
    LengthUnit.ANGSTROM: 0.1,
    LengthUnit.INCH: 25_400_000.0,
    LengthUnit.FOOT: 304_800_000.0,
    LengthUnit.YARD: 914_400_000.0,
    LengthUnit.MILE: 1_609_344_000_000.0,
    LengthUnit.PARSEC: 3.085677581e25,
}
"""Nanometres per unit."""

_UNIT_TO_SYMBOL: dict[LengthUnit, str] = {
    LengthUnit.YOCTOMETER: "ym",
    LengthUnit.ZEPTOMETER: "zm",
    LengthUnit.ATTOMETER: "am",
    LengthUnit.FEMTOMETER: "fm",
    LengthUnit.PICOMETER: "pm",
    LengthUnit.NANOMETER: "nm",
    LengthUnit.MICROMETER: "µm",
    LengthUnit.MILLIMETER: "mm",
    LengthUnit.CENTIMETER: "cm",
    LengthUnit.DECIMETER: "dm",
    LengthUnit.METER: "m",
    LengthUnit.HECTOMETER: "hm",
    LengthUnit.KILOMETER: "km",
    LengthUnit.MEGAMETER: "Mm",
    LengthUnit.GIGAMETER: "Gm",
    LengthUnit.TERAMETER: "Tm",
    LengthUnit.PETAMETER: "Pm",
    LengthUnit.EXAMETER: "Em",
    LengthUnit.ZETTAMETER: "Zm",
    LengthUnit.YOTTAMETER: "Ym",
    LengthUnit.ANGSTROM: "Å",
    LengthUnit.INCH: "in",
    LengthUnit.FOOT: "ft",
    LengthUnit.YARD: "yd",
    LengthUnit.MILE: "mi",
    LengthUnit.PARSEC: "pc",
}

_STR_TO_UNIT: dict[str, LengthUnit] = {u.value: u for u in LengthUnit}
_STR_TO_UNIT.update({sym: u for u, sym in _UNIT_TO_SYMBOL.items()})
# Extra spellings the reference does not know (ASCII / Unicode variants).
_STR_TO_UNIT.update(
    {
        "um": LengthUnit.MICROMETER,
        "\u03bcm": LengthUnit.MICROMETER,  # Greek small mu (vs. the micro sign)
        "\u212b": LengthUnit.ANGSTROM,  # Angstrom sign (vs. A with ring)
    }
)


def length_unit_from_str(unit: str | LengthUnit) -> LengthUnit:
    """Parse a unit from its long name (``"nanometer"``) or symbol (``"nm"``, ``"µm"``).

    Matching is case-sensitive, as in the reference (``"Mm"`` is megametre, ``"mm"``
    millimetre). ``"um"`` is accepted as micrometre in addition to the reference
    spellings. A :class:`LengthUnit` is returned unchanged.

    Raises:
        InvalidArgumentError: for an unknown unit (the message names it).

    Example:
        >>> length_unit_from_str("µm"), length_unit_from_str("angstrom")
        (<LengthUnit.MICROMETER: 'micrometer'>, <LengthUnit.ANGSTROM: 'angstrom'>)
    """
    if isinstance(unit, LengthUnit):
        return unit
    try:
        return _STR_TO_UNIT[unit]
    except (KeyError, TypeError):
        raise InvalidArgumentError(f"Unknown unit: {unit!r}") from None


def parse_voxel_size(value: object) -> tuple[float, float, float]:
    """Validate a voxel size: exactly three finite, strictly positive numbers.

    Why: a zero, negative or NaN voxel size silently corrupts every physical
    computation downstream, so it is rejected at the boundary.

    Raises:
        InvalidArgumentError: naming the offending value.

    Example:
        >>> parse_voxel_size((11, 11, 24.5))
        (11.0, 11.0, 24.5)
    """
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise InvalidArgumentError(
            f"voxel size must be three positive numbers, got {value!r}"
        )
    items = list(value)
    if len(items) != 3:
        raise InvalidArgumentError(
            f"voxel size must have exactly three components, got {value!r}"
        )
    out: list[float] = []
    for item in items:
        if isinstance(item, bool | str | bytes):
            raise InvalidArgumentError(
                f"voxel size must be three positive numbers, got {value!r}"
            )
        try:
            f = float(item)
        except (TypeError, ValueError):
            raise InvalidArgumentError(
                f"voxel size must be three positive numbers, got {value!r}"
            ) from None
        if not math.isfinite(f) or f <= 0:
            raise InvalidArgumentError(
                f"voxel size components must be finite and > 0, got {value!r}"
            )
        out.append(f)
    return (out[0], out[1], out[2])


class VoxelSize:
    """Size of one mag-1 voxel: ``factor`` (x, y, z) in ``unit``.

    Frozen and hashable; equal when factor and unit are equal.

    Example:
        >>> VoxelSize((1, 1, 2), LengthUnit.MICROMETER).to_nanometer()
        (1000.0, 1000.0, 2000.0)
    """

    __slots__ = ("factor", "unit")
    factor: Vec3Float
    unit: LengthUnit

    def __init__(
        self,
        factor: Iterable[float] | float,
        unit: LengthUnit | str = LengthUnit.NANOMETER,
    ) -> None:
        """Validate ``factor`` (a scalar means uniform) and parse ``unit``."""
        if isinstance(factor, int | float) and not isinstance(factor, bool):
            factor = (factor, factor, factor)
        object.__setattr__(self, "factor", Vec3Float(parse_voxel_size(factor)))
        object.__setattr__(self, "unit", length_unit_from_str(unit))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("VoxelSize is immutable")

    def __reduce__(self) -> tuple[Any, ...]:
        return (VoxelSize, (self.factor.to_tuple(), self.unit))

    def to_nanometer(self) -> tuple[float, float, float]:
        """The factor converted to nanometres."""
        k = LENGTH_UNIT_TO_NANOMETER[self.unit]
        x, y, z = self.factor
        return (x * k, y * k, z * k)

    def to_tuple(self) -> tuple[float, float, float]:
        """The raw factor (in :attr:`unit`) as a plain tuple."""
        return self.factor.to_tuple()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, VoxelSize):
            return NotImplemented
        return self.factor == other.factor and self.unit is other.unit

    def __hash__(self) -> int:
        return hash((self.factor, self.unit))

    def __repr__(self) -> str:
        return f"VoxelSize(factor={self.factor!r}, unit={self.unit!r})"
