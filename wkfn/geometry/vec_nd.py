"""n-dimensional integer vectors with named axes: :class:`VecInt`.

A ``tuple`` subclass, so it compares and hashes equal to a plain tuple and costs about
as much as one to build; arithmetic is element-wise with a scalar or a vector of the
same length. The 3-D specialisation :class:`~wkfn.geometry.vec3_int.Vec3Int` registers
itself as :attr:`VecInt.xyz_type` when it is defined.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Self, TypeAlias, cast

import numpy as np

from wkfn.errors import AxisNotFoundError, InvalidArgumentError
from wkfn.geometry.vec_parse import (
    XYZ,
    as_int,
    as_int_seq,
    other_values,
    parse_int_list,
)

if TYPE_CHECKING:
    from wkfn.geometry.vec3_int import Vec3Int, Vec3IntLike


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
    #: The 3-D subclass (:class:`Vec3Int`), registered by its class statement
    #: (``class Vec3Int(VecInt, xyz=True)``) so that ``xyz`` can build one without
    #: this module importing the module that defines it.
    xyz_type: ClassVar[type[Vec3Int]]

    def __init_subclass__(cls, xyz: bool = False, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if xyz:
            VecInt.xyz_type = cast("type[Vec3Int]", cls)

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
            values = tuple([as_int(v, kwargs) for v in kwargs.values()])
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
            values = tuple([as_int(v, args) for v in args])
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
            raise AxisNotFoundError(f"axis {axis!r} not in {self.axes!r}") from None

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
        return VecInt.xyz_type._make((self.get("x"), self.get("y"), self.get("z")))

    def with_replaced(self, index: int, value: int) -> Self:
        """Copy with the component at position ``index`` set to ``value``."""
        values = list(self)
        values[index] = as_int(value, value)
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
        x, y, z = VecInt.xyz_type.from_vec_or_int(xyz)
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
        values = other_values(other, len(self), self)
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
        return self._moved(values, axes)

    def _moved(self, values: tuple[int, ...], axes: tuple[str, ...]) -> Self:
        """The vector after ``moveaxis`` (:class:`Vec3Int` keeps its axes)."""
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
        return cls.from_values((as_int(an_int, an_int),) * len(axes_t), axes_t)

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
        values = parse_int_list(string)
        if axes is None:
            if len(values) != 3:
                raise InvalidArgumentError(
                    f"cannot infer axes for {string!r}; pass axes=..."
                )
            axes = XYZ
        return cls.from_values(values, tuple(axes))


def _rebuild_vecint(
    cls: type[VecInt], values: tuple[int, ...], axes: tuple[str, ...]
) -> VecInt:
    """Pickle helper."""
    return cls.from_values(values, axes)


VecIntLike: TypeAlias = VecInt | tuple[int, ...] | Sequence[int] | np.ndarray
"""Anything usable as the values of an n-D vector."""
