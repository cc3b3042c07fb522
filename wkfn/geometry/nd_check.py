"""Validation of n-D boxes used as layer or data boxes (pure).

:class:`~wkfn.geometry.nd_bbox.NDBoundingBox` itself accepts any axes (the reference
does too, and flips negative sizes); a box that describes a layer or a region of one
must be stricter: every axis named once, ``x``, ``y`` and ``z`` present, extra axes
not named like a spatial or channel axis, non-negative sizes. :func:`check_layer_box`
says which rule a box breaks, by name, before anything is written.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence

from wkfn.errors import InvalidAxesError
from wkfn.geometry.nd_bbox import NDBoundingBox

SPATIAL = ("x", "y", "z")
RESERVED = frozenset(("x", "y", "z", "c"))
"""Names an extra axis may not have (spatial axes and the channel axis)."""


def check_axes(axes: Sequence[str]) -> None:
    """Axis names of a layer box: unique, with x, y, z, no extra axis named ``c``.

    Raises:
        InvalidAxesError: naming the repeated, missing or reserved axis.
    """
    seen: set[str] = set()
    for name in axes:
        if not isinstance(name, str) or not name:
            raise InvalidAxesError(
                f"axis names must be non-empty strings, got {name!r}"
            )
        if name in seen:
            raise InvalidAxesError(f"axis {name!r} is named twice in {tuple(axes)!r}")
        seen.add(name)
    missing = [a for a in SPATIAL if a not in seen]
    if missing:
        raise InvalidAxesError(
            f"axes {tuple(axes)!r} lack the spatial axis {missing[0]!r}"
        )
    if "c" in seen:
        raise InvalidAxesError(
            f"axes {tuple(axes)!r}: 'c' is the channel axis, not an extra axis "
            "(use num_channels)"
        )


def check_extra_name(name: str) -> None:
    """An extra axis may not be called x, y, z or c.

    Raises:
        InvalidAxesError: the name is reserved.
    """
    if name in RESERVED:
        raise InvalidAxesError(
            f"an extra axis cannot be named {name!r} (x, y, z and c are reserved)"
        )


def check_layer_box(box: NDBoundingBox) -> None:
    """A box that can be a layer's or a region's box.

    Raises:
        InvalidAxesError: bad axis names (see :func:`check_axes`), or a negative
            size (the box was built from a negative size and flipped: refused here
            because a layer region with a flipped extent is surely a mistake).
    """
    check_axes(box.axes)
    for axis, size in zip(box.axes, box.size):
        if size < 0:
            raise InvalidAxesError(f"size along {axis!r} is negative: {size}")


def extra_axes(box: NDBoundingBox) -> tuple[str, ...]:
    """The non-spatial axes of ``box``, in box order."""
    return tuple(a for a in box.axes if a not in SPATIAL)


def extra_points(box: NDBoundingBox) -> Iterator[tuple[int, ...]]:
    """Every index combination of the extra axes (last extra axis fastest).

    >>> b = NDBoundingBox((2, 0, 0, 0, 5), (2, 1, 1, 1, 2), ("t", "x", "y", "z", "a"))
    >>> list(extra_points(b))
    [(2, 5), (2, 6), (3, 5), (3, 6)]
    """
    ranges = [range(*box.get_bounds(a)) for a in extra_axes(box)]
    return itertools.product(*ranges)


def describe_region(box: NDBoundingBox) -> str:
    """Readable region, extra axes first: ``t=3..5, x=0..63, y=0..63, z=0..31``
    (inclusive ends, one value where the extent is one).

    >>> describe_region(NDBoundingBox((3, 0, 0, 0), (3, 64, 64, 1), tuple("txyz")))
    't=3..5, x=0..63, y=0..63, z=0'
    """
    parts = []
    for axis in (*extra_axes(box), *SPATIAL):
        lo, hi = box.get_bounds(axis)
        parts.append(f"{axis}={lo}" if hi - lo == 1 else f"{axis}={lo}..{hi - 1}")
    return ", ".join(parts)


__all__ = [
    "RESERVED",
    "SPATIAL",
    "check_axes",
    "check_extra_name",
    "check_layer_box",
    "describe_region",
    "extra_axes",
    "extra_points",
]
