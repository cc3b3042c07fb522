"""Storage layout and op tiling of mags made by resampling.

A new mag keeps the source mag's chunk shape and gets a shard no larger than its
extent needs (and at most half of it per axis, so a stage has several ops); the ops
of a stage are one per target shard (zarr3, wkw) or per bounded block of chunks
(zarr v2), so no two ops touch the same file.
"""

from __future__ import annotations

import msgspec

from wkfn.geometry.grid import ceil_div3, next_pow2
from wkfn.spec.array import ArrayLayout
from wkfn.spec.layer import LayerSpec
from wkfn.transform.layer import spatial_box
from wkfn.transform.layout import (
    DEFAULT_CHUNK_SHAPE,
    DEFAULT_CHUNKS_PER_SHARD,
    FLAT_CHUNKS_PER_SHARD,
    array_shape,
    choose_layout,
)
from wkfn.transform.pyramid import Vec3

#: zarr v2 (unsharded) ops cover blocks of chunks up to this edge (target voxels).
UNSHARDED_OP_EDGE = 128


def reference_shard_shape(
    data_format: str,
    layer_size: Vec3,
    chunk_shape: Vec3 | None,
    shard_shape: Vec3 | None,
) -> Vec3:
    """The shard the reference would give a new mag (it decides the tile shape)."""
    chunk = chunk_shape or DEFAULT_CHUNK_SHAPE
    if shard_shape is not None:
        return shard_shape
    if data_format == "zarr":
        return chunk
    cps = DEFAULT_CHUNKS_PER_SHARD
    if data_format == "zarr3" and layer_size[2] <= chunk[2]:
        cps = FLAT_CHUNKS_PER_SHARD
    return (chunk[0] * cps[0], chunk[1] * cps[1], chunk[2] * cps[2])


def tile_shape(factors: Vec3, target_shard: Vec3, buffer_shape: Vec3 | None) -> Vec3:
    """Reference processing tile (target voxels): ``min(clamp(1024 // f), shard)``."""
    if buffer_shape is not None:
        return buffer_shape
    t = [min(max(1024 // f, 1), 512, s) for f, s in zip(factors, target_shard)]
    return (t[0], t[1], t[2])


def job_shape(target_shard: Vec3) -> Vec3:
    """Reference job grid: the shard with its smallest axis doubled to >= 1024³."""
    j = list(target_shard)
    while j[0] * j[1] * j[2] < 1024**3:
        i = j.index(min(j))
        j[i] *= 2
    return (j[0], j[1], j[2])


def downsampled_layout(
    layer: LayerSpec,
    mag: Vec3,
    source: ArrayLayout,
    *,
    compress: bool,
    chunk_shape: Vec3 | None = None,
    shard_shape: Vec3 | None = None,
) -> ArrayLayout:
    """Layout of a new mag computed from ``source`` (same format, its chunk shape)."""
    topleft, size = spatial_box(layer)
    chunk = chunk_shape or source.chunk_shape
    layout = choose_layout(
        data_format=source.data_format,
        dtype=source.dtype,
        num_channels=source.num_channels,
        mag=mag,
        chunk_shape=chunk,
        shard_shape=shard_shape,
        compress=compress,
        layer_extent=size if all(s > 0 for s in size) else None,
        bbox_topleft=topleft,
    )
    if shard_shape is None and layout.data_format == "zarr3":
        # at most half the extent per axis (but >= chunk): several ops per stage
        bottom = (topleft[0] + size[0], topleft[1] + size[1], topleft[2] + size[2])
        extent = ceil_div3(bottom, mag)
        shard = tuple(
            min(s, max(c, next_pow2(max(1, (e + 1) // 2))))
            for s, c, e in zip(layout.shard_shape, layout.chunk_shape, extent)
        )
        layout = msgspec.structs.replace(
            layout, shard_shape=(shard[0], shard[1], shard[2])
        )
    return msgspec.structs.replace(
        layout, shape=array_shape(topleft, size, mag, layout.shard_shape)
    )


def mag_box(topleft: Vec3, size: Vec3, mag: Vec3) -> tuple[Vec3, Vec3]:
    """(offset, size) in mag voxels of a Mag-1 box, outward aligned (ceil)."""
    lo = (topleft[0] // mag[0], topleft[1] // mag[1], topleft[2] // mag[2])
    bottom = (topleft[0] + size[0], topleft[1] + size[1], topleft[2] + size[2])
    hi = ceil_div3(bottom, mag)
    return lo, (hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2])


def op_regions(
    offset: Vec3, size: Vec3, layout: ArrayLayout
) -> list[tuple[Vec3, Vec3]]:
    """Split a target box into per-op regions: shards, or chunk blocks for zarr v2."""
    if layout.data_format == "zarr":
        cell = tuple(max(c, (UNSHARDED_OP_EDGE // c) * c) for c in layout.chunk_shape)
        unit: Vec3 = (cell[0], cell[1], cell[2])
    else:
        unit = layout.shard_shape
    axes: list[list[tuple[int, int]]] = []
    for a in range(3):
        parts = []
        x = offset[a]
        end = offset[a] + size[a]
        while x < end:
            nxt = min(end, (x // unit[a] + 1) * unit[a])
            parts.append((x, nxt - x))
            x = nxt
        axes.append(parts)
    return [
        ((x0, y0, z0), (sx, sy, sz))
        for z0, sz in axes[2]
        for y0, sy in axes[1]
        for x0, sx in axes[0]
    ]
