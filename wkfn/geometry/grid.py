"""Pure chunk/shard grid arithmetic on plain ``tuple[int, int, int]``.

Why: the executor and planners run these per chunk or per shard, so they avoid numpy
and object construction; :class:`~wkfn.geometry.vec.Vec3Int` is a
``tuple[int, int, int]`` and can be passed anywhere a ``Vec3`` is expected.

Conventions:

* boxes are ``(offset, size)`` with the offset inclusive and ``offset + size``
  exclusive; sizes are ``>= 0`` (a zero component means an empty box);
* a grid with cell shape ``cell`` has its cell borders at multiples of ``cell``
  (cell ``i`` covers ``[i * cell, (i + 1) * cell)``); negative coordinates are fine
  (floor division);
* iteration order is **z fastest** (x slowest), i.e. ``for x: for y: for z:``, the
  same order as :meth:`wkfn.geometry.BoundingBox.chunk` and C order of ``(x, y, z)``
  arrays. It is deterministic.

Invalid cell shapes (any component ``<= 0``) and negative sizes raise
:class:`~wkfn.errors.InvalidArgumentError`.
"""

from __future__ import annotations

from collections.abc import Iterator

from wkfn.errors import InvalidArgumentError

__all__ = [
    "Vec3",
    "align_down3",
    "align_up3",
    "ceil_div3",
    "grid_cell_range",
    "grid_cells",
    "is_aligned",
    "next_pow2",
    "shard_index",
    "split_box_by_grid",
]

Vec3 = tuple[int, int, int]
"""Three ints (x, y, z)."""


def _check_cell(cell: Vec3) -> None:
    if cell[0] <= 0 or cell[1] <= 0 or cell[2] <= 0:
        raise InvalidArgumentError(f"grid cell shape must be positive, got {cell!r}")


def _check_size(size: Vec3) -> None:
    if size[0] < 0 or size[1] < 0 or size[2] < 0:
        raise InvalidArgumentError(f"box size must be non-negative, got {size!r}")


