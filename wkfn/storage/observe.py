"""Observing arrays that already exist on disk: what they hold and where.

Used when a layer is registered for files that are already there
(``Dataset.add_layer_for_existing_files``): which subdirectories are readable mag
arrays, and the tight box of their non-zero voxels. Reads go through
:mod:`wkfn.storage.arrays` in bounded blocks, so a large array never sits in memory.
"""

from __future__ import annotations

import os

import numpy as np

from wkfn.geometry import Mag
from wkfn.spec.array import ArrayLayout
from wkfn.storage.arrays import open_array, read_layout, shard_boxes_on_disk

Vec3 = tuple[int, int, int]
FORMATS = ("wkw", "zarr3", "zarr")
BLOCK_BYTES = 64 << 20


def find_mag_arrays(
    layer_dir: str, data_format: str | None = None
) -> list[tuple[Vec3, str, ArrayLayout]]:
    """``(mag, directory name, layout)`` of every readable array below ``layer_dir``.

    Subdirectories whose name is not a mag are skipped; each is tried as wkw, zarr3
    and zarr (or only as ``data_format``) and the first readable format wins.
    """
    found: list[tuple[Vec3, str, ArrayLayout]] = []
    for entry in sorted(os.scandir(layer_dir), key=lambda e: e.name):
        if not entry.is_dir():
            continue
        try:
            mag = Mag(entry.name).to_tuple()
        except Exception:
            continue
        for fmt in (data_format,) if data_format else FORMATS:
            try:
                layout = read_layout(entry.path, fmt)
            except (OSError, ValueError):
                continue
            found.append((mag, entry.name, layout))
            break
    return found


def tight_box(layer_dir: str, mag: Vec3, dirname: str, fmt: str) -> tuple[Vec3, Vec3]:
    """Mag-1 box of the non-zero voxels of one array (read in bounded blocks)."""
    path = os.path.join(layer_dir, dirname)
    handle = open_array(path, fmt)
    layout = handle.layout
    big = 1 << 62
    lo = [big, big, big]
    hi = [-1, -1, -1]
    itemsize = np.dtype(layout.dtype).itemsize * layout.num_channels
    for offset, size in shard_boxes_on_disk(path, fmt):
        plane = max(1, size[0] * size[1] * itemsize)
        step = max(1, min(size[2], BLOCK_BYTES // plane))
        for z in range(offset[2], offset[2] + size[2], step):
            depth = min(step, offset[2] + size[2] - z)
            data = handle.read((offset[0], offset[1], z), (size[0], size[1], depth))
            nz = data.any(axis=0)
            if not nz.any():
                continue
            start = (offset[0], offset[1], z)
            for axis in range(3):
                other = [a for a in range(3) if a != axis]
                idx = np.flatnonzero(np.any(nz, axis=(other[0], other[1])))
                lo[axis] = min(lo[axis], start[axis] + int(idx[0]))
                hi[axis] = max(hi[axis], start[axis] + int(idx[-1]) + 1)
    if hi[0] < 0:
        return (0, 0, 0), (0, 0, 0)
    top = (lo[0] * mag[0], lo[1] * mag[1], lo[2] * mag[2])
    size3 = (
        hi[0] * mag[0] - top[0],
        hi[1] * mag[1] - top[1],
        hi[2] * mag[2] - top[2],
    )
    return top, size3
