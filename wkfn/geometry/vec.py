"""Immutable integer and float vectors (``VecInt``, ``Vec3Int``, ``Vec3Float``).

All vectors are ``tuple`` subclasses, so they compare and hash equal to plain tuples
(``Vec3Int(1, 2, 3) == (1, 2, 3)``), unpack like tuples and cost about as much as a
tuple to build. Arithmetic is element-wise (``+ - * // %``) with either a scalar or a
vector of the same length; ordering stays lexicographic (as for tuples).

Differences to the reference library (all stricter or more permissive, never silently
different):

* invalid input raises :class:`wkfn.errors.InvalidArgumentError` (a ``ValueError``)
  instead of ``AssertionError``;
* non-integral floats (``Vec3Int(1.5, 2, 3)``) and strings are rejected instead of being
  truncated or iterated character by character;
* ``2 * v`` and ``(1, 1, 1) + v`` are element-wise instead of failing / concatenating.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Self, SupportsIndex, TypeAlias, cast

import numpy as np

from wkfn.errors import InvalidArgumentError

__all__ = [
    "Vec3Float",
    "Vec3FloatLike",
    "Vec3Int",
    "Vec3IntLike",
    "Vec3IntLikeOrInt",
    "VecInt",
    "VecIntLike",
    "parse_vec3",
]

_XYZ: tuple[str, str, str] = ("x", "y", "z")


def _as_int(value: object, whole: object) -> int:
    """Convert one vector component to ``int``.

    Accepts ``int`` and numpy integers, and floats that are integral (``2.0``). Rejects
    ``bool``, non-integral floats and everything else, naming ``whole`` in the error.
    """
    if type(value) is int:
        return value
    if isinstance(value, bool | np.bool_):
        raise InvalidArgumentError(f"vector components must be integers, got {whole!r}")
    if isinstance(value, float | np.floating):
        if math.isfinite(value) and float(value).is_integer():
            return int(value)
        raise InvalidArgumentError(f"vector components must be integers, got {whole!r}")
    try:
        return operator.index(cast(SupportsIndex, value))
    except TypeError:
        raise InvalidArgumentError(
            f"vector components must be integers, got {whole!r}"
        ) from None


def as_int_seq(value: object) -> tuple[int, ...]:
    """Convert a sequence-like value (tuple, list, ndarray, iterable) to ints."""
    if isinstance(value, str | bytes):
        raise InvalidArgumentError(f"expected a vector of integers, got {value!r}")
    if isinstance(value, np.ndarray):
        if value.ndim != 1:
            raise InvalidArgumentError(
                f"expected a 1-d array of integers, got shape {value.shape}"
            )
        items: Iterable[object] = value.tolist()
    elif isinstance(value, Iterable):
        items = value
    else:
        raise InvalidArgumentError(f"expected a vector of integers, got {value!r}")
    return tuple([_as_int(v, value) for v in items])


def _other_values(other: object, n: int, self: object) -> tuple[int, ...]:
    """Return ``other`` as ``n`` ints: a scalar is broadcast, a vector must match."""
    if type(other) is int:
        return (other,) * n
    if (
        isinstance(other, tuple)
        and len(other) == n
        and all(type(v) is int for v in other)
    ):
        return other
    if isinstance(other, int | np.integer) and not isinstance(other, bool):
        return (int(other),) * n
    values = as_int_seq(other)
    if len(values) != n:
        raise InvalidArgumentError(
            f"{other!r} and {self!r} are not equally shaped (need {n} components)"
        )
    return values


class VecInt(tuple[int, ...]):
    """Immutable n-dimensional integer vector with axis names.

    Why: n-D bounding boxes (e.g. ``("t", "x", "y", "z")``) need to know which component
    is which axis, while still behaving like a plain tuple.

    Construct with ``VecInt(1, 2, 3, axes=("x", "y", "z"))``,
    ``VecInt((1, 2, 3), ("x", "y", "z"))``, ``VecInt(x=1, y=2, z=3)`` or from another
    ``VecInt`` (axes are kept). Equality and hashing ignore the axes (tuple semantics).

    Example:
        >>> v = VecInt(0, 5, 6, 7, axes=("t", "x", "y", "z"))
        >>> v.xyz, v.get("t"), v + 1
        (Vec3Int(5,6,7), 0, VecInt(1,6,7,8, axes=('t', 'x', 'y', 'z')))
    """

    _axes: tuple[str, ...]

    def __new__(
        cls,
        *args: Any,
        axes: Iterable[str] | None = None,
        **kwargs: Any,
    ) -> Self:
        """Parse the accepted argument shapes (see class docstring)."""
        values: tuple[int, ...]
        if kwargs:
            if args:
                raise InvalidArgumentError(
                    f"VecInt takes either positional values or axis keywords, got "
                    f"{args!r} and {kwargs!r}"
                )
            values = tuple([_as_int(v, kwargs) for v in kwargs.values()])
            axes_t = tuple(kwargs)
            return cls.from_values(values, axes_t)
        if len(args) == 1:
            first = args[0]
            if isinstance(first, VecInt) and axes is None:
                return cls.from_values(tuple(first), first.axes)
            values = as_int_seq(first)
        elif len(args) == 2 and axes is None and not isinstance(args[0], int):
            values = as_int_seq(args[0])
            axes = args[1]
        else:
            values = tuple([_as_int(v, args) for v in args])
        if axes is None:
            raise InvalidArgumentError(
                f"VecInt needs axis names, e.g. VecInt(1, 2, axes=('x', 'y')); got "
                f"{args!r}"
            )
        if isinstance(axes, str):
            raise InvalidArgumentError(
                f"axes must be a sequence of names, got {axes!r}"
            )
        axes_t = tuple(axes)
        return cls.from_values(values, axes_t)

    @classmethod
    def from_values(cls, values: tuple[int, ...], axes: tuple[str, ...]) -> Self:
        """Build without parsing (values already ints); validates only the axes."""
        if len(values) != len(axes):
            raise InvalidArgumentError(
                f"got {len(values)} values {values!r} for {len(axes)} axes {axes!r}"
            )
        if len(set(axes)) != len(axes):
            raise InvalidArgumentError(f"axis names must be unique, got {axes!r}")
        obj = tuple.__new__(cls, values)
        object.__setattr__(obj, "_axes", axes)
        return obj

    def _with_values(self, values: Iterable[int]) -> Self:
        """Same axes, new values (no validation of the values)."""
        obj = tuple.__new__(type(self), values)
        object.__setattr__(obj, "_axes", self.axes)
        return obj

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_vecint, (type(self), tuple(self), self.axes))

    # ------------------------------------------------------------------ accessors
    @property
    def axes(self) -> tuple[str, ...]:
        """Axis names, one per component."""
        return self._axes

    def _pos(self, axis: str) -> int:
        try:
            return self.axes.index(axis)
        except ValueError:
            raise InvalidArgumentError(f"axis {axis!r} not in {self.axes!r}") from None

    def get(self, axis: str) -> int:
        """Value of the component named ``axis``."""
        return self[self._pos(axis)]

    @property
    def x(self) -> int:
        """The ``x`` component."""
        return self.get("x")

    @property
    def y(self) -> int:
        """The ``y`` component."""
        return self.get("y")

    @property
    def z(self) -> int:
        """The ``z`` component."""
        return self.get("z")

    @property
    def c(self) -> int:
        """The ``c`` (channel) component."""
        return self.get("c")

    @property
    def xyz(self) -> Vec3Int:
        """The x, y and z components as :class:`Vec3Int`."""
        return Vec3Int._make((self.get("x"), self.get("y"), self.get("z")))

    def with_replaced(self, index: int, value: int) -> Self:
        """Copy with the component at position ``index`` set to ``value``."""
        values = list(self)
        values[index] = _as_int(value, value)
        return self._with_values(values)

    def _with_axis(self, axis: str, value: int) -> Self:
        return self.with_replaced(self._pos(axis), value)

    def with_x(self, x: int) -> Self:
        """Copy with a new ``x`` component."""
        return self._with_axis("x", x)

    def with_y(self, y: int) -> Self:
        """Copy with a new ``y`` component."""
        return self._with_axis("y", y)

    def with_z(self, z: int) -> Self:
        """Copy with a new ``z`` component."""
        return self._with_axis("z", z)

    def with_c(self, c: int) -> Self:
        """Copy with a new ``c`` component."""
        return self._with_axis("c", c)

    def with_xyz(self, xyz: Vec3IntLike) -> Self:
        """Copy with the x, y and z components replaced by ``xyz``."""
        x, y, z = parse_vec3(xyz)
        values = list(self)
        values[self._pos("x")] = x
        values[self._pos("y")] = y
        values[self._pos("z")] = z
        return self._with_values(values)

    def contains(self, value: int) -> bool:
        """Whether any component equals ``value``."""
        return value in tuple(self)

    # ------------------------------------------------------------------ arithmetic
    def _elementwise(self, other: object, op: Callable[[int, int], int]) -> Self:
        values = _other_values(other, len(self), self)
        return self._with_values([op(a, b) for a, b in zip(self, values)])

    def __add__(self, other: object) -> Self:
        return self._elementwise(other, operator.add)

    def __radd__(self, other: object) -> Self:
        return self._elementwise(other, operator.add)

    def __sub__(self, other: object) -> Self:
        return self._elementwise(other, operator.sub)

    def __rsub__(self, other: object) -> Self:
        return self._elementwise(other, lambda a, b: b - a)

    def __mul__(self, other: object) -> Self:
        return self._elementwise(other, operator.mul)

    def __rmul__(self, other: object) -> Self:
        return self._elementwise(other, operator.mul)

    def __floordiv__(self, other: object) -> Self:
        return self._elementwise(other, operator.floordiv)

    def __mod__(self, other: object) -> Self:
        return self._elementwise(other, operator.mod)

    def __neg__(self) -> Self:
        return self._with_values([-a for a in self])

    def __pos__(self) -> Self:
        return self

    def ceildiv(self, other: object) -> Self:
        """Element-wise division rounding towards +infinity (``-(-a // b)``)."""
        return self._elementwise(other, lambda a, b: -(-a // b))

    def pairmax(self, other: object) -> Self:
        """Element-wise maximum with a scalar or vector."""
        return self._elementwise(other, max)

    def pairmin(self, other: object) -> Self:
        """Element-wise minimum with a scalar or vector."""
        return self._elementwise(other, min)

    def prod(self) -> int:
        """Product of all components (e.g. a volume)."""
        return math.prod(self)

    def is_positive(self, strictly_positive: bool = False) -> bool:
        """Whether all components are ``>= 0`` (``> 0`` if ``strictly_positive``)."""
        if strictly_positive:
            return all(v > 0 for v in self)
        return all(v >= 0 for v in self)

    def is_uniform(self) -> bool:
        """Whether all components are equal."""
        return len(set(self)) <= 1

    def moveaxis(
        self, source: int | Sequence[int], target: int | Sequence[int]
    ) -> Self:
        """Move the components (and axis names) at ``source`` to ``target``.

        Same index semantics as :func:`numpy.moveaxis` applied to the axes of an
        array, e.g. ``VecInt(0, 5, 6, 7, axes=("t", "x", "y", "z")).moveaxis(0, -1)``
        is ``(5, 6, 7, 0)`` with axes ``("x", "y", "z", "t")``.
        """
        n = len(self)
        src = [source] if isinstance(source, int) else list(source)
        dst = [target] if isinstance(target, int) else list(target)
        src = [s % n if -n <= s < n else s for s in src]
        dst = [d % n if -n <= d < n else d for d in dst]
        if (
            len(src) != len(dst)
            or len(set(src)) != len(src)
            or len(set(dst)) != len(dst)
            or not all(0 <= i < n for i in (*src, *dst))
        ):
            raise InvalidArgumentError(
                f"invalid moveaxis source {source!r} / target {target!r} for {self!r}"
            )
        order = [i for i in range(n) if i not in src]
        for d, s in sorted(zip(dst, src)):
            order.insert(d, s)
        values = tuple(self[i] for i in order)
        axes = tuple(self.axes[i] for i in order)
        if isinstance(self, Vec3Int):
            return self._with_values(values)
        return type(self).from_values(values, axes)

    # ------------------------------------------------------------------ export
    def to_list(self) -> list[int]:
        """Components as a list."""
        return list(self)

    def to_tuple(self) -> tuple[int, ...]:
        """Components as a plain tuple."""
        return tuple(self)

    def to_np(self) -> np.ndarray[Any, np.dtype[np.int64]]:
        """Components as an ``int64`` numpy array."""
        return np.array(tuple(self), dtype=np.int64)

    def __repr__(self) -> str:
        values = ",".join(str(v) for v in self)
        return f"{type(self).__name__}({values}, axes={self.axes!r})"

    def __str__(self) -> str:
        return repr(self)

    # ------------------------------------------------------------------ factories
    @classmethod
    def full(cls, an_int: int, axes: Iterable[str]) -> Self:
        """Vector with every component equal to ``an_int``."""
        axes_t = tuple(axes)
        return cls.from_values((_as_int(an_int, an_int),) * len(axes_t), axes_t)

    @classmethod
    def zeros(cls, axes: Iterable[str]) -> Self:
        """All-zero vector for ``axes``."""
        return cls.full(0, axes)

    @classmethod
    def ones(cls, axes: Iterable[str]) -> Self:
        """All-one vector for ``axes``."""
        return cls.full(1, axes)

    @classmethod
    def from_str(cls, string: str, axes: Iterable[str] | None = None) -> Self:
        """Parse ``"1,2,3"`` or ``"(1,2,3)"`` (axes default to x, y, z for 3 values)."""
        values = _parse_int_list(string)
        if axes is None:
            if len(values) != 3:
                raise InvalidArgumentError(
                    f"cannot infer axes for {string!r}; pass axes=..."
                )
            axes = _XYZ
        return cls.from_values(values, tuple(axes))


def _rebuild_vecint(
    cls: type[VecInt], values: tuple[int, ...], axes: tuple[str, ...]
) -> VecInt:
    """Pickle helper."""
    if cls is Vec3Int:
        return Vec3Int._make(cast(tuple[int, int, int], values))
    return cls.from_values(values, axes)


def _parse_int_list(string: str) -> tuple[int, ...]:
    """Parse ``"1,2,3"``, ``"(1, 2, 3)"`` or ``"[1,2,3]"`` into ints."""
    if not isinstance(string, str):
        raise InvalidArgumentError(f"expected a string, got {string!r}")
    text = string.strip()
    if len(text) >= 2 and text[0] + text[-1] in ("()", "[]"):
        text = text[1:-1]
    try:
        return tuple(int(part) for part in text.split(","))
    except ValueError:
        raise InvalidArgumentError(
            f"cannot parse {string!r} as comma-separated integers"
        ) from None


class Vec3Int(VecInt, tuple[int, int, int]):
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
            values = tuple([_as_int(v, args) for v in args])
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
            values = tuple([_as_int(kwargs[k], kwargs) for k in _XYZ])
        else:
            raise InvalidArgumentError(
                f"Vec3Int needs three integers or one vector-like value, got "
                f"{args!r} {kwargs!r}".rstrip(" {}")
            )
        if len(values) != 3:
            shown = args[0] if n == 1 else args
            raise InvalidArgumentError(
                f"Vec3Int needs exactly three components, got {shown!r}"
            )
        return tuple.__new__(cls, values)

    @classmethod
    def _make(cls, values: Iterable[int]) -> Vec3Int:
        """Build from three already-validated ints without any checks (hot path)."""
        return tuple.__new__(Vec3Int, values)

    def _with_values(self, values: Iterable[int]) -> Self:
        return tuple.__new__(type(self), values)

    def __reduce__(self) -> tuple[Any, ...]:
        return (Vec3Int, (self[0], self[1], self[2]))

    @property
    def axes(self) -> tuple[str, ...]:
        """Always ``("x", "y", "z")``."""
        return _XYZ

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
        return tuple.__new__(type(self), (_as_int(x, x), self[1], self[2]))

    def with_y(self, y: int) -> Self:
        """Copy with a new ``y`` component."""
        return tuple.__new__(type(self), (self[0], _as_int(y, y), self[2]))

    def with_z(self, z: int) -> Self:
        """Copy with a new ``z`` component."""
        return tuple.__new__(type(self), (self[0], self[1], _as_int(z, z)))

    def _elementwise(self, other: object, op: Callable[[int, int], int]) -> Self:
        if type(other) is int:
            return tuple.__new__(
                type(self), (op(self[0], other), op(self[1], other), op(self[2], other))
            )
        o = _other_values(other, 3, self)
        return tuple.__new__(
            type(self), (op(self[0], o[0]), op(self[1], o[1]), op(self[2], o[2]))
        )

    def __add__(self, other: object) -> Self:
        if type(other) is int:
            return tuple.__new__(
                type(self), (self[0] + other, self[1] + other, self[2] + other)
            )
        o = _other_values(other, 3, self)
        return tuple.__new__(
            type(self), (self[0] + o[0], self[1] + o[1], self[2] + o[2])
        )

    def __sub__(self, other: object) -> Self:
        if type(other) is int:
            return tuple.__new__(
                type(self), (self[0] - other, self[1] - other, self[2] - other)
            )
        o = _other_values(other, 3, self)
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
    def full(cls, an_int: int, axes: Iterable[str] = _XYZ) -> Self:
        """``Vec3Int(n, n, n)``."""
        value = _as_int(an_int, an_int)
        return tuple.__new__(cls, (value, value, value))

    @classmethod
    def zeros(cls, axes: Iterable[str] = _XYZ) -> Self:
        """``Vec3Int(0, 0, 0)``."""
        return tuple.__new__(cls, (0, 0, 0))

    @classmethod
    def ones(cls, axes: Iterable[str] = _XYZ) -> Self:
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
        values = _parse_int_list(string)
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

VecIntLike: TypeAlias = VecInt | tuple[int, ...] | Sequence[int] | np.ndarray
"""Anything usable as the values of an n-D vector."""


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
