"""Tasks of ``DownsampleRegion`` / ``UpsampleRegion`` ops, run as ``fn(root, op)``.

Memory stays bounded per op: the op's target region is computed and written in
pieces of at most :data:`~wkfn.plan.ops.RESAMPLE_PIECE_BYTES`; block modes read the
source in slabs of at most :data:`~wkfn.plan.ops.RESAMPLE_SLAB_BYTES`. Zoom modes
resample whole reference tiles (``op.tile_shape``), as the reference does.

Source voxels outside the layer box (``valid_offset``/``valid_size``) are never read:
they are mirrored from the valid data of the same tile (``np.pad(mode="symmetric")``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from wkfn.execute.paths import resolve_path
from wkfn.kernels.downsample import (
    ZOOM_ORDERS,
    downsample_blocks,
    downsample_zoom,
    mirror_indices,
)
from wkfn.kernels.upsample import upsample_repeat
from wkfn.plan.ops import (
    RESAMPLE_PIECE_BYTES,
    RESAMPLE_SLAB_BYTES,
    DownsampleRegion,
    UpsampleRegion,
)
from wkfn.spec.array import NDSelect

Vec3 = tuple[int, int, int]
Box = tuple[Vec3, Vec3]
Array = np.ndarray[Any, Any]


def _split(
    offset: Vec3, size: Vec3, per_voxel: int, budget: int, align: Vec3
) -> Iterator[Box]:
    """Boxes tiling ``offset+size`` with at most ``budget`` bytes each.

    Splits along z first, then y, then x; cut positions are multiples of ``align``
    where the budget allows (so pieces do not share chunks).
    """
    sx, sy, sz = size
    steps = [sx, sy, sz]
    # how many voxels per axis fit, filling x then y then z
    for axis in (2, 1, 0):
        other = per_voxel
        for a in range(3):
            if a != axis:
                other *= steps[a]
        if other * steps[axis] <= budget:
            break
        n = max(1, budget // other)
        if n >= align[axis]:
            n -= n % align[axis]
        steps[axis] = max(1, min(n, size[axis]))
    for z in range(0, sz, steps[2]):
        for y in range(0, sy, steps[1]):
            for x in range(0, sx, steps[0]):
                yield (
                    (offset[0] + x, offset[1] + y, offset[2] + z),
                    (
                        min(steps[0], sx - x),
                        min(steps[1], sy - y),
                        min(steps[2], sz - z),
                    ),
                )


def _axis_tiles(
    start: int, stop: int, origin: int, tile: int, end: int, job: int
) -> Iterator[tuple[int, int, int, int]]:
    """(part_start, part_stop, tile_start, tile_stop) of the tiles covering a range.

    The target range ``[origin, end)`` is cut at multiples of ``job``; each job cell
    is cut into tiles of ``tile`` from its start (the reference's tiling).
    """
    x = start
    while x < stop:
        js = (x // job) * job
        seg_lo = max(js, origin)
        seg_hi = min(js + job, end)
        tb = seg_lo + ((x - seg_lo) // tile) * tile
        te = min(tb + tile, seg_hi)
        e = min(stop, te)
        yield x, e, tb, te
        x = e


def _source_index(
    start: int,
    stop: int,
    f: int,
    origin: int,
    tile: int,
    end: int,
    job: int,
    vlo: int,
    vhi: int,
) -> Array:
    """Source coordinates (mirrored per tile) for target range ``[start, stop)``."""
    parts = []
    for a, b, tb, te in _axis_tiles(start, stop, origin, tile, end, job):
        lo = max(tb * f, vlo)
        hi = min(te * f, vhi)
        parts.append(mirror_indices(a * f, b * f, lo, hi))
    return np.concatenate(parts) if len(parts) > 1 else parts[0]


def _read_indexed(handle: Any, index: list[Array]) -> Array:
    """Read the voxels at the outer product of per-axis source indices."""
    lo = [int(i.min()) for i in index]
    hi = [int(i.max()) + 1 for i in index]
    data: Array = handle.read(
        (lo[0], lo[1], lo[2]), (hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2])
    )
    for axis, idx in enumerate(index):
        n = hi[axis] - lo[axis]
        if len(idx) == n and idx[0] == lo[axis] and bool(np.all(np.diff(idx) == 1)):
            continue
        data = np.take(data, idx - lo[axis], axis=axis + 1)
    return data


def _open(
    root: str, path: str, data_format: str, select: NDSelect | None = None
) -> Any:
    from wkfn.storage.arrays import open_array

    return open_array(resolve_path(root, path), data_format, select)


def _align(handle: Any) -> Vec3:
    chunk: Vec3 = handle.layout.chunk_shape
    return chunk


def run_downsample_region(root: str, op: DownsampleRegion) -> None:
    """Compute ``op``'s target region from the source mag and write it."""
    src = _open(root, op.source_path, op.source_format, op.source_select)
    dst = _open(root, op.target_path, op.target_format, op.target_select)
    f = op.factors
    vlo = op.valid_offset
    vhi = tuple(o + s for o, s in zip(op.valid_offset, op.valid_size))
    t0 = tuple(v // fa for v, fa in zip(vlo, f))
    t1 = tuple(-(-v // fa) for v, fa in zip(vhi, f))
    dtype = np.dtype(op.dtype)
    per_target = dtype.itemsize * op.num_channels
    zoom = op.interpolation in ZOOM_ORDERS
    src_align = _align(src)
    for p_off, p_size in _split(
        op.offset, op.size, per_target, RESAMPLE_PIECE_BYTES, _align(dst)
    ):
        out = np.zeros((op.num_channels, *p_size), dtype=dtype)
        touched = False
        if zoom:
            touched = _zoom_piece(src, op, out, p_off, p_size, t0, t1, vlo, vhi)
        else:
            per_source = per_target * f[0] * f[1] * f[2]
            slab_align = (
                max(1, src_align[0] // f[0]),
                max(1, src_align[1] // f[1]),
                max(1, src_align[2] // f[2]),
            )
            for s_off, s_size in _split(
                p_off, p_size, per_source, RESAMPLE_SLAB_BYTES, slab_align
            ):
                index = [
                    _source_index(
                        s_off[a],
                        s_off[a] + s_size[a],
                        f[a],
                        t0[a],
                        op.tile_shape[a],
                        t1[a],
                        op.job_shape[a],
                        vlo[a],
                        vhi[a],
                    )
                    for a in range(3)
                ]
                data = _read_indexed(src, index)
                if not data.any():
                    continue
                r = [s_off[a] - p_off[a] for a in range(3)]
                out[
                    :,
                    r[0] : r[0] + s_size[0],
                    r[1] : r[1] + s_size[1],
                    r[2] : r[2] + s_size[2],
                ] = downsample_blocks(data, f, op.interpolation)
                touched = True
        if touched or not op.fresh:
            dst.write(p_off, out)


def _zoom_piece(
    src: Any,
    op: DownsampleRegion,
    out: Array,
    p_off: Vec3,
    p_size: Vec3,
    t0: tuple[int, ...],
    t1: tuple[int, ...],
    vlo: Vec3,
    vhi: tuple[int, ...],
) -> bool:
    """Resample every reference tile meeting the piece; copy the overlap into out."""
    f = op.factors
    axes = [
        list(
            _axis_tiles(
                p_off[a],
                p_off[a] + p_size[a],
                t0[a],
                op.tile_shape[a],
                t1[a],
                op.job_shape[a],
            )
        )
        for a in range(3)
    ]
    touched = False
    for xa, xb, xtb, xte in axes[0]:
        for ya, yb, ytb, yte in axes[1]:
            for za, zb, ztb, zte in axes[2]:
                tiles = ((xtb, xte), (ytb, yte), (ztb, zte))
                index = [
                    mirror_indices(
                        tiles[a][0] * f[a],
                        tiles[a][1] * f[a],
                        max(tiles[a][0] * f[a], vlo[a]),
                        min(tiles[a][1] * f[a], vhi[a]),
                    )
                    for a in range(3)
                ]
                data = _read_indexed(src, index)
                if not data.any():
                    continue
                res = downsample_zoom(data, f, op.interpolation)
                want = tuple(t[1] - t[0] for t in tiles)
                if res.shape[1:] != want:
                    raise RuntimeError(
                        f"zoom produced {res.shape[1:]} for a tile of {want}"
                    )
                out[
                    :,
                    xa - p_off[0] : xb - p_off[0],
                    ya - p_off[1] : yb - p_off[1],
                    za - p_off[2] : zb - p_off[2],
                ] = res[
                    :, xa - xtb : xb - xtb, ya - ytb : yb - ytb, za - ztb : zb - ztb
                ]
                touched = True
    return touched


def run_upsample_region(root: str, op: UpsampleRegion) -> None:
    """Replicate the source voxels covering ``op``'s target region and write them."""
    src = _open(root, op.source_path, op.source_format, op.source_select)
    dst = _open(root, op.target_path, op.target_format, op.target_select)
    f = (
        op.source_mag[0] // op.target_mag[0],
        op.source_mag[1] // op.target_mag[1],
        op.source_mag[2] // op.target_mag[2],
    )
    per_target = np.dtype(op.dtype).itemsize * op.num_channels
    for p_off, p_size in _split(
        op.offset, op.size, per_target, RESAMPLE_PIECE_BYTES, _align(dst)
    ):
        lo = [p_off[a] // f[a] for a in range(3)]
        hi = [-(-(p_off[a] + p_size[a]) // f[a]) for a in range(3)]
        data = src.read(
            (lo[0], lo[1], lo[2]), (hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2])
        )
        if op.fresh and not data.any():
            continue
        up = upsample_repeat(data, f)
        r = [p_off[a] - lo[a] * f[a] for a in range(3)]
        dst.write(
            p_off,
            up[
                :,
                r[0] : r[0] + p_size[0],
                r[1] : r[1] + p_size[1],
                r[2] : r[2] + p_size[2],
            ],
        )


__all__ = ["run_downsample_region", "run_upsample_region"]
