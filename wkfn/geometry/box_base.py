"""The storage half of boxes: slots, validation, metadata and pickling.

:class:`BoxBase` holds ``topleft``, ``size``, ``axes`` and the rarely used metadata
(``index``, ``name``, ``is_visible``, ``color``) of an immutable box and knows how to
copy it cheaply; :mod:`wkfn.geometry.nd_bbox` adds the n-D geometry and
:mod:`wkfn.geometry.bbox` the 3-D specialisation. The helpers here (axis positions,
mag grids, negative-size flipping, colour checks, raw slot writers) are shared by both.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Self, cast

import numpy as np

from wkfn.errors import InvalidArgumentError
from wkfn.geometry.mag import Mag, MagLike
from wkfn.geometry.vec import (
    Vec3Int,
    Vec3IntLike,
    Vec3IntLikeOrInt,
    VecInt,
    VecIntLike,
    as_int_seq,
    parse_vec3,
)

DEFAULT_BBOX_NAME = "Unnamed Bounding Box"
"""Name given to boxes created without one."""

XYZ: tuple[str, str, str] = ("x", "y", "z")
_XYZ_POS_CACHE: dict[tuple[str, ...], tuple[int, int, int]] = {}
_set = object.__setattr__

Color = tuple[float, float, float, float]


def xyz_positions(axes: tuple[str, ...]) -> tuple[int, int, int]:
    """Positions of ``x``, ``y``, ``z`` in ``axes`` (cached per axes tuple)."""
    pos = _XYZ_POS_CACHE.get(axes)
    if pos is None:
        try:
            pos = (axes.index("x"), axes.index("y"), axes.index("z"))
        except ValueError:
            raise InvalidArgumentError(
                f"operation needs x, y and z axes, got {axes!r}"
            ) from None
        _XYZ_POS_CACHE[axes] = pos
    return pos


def mag_vec(mag: MagLike | Vec3IntLike) -> Vec3Int:
    """A mag or arbitrary positive 3-vector used as an alignment grid."""
    if type(mag) is Mag:
        return mag.to_vec3_int()
    vec = parse_vec3(cast(Vec3IntLikeOrInt, mag))
    if not vec.is_positive(strictly_positive=True):
        raise InvalidArgumentError(f"alignment must be positive, got {mag!r}")
    return vec


class BoxBase:
    """Storage of an immutable box: slots, construction, metadata, copy helpers.

    The base of :class:`~wkfn.geometry.nd_bbox.NDBoundingBox` (which adds the
    geometry) and so of :class:`~wkfn.geometry.bbox.BoundingBox`; not used directly.
    Its underscore methods are the hooks its subclasses override or call.
    """

    # ``_meta`` bundles the rarely used fields (index, name, is_visible, color) into
    # one shared tuple so that deriving a box costs three slot writes.
    __slots__ = ("_meta", "axes", "size", "topleft")

    topleft: VecInt
    size: VecInt
    axes: tuple[str, ...]
    _meta: tuple[VecInt, str | None, bool, Color | None]

    def __init__(
        self,
        topleft: VecIntLike,
        size: VecIntLike,
        axes: Iterable[str],
        index: VecIntLike | None = None,
        name: str | None = DEFAULT_BBOX_NAME,
        is_visible: bool = True,
        color: Color | None = None,
    ) -> None:
        """Validate and normalise (flip negative sizes)."""
        if isinstance(axes, str):
            raise InvalidArgumentError(
                f"axes must be a sequence of names, got {axes!r}"
            )
        axes_t = tuple(axes)
        tl = as_int_seq(topleft)
        sz = as_int_seq(size)
        n = len(axes_t)
        if len(tl) != n or len(sz) != n:
            raise InvalidArgumentError(
                f"topleft {topleft!r} and size {size!r} must have one value per axis "
                f"of {axes_t!r}"
            )
        tl, sz = flip_sizes(tl, sz)
        idx = tuple(range(n)) if index is None else as_int_seq(index)
        if len(idx) != n:
            raise InvalidArgumentError(f"index {index!r} must have {n} values")
        _set(self, "axes", axes_t)
        _set(self, "topleft", VecInt.from_values(tl, axes_t))
        _set(self, "size", VecInt.from_values(sz, axes_t))
        meta = (
            VecInt.from_values(idx, axes_t),
            name,
            bool(is_visible),
            check_color(color),
        )
        _set(self, "_meta", meta)

    # ------------------------------------------------------------------ plumbing
    def _vec(self, values: Sequence[int]) -> VecInt:
        """Wrap values as this box's vector type (VecInt with axes / Vec3Int)."""
        return VecInt.from_values(tuple(values), self.axes)

    def _evolve(self, topleft: Sequence[int], size: Sequence[int]) -> Self:
        """Copy with new topleft/size (already normalised ints); keeps metadata."""
        obj = object.__new__(type(self))
        set_topleft(obj, self._vec(topleft))
        set_size(obj, self._vec(size))
        set_axes(obj, self.axes)
        set_meta(obj, self._meta)
        return obj

    def _with_meta(self, position: int, value: object) -> Self:
        meta: list[Any] = list(self._meta)
        meta[position] = value
        obj = self._evolve(self.topleft, self.size)
        set_meta(obj, tuple(meta))
        return obj

    @property
    def index(self) -> VecInt:
        """Array-axis position of each axis (not part of equality)."""
        return self._meta[0]

    @property
    def name(self) -> str | None:
        """Display name (default ``"Unnamed Bounding Box"``)."""
        return self._meta[1]

    @property
    def is_visible(self) -> bool:
        """Visibility flag used by WEBKNOSSOS user bounding boxes."""
        return self._meta[2]

    @property
    def color(self) -> Color | None:
        """RGBA colour or ``None``."""
        return self._meta[3]

    def _evolve_checked(self, topleft: object, size: object) -> Self:
        """Copy with new topleft/size parsed from user input (negative sizes flip)."""
        n = len(self.axes)
        tl = as_int_seq(topleft)
        sz = as_int_seq(size)
        if len(tl) != n or len(sz) != n:
            raise InvalidArgumentError(
                f"topleft {topleft!r} and size {size!r} must have {n} values"
            )
        tl, sz = flip_sizes(tl, sz)
        return self._evolve(tl, sz)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            rebuild_box,
            (
                type(self),
                tuple(self.topleft),
                tuple(self.size),
                self.axes,
                tuple(self.index),
                self.name,
                self.is_visible,
                self.color,
            ),
        )

    def _check_compatible(self, other: BoxBase) -> None:
        if self.axes != other.axes:
            raise InvalidArgumentError(
                "operation with two bounding boxes needs the same axes in the same "
                f"order, got {self.axes!r} and {other.axes!r}"
            )

    def _expand(self, value: object, fill: int) -> tuple[int, ...]:
        """An int, a 3-vector (xyz; other axes get ``fill``) or a full n-vector."""
        n = len(self.axes)
        if isinstance(value, int | np.integer) and not isinstance(value, bool):
            return (int(value),) * n
        values = as_int_seq(value)
        if len(values) == n:
            return values
        if len(values) == 3:
            out = [fill] * n
            px, py, pz = xyz_positions(self.axes)
            out[px], out[py], out[pz] = values
            return tuple(out)
        raise InvalidArgumentError(
            f"expected 3 or {n} values for axes {self.axes!r}, got {value!r}"
        )

    def _expand_xyz(self, vec: Vec3Int, fill: int) -> tuple[int, ...]:
        out = [fill] * len(self.axes)
        px, py, pz = xyz_positions(self.axes)
        out[px], out[py], out[pz] = vec
        return tuple(out)


