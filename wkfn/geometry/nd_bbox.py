"""n-dimensional boxes: :class:`NDBoundingBox`, integer boxes with named axes.

A box is ``topleft`` (inclusive) plus ``size``; ``bottomright = topleft + size`` is
exclusive. Intersections, unions, mag alignment, chunking, slicing and export work on
any axes; operations on ``x``/``y``/``z`` find those axes by name. Storage and
metadata live in :mod:`wkfn.geometry.box_base`; see :mod:`wkfn.geometry.bbox` for the
3-D box and the differences to the reference.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Self, TypeVar, cast

import numpy as np

from wkfn.errors import AssertedValueError, AxisNotFoundError, InvalidArgumentError
from wkfn.geometry.box_base import (
    BoxBase,
    Color,
    check_color,
    mag_vec,
    xyz_positions,
)
from wkfn.geometry.mag import Mag, MagLike
from wkfn.geometry.vec import (
    Vec3Int,
    Vec3IntLike,
    VecInt,
    VecIntLike,
    as_int_seq,
)

_ArrT = TypeVar("_ArrT", bound=np.ndarray)


class NDBoundingBox(BoxBase):
    """An n-dimensional integer box with named axes (e.g. ``("t", "x", "y", "z")``).

    ``index`` records where each axis lives in the backing array (defaults to
    ``0 .. n-1``); it does not take part in equality.

    Example:
        >>> box = NDBoundingBox((0, 1, 2, 3), (5, 6, 7, 8), ("t", "x", "y", "z"))
        >>> box.topleft_xyz, box.get_bounds("t")
        (Vec3Int(1,2,3), (0, 5))
    """

    __slots__ = ()

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
        px, py, pz = xyz_positions(self.axes)
        t = self.topleft
        return Vec3Int._make((t[px], t[py], t[pz]))

    @property
    def size_xyz(self) -> Vec3Int:
        """Size restricted to x, y, z."""
        px, py, pz = xyz_positions(self.axes)
        s = self.size
        return Vec3Int._make((s[px], s[py], s[pz]))

    @property
    def bottomright_xyz(self) -> Vec3Int:
        """Bottomright restricted to x, y, z."""
        px, py, pz = xyz_positions(self.axes)
        t, s = self.topleft, self.size
        return Vec3Int._make((t[px] + s[px], t[py] + s[py], t[pz] + s[pz]))

    @property
    def index_xyz(self) -> Vec3Int:
        """Array-axis index of x, y, z."""
        px, py, pz = xyz_positions(self.axes)
        i = self.index
        return Vec3Int._make((i[px], i[py], i[pz]))

    def _axis_pos(self, axis: str) -> int:
        try:
            return self.axes.index(axis)
        except ValueError:
            raise AxisNotFoundError(f"axis {axis!r} not in {self.axes!r}") from None

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
        br = as_int_seq(new_bottomright)
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
        idx = as_int_seq(new_index)
        if len(idx) != len(self.axes):
            raise InvalidArgumentError(
                f"index {new_index!r} must have {self.ndim} values"
            )
        return self._with_meta(0, self._index_vec(idx))

    def _index_vec(self, idx: tuple[int, ...]) -> VecInt:
        return VecInt.from_values(idx, self.axes)

    def with_name(self, name: str | None) -> Self:
        """Copy with a different name."""
        return self._with_meta(1, name)

    def with_is_visible(self, is_visible: bool) -> Self:
        """Copy with a different visibility flag."""
        return self._with_meta(2, bool(is_visible))

    def with_color(self, color: Color | None) -> Self:
        """Copy with a different RGBA colour."""
        return self._with_meta(3, check_color(color))

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
            raise AssertedValueError(
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
        m = self._expand_xyz(mag_vec(mag), 1)
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
