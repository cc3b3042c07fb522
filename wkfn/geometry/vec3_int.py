"""3-D integer vectors: :class:`Vec3Int` (x, y, z), the geometry package's workhorse.

:func:`parse_vec3` turns an int (uniform) or any vector-like value into one; the
``*Like`` aliases name what public functions accept.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, Self, TypeAlias, cast

import numpy as np

from wkfn.errors import AssertedValueError, InvalidArgumentError
from wkfn.geometry.vec_nd import VecInt
from wkfn.geometry.vec_parse import (
    XYZ,
    as_int,
    as_int_seq,
    other_values,
    parse_int_list,
)


class Vec3Int(VecInt, tuple[int, int, int], xyz=True):
    """Immutable 3D integer vector (x, y, z); the workhorse of the geometry package.

    Accepts ``Vec3Int(1, 2, 3)``, ``Vec3Int((1, 2, 3))``, ``Vec3Int([1, 2, 3])``,
    ``Vec3Int(np.array([1, 2, 3]))``, ``Vec3Int(x=1, y=2, z=3)`` and any 3-component
    ``VecInt``. It *is* a ``tuple[int, int, int]`` (equal and hash-equal to the plain
    tuple), so it can be passed to the tuple-based functions of
    :mod:`wkfn.geometry.grid`.

    Example:
        >>> Vec3Int(1, 2, 3) + 1
        Vec3Int(2,3,4)
        >>> Vec3Int(7, 8, 9).ceildiv(4), Vec3Int.from_str("(1,2,3)") == (1, 2, 3)
        (Vec3Int(2,2,3), True)
    """

    __slots__ = ()

    def __new__(cls, *args: Any, **kwargs: Any) -> Self:
        """Parse the accepted argument shapes; plain ints take a fast path."""
        n = len(args)
        if n == 3 and not kwargs:
            a, b, c = args
            if type(a) is int and type(b) is int and type(c) is int:
                return tuple.__new__(cls, args)
            values = tuple([as_int(v, args) for v in args])
        elif n == 1 and not kwargs:
            value = args[0]
            if type(value) is cls:
                return value
            values = as_int_seq(value)
        elif n == 0 and kwargs:
            if set(kwargs) != {"x", "y", "z"}:
                raise InvalidArgumentError(
                    f"Vec3Int keywords must be x, y and z, got {kwargs!r}"
                )
            values = tuple([as_int(kwargs[k], kwargs) for k in XYZ])
        else:
            raise InvalidArgumentError(
                f"Vec3Int needs three integers or one vector-like value, got "
                f"{args!r} {kwargs!r}".rstrip(" {}")
            )
        if len(values) != 3:
            shown = args[0] if n == 1 else args
            raise AssertedValueError(
                f"Vec3Int needs exactly three components, got {shown!r}"
            )
        return tuple.__new__(cls, values)

    @classmethod
    def _make(cls, values: Iterable[int]) -> Vec3Int:
        """Build from three already-validated ints without any checks (hot path)."""
        return tuple.__new__(Vec3Int, values)

    def _with_values(self, values: Iterable[int]) -> Self:
        return tuple.__new__(type(self), values)

    def _moved(self, values: tuple[int, ...], axes: tuple[str, ...]) -> Self:
        return self._with_values(values)

    def __reduce__(self) -> tuple[Any, ...]:
        return (Vec3Int, (self[0], self[1], self[2]))

    @property
    def axes(self) -> tuple[str, ...]:
        """Always ``("x", "y", "z")``."""
        return XYZ

    @property
    def x(self) -> int:
        """The ``x`` component."""
        return self[0]

    @property
    def y(self) -> int:
        """The ``y`` component."""
        return self[1]

    @property
    def z(self) -> int:
        """The ``z`` component."""
        return self[2]

    @property
    def xyz(self) -> Vec3Int:
        """The vector itself."""
        return self

    def with_x(self, x: int) -> Self:
        """Copy with a new ``x`` component."""
        return tuple.__new__(type(self), (as_int(x, x), self[1], self[2]))

    def with_y(self, y: int) -> Self:
        """Copy with a new ``y`` component."""
        return tuple.__new__(type(self), (self[0], as_int(y, y), self[2]))

    def with_z(self, z: int) -> Self:
        """Copy with a new ``z`` component."""
        return tuple.__new__(type(self), (self[0], self[1], as_int(z, z)))

    def _elementwise(self, other: object, op: Callable[[int, int], int]) -> Self:
        if type(other) is int:
            return tuple.__new__(
                type(self), (op(self[0], other), op(self[1], other), op(self[2], other))
            )
        o = other_values(other, 3, self)
        return tuple.__new__(
            type(self), (op(self[0], o[0]), op(self[1], o[1]), op(self[2], o[2]))
        )

    def __add__(self, other: object) -> Self:
        if type(other) is int:
            return tuple.__new__(
                type(self), (self[0] + other, self[1] + other, self[2] + other)
            )
        o = other_values(other, 3, self)
        return tuple.__new__(
            type(self), (self[0] + o[0], self[1] + o[1], self[2] + o[2])
        )

    def __sub__(self, other: object) -> Self:
        if type(other) is int:
            return tuple.__new__(
                type(self), (self[0] - other, self[1] - other, self[2] - other)
            )
        o = other_values(other, 3, self)
        return tuple.__new__(
            type(self), (self[0] - o[0], self[1] - o[1], self[2] - o[2])
        )

    def __neg__(self) -> Self:
        return tuple.__new__(type(self), (-self[0], -self[1], -self[2]))

    def __repr__(self) -> str:
        return f"Vec3Int({self[0]},{self[1]},{self[2]})"

    def to_tuple(self) -> tuple[int, int, int]:
        """Components as a plain ``(x, y, z)`` tuple."""
        return (self[0], self[1], self[2])

    def prod(self) -> int:
        """Product ``x * y * z``."""
        return self[0] * self[1] * self[2]

    def is_uniform(self) -> bool:
        """Whether ``x == y == z``."""
        return self[0] == self[1] == self[2]

    @classmethod
    def full(cls, an_int: int, axes: Iterable[str] = XYZ) -> Self:
        """``Vec3Int(n, n, n)``."""
        value = as_int(an_int, an_int)
        return tuple.__new__(cls, (value, value, value))

    @classmethod
    def zeros(cls, axes: Iterable[str] = XYZ) -> Self:
        """``Vec3Int(0, 0, 0)``."""
        return tuple.__new__(cls, (0, 0, 0))

    @classmethod
    def ones(cls, axes: Iterable[str] = XYZ) -> Self:
        """``Vec3Int(1, 1, 1)``."""
        return tuple.__new__(cls, (1, 1, 1))

    @classmethod
    def from_xyz(cls, x: int, y: int, z: int) -> Self:
        """``Vec3Int(x, y, z)``."""
        return cls(x, y, z)

    @classmethod
    def from_vec_or_int(cls, vec_or_int: Vec3IntLikeOrInt) -> Self:
        """An int becomes a uniform vector; anything vector-like is parsed."""
        if isinstance(vec_or_int, int | np.integer) and not isinstance(
            vec_or_int, bool
        ):
            return cls.full(int(vec_or_int))
        return cls(vec_or_int)

    @classmethod
    def from_str(cls, string: str, axes: Iterable[str] | None = None) -> Self:
        """Parse ``"1,2,3"``, ``"(1,2,3)"`` or a single ``"5"`` (uniform)."""
        values = parse_int_list(string)
        if len(values) == 1:
            return cls.full(values[0])
        if len(values) != 3:
            raise InvalidArgumentError(f"expected 1 or 3 integers, got {string!r}")
        return tuple.__new__(cls, values)

    @classmethod
    def from_vec3_float(cls, vec: Iterable[float]) -> Self:
        """Truncate three floats towards zero (``(1.7, -3.9, 2)`` → ``(1, -3, 2)``)."""
        values = tuple(vec)
        if len(values) != 3:
            raise InvalidArgumentError(f"expected three floats, got {vec!r}")
        try:
            return tuple.__new__(cls, tuple(int(v) for v in values))
        except (TypeError, ValueError, OverflowError):
            raise InvalidArgumentError(
                f"expected three finite floats, got {vec!r}"
            ) from None


Vec3IntLike: TypeAlias = Vec3Int | tuple[int, int, int] | Sequence[int] | np.ndarray
"""Anything :class:`Vec3Int` accepts as a single argument."""


Vec3IntLikeOrInt: TypeAlias = Vec3IntLike | int
"""Like :data:`Vec3IntLike`, plus an ``int`` meaning a uniform vector."""


def parse_vec3(value: Vec3IntLikeOrInt) -> Vec3Int:
    """Parse any vector-like value or an int (→ uniform) into a :class:`Vec3Int`.

    Why: public functions accept ``chunk_shape=32`` as well as ``(32, 32, 16)``.

    Example:
        >>> parse_vec3(32), parse_vec3([1, 2, 3])
        (Vec3Int(32,32,32), Vec3Int(1,2,3))
    """
    t = type(value)
    if t is Vec3Int:
        return cast(Vec3Int, value)
    if t is int:
        v = cast(int, value)
        return tuple.__new__(Vec3Int, (v, v, v))
    if t is tuple or t is list:
        seq = cast(Sequence[object], value)
        if len(seq) == 3:
            a, b, c = seq
            if type(a) is int and type(b) is int and type(c) is int:
                return tuple.__new__(Vec3Int, seq)
    return Vec3Int.from_vec_or_int(value)
