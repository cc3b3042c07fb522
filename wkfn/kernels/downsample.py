"""Downsampling kernels (pure numpy / scipy; no I/O).

Every kernel takes voxels as ``(c, x, y, z)`` (or ``(x, y, z)``) and integer factors
``(fx, fy, fz)``. The *block* kernels (median, mode, max, min) reduce each
``fx*fy*fz`` block to one voxel and need the spatial shape to be a multiple of the
factors; the *zoom* kernels (nearest, bilinear, bicubic) resample a whole tile with
``scipy.ndimage.zoom`` exactly as the reference does, so their result depends on the
tile (the caller decides the tiling).

Semantics follow the reference (webknossos 4.3.3):

* ``median`` — ``np.median`` of the block cast back to the dtype: for even block sizes
  the mean of the two middle values, truncated for integer dtypes;
* ``mode`` — the most frequent value; ties go to the value that occurs first in block
  order, where the order index of ``(dx, dy, dz)`` is ``dy + fy*dx + fx*fy*dz``
  (y fastest, then x, then z);
* ``max`` / ``min`` — block extrema;
* ``nearest`` / ``bilinear`` / ``bicubic`` — ``scipy.ndimage.zoom`` with spline order
  0 / 1 / **2**, ``mode="nearest"``, ``prefilter=True``, per channel.

Examples:
    >>> import numpy as np
    >>> block = np.array([1, 2, 2, 3, 3, 5, 7, 9], np.uint8).reshape(1, 2, 2, 2)
    >>> int(downsample_blocks(block, (2, 2, 2), "median")[0, 0, 0, 0])
    3
    >>> int(downsample_blocks(block, (2, 2, 2), "max")[0, 0, 0, 0])
    9
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

import numpy as np

Array = np.ndarray[Any, Any]

BLOCK_MODES = ("median", "mode", "max", "min")
ZOOM_ORDERS = {"nearest": 0, "bilinear": 1, "bicubic": 2}
INTERPOLATION_MODES = ("median", "mode", "nearest", "bilinear", "bicubic", "max", "min")

#: Blocks with at most this many voxels use the pairwise-count mode kernel; larger
#: blocks use the sort-based one (pairwise cost grows with n²).
PAIRWISE_MODE_MAX = 8
#: Rows processed at once by the sort-based kernels (bounds temporaries).
SORT_ROWS = 1 << 18


def _as4d(data: Array) -> Array:
    if data.ndim == 3:
        return data[np.newaxis]
    if data.ndim != 4:
        raise ValueError(
            f"expected a (c, x, y, z) or (x, y, z) array, got {data.shape}"
        )
    return data


def _check_divisible(data: Array, factors: Sequence[int]) -> None:
    if any(s % f for s, f in zip(data.shape[1:], factors)):
        raise ValueError(
            f"spatial shape {data.shape[1:]} is not a multiple of factors "
            f"{tuple(factors)}"
        )


def block_elements(data: Array, factors: Sequence[int]) -> list[Array]:
    """The ``fx*fy*fz`` strided views of a block grid, in the reference's block order.

    Element ``k`` holds, for every block, the voxel with order index
    ``k = dy + fy*dx + fx*fy*dz``.
    """
    data = _as4d(data)
    fx, fy, fz = (int(f) for f in factors)
    return [
        data[:, dx::fx, dy::fy, dz::fz]
        for dz in range(fz)
        for dx in range(fx)
        for dy in range(fy)
    ]


@cache
def _sorting_network(n: int) -> tuple[tuple[int, int], ...]:
    """Batcher odd-even merge sort comparators for ``n`` a power of two."""
    pairs: list[tuple[int, int]] = []

    def merge(lo: int, length: int, r: int) -> None:
        step = r * 2
        if step < length:
            merge(lo, length, step)
            merge(lo + r, length, step)
            for i in range(lo + r, lo + length - r, step):
                pairs.append((i, i + r))
        else:
            pairs.append((lo, lo + r))

    def sort(lo: int, length: int) -> None:
        if length > 1:
            half = length // 2
            sort(lo, half)
            sort(lo + half, half)
            merge(lo, length, 1)

    sort(0, n)
    return tuple(pairs)


def _sorted_elements(elements: list[Array]) -> list[Array]:
    """Sort element arrays pointwise with a sorting network (n a power of two)."""
    vals = [np.array(e) for e in elements]
    for i, j in _sorting_network(len(vals)):
        lo = np.minimum(vals[i], vals[j])
        np.maximum(vals[i], vals[j], out=vals[j])
        vals[i] = lo
    return vals


def _mean_of_two(a: Array, b: Array, dtype: np.dtype[Any]) -> Array:
    """``np.median``'s mean of the two middle values, cast back to ``dtype``."""
    if dtype.kind == "u" and dtype.itemsize <= 4:
        wide = np.uint64 if dtype.itemsize == 4 else np.uint32
        total: Array = a.astype(wide) + b
        return np.right_shift(total, 1).astype(dtype)
    if dtype.kind == "f":
        return ((a + b) / 2).astype(dtype)
    mean = (a.astype(np.float64) + b.astype(np.float64)) / 2
    return mean.astype(dtype)


