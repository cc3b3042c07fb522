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

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Self, cast

import numpy as np

from wkfn.errors import AssertedValueError, InvalidArgumentError
from wkfn.geometry.box_base import (
    DEFAULT_BBOX_NAME,
    XYZ,
    Color,
    check_color,
    flip_sizes,
    mag_vec,
    set_axes,
    set_meta,
    set_size,
    set_topleft,
)
from wkfn.geometry.mag import Mag, MagLike
from wkfn.geometry.nd_bbox import NDBoundingBox
from wkfn.geometry.vec import (
    Vec3Int,
    Vec3IntLike,
    Vec3IntLikeOrInt,
    as_int_seq,
    parse_vec3,
)

__all__ = ["DEFAULT_BBOX_NAME", "BoundingBox", "NDBoundingBox"]

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
        axes: Iterable[str] = XYZ,
        index: Vec3IntLike = _BBOX_INDEX,
        name: str | None = DEFAULT_BBOX_NAME,
        is_visible: bool = True,
        color: Color | None = None,
    ) -> None:
        """Parse topleft/size (an int means uniform); negative sizes are flipped."""
        tl = parse_vec3(topleft)
        sz = parse_vec3(size)
        if sz[0] < 0 or sz[1] < 0 or sz[2] < 0:
            a, b = flip_sizes(tl, sz)
            tl, sz = Vec3Int._make(a), Vec3Int._make(b)
        if axes is not XYZ and tuple(axes) != XYZ:
            raise InvalidArgumentError(
                f"BoundingBox axes must be x, y, z, got {axes!r}"
            )
        set_topleft(self, tl)
        set_size(self, sz)
        set_axes(self, XYZ)
        if (
            index is _BBOX_INDEX
            and name == DEFAULT_BBOX_NAME
            and is_visible is True
            and color is None
        ):
            set_meta(self, _BBOX_DEFAULT_META)
        else:
            idx = _BBOX_INDEX if index is _BBOX_INDEX else parse_vec3(index)
            set_meta(self, (idx, name, bool(is_visible), check_color(color)))

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
        if other.axes != XYZ:
            self._check_compatible(other)
        (ax, ay, az), (sx, sy, sz) = self.topleft, self.size
        (bx, by, bz), (tx, ty, tz) = other.topleft, other.size
        x0, y0, z0 = max(ax, bx), max(ay, by), max(az, bz)
        w = min(ax + sx, bx + tx) - x0
        h = min(ay + sy, by + ty) - y0
        d = min(az + sz, bz + tz) - z0
        if w <= 0 or h <= 0 or d <= 0:
            if not dont_assert:
                raise AssertedValueError(
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
        mx, my, mz = mag_vec(mag)
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
        if inner_bbox.axes != XYZ:
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
        return hash((self.topleft.to_tuple(), self.size.to_tuple(), XYZ))

    # ------------------------------------------------------------------ constructors
    @classmethod
    def empty(cls) -> Self:
        """The empty box at the origin (neutral element of :meth:`extended_by`)."""
        return cls((0, 0, 0), (0, 0, 0))

    @classmethod
    def from_tuple6(cls, tuple6: Sequence[int]) -> Self:
        """From ``(x, y, z, width, height, depth)``."""
        values = as_int_seq(tuple6)
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
