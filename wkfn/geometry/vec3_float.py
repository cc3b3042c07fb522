"""Float vectors: :class:`Vec3Float` (voxel sizes and other physical 3-vectors)."""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Self, TypeAlias, cast

import numpy as np

from wkfn.errors import InvalidArgumentError
from wkfn.geometry.vec3_int import Vec3Int


class Vec3Float(tuple[float, float, float]):
    """Immutable 3D float vector (e.g. voxel sizes); equal and hash-equal to tuples.

    Example:
        >>> Vec3Float(1, 2, 3) * 2
        Vec3Float(2.0,4.0,6.0)
    """

    __slots__ = ()

    def __new__(cls, *args: Any, **kwargs: Any) -> Self:
        """Accept ``(x, y, z)``, one 3-sequence/array, or ``x=, y=, z=`` keywords."""
        raw: Sequence[object]
        if len(args) == 3 and not kwargs:
            raw = args
        elif len(args) == 1 and not kwargs:
            if type(args[0]) is cls:
                return args[0]
            value = args[0]
            if isinstance(value, str | bytes) or not isinstance(
                value, Iterable | np.ndarray
            ):
                raise InvalidArgumentError(
                    f"Vec3Float needs three floats, got {value!r}"
                )
            raw = (
                list(np.asarray(value).tolist())
                if isinstance(value, np.ndarray)
                else list(value)
            )
        elif not args and set(kwargs) == {"x", "y", "z"}:
            raw = [kwargs["x"], kwargs["y"], kwargs["z"]]
        else:
            raise InvalidArgumentError(
                f"Vec3Float needs three floats, got {args!r} {kwargs!r}"
            )
        if len(raw) != 3:
            raise InvalidArgumentError(f"Vec3Float needs three floats, got {raw!r}")
        try:
            values = tuple(float(cast(float, v)) for v in raw)
        except (TypeError, ValueError):
            raise InvalidArgumentError(
                f"Vec3Float needs three floats, got {raw!r}"
            ) from None
        if any(isinstance(v, bool) for v in raw):
            raise InvalidArgumentError(f"Vec3Float needs three floats, got {raw!r}")
        return tuple.__new__(cls, values)

    def __reduce__(self) -> tuple[Any, ...]:
        return (Vec3Float, (self[0], self[1], self[2]))

    @property
    def x(self) -> float:
        """The ``x`` component."""
        return self[0]

    @property
    def y(self) -> float:
        """The ``y`` component."""
        return self[1]

    @property
    def z(self) -> float:
        """The ``z`` component."""
        return self[2]

    def _elementwise(self, other: object, op: Callable[[float, float], float]) -> Self:
        if isinstance(other, int | float | np.number) and not isinstance(other, bool):
            o: tuple[float, ...] = (float(other),) * 3
        else:
            o = Vec3Float(other)
        return tuple.__new__(
            type(self), (op(self[0], o[0]), op(self[1], o[1]), op(self[2], o[2]))
        )

    def __add__(self, other: object) -> Self:
        return self._elementwise(other, operator.add)

    def __radd__(self, other: object) -> Self:
        return self._elementwise(other, operator.add)

    def __sub__(self, other: object) -> Self:
        return self._elementwise(other, operator.sub)

    def __mul__(self, other: object) -> Self:
        return self._elementwise(other, operator.mul)

    def __rmul__(self, other: object) -> Self:
        return self._elementwise(other, operator.mul)

    def __truediv__(self, other: object) -> Self:
        return self._elementwise(other, operator.truediv)

    def __neg__(self) -> Self:
        return tuple.__new__(type(self), (-self[0], -self[1], -self[2]))

    def __repr__(self) -> str:
        return f"Vec3Float({self[0]},{self[1]},{self[2]})"

    def __str__(self) -> str:
        return repr(self)

    def pairmax(self, other: object) -> Self:
        """Element-wise maximum."""
        return self._elementwise(other, max)

    def pairmin(self, other: object) -> Self:
        """Element-wise minimum."""
        return self._elementwise(other, min)

    def prod(self) -> float:
        """Product ``x * y * z``."""
        return self[0] * self[1] * self[2]

    def is_uniform(self) -> bool:
        """Whether ``x == y == z``."""
        return self[0] == self[1] == self[2]

    def to_list(self) -> list[float]:
        """Components as a list."""
        return list(self)

    def to_tuple(self) -> tuple[float, float, float]:
        """Components as a plain tuple."""
        return (self[0], self[1], self[2])

    def to_np(self) -> np.ndarray[Any, np.dtype[np.float64]]:
        """Components as a ``float64`` numpy array."""
        return np.array(self.to_tuple(), dtype=np.float64)

    def to_vec3_int(self) -> Vec3Int:
        """Truncate towards zero."""
        return Vec3Int.from_vec3_float(self)

    def with_x(self, x: float) -> Self:
        """Copy with a new ``x``."""
        return type(self)(x, self[1], self[2])

    def with_y(self, y: float) -> Self:
        """Copy with a new ``y``."""
        return type(self)(self[0], y, self[2])

    def with_z(self, z: float) -> Self:
        """Copy with a new ``z``."""
        return type(self)(self[0], self[1], z)

    @classmethod
    def full(cls, value: float) -> Self:
        """``Vec3Float(v, v, v)``."""
        return cls(value, value, value)

    @classmethod
    def zeros(cls) -> Self:
        """``Vec3Float(0.0, 0.0, 0.0)``."""
        return cls(0.0, 0.0, 0.0)

    @classmethod
    def ones(cls) -> Self:
        """``Vec3Float(1.0, 1.0, 1.0)``."""
        return cls(1.0, 1.0, 1.0)

    @classmethod
    def from_xyz(cls, x: float, y: float, z: float) -> Self:
        """``Vec3Float(x, y, z)``."""
        return cls(x, y, z)

    @classmethod
    def from_str(cls, string: str) -> Self:
        """Parse ``"1.5,2,3"`` or ``"(1.5, 2, 3)"`` (a single value is uniform)."""
        text = string.strip() if isinstance(string, str) else ""
        if len(text) >= 2 and text[0] + text[-1] in ("()", "[]"):
            text = text[1:-1]
        try:
            values = [float(part) for part in text.split(",")]
        except ValueError:
            raise InvalidArgumentError(f"cannot parse {string!r} as floats") from None
        if len(values) == 1:
            return cls.full(values[0])
        return cls(values)


Vec3FloatLike: TypeAlias = Vec3Float | tuple[float, float, float] | Sequence[float]
"""Anything :class:`Vec3Float` accepts as a single argument."""
