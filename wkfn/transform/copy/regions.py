"""Conversion by region: decode a source mag and re-encode it in bounded blocks.

:func:`region_ops` tiles a box into :class:`CopyRegion` ops, each covering whole
target shards and holding at most :data:`MAX_BLOCK_BYTES` of voxels (several stages
when one shard is larger than that), so no two ops of a stage write the same shard.
Shards absent in the source are skipped.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence

from wkfn.geometry.grid import is_pow2, next_pow2
from wkfn.plan.ops import CopyRegion
from wkfn.spec.array import ArrayLayout
from wkfn.spec.names import mag_dir_name
from wkfn.transform.copy.records import (
    GROW_BLOCK_BYTES,
    MAX_BLOCK_BYTES,
    Box,
    SourceMag,
    Vec3,
)


def _nbytes(shape: Sequence[int], layout: ArrayLayout) -> int:
    import numpy as np  # numpy only for the itemsize

    return (
        shape[0]
        * shape[1]
        * shape[2]
        * layout.num_channels
        * np.dtype(layout.dtype).itemsize
    )


def _block_shape(
    source: ArrayLayout, target: ArrayLayout, extent: Vec3
) -> tuple[Vec3, Vec3]:
    """(block, part): blocks of whole target shards; parts split one big shard.

    ``block`` is a multiple of the target shard (and of the source shard where both
    are powers of two), at most :data:`MAX_BLOCK_BYTES` unless one target shard is
    larger; ``part`` is the piece of a shard one op writes when a shard alone is too
    large (equal to ``block`` otherwise).
    """
    tshard = target.shard_shape
    sshard = source.shard_shape
    block = [
        max(t, s) if is_pow2(t) and is_pow2(s) else t for t, s in zip(tshard, sshard)
    ]
    # shrink towards one target shard while too large
    while _nbytes(block, target) > MAX_BLOCK_BYTES:
        axis = max(range(3), key=lambda a: (block[a] // tshard[a], block[a]))
        if block[axis] // 2 < tshard[axis] or block[axis] % (2 * tshard[axis]):
            break
        block[axis] //= 2
    # grow (in whole shards) while small and still inside the extent
    while _nbytes(block, target) * 2 <= GROW_BLOCK_BYTES:
        candidates = [a for a in range(3) if block[a] < next_pow2(max(extent[a], 1))]
        if not candidates:
            break
        axis = min(candidates, key=lambda a: (block[a], -a))
        block[axis] *= 2
    part = list(block)
    whole_file_only = target.data_format == "wkw" and target.compress
    if not whole_file_only:
        chunk = target.chunk_shape
        while _nbytes(part, target) > MAX_BLOCK_BYTES:
            axis = max(range(3), key=lambda a: (part[a] // chunk[a], -a))
            if part[axis] // 2 < chunk[axis] or part[axis] % (2 * chunk[axis]):
                break
            part[axis] //= 2
    return (block[0], block[1], block[2]), (part[0], part[1], part[2])


def _grid(lo: Vec3, hi: Vec3, step: Vec3) -> Iterator[Vec3]:
    ranges = [
        range((lo[a] // step[a]) * step[a], hi[a], step[a]) if hi[a] > lo[a] else ()
        for a in range(3)
    ]
    for z in ranges[2]:
        for y in ranges[1]:
            for x in ranges[0]:
                yield (x, y, z)


def _intersect(a_off: Vec3, a_size: Vec3, lo: Vec3, hi: Vec3) -> Box | None:
    start = tuple(max(a_off[i], lo[i]) for i in range(3))
    stop = tuple(min(a_off[i] + a_size[i], hi[i]) for i in range(3))
    if any(stop[i] <= start[i] for i in range(3)):
        return None
    return (
        (start[0], start[1], start[2]),
        (stop[0] - start[0], stop[1] - start[1], stop[2] - start[2]),
    )


def region_ops(
    *,
    layer: str,
    source: SourceMag,
    target_path: str,
    target: ArrayLayout,
    box: Box,
) -> list[list[CopyRegion]]:
    """The decode/encode ops copying ``box`` (mag voxels) of ``source``, by part.

    Only blocks overlapping a shard present on disk are copied (all blocks when the
    source's shards are unknown). Ops of one part never share a target shard; parts
    must run in separate stages.
    """
    offset, size = box
    if any(s <= 0 for s in size):
        return []
    lo = offset
    hi = (offset[0] + size[0], offset[1] + size[1], offset[2] + size[2])
    block, part = _block_shape(source.layout, target, hi)
    present: set[Vec3] | None = None
    sshard = source.layout.shard_shape
    if source.present is not None:
        present = {
            (o[0] // sshard[0], o[1] // sshard[1], o[2] // sshard[2])
            for o, _ in source.present
        }
    n_parts = (block[0] // part[0]) * (block[1] // part[1]) * (block[2] // part[2])
    parts: list[list[CopyRegion]] = [[] for _ in range(n_parts)]
    name = mag_dir_name(source.mag)
    for b in _grid(lo, hi, block):
        clipped = _intersect(b, block, lo, hi)
        if clipped is None:
            continue
        if present is not None and not _any_present(clipped, sshard, present):
            continue
        for k, p in enumerate(_grid(b, _add(b, block), part)):
            piece = _intersect(p, part, clipped[0], _add(*clipped))
            if piece is None:
                continue
            if present is not None and not _any_present(piece, sshard, present):
                continue
            parts[k].append(
                CopyRegion(
                    layer=layer,
                    mag=name,
                    source_path=source.path,
                    source_format=source.layout.data_format,
                    target_path=target_path,
                    target_format=target.data_format,
                    offset=piece[0],
                    size=piece[1],
                    dtype=target.dtype,
                    num_channels=target.num_channels,
                )
            )
    return [p for p in parts if p]


def _add(a: Vec3, b: Vec3) -> Vec3:
    return (a[0] + b[0], a[1] + b[1], a[2] + b[2])


def _any_present(box: Box, shard: Vec3, present: set[Vec3]) -> bool:
    (ox, oy, oz), (sx, sy, sz) = box
    xs = range(ox // shard[0], (ox + sx - 1) // shard[0] + 1)
    ys = range(oy // shard[1], (oy + sy - 1) // shard[1] + 1)
    zs = range(oz // shard[2], (oz + sz - 1) // shard[2] + 1)
    return any((x, y, z) in present for x, y, z in itertools.product(xs, ys, zs))
