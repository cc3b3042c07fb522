"""Which box of a layer a picture shows: a plane through the layer's bounding box.

Coordinates are Mag-1 voxels, like the rest of the API. A section normal to ``z``
is shown with x to the right and y down (the reference's convention); normal to
``y`` with x right and z down; normal to ``x`` with z right and y down (the
webknossos viewports).

Example:
    >>> s = plan_section((0, 0, 0), (64, 32, 16), (2, 2, 1), "z", 5)
    >>> s.topleft, s.size, s.image_axes
    ((0, 0, 5), (64, 32, 1), (0, 1))
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from wkfn.errors import InvalidArgumentError

__all__ = ["AXES", "Axis", "Section", "fit_mag_index", "plan_section"]

Axis = Literal["x", "y", "z"]
AXES: tuple[Axis, Axis, Axis] = ("x", "y", "z")
Vec3 = tuple[int, int, int]

# normal axis -> (horizontal axis, vertical axis) of the image
_IMAGE_AXES: dict[int, tuple[int, int]] = {2: (0, 1), 1: (0, 2), 0: (2, 1)}


@dataclass(frozen=True)
class Section:
    """A one-voxel-thick (at its mag) box to read, and how to lay it out as an image.

    Attributes:
        normal: index of the axis the plane is normal to (0 x, 1 y, 2 z).
        index: the plane's Mag-1 coordinate on that axis.
        topleft: Mag-1 top-left of the box to read (aligned with the mag).
        size: Mag-1 size of the box (the mag's step on the normal axis).
        image_axes: (horizontal, vertical) axis indices of the picture.
    """

    normal: int
    index: int
    topleft: Vec3
    size: Vec3
    image_axes: tuple[int, int]


def _floor(value: int, step: int) -> int:
    return (value // step) * step


def _ceil(value: int, step: int) -> int:
    return -((-value) // step) * step


def plan_section(
    topleft: Vec3, size: Vec3, mag: Vec3, axis: Axis, index: int | None
) -> Section:
    """The section of the box ``topleft + size`` normal to ``axis`` at ``index``.

    ``index`` defaults to the middle of the box. The box is widened to the mag's
    grid so it can be read at that mag.

    Raises:
        InvalidArgumentError: unknown axis, an empty box, or ``index`` outside the
            box on that axis (the message names the valid range).
    """
    if axis not in AXES:
        raise InvalidArgumentError(f"axis must be one of x, y, z, got {axis!r}")
    normal = AXES.index(axis)
    if any(s <= 0 for s in size):
        raise InvalidArgumentError(f"the bounding box {topleft}+{size} is empty")
    low, high = topleft[normal], topleft[normal] + size[normal]
    if index is None:
        index = low + size[normal] // 2
    if not low <= index < high:
        raise InvalidArgumentError(
            f"{axis} index {index} is outside the bounding box: "
            f"valid {axis} are {low}..{high - 1}"
        )
    start = [_floor(topleft[i], mag[i]) for i in range(3)]
    stop = [_ceil(topleft[i] + size[i], mag[i]) for i in range(3)]
    start[normal] = _floor(index, mag[normal])
    stop[normal] = start[normal] + mag[normal]
    return Section(
        normal=normal,
        index=index,
        topleft=(start[0], start[1], start[2]),
        size=(stop[0] - start[0], stop[1] - start[1], stop[2] - start[2]),
        image_axes=_IMAGE_AXES[normal],
    )


def fit_mag_index(mags: list[Vec3], size: Vec3, axis: Axis, max_pixels: int) -> int:
    """Index into ``mags`` (finest first) of the finest mag whose section of a box of
    ``size`` has no side longer than ``max_pixels``; the coarsest if none fits."""
    normal = AXES.index(axis)
    h, v = _IMAGE_AXES[normal]
    for i, mag in enumerate(mags):
        if -(-size[h] // mag[h]) <= max_pixels and -(-size[v] // mag[v]) <= max_pixels:
            return i
    return len(mags) - 1
