"""n-D workloads (group ``nd``): a 64-timepoint 256x256x64 uint16 layer (at the
default size 512) written and read whole through ``NDBoundingBox``, with the same
public-API code for ``webknossos`` and ``wkfn``."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

from benchmarks import data as gen
from benchmarks.workloads import (
    CHUNK,
    INPUT_DS,
    OUTPUT_DS,
    VOXEL_SIZE,
    DataCache,
    Workload,
)


def _nd_mag(wk: ModuleType, path: Path, n: int) -> tuple[Any, Any]:
    """Dataset + n-D layer (t, x, y, z) + mag 1, zstd, chunk 32³; (mag, box)."""
    shape = gen.nd_shape(n)
    ds = wk.Dataset(path, voxel_size=VOXEL_SIZE)
    box = wk.NDBoundingBox((0, 0, 0, 0), shape, ("t", "x", "y", "z"))
    layer = ds.add_layer("nd", "color", dtype_per_channel="uint16", bounding_box=box)
    mag = layer.add_mag(1, chunk_shape=CHUNK, shard_shape=shape[1], compress=True)
    return mag, box


def _write_nd(wk: ModuleType, path: Path, cache: DataCache) -> None:
    mag, box = _nd_mag(wk, path, cache.n)
    mag.write(cache.get("nd_u16"), absolute_bounding_box=box)


def setup_nd(wk: ModuleType, workdir: Path, cache: DataCache) -> None:
    _write_nd(wk, workdir / INPUT_DS, cache)


def run_write_nd(wk: ModuleType, workdir: Path, cache: DataCache) -> None:
    _write_nd(wk, workdir / OUTPUT_DS, cache)


def run_read_nd(wk: ModuleType, workdir: Path, cache: DataCache) -> None:
    ds = wk.Dataset.open(workdir / INPUT_DS)
    cache.results["array"] = ds.get_layer("nd").get_mag(1).read()


ND_WORKLOADS = [
    Workload(
        "write_nd_u16",
        "nd",
        "write 64 t x 256² x 64 u16 zstd (one NDBoundingBox write)",
        run_write_nd,
        needs=("nd_u16",),
        verify_paths=(OUTPUT_DS,),
    ),
    Workload(
        "read_nd_u16",
        "nd",
        "read 64 t x 256² x 64 u16 zstd (whole layer)",
        run_read_nd,
        setup=setup_nd,
        setup_needs=("nd_u16",),
    ),
]
