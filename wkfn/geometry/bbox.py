"""Axis-aligned integer boxes: :class:`NDBoundingBox` and 3D :class:`BoundingBox`.

A box is ``topleft`` (inclusive) plus ``size``; ``bottomright = topleft + size`` is
exclusive. Negative sizes passed to the constructor are flipped (the topleft moves), as
in the reference library. Boxes are immutable and hashable; equality compares
``topleft``, ``size`` and ``axes`` only (``name``, ``is_visible``, ``color`` and
``index`` are ignored, as in the reference).

:class:`BoundingBox` is a subclass of :class:`NDBoundingBox` with the fixed axes
``("x", "y", "z")``, so a 3D box can be used wherever an n-D box is expected. Operations
derived from a box (``intersected_with``, ``offset`` …) keep its ``name``,
``is_visible``, ``color`` and ``index``.

Differences to the reference (documented, deliberate):

* invalid input raises :class:`~wkfn.errors.InvalidArgumentError` (a ``ValueError``)
  instead of ``AssertionError`` (e.g. ``in_mag`` on an unaligned box, an empty
  intersection, mismatched axes);
* ``align_with_mag(ceil=False)`` of a box smaller than one mag cell returns an empty
  box (size clamped to 0) instead of a flipped, *larger* box;
* ``contains_bbox`` of an empty inner box is always ``True``;
* ``chunk``/``padded_with_margins``/``offset`` also accept a plain int (uniform).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Self, TypeVar, cast

import numpy as np

from wkfn.errors import InvalidArgumentError
from wkfn.geometry.mag import Mag, MagLike
from wkfn.geometry.vec import (
    Vec3Int,
    Vec3IntLike,
    Vec3IntLikeOrInt,
    VecInt,
    VecIntLike,
    _as_int_seq,
    parse_vec3,
)

__all__ = ["DEFAULT_BBOX_NAME", "BoundingBox", "NDBoundingBox"]

DEFAULT_BBOX_NAME = "Unnamed Bounding Box"
"""Name given to boxes created without one."""

_XYZ: tuple[str, str, str] = ("x", "y", "z")
_XYZ_POS_CACHE: dict[tuple[str, ...], tuple[int, int, int]] = {}
_set = object.__setattr__

Color = tuple[float, float, float, float]
_ArrT = TypeVar("_ArrT", bound=np.ndarray)


def _xyz_positions(axes: tuple[str, ...]) -> tuple[int, int, int]:
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


def _mag_vec(mag: MagLike | Vec3IntLike) -> Vec3Int:
    """A mag or arbitrary positive 3-vector used as an alignment grid."""
    if type(mag) is Mag:
        return mag.to_vec3_int()
    vec = parse_vec3(cast(Vec3IntLikeOrInt, mag))
    if not vec.is_positive(strictly_positive=True):
        raise InvalidArgumentError(f"alignment must be positive, got {mag!r}")
    return vec


class NDBoundingBox:
    """An n-dimensional integer box with named axes (e.g. ``("t", "x", "y", "z")``).

    ``index`` records where each axis lives in the backing array (defaults to
    ``0 .. n-1``); it does not take part in equality.

    Example:
        >>> box = NDBoundingBox((0, 1, 2, 3), (5, 6, 7, 8), ("t", "x", "y", "z"))
        >>> box.topleft_xyz, box.get_bounds("t")
        (Vec3Int(1,2,3), (0, 5))
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
        tl = _as_int_seq(topleft)
        sz = _as_int_seq(size)
        n = len(axes_t)
        if len(tl) != n or len(sz) != n:
            raise InvalidArgumentError(
                f"topleft {topleft!r} and size {size!r} must have one value per axis "
                f"of {axes_t!r}"
            )
        tl, sz = _flip(tl, sz)
        idx = tuple(range(n)) if index is None else _as_int_seq(index)
        if len(idx) != n:
            raise InvalidArgumentError(f"index {index!r} must have {n} values")
        _set(self, "axes", axes_t)
        _set(self, "topleft", VecInt._from_values(tl, axes_t))
        _set(self, "size", VecInt._from_values(sz, axes_t))
        meta = (
            VecInt._from_values(idx, axes_t),
            name,
            bool(is_visible),
            _check_color(color),
        )
        _set(self, "_meta", meta)

    # ------------------------------------------------------------------ plumbing
    def _vec(self, values: Sequence[int]) -> VecInt:
        """Wrap values as this box's vector type (VecInt with axes / Vec3Int)."""
        return VecInt._from_values(tuple(values), self.axes)

    def _evolve(self, topleft: Sequence[int], size: Sequence[int]) -> Self:
        """Copy with new topleft/size (already normalised ints); keeps metadata."""
        obj = object.__new__(type(self))
        _set_topleft(obj, self._vec(topleft))
        _set_size(obj, self._vec(size))
        _set_axes(obj, self.axes)
        _set_meta(obj, self._meta)
        return obj

    def _with_meta(self, position: int, value: object) -> Self:
        meta: list[Any] = list(self._meta)
        meta[position] = value
        obj = self._evolve(self.topleft, self.size)
        _set_meta(obj, tuple(meta))
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
        tl = _as_int_seq(topleft)
        sz = _as_int_seq(size)
        if len(tl) != n or len(sz) != n:
            raise InvalidArgumentError(
                f"topleft {topleft!r} and size {size!r} must have {n} values"
            )
        tl, sz = _flip(tl, sz)
        return self._evolve(tl, sz)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            _rebuild_nd,
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

    def _check_compatible(self, other: NDBoundingBox) -> None:
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
        values = _as_int_seq(value)
        if len(values) == n:
            return values
        if len(values) == 3:
            out = [fill] * n
            px, py, pz = _xyz_positions(self.axes)
            out[px], out[py], out[pz] = values
            return tuple(out)
        raise InvalidArgumentError(
            f"expected 3 or {n} values for axes {self.axes!r}, got {value!r}"
        )

    def _expand_xyz(self, vec: Vec3Int, fill: int) -> tuple[int, ...]:
        out = [fill] * len(self.axes)
        px, py, pz = _xyz_positions(self.axes)
        out[px], out[py], out[pz] = vec
        return tuple(out)

    # ------------------------------------------------------------------ properties
    @property
    def bottomright(self) -> VecInt:
        """Exclusive end corner ``topleft + size``."""
        return self._vec([a + b for a, b in zip(self.topleft, self.size)])

    @property
    def ndim(self) -> int:
        """Number of axes."""
        return len(self.axes)

    @property
    def topleft_xyz(self) -> Vec3Int:
        """Topleft restricted to x, y, z."""
        px, py, pz = _xyz_positions(self.axes)
        t = self.topleft
        return Vec3Int._make((t[px], t[py], t[pz]))

    @property
    def size_xyz(self) -> Vec3Int:
        """Size restricted to x, y, z."""
        px, py, pz = _xyz_positions(self.axes)
        s = self.size
        return Vec3Int._make((s[px], s[py], s[pz]))

    @property
    def bottomright_xyz(self) -> Vec3Int:
        """Bottomright restricted to x, y, z."""
        px, py, pz = _xyz_positions(self.axes)
        t, s = self.topleft, self.size
        return Vec3Int._make((t[px] + s[px], t[py] + s[py], t[pz] + s[pz]))

    @property
    def index_xyz(self) -> Vec3Int:
        """Array-axis index of x, y, z."""
        px, py, pz = _xyz_positions(self.axes)
        i = self.index
        return Vec3Int._make((i[px], i[py], i[pz]))

    def _axis_pos(self, axis: str) -> int:
        try:
            return self.axes.index(axis)
        except ValueError:
            raise InvalidArgumentError(f"axis {axis!r} not in {self.axes!r}") from None

    def get_bounds(self, axis: str) -> tuple[int, int]:
        """``(start, end_exclusive)`` along ``axis``."""
        i = self._axis_pos(axis)
        return (self.topleft[i], self.topleft[i] + self.size[i])

    def get_shape(self, axis: str) -> int:
        """Size along ``axis``."""
        return self.size[self._axis_pos(axis)]

    # ------------------------------------------------------------------ with_*
    def with_topleft(self, new_topleft: VecIntLike) -> Self:
        """Same size, new topleft."""
        return self._evolve_checked(new_topleft, self.size)

    def with_size(self, new_size: VecIntLike) -> Self:
        """Same topleft, new size (negative sizes flip)."""
        return self._evolve_checked(self.topleft, new_size)

    def with_bottomright(self, new_bottomright: VecIntLike) -> Self:
        """Same topleft, size chosen so that ``bottomright == new_bottomright``."""
        br = _as_int_seq(new_bottomright)
        return self._evolve_checked(
            self.topleft, [b - a for a, b in zip(self.topleft, br)]
        )

    def with_topleft_xyz(self, new_xyz: Vec3IntLike) -> Self:
        """Replace the x, y, z part of the topleft."""
        return self._evolve_checked(self.topleft.with_xyz(new_xyz), self.size)

    def with_size_xyz(self, new_xyz: Vec3IntLike) -> Self:
        """Replace the x, y, z part of the size."""
        return self._evolve_checked(self.topleft, self.size.with_xyz(new_xyz))

    def with_bottomright_xyz(self, new_xyz: Vec3IntLike) -> Self:
        """Replace the x, y, z part of the bottomright."""
        return self.with_bottomright(self.bottomright.with_xyz(new_xyz))

    def with_bounds(
        self, axis: str, new_topleft: int | None, new_size: int | None
    ) -> Self:
        """Replace start and/or size along ``axis`` (``None`` keeps the old value)."""
        i = self._axis_pos(axis)
        tl = list(self.topleft)
        sz = list(self.size)
        if new_topleft is not None:
            tl[i] = new_topleft
        if new_size is not None:
            sz[i] = new_size
        return self._evolve_checked(tl, sz)

    def with_index(self, new_index: VecIntLike) -> Self:
        """Copy with a different array-axis index."""
        idx = _as_int_seq(new_index)
        if len(idx) != len(self.axes):
            raise InvalidArgumentError(
                f"index {new_index!r} must have {self.ndim} values"
            )
        return self._with_meta(0, self._index_vec(idx))

    def _index_vec(self, idx: tuple[int, ...]) -> VecInt:
        return VecInt._from_values(idx, self.axes)

    def with_name(self, name: str | None) -> Self:
        """Copy with a different name."""
        return self._with_meta(1, name)

    def with_is_visible(self, is_visible: bool) -> Self:
        """Copy with a different visibility flag."""
        return self._with_meta(2, bool(is_visible))

    def with_color(self, color: Color | None) -> Self:
        """Copy with a different RGBA colour."""
        return self._with_meta(3, _check_color(color))

    # ------------------------------------------------------------------ set ops
    def is_empty(self) -> bool:
        """Whether any size component is ``<= 0``."""
        return any(s <= 0 for s in self.size)

    def volume(self) -> int:
        """Number of voxels (product of the size)."""
        return self.size.prod()

    def intersected_with(self, other: NDBoundingBox, dont_assert: bool = False) -> Self:
        """The overlap of two boxes.

        Raises:
            InvalidArgumentError: if the overlap is empty and ``dont_assert`` is false
                (then an empty box at the would-be topleft is returned).
        """
        self._check_compatible(other)
        tl = [max(a, b) for a, b in zip(self.topleft, other.topleft)]
        br = [
            min(a + s, b + t)
            for a, s, b, t in zip(self.topleft, self.size, other.topleft, other.size)
        ]
        size = [max(e - s, 0) for s, e in zip(tl, br)]
        result = self._evolve(tl, size)
        if not dont_assert and result.is_empty():
            raise InvalidArgumentError(
                f"No intersection between bounding boxes {self!r} and {other!r}."
            )
        return result

    def extended_by(self, other: NDBoundingBox) -> Self:
        """Smallest box containing both; an empty box is the neutral element."""
        self._check_compatible(other)
        if self.is_empty():
            return self._evolve(other.topleft, other.size)
        if other.is_empty():
            return self
        tl = [min(a, b) for a, b in zip(self.topleft, other.topleft)]
        br = [
            max(a + s, b + t)
            for a, s, b, t in zip(self.topleft, self.size, other.topleft, other.size)
        ]
        return self._evolve(tl, [e - s for s, e in zip(tl, br)])

    def contains(self, coord: VecIntLike | Sequence[float]) -> bool:
        """Whether a point (one value per axis; floats allowed) lies inside."""
        values = (
            list(np.asarray(coord).tolist())
            if isinstance(coord, np.ndarray)
            else (list(coord))
        )
        if len(values) != len(self.axes):
            raise InvalidArgumentError(
                f"coordinate {coord!r} must have {self.ndim} values"
            )
        return all(t <= c < t + s for c, t, s in zip(values, self.topleft, self.size))

    def contains_bbox(self, inner_bbox: NDBoundingBox) -> bool:
        """Whether ``inner_bbox`` lies completely inside (empty boxes always do)."""
        self._check_compatible(inner_bbox)
        if inner_bbox.is_empty():
            return True
        return all(
            t <= it and it + isz <= t + s
            for t, s, it, isz in zip(
                self.topleft, self.size, inner_bbox.topleft, inner_bbox.size
            )
        )

    def offset(self, vector: VecIntLike | int) -> Self:
        """Shift by a vector (3 values shift xyz only; n values shift every axis)."""
        delta = self._expand(vector, 0)
        return self._evolve([a + d for a, d in zip(self.topleft, delta)], self.size)

    def padded_with_margins(
        self,
        margins_left: VecIntLike | int,
        margins_right: VecIntLike | int | None = None,
    ) -> Self:
        """Grow by ``margins_left`` before and ``margins_right`` (default: same) after.

        Three values pad x, y, z only.
        """
        left = self._expand(margins_left, 0)
        right = left if margins_right is None else self._expand(margins_right, 0)
        return self._evolve_checked(
            [a - m for a, m in zip(self.topleft, left)],
            [s + m + r for s, m, r in zip(self.size, left, right)],
        )

    # ------------------------------------------------------------------ mags
    def in_mag(self, mag: MagLike) -> Self:
        """Convert mag-1 coordinates into coordinates of ``mag`` (xyz only).

        Raises:
            InvalidArgumentError: if topleft or bottomright is not divisible by the mag
                (use :meth:`align_with_mag` first).
        """
        m = self._expand_xyz(Mag(mag).to_vec3_int(), 1)
        tl = self.topleft
        br = [a + s for a, s in zip(tl, self.size)]
        for a, b, f in zip(tl, br, m):
            if a % f or b % f:
                raise InvalidArgumentError(
                    f"{self!r} is not aligned with mag {Mag(mag)} (topleft "
                    f"{tuple(tl)!r}, bottomright {tuple(br)!r}); use align_with_mag()"
                )
        new_tl = [a // f for a, f in zip(tl, m)]
        return self._evolve(new_tl, [b // f - a for a, b, f in zip(new_tl, br, m)])

    def from_mag_to_mag1(self, from_mag: MagLike) -> Self:
        """Convert coordinates of ``from_mag`` into mag-1 coordinates (xyz only)."""
        m = self._expand_xyz(Mag(from_mag).to_vec3_int(), 1)
        return self._evolve(
            [a * f for a, f in zip(self.topleft, m)],
            [s * f for s, f in zip(self.size, m)],
        )

    def align_with_mag(self, mag: Mag | Vec3IntLike | int, ceil: bool = False) -> Self:
        """Snap the xyz borders to multiples of ``mag`` (any positive 3-vector).

        ``ceil=True`` grows the box (topleft floored, bottomright ceiled) so it covers
        the original; ``ceil=False`` shrinks it (topleft ceiled, bottomright floored) so
        it is contained in the original (possibly empty).
        """
        m = self._expand_xyz(_mag_vec(mag), 1)
        tl = self.topleft
        br = [a + s for a, s in zip(tl, self.size)]
        if ceil:
            new_tl = [a // f * f for a, f in zip(tl, m)]
            new_br = [-(-b // f) * f for b, f in zip(br, m)]
        else:
            new_tl = [-(-a // f) * f for a, f in zip(tl, m)]
            new_br = [b // f * f for b, f in zip(br, m)]
        return self._evolve(new_tl, [max(b - a, 0) for a, b in zip(new_tl, new_br)])

    # ------------------------------------------------------------------ chunking
    def chunk(
        self,
        chunk_shape: VecIntLike | int,
        chunk_border_alignments: VecIntLike | int | None = None,
    ) -> Iterator[Self]:
        """Yield sub-boxes of at most ``chunk_shape`` that tile this box exactly.

        Without alignments the grid starts at the topleft; with
        ``chunk_border_alignments`` the chunk borders lie at multiples of the
        alignment (so the first and last chunks may be smaller). Three values apply to
        x, y, z (other axes are chunked by 1). Order: last axis fastest (z for 3D).

        Raises:
            InvalidArgumentError: for non-positive shapes or a chunk shape that is not a
                multiple of the alignment.
        """
        shape = self._expand(chunk_shape, 1)
        if self.is_empty():
            return
        if any(s <= 0 for s in shape):
            raise InvalidArgumentError(
                f"chunk_shape must be positive, got {chunk_shape!r}"
            )
        tl = tuple(self.topleft)
        if chunk_border_alignments is not None:
            align = self._expand(chunk_border_alignments, 1)
            if any(a <= 0 for a in align):
                raise InvalidArgumentError(
                    f"chunk_border_alignments must be positive, got "
                    f"{chunk_border_alignments!r}"
                )
            if any(s % a for s, a in zip(shape, align)):
                raise InvalidArgumentError(
                    f"chunk_shape {chunk_shape!r} must be a multiple of "
                    f"chunk_border_alignments {chunk_border_alignments!r}"
                )
            start = tuple(t // a * a for t, a in zip(tl, align))
        else:
            start = tl
        br = [t + s for t, s in zip(tl, self.size)]
        ranges = [range(st, e, c) for st, e, c in zip(start, br, shape)]
        for corner in itertools.product(*ranges):
            ctl = [max(c, t) for c, t in zip(corner, tl)]
            cbr = [min(c + s, e) for c, s, e in zip(corner, shape, br)]
            yield self._evolve(ctl, [e - s for s, e in zip(ctl, cbr)])

    # ------------------------------------------------------------------ arrays
    def to_slices(self) -> tuple[slice, ...]:
        """One ``slice(start, end)`` per axis, in axis order."""
        return tuple(slice(t, t + s) for t, s in zip(self.topleft, self.size))

    def to_slices_xyz(self) -> tuple[slice, slice, slice]:
        """Slices for x, y, z only."""
        (x0, y0, z0), (x1, y1, z1) = self.topleft_xyz, self.bottomright_xyz
        return (slice(x0, x1), slice(y0, y1), slice(z0, z1))

    def slice_array(self, array: _ArrT) -> _ArrT:
        """Cut this box (absolute coordinates) out of the trailing axes of ``array``."""
        key: tuple[Any, ...] = (Ellipsis, *self.to_slices())
        return cast(_ArrT, array[key])

    # ------------------------------------------------------------------ export
    def to_config_dict(self) -> dict[str, Any]:
        """``{"topleft": [...], "size": [...], "axes": (...)}``."""
        return {
            "topleft": self.topleft.to_list(),
            "size": self.size.to_list(),
            "axes": self.axes,
        }

    def to_checkpoint_name(self) -> str:
        """``"x_y_z_w_h_d"`` style name (all topleft values, then all sizes)."""
        return "_".join(str(v) for v in (*self.topleft, *self.size))

    def to_wkw_dict(self) -> dict[str, Any]:
        """The xyz part as ``{"topLeft": [x, y, z], "width", "height", "depth"}``."""
        w, h, d = self.size_xyz
        return {
            "topLeft": self.topleft_xyz.to_list(),
            "width": w,
            "height": h,
            "depth": d,
        }

    # ------------------------------------------------------------------ dunder
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, NDBoundingBox):
            return NotImplemented
        return (
            self.topleft == other.topleft
            and self.size == other.size
            and self.axes == other.axes
        )

    def __hash__(self) -> int:
        return hash((tuple(self.topleft), tuple(self.size), self.axes))

    def __repr__(self) -> str:
        axes = dict(zip(self.axes, self.index))
        return (
            f"{type(self).__name__}(topleft={tuple(self.topleft)!r}, "
            f"size={tuple(self.size)!r}, axes={axes!r})"
        )

    def __str__(self) -> str:
        return repr(self)

    @staticmethod
    def group_boxes_with_aligned_mag(
        bboxes: Iterable[NDBoundingBox], aligning_mag: MagLike
    ) -> dict[NDBoundingBox, list[NDBoundingBox]]:
        """Group boxes by their ``align_with_mag(mag, ceil=True)`` cover."""
        groups: dict[NDBoundingBox, list[NDBoundingBox]] = {}
        mag = Mag(aligning_mag)
        for bbox in bboxes:
            groups.setdefault(bbox.align_with_mag(mag, ceil=True), []).append(bbox)
        return groups


def _flip(
    tl: tuple[int, ...], sz: tuple[int, ...]
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Move the topleft for negative sizes so that all sizes are ``>= 0``."""
    if all(s >= 0 for s in sz):
        return tl, sz
    return (
        tuple(t + s if s < 0 else t for t, s in zip(tl, sz)),
        tuple(abs(s) for s in sz),
    )


def _check_color(color: object) -> Color | None:
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


def _rebuild_nd(
    cls: type[NDBoundingBox],
    topleft: tuple[int, ...],
    size: tuple[int, ...],
    axes: tuple[str, ...],
    index: tuple[int, ...],
    name: str | None,
    is_visible: bool,
    color: Color | None,
) -> NDBoundingBox:
    """Pickle helper."""
    return cls(topleft, size, axes, index, name, is_visible, color)


def _slot_setter(name: str) -> Any:
    """The raw slot writer (bypasses the immutability guard; construction only)."""
    return cast(Any, NDBoundingBox.__dict__[name]).__set__


_set_topleft = _slot_setter("topleft")
_set_size = _slot_setter("size")
_set_axes = _slot_setter("axes")
_set_meta = _slot_setter("_meta")

_BBOX_INDEX = Vec3Int._make((1, 2, 3))
_BBOX_DEFAULT_META: tuple[Vec3Int, str | None, bool, Color | None] = (
    _BBOX_INDEX,
    DEFAULT_BBOX_NAME,
    True,
    None,
)


class BoundingBox(NDBoundingBox):
    """A 3D box with axes ``("x", "y", "z")``; topleft/size are :class:`Vec3Int`.

    Example:
        >>> box = BoundingBox((0, 0, 0), (100, 100, 50))
        >>> box.align_with_mag(Mag(32), ceil=True)
        BoundingBox(topleft=(0, 0, 0), size=(128, 128, 64))
        >>> BoundingBox.from_csv("1,2,3,4,5,6").bottomright
        Vec3Int(5,7,9)
    """

    __slots__ = ()

    topleft: Vec3Int
    size: Vec3Int

    @property
    def index(self) -> Vec3Int:
        """Array-axis position of x, y, z (default ``(1, 2, 3)``: channel first)."""
        return cast(Vec3Int, self._meta[0])

    def __init__(
        self,
        topleft: Vec3IntLikeOrInt,
        size: Vec3IntLikeOrInt,
        axes: Iterable[str] = _XYZ,
        index: Vec3IntLike = _BBOX_INDEX,
        name: str | None = DEFAULT_BBOX_NAME,
        is_visible: bool = True,
        color: Color | None = None,
    ) -> None:
        """Parse topleft/size (an int means uniform); negative sizes are flipped."""
        tl = parse_vec3(topleft)
        sz = parse_vec3(size)
        if sz[0] < 0 or sz[1] < 0 or sz[2] < 0:
            a, b = _flip(tl, sz)
            tl, sz = Vec3Int._make(a), Vec3Int._make(b)
        if axes is not _XYZ and tuple(axes) != _XYZ:
            raise InvalidArgumentError(
                f"BoundingBox axes must be x, y, z, got {axes!r}"
            )
        _set_topleft(self, tl)
        _set_size(self, sz)
        _set_axes(self, _XYZ)
        if (
            index is _BBOX_INDEX
            and name == DEFAULT_BBOX_NAME
            and is_visible is True
            and color is None
        ):
            _set_meta(self, _BBOX_DEFAULT_META)
        else:
            idx = _BBOX_INDEX if index is _BBOX_INDEX else parse_vec3(index)
            _set_meta(self, (idx, name, bool(is_visible), _check_color(color)))

    def _vec(self, values: Sequence[int]) -> Vec3Int:
        return tuple.__new__(Vec3Int, values)

    def _index_vec(self, idx: tuple[int, ...]) -> Vec3Int:
        return Vec3Int._make(idx)

    def _expand(self, value: object, fill: int) -> tuple[int, ...]:
        return parse_vec3(cast(Vec3IntLikeOrInt, value))

    def _expand_xyz(self, vec: Vec3Int, fill: int) -> tuple[int, ...]:
        return vec

    # fast paths for the hot 3D operations -------------------------------------
    @property
    def bottomright(self) -> Vec3Int:
        """Exclusive end corner ``topleft + size``."""
        t, s = self.topleft, self.size
        return tuple.__new__(Vec3Int, (t[0] + s[0], t[1] + s[1], t[2] + s[2]))

    @property
    def topleft_xyz(self) -> Vec3Int:
        """Same as :attr:`topleft`."""
        return self.topleft

    @property
    def size_xyz(self) -> Vec3Int:
        """Same as :attr:`size`."""
        return self.size

    @property
    def bottomright_xyz(self) -> Vec3Int:
        """Same as :attr:`bottomright`."""
        return self.bottomright

    @property
    def index_xyz(self) -> Vec3Int:
        """Same as :attr:`index`."""
        return self.index

    def is_empty(self) -> bool:
        """Whether any size component is ``<= 0``."""
        s = self.size
        return s[0] <= 0 or s[1] <= 0 or s[2] <= 0

    def volume(self) -> int:
        """Number of voxels."""
        s = self.size
        return s[0] * s[1] * s[2]

    def with_topleft_xyz(self, new_xyz: Vec3IntLike) -> Self:
        """Same as :meth:`with_topleft`."""
        return self.with_topleft(new_xyz)

    def with_size_xyz(self, new_xyz: Vec3IntLike) -> Self:
        """Same as :meth:`with_size`."""
        return self.with_size(new_xyz)

    def with_bottomright_xyz(self, new_xyz: Vec3IntLike) -> Self:
        """Same as :meth:`with_bottomright`."""
        return self.with_bottomright(new_xyz)

    def with_bounds_x(
        self, new_topleft_x: int | None = None, new_size_x: int | None = None
    ) -> Self:
        """:meth:`with_bounds` for x."""
        return self.with_bounds("x", new_topleft_x, new_size_x)

    def with_bounds_y(
        self, new_topleft_y: int | None = None, new_size_y: int | None = None
    ) -> Self:
        """:meth:`with_bounds` for y."""
        return self.with_bounds("y", new_topleft_y, new_size_y)

    def with_bounds_z(
        self, new_topleft_z: int | None = None, new_size_z: int | None = None
    ) -> Self:
        """:meth:`with_bounds` for z."""
        return self.with_bounds("z", new_topleft_z, new_size_z)

    def intersected_with(self, other: NDBoundingBox, dont_assert: bool = False) -> Self:
        """The overlap of two boxes (see :meth:`NDBoundingBox.intersected_with`)."""
        if other.axes != _XYZ:
            self._check_compatible(other)
        (ax, ay, az), (sx, sy, sz) = self.topleft, self.size
        (bx, by, bz), (tx, ty, tz) = other.topleft, other.size
        x0, y0, z0 = max(ax, bx), max(ay, by), max(az, bz)
        w = min(ax + sx, bx + tx) - x0
        h = min(ay + sy, by + ty) - y0
        d = min(az + sz, bz + tz) - z0
        if w <= 0 or h <= 0 or d <= 0:
            if not dont_assert:
                raise InvalidArgumentError(
                    f"No intersection between bounding boxes {self!r} and {other!r}."
                )
            w, h, d = max(w, 0), max(h, 0), max(d, 0)
        return self._evolve((x0, y0, z0), (w, h, d))

    def in_mag(self, mag: MagLike) -> Self:
        """Mag-1 → ``mag`` coordinates (see :meth:`NDBoundingBox.in_mag`)."""
        mx, my, mz = Mag(mag).to_vec3_int()
        (x, y, z), (w, h, d) = self.topleft, self.size
        ex, ey, ez = x + w, y + h, z + d
        if x % mx or y % my or z % mz or ex % mx or ey % my or ez % mz:
            return super().in_mag(mag)  # raises with a full message
        x0, y0, z0 = x // mx, y // my, z // mz
        return self._evolve((x0, y0, z0), (ex // mx - x0, ey // my - y0, ez // mz - z0))

    def align_with_mag(self, mag: Mag | Vec3IntLike | int, ceil: bool = False) -> Self:
        """Snap borders to multiples of ``mag`` (see the n-D method)."""
        mx, my, mz = _mag_vec(mag)
        (x, y, z), (w, h, d) = self.topleft, self.size
        ex, ey, ez = x + w, y + h, z + d
        if ceil:
            x0, y0, z0 = x // mx * mx, y // my * my, z // mz * mz
            x1, y1, z1 = -(-ex // mx) * mx, -(-ey // my) * my, -(-ez // mz) * mz
        else:
            x0, y0, z0 = -(-x // mx) * mx, -(-y // my) * my, -(-z // mz) * mz
            x1, y1, z1 = ex // mx * mx, ey // my * my, ez // mz * mz
        return self._evolve(
            (x0, y0, z0), (max(x1 - x0, 0), max(y1 - y0, 0), max(z1 - z0, 0))
        )

    def contains_bbox(self, inner_bbox: NDBoundingBox) -> bool:
        """Whether ``inner_bbox`` lies completely inside (empty boxes always do)."""
        if inner_bbox.axes != _XYZ:
            self._check_compatible(inner_bbox)
        (ix, iy, iz), (iw, ih, id_) = inner_bbox.topleft, inner_bbox.size
        if iw <= 0 or ih <= 0 or id_ <= 0:
            return True
        (x, y, z), (w, h, d) = self.topleft, self.size
        return (
            x <= ix
            and y <= iy
            and z <= iz
            and ix + iw <= x + w
            and iy + ih <= y + h
            and iz + id_ <= z + d
        )

    def to_slices(self) -> tuple[slice, slice, slice]:
        """``(slice(x0, x1), slice(y0, y1), slice(z0, z1))``."""
        (x, y, z), (w, h, d) = self.topleft, self.size
        return (slice(x, x + w), slice(y, y + h), slice(z, z + d))

    def to_slices_xyz(self) -> tuple[slice, slice, slice]:
        """Same as :meth:`to_slices`."""
        return self.to_slices()

    def __repr__(self) -> str:
        return (
            f"BoundingBox(topleft={self.topleft.to_tuple()!r}, "
            f"size={self.size.to_tuple()!r})"
        )

    def __hash__(self) -> int:
        return hash((self.topleft.to_tuple(), self.size.to_tuple(), _XYZ))

    # ------------------------------------------------------------------ constructors
    @classmethod
    def empty(cls) -> Self:
        """The empty box at the origin (neutral element of :meth:`extended_by`)."""
        return cls((0, 0, 0), (0, 0, 0))

    @classmethod
    def from_tuple6(cls, tuple6: Sequence[int]) -> Self:
        """From ``(x, y, z, width, height, depth)``."""
        values = _as_int_seq(tuple6)
        if len(values) != 6:
            raise InvalidArgumentError(f"expected 6 integers, got {tuple6!r}")
        return cls(values[:3], values[3:])

    @classmethod
    def from_tuple2(cls, tuple2: Sequence[Vec3IntLike]) -> Self:
        """From ``(topleft, size)``."""
        if len(tuple2) != 2:
            raise InvalidArgumentError(f"expected (topleft, size), got {tuple2!r}")
        return cls(tuple2[0], tuple2[1])

    @classmethod
    def from_points(cls, points: Iterable[Vec3IntLike]) -> Self:
        """Smallest box containing all points (bottomright = max point + 1)."""
        pts = [parse_vec3(p) for p in points]
        if not pts:
            raise InvalidArgumentError("from_points needs at least one point")
        lo = [min(p[i] for p in pts) for i in range(3)]
        hi = [max(p[i] for p in pts) for i in range(3)]
        return cls(lo, [h - lo_ + 1 for lo_, h in zip(lo, hi)])

    @classmethod
    def from_csv(cls, csv_bbox: str) -> Self:
        """From ``"x,y,z,width,height,depth"``."""
        try:
            values = [int(part) for part in csv_bbox.split(",")]
        except (AttributeError, ValueError):
            raise InvalidArgumentError(
                f"expected 'x,y,z,width,height,depth', got {csv_bbox!r}"
            ) from None
        return cls.from_tuple6(values)

    @classmethod
    def from_checkpoint_name(cls, checkpoint_name: str) -> Self:
        """From a name ending in ``x_y_z_width_height_depth`` (extra prefix allowed)."""
        if not isinstance(checkpoint_name, str):
            raise InvalidArgumentError(f"expected a string, got {checkpoint_name!r}")
        stem = (
            checkpoint_name.rsplit(".", 1)[0]
            if "." in checkpoint_name
            else (checkpoint_name)
        )
        parts = stem.split("_")
        try:
            values = [int(p) for p in parts[-6:]]
        except ValueError:
            raise InvalidArgumentError(
                f"expected a name ending in x_y_z_w_h_d, got {checkpoint_name!r}"
            ) from None
        if len(values) != 6:
            raise InvalidArgumentError(
                f"expected a name ending in x_y_z_w_h_d, got {checkpoint_name!r}"
            )
        return cls.from_tuple6(values)

    @classmethod
    def from_config_dict(cls, bbox: Mapping[str, Any]) -> Self:
        """From ``{"topleft": [x, y, z], "size": [w, h, d]}``."""
        try:
            return cls(bbox["topleft"], bbox["size"])
        except (KeyError, TypeError):
            raise InvalidArgumentError(
                f"expected a dict with 'topleft' and 'size', got {bbox!r}"
            ) from None

    @classmethod
    def from_wkw_dict(cls, bbox: Mapping[str, Any]) -> Self:
        """From ``{"topLeft": [x, y, z], "width": w, "height": h, "depth": d}``."""
        try:
            return cls(bbox["topLeft"], (bbox["width"], bbox["height"], bbox["depth"]))
        except (KeyError, TypeError):
            raise InvalidArgumentError(
                f"expected a dict with topLeft, width, height, depth, got {bbox!r}"
            ) from None

    @classmethod
    def from_ndbbox(cls, bbox: NDBoundingBox) -> Self:
        """The xyz part of an n-D box (keeps name, visibility and colour)."""
        return cls(
            bbox.topleft_xyz,
            bbox.size_xyz,
            name=bbox.name,
            is_visible=bbox.is_visible,
            color=bbox.color,
        )

    @classmethod
    def from_auto(cls, obj: object) -> Self:
        """From a box, csv string, config/wkw dict, 6-tuple or ``(topleft, size)``."""
        if isinstance(obj, cls):
            return obj
        if isinstance(obj, NDBoundingBox):
            return cls.from_ndbbox(obj)
        if isinstance(obj, str):
            return cls.from_csv(obj)
        if isinstance(obj, Mapping):
            if "topLeft" in obj:
                return cls.from_wkw_dict(obj)
            return cls.from_config_dict(obj)
        if isinstance(obj, Sequence | np.ndarray):
            seq = list(obj)
            if len(seq) == 6:
                return cls.from_tuple6(seq)
            if len(seq) == 2:
                return cls.from_tuple2(seq)
        raise InvalidArgumentError(f"cannot interpret {obj!r} as a bounding box")

    # ------------------------------------------------------------------ exporters
    def to_tuple6(self) -> tuple[int, int, int, int, int, int]:
        """``(x, y, z, width, height, depth)``."""
        (x, y, z), (w, h, d) = self.topleft, self.size
        return (x, y, z, w, h, d)

    def to_csv(self) -> str:
        """``"x,y,z,width,height,depth"``."""
        return ",".join(str(v) for v in self.to_tuple6())

    def to_config_dict(self) -> dict[str, Any]:
        """``{"topleft": [x, y, z], "size": [w, h, d]}``."""
        return {"topleft": self.topleft.to_list(), "size": self.size.to_list()}

    def iter_chunk_toplefts(self, chunk_shape: Vec3IntLikeOrInt) -> Iterator[Vec3Int]:
        """Toplefts of the chunks :meth:`chunk` would yield without alignment."""
        for chunk in self.chunk(chunk_shape):
            yield chunk.topleft