def ceil_div3(a: Vec3, b: Vec3) -> Vec3:
    """Element-wise ``ceil(a / b)`` with exact integer arithmetic.

    Example:
        >>> ceil_div3((10, 32, 0), (4, 32, 8))
        (3, 1, 0)
    """
    _check_cell(b)
    return (-(-a[0] // b[0]), -(-a[1] // b[1]), -(-a[2] // b[2]))


def align_down3(v: Vec3, grid: Vec3) -> Vec3:
    """Round each component down to a multiple of ``grid``.

    Example:
        >>> align_down3((33, -1, 64), (32, 32, 32))
        (32, -32, 64)
    """
    _check_cell(grid)
    return (
        v[0] // grid[0] * grid[0],
        v[1] // grid[1] * grid[1],
        v[2] // grid[2] * grid[2],
    )


def align_up3(v: Vec3, grid: Vec3) -> Vec3:
    """Round each component up to a multiple of ``grid``.

    Example:
        >>> align_up3((33, -1, 64), (32, 32, 32))
        (64, 0, 64)
    """
    _check_cell(grid)
    return (
        -(-v[0] // grid[0]) * grid[0],
        -(-v[1] // grid[1]) * grid[1],
        -(-v[2] // grid[2]) * grid[2],
    )


def is_aligned(
    offset: Vec3, size: Vec3, grid: Vec3, clip_end: Vec3 | None = None
) -> bool:
    """Whether the box ``(offset, size)`` starts and ends on grid borders.

    An axis whose end ``offset + size`` equals ``clip_end`` on that axis counts as
    aligned even if it is not a multiple of ``grid`` (a write that stops at the
    dataset's bounding box need not fill the last shard).

    Example:
        >>> is_aligned((0, 0, 0), (64, 64, 64), (32, 32, 32))
        True
        >>> is_aligned((0, 0, 0), (64, 64, 10), (32, 32, 32))
        False
        >>> is_aligned((0, 0, 0), (64, 64, 10), (32, 32, 32), clip_end=(100, 100, 10))
        True
    """
    _check_cell(grid)
    for axis in range(3):
        g = grid[axis]
        if offset[axis] % g:
            return False
        end = offset[axis] + size[axis]
        if end % g and (clip_end is None or end != clip_end[axis]):
            return False
    return True


def shard_index(point: Vec3, shard: Vec3) -> Vec3:
    """Index of the grid cell (e.g. shard) containing ``point`` (floor division).

    Example:
        >>> shard_index((1023, 1024, -1), (1024, 1024, 1024))
        (0, 1, -1)
    """
    _check_cell(shard)
    return (point[0] // shard[0], point[1] // shard[1], point[2] // shard[2])


def is_pow2(n: int) -> bool:
    """True for 1, 2, 4, 8, ... (mags, chunk and shard edges must be powers of two).

    Example:
        >>> is_pow2(64), is_pow2(48), is_pow2(0)
        (True, False, False)
    """
    return n > 0 and n & (n - 1) == 0


def next_pow2(n: int) -> int:
    """Smallest power of two ``>= n`` (``next_pow2(0) == next_pow2(1) == 1``).

    Example:
        >>> next_pow2(5), next_pow2(64), next_pow2(65)
        (8, 64, 128)
    """
    if n < 0:
        raise InvalidArgumentError(f"next_pow2 needs n >= 0, got {n!r}")
    if n <= 1:
        return 1
    return 1 << (n - 1).bit_length()


def grid_cell_range(offset: Vec3, size: Vec3, cell: Vec3) -> tuple[Vec3, Vec3]:
    """Index range ``(first, end_exclusive)`` of the cells touched by a box.

    An empty box yields ``first == end`` on its empty axes.

    Example:
        >>> grid_cell_range((10, 0, 0), (30, 32, 1), (32, 32, 32))
        ((0, 0, 0), (2, 1, 1))
    """
    _check_cell(cell)
    _check_size(size)
    first = (offset[0] // cell[0], offset[1] // cell[1], offset[2] // cell[2])
    end = (
        first[0] if size[0] == 0 else -(-(offset[0] + size[0]) // cell[0]),
        first[1] if size[1] == 0 else -(-(offset[1] + size[1]) // cell[1]),
        first[2] if size[2] == 0 else -(-(offset[2] + size[2]) // cell[2]),
    )
    return first, end


def _axis_parts(start: int, length: int, step: int) -> list[tuple[int, int, int]]:
    """Per-axis ``(cell_index, part_start, part_length)`` of ``[start, start + n)``."""
    if length == 0:
        return []
    stop = start + length
    parts: list[tuple[int, int, int]] = []
    index = start // step
    lo = start
    while lo < stop:
        hi = min((index + 1) * step, stop)
        parts.append((index, lo, hi - lo))
        index += 1
        lo = hi
    return parts


def grid_cells(
    offset: Vec3, size: Vec3, cell: Vec3
) -> Iterator[tuple[Vec3, Vec3, Vec3]]:
    """Yield every grid cell touched by a box, intersected with the box.

    Each item is ``(cell_index, part_offset, part_size)`` where ``part_offset`` /
    ``part_size`` describe the intersection of the cell with the box in absolute
    coordinates. The parts tile the box exactly (disjoint, union = box). Order: z
    fastest, x slowest. An empty box yields nothing.

    Example:
        >>> list(grid_cells((30, 0, 0), (4, 1, 1), (32, 32, 32)))
        [((0, 0, 0), (30, 0, 0), (2, 1, 1)), ((1, 0, 0), (32, 0, 0), (2, 1, 1))]
    """
    _check_cell(cell)
    _check_size(size)
    xs = _axis_parts(offset[0], size[0], cell[0])
    ys = _axis_parts(offset[1], size[1], cell[1])
    zs = _axis_parts(offset[2], size[2], cell[2])
    for ix, ox, sx in xs:
        for iy, oy, sy in ys:
            for iz, oz, sz in zs:
                yield (ix, iy, iz), (ox, oy, oz), (sx, sy, sz)


def split_box_by_grid(offset: Vec3, size: Vec3, cell: Vec3) -> list[tuple[Vec3, Vec3]]:
    """The box cut at grid borders, as a list of ``(part_offset, part_size)``.

    Same parts and order as :func:`grid_cells`, without the cell indices.

    Example:
        >>> split_box_by_grid((0, 0, 0), (10, 4, 4), (8, 8, 8))
        [((0, 0, 0), (8, 4, 4)), ((8, 0, 0), (2, 4, 4))]
    """
    return [(o, s) for _, o, s in grid_cells(offset, size, cell)]
