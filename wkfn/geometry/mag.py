"""Magnification (``Mag``): the per-axis downsampling factor of a resolution level.

A mag is three positive powers of two, e.g. ``Mag(2)`` = 2-2-2 or ``Mag("2-2-1")``
(anisotropic: z not downsampled). Semantics follow the reference library:

* ``==`` compares all three components and accepts anything mag-like
  (``Mag(1) == 1``, ``Mag(2) == (2, 2, 2)``, ``Mag(2) == "2-2-2"``);
* ordering compares **only** :attr:`Mag.max_dim`: ``a < b`` is
  ``a.max_dim < b.max_dim`` and ``a <= b`` is ``a.max_dim <= b.max_dim``, so
  ``Mag(2) <= Mag("2-2-1")`` and ``Mag("2-2-1") <= Mag(2)`` are both true while the two
  are not equal; ``min(mags)`` therefore picks by ``max_dim`` (first of ties);
* like the reference, ``a >= b`` is ``not a < b`` and ``a > b`` is
  ``not a < b and a != b``; hence for two different mags with the same ``max_dim``
  both ``a > b`` and ``b > a`` hold (``max(mags)`` picks the last of ties).

Differences to the reference: a component that is not a positive power of two (e.g.
``Mag(3)``, ``Mag(0)``) raises :class:`~wkfn.errors.InvalidArgumentError` (a
``ValueError``) instead of ``AssertionError`` / a math domain error; comparing with a
value that is not mag-like returns ``False`` for ``==`` instead of raising, while
ordering against such a value raises ``InvalidArgumentError``. ``Mag(np.int64(2))`` is
accepted; ``Mag(True)`` is rejected.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TypeAlias, cast

import numpy as np

from wkfn.errors import AssertedValueError, InvalidArgumentError
from wkfn.geometry.grid import is_pow2
from wkfn.geometry.vec import Vec3Int

__all__ = ["Mag", "MagLike"]

_MAG_ERROR = "Mag must be int or a vector3 of ints or a string shaped like e.g. 2-2-1"
_CACHE: dict[object, Mag] = {}
_CACHE_LIMIT = 4096


def _parse(mag: object) -> Vec3Int:
    """Turn a mag-like value into a validated :class:`Vec3Int`."""
    if isinstance(mag, Mag):
        return mag._v
    if isinstance(mag, bool | np.bool_):
        raise InvalidArgumentError(f"{_MAG_ERROR}. Got: {mag!r}")
    if isinstance(mag, int | np.integer):
        v = int(mag)
        vec = Vec3Int._make((v, v, v))
    elif isinstance(mag, str):
        parts = mag.split("-")
        if len(parts) not in (1, 3) or not all(
            p.isdigit() and p.isascii() for p in parts
        ):
            raise InvalidArgumentError(f"{_MAG_ERROR}. Got: {mag!r}")
        values = [int(p) for p in parts]
        vec = Vec3Int._make(values * 3 if len(values) == 1 else values)
    elif isinstance(mag, list | tuple | np.ndarray):
        try:
            vec = Vec3Int(mag)
        except AssertedValueError:  # wrong length: the reference asserts
            raise AssertedValueError(f"{_MAG_ERROR}. Got: {mag!r}") from None
        except InvalidArgumentError:
            raise InvalidArgumentError(f"{_MAG_ERROR}. Got: {mag!r}") from None
    else:
        raise InvalidArgumentError(f"{_MAG_ERROR}. Got: {mag!r}")
    if not (is_pow2(vec[0]) and is_pow2(vec[1]) and is_pow2(vec[2])):
        raise InvalidArgumentError(
            f"Mag components must be positive powers of two, got {mag!r}"
        )
    return vec


class Mag:
    """Immutable magnification; see the module docstring for equality/ordering rules.

    Construction is cached for hashable inputs (ints, strings, tuples), so ``Mag(2)`` in
    a hot loop is a dictionary lookup.

    Example:
        >>> Mag("2-2-1").to_long_layer_name(), Mag(4).to_layer_name(), Mag(2) * 2
        ('2-2-1', '4', Mag(4))
    """

    __slots__ = ("_v",)
    _v: Vec3Int

    def __new__(cls, mag: MagLike) -> Mag:
        """Parse ``mag`` (see :data:`MagLike`)."""
        t = type(mag)
        if t is Mag:
            return cast(Mag, mag)
        key: object = None
        if t is int or t is str or t is tuple or t is Vec3Int:
            key = (t is str, mag)
            hit = _CACHE.get(key)
            if hit is not None:
                return hit
        obj = object.__new__(cls)
        object.__setattr__(obj, "_v", _parse(mag))
        if key is not None and len(_CACHE) < _CACHE_LIMIT:
            _CACHE[key] = obj
        return obj

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Mag is immutable")

    def __reduce__(self) -> tuple[Any, ...]:
        return (Mag, (self._v.to_tuple(),))

    # ------------------------------------------------------------------ accessors
    @property
    def x(self) -> int:
        """Factor along x."""
        return self._v[0]

    @property
    def y(self) -> int:
        """Factor along y."""
        return self._v[1]

    @property
    def z(self) -> int:
        """Factor along z."""
        return self._v[2]

    @property
    def max_dim(self) -> int:
        """Largest of the three factors (what ordering compares)."""
        return max(self._v)

    @property
    def max_dim_log2(self) -> int:
        """``log2(max_dim)`` as an int (``Mag("4-4-1")`` → 2)."""
        return self.max_dim.bit_length() - 1

    def __iter__(self) -> Iterator[int]:
        return iter(self._v)

    # ------------------------------------------------------------------ export
    def to_layer_name(self) -> str:
        """Short directory name: ``"2"`` if uniform, else ``"2-2-1"``."""
        x, y, z = self._v
        if x == y == z:
            return str(x)
        return f"{x}-{y}-{z}"

    def to_long_layer_name(self) -> str:
        """Always ``"x-y-z"`` (``"2-2-2"``)."""
        x, y, z = self._v
        return f"{x}-{y}-{z}"

    def to_list(self) -> list[int]:
        """Factors as a list."""
        return list(self._v)

    def to_tuple(self) -> tuple[int, int, int]:
        """Factors as a plain tuple."""
        return self._v.to_tuple()

    def to_np(self) -> np.ndarray[Any, np.dtype[np.int64]]:
        """Factors as an ``int64`` array."""
        return self._v.to_np()

    def to_vec3_int(self) -> Vec3Int:
        """Factors as :class:`Vec3Int`."""
        return self._v

    def __str__(self) -> str:
        return self.to_layer_name()

    def __repr__(self) -> str:
        return f"Mag({self.to_layer_name()})"

    # ------------------------------------------------------------------ comparison
    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mag):
            return self._v == other._v
        try:
            return self._v == _parse(other)
        except InvalidArgumentError:
            return NotImplemented

    def __ne__(self, other: object) -> bool:
        result = self.__eq__(other)
        if result is NotImplemented:
            return NotImplemented
        return not result

    def __hash__(self) -> int:
        return hash(self._v)

    def _other_max(self, other: object) -> int:
        if isinstance(other, Mag):
            return other.max_dim
        return max(_parse(other))

    def __lt__(self, other: MagLike) -> bool:
        return self.max_dim < self._other_max(other)

    def __le__(self, other: MagLike) -> bool:
        return self.max_dim <= self._other_max(other)

    def __gt__(self, other: MagLike) -> bool:
        # Reference quirk (derived from ``<`` and ``==``): mags with the same max_dim
        # but different components are "greater" than each other.
        o = other if isinstance(other, Mag) else Mag(other)
        return not self.max_dim < o.max_dim and self._v != o._v

    def __ge__(self, other: MagLike) -> bool:
        # Reference quirk: ``a >= b`` is ``not a < b``.
        return not self.max_dim < self._other_max(other)

    # ------------------------------------------------------------------ arithmetic
    def __mul__(self, other: MagLike) -> Mag:
        """Element-wise product with an int or mag-like value (result must be a mag)."""
        o = other if type(other) is int else _parse(other)
        return Mag(self._v * o)

    def __rmul__(self, other: MagLike) -> Mag:
        return self.__mul__(other)

    def __floordiv__(self, other: MagLike) -> Mag:
        """Element-wise floor division; raises if a component drops below 1."""
        o = other if type(other) is int else _parse(other)
        if o == 0:
            raise InvalidArgumentError(f"cannot divide {self!r} by {other!r}")
        return Mag(self._v // o)


MagLike: TypeAlias = (
    int | str | list[int] | tuple[int, int, int] | np.ndarray | Vec3Int | Mag
)
"""Anything :class:`Mag` accepts."""