def flip_sizes(
    tl: tuple[int, ...], sz: tuple[int, ...]
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Move the topleft for negative sizes so that all sizes are ``>= 0``."""
    if all(s >= 0 for s in sz):
        return tl, sz
    return (
        tuple(t + s if s < 0 else t for t, s in zip(tl, sz)),
        tuple(abs(s) for s in sz),
    )


def check_color(color: object) -> Color | None:
    if color is None:
        return None
    try:
        values = tuple(float(c) for c in cast(Iterable[float], color))
    except (TypeError, ValueError):
        raise InvalidArgumentError(
            f"color must be 4 floats (RGBA), got {color!r}"
        ) from None
    if len(values) != 4:
        raise InvalidArgumentError(f"color must be 4 floats (RGBA), got {color!r}")
    return (values[0], values[1], values[2], values[3])


def rebuild_box(
    cls: type[BoxBase],
    topleft: tuple[int, ...],
    size: tuple[int, ...],
    axes: tuple[str, ...],
    index: tuple[int, ...],
    name: str | None,
    is_visible: bool,
    color: Color | None,
) -> BoxBase:
    """Pickle helper."""
    return cls(topleft, size, axes, index, name, is_visible, color)


def slot_setter(name: str) -> Any:
    """The raw slot writer (bypasses the immutability guard; construction only)."""
    return cast(Any, BoxBase.__dict__[name]).__set__


set_topleft = slot_setter("topleft")
set_size = slot_setter("size")
set_axes = slot_setter("axes")
set_meta = slot_setter("_meta")