def median_blocks(data: Array, factors: Sequence[int]) -> Array:
    """Per-block median, exactly as ``np.median(...).astype(dtype)``."""
    data = _as4d(data)
    _check_divisible(data, factors)
    elements = block_elements(data, factors)
    n = len(elements)
    dtype = data.dtype
    if n == 1:
        return np.array(elements[0])
    if n & (n - 1) == 0 and n <= 16:
        vals = _sorted_elements(elements)
        if n % 2:
            return vals[n // 2]
        return _mean_of_two(vals[n // 2 - 1], vals[n // 2], dtype)
    shape = elements[0].shape
    out = np.empty(shape, dtype)
    flat_out = out.reshape(-1)
    rows = _stack_rows(elements)
    for lo in range(0, rows.shape[0], SORT_ROWS):
        part = np.sort(rows[lo : lo + SORT_ROWS], axis=1)
        if n % 2:
            flat_out[lo : lo + part.shape[0]] = part[:, n // 2]
        else:
            flat_out[lo : lo + part.shape[0]] = _mean_of_two(
                part[:, n // 2 - 1], part[:, n // 2], dtype
            )
    return out


def _stack_rows(elements: list[Array]) -> Array:
    """``(blocks, n)`` array: one row per block, columns in block order."""
    shape = elements[0].shape
    rows = np.empty((int(np.prod(shape)), len(elements)), elements[0].dtype)
    for k, e in enumerate(elements):
        rows[:, k] = e.reshape(-1)
    return rows


def _mode_pairwise(elements: list[Array]) -> Array:
    n = len(elements)
    vals = [np.ascontiguousarray(e) for e in elements]
    counts = [np.ones(vals[0].shape, np.uint8) for _ in range(n)]
    for i in range(n):
        for j in range(i + 1, n):
            eq = vals[i] == vals[j]
            counts[i] += eq
            counts[j] += eq
    best = vals[0].copy()
    best_count = counts[0]
    for i in range(1, n):
        better = counts[i] > best_count
        np.copyto(best, vals[i], where=better)
        best_count = np.maximum(best_count, counts[i])
    return best


def _mode_sorted_rows(rows: Array) -> Array:
    """Mode per row, ties to the earliest column (vectorised, sort based)."""
    m, n = rows.shape
    order = np.argsort(rows, axis=1, kind="stable")
    sv = np.take_along_axis(rows, order, axis=1)
    pos = np.broadcast_to(np.arange(n), (m, n))
    start = np.ones((m, n), bool)
    start[:, 1:] = sv[:, 1:] != sv[:, :-1]
    end = np.ones((m, n), bool)
    end[:, :-1] = start[:, 1:]
    run_start = np.maximum.accumulate(np.where(start, pos, 0), axis=1)
    run_end = np.minimum.accumulate(np.where(end, pos, n - 1)[:, ::-1], axis=1)[:, ::-1]
    count = run_end - run_start + 1
    # stable sort: the run's first element is the value's first occurrence
    first = np.take_along_axis(order, run_start, axis=1)
    key = count * n + (n - 1 - first)
    best = np.argmax(key, axis=1)
    result: Array = sv[np.arange(m), best]
    return result


def mode_blocks(data: Array, factors: Sequence[int]) -> Array:
    """Most frequent value per block; ties → first occurrence in block order."""
    data = _as4d(data)
    _check_divisible(data, factors)
    elements = block_elements(data, factors)
    n = len(elements)
    if n == 1:
        return np.array(elements[0])
    if n <= PAIRWISE_MODE_MAX:
        return _mode_pairwise(elements)
    shape = elements[0].shape
    out = np.empty(shape, data.dtype)
    flat_out = out.reshape(-1)
    rows = _stack_rows(elements)
    for lo in range(0, rows.shape[0], SORT_ROWS):
        part = rows[lo : lo + SORT_ROWS]
        flat_out[lo : lo + part.shape[0]] = _mode_sorted_rows(part)
    return out


def _reduce_blocks(data: Array, factors: Sequence[int], fn: Any) -> Array:
    data = _as4d(data)
    _check_divisible(data, factors)
    elements = block_elements(data, factors)
    out = np.array(elements[0])
    for e in elements[1:]:
        fn(out, e, out=out)
    return out


def downsample_blocks(data: Array, factors: Sequence[int], mode: str) -> Array:
    """Reduce every ``factors`` block to one voxel with a block interpolation mode."""
    if mode == "median":
        return median_blocks(data, factors)
    if mode == "mode":
        return mode_blocks(data, factors)
    if mode == "max":
        return _reduce_blocks(data, factors, np.maximum)
    if mode == "min":
        return _reduce_blocks(data, factors, np.minimum)
    raise ValueError(f"{mode!r} is not a block interpolation mode ({BLOCK_MODES})")


def downsample_zoom(data: Array, factors: Sequence[int], mode: str) -> Array:
    """Resample a whole tile with ``scipy.ndimage.zoom`` (per channel)."""
    from scipy.ndimage import zoom  # type: ignore[import-untyped]

    data = _as4d(data)
    try:
        order = ZOOM_ORDERS[mode]
    except KeyError:
        raise ValueError(
            f"{mode!r} is not a zoom interpolation mode ({tuple(ZOOM_ORDERS)})"
        ) from None
    scale = [1.0 / float(f) for f in factors]
    channels = [
        zoom(
            data[c],
            scale,
            order=order,
            mode="nearest",
            prefilter=True,
            output=data.dtype,
        )
        for c in range(data.shape[0])
    ]
    return np.stack(channels)


def downsample(data: Array, factors: Sequence[int], mode: str) -> Array:
    """Dispatch to the block or zoom kernel for ``mode``."""
    if mode in ZOOM_ORDERS:
        return downsample_zoom(data, factors, mode)
    return downsample_blocks(data, factors, mode)


def mirror_indices(start: int, stop: int, valid_lo: int, valid_hi: int) -> Array:
    """Source index for every coordinate in ``[start, stop)`` under symmetric padding.

    Coordinates inside ``[valid_lo, valid_hi)`` map to themselves; outside ones are
    reflected like ``np.pad(mode="symmetric")`` (edge value repeated, period
    ``2 * (valid_hi - valid_lo)``).

    Examples:
        >>> mirror_indices(0, 8, 2, 5).tolist()
        [3, 2, 2, 3, 4, 4, 3, 2]
    """
    length = valid_hi - valid_lo
    if length <= 0:
        raise ValueError(f"empty valid interval [{valid_lo}, {valid_hi})")
    rel = np.arange(start - valid_lo, stop - valid_lo, dtype=np.int64)
    m = rel % (2 * length)
    return np.where(m < length, m, 2 * length - 1 - m) + valid_lo


__all__ = [
    "BLOCK_MODES",
    "INTERPOLATION_MODES",
    "ZOOM_ORDERS",
    "block_elements",
    "downsample",
    "downsample_blocks",
    "downsample_zoom",
    "median_blocks",
    "mirror_indices",
    "mode_blocks",
]
