"""Benchmark workloads, written against the public ``webknossos`` 4.3.3 API.

Every workload gets the library module (``webknossos`` or ``wkfn``) as ``wk`` and
uses nothing else from it, so the very same code measures both libraries.

A workload has
* ``setup``  - untimed, run in its own process with the library being measured
  (e.g. writes the input dataset);
* ``needs``  - in-memory arrays generated (untimed) in the timed process before
  the clock starts (counted in peak RSS, as the data has to be in memory);
* ``run``    - the timed part;
* ``verify`` - dataset paths whose voxels are checksummed afterwards (in a third
  process), or nothing when ``run`` itself records a digest of what it read.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import numpy.typing as npt

from benchmarks import data as gen

VOXEL_SIZE = (11.24, 11.24, 11.24)
CHUNK = 32
GROUPS = ("io", "downsample", "copy", "images", "nd")

INPUT_DS = "input_ds"  # written by setup
OUTPUT_DS = "output_ds"  # written by the timed part
COPY_DS = "copy_ds"


def shard_edge(n: int) -> int:
    """256 for the 512³ anchors; scaled down for smoke runs (n/2, ≥ one chunk)."""
    return min(256, max(CHUNK, n // 2))


class DataCache:
    """Lazily generated, memoised input arrays plus a slot for run results."""

    def __init__(self, n: int) -> None:
        self.n = n
        self._arrays: dict[str, npt.NDArray[Any]] = {}
        self.results: dict[str, Any] = {}

    def get(self, key: str) -> npt.NDArray[Any]:
        if key not in self._arrays:
            self._arrays[key] = self._make(key)
        return self._arrays[key]

    def ensure(self, keys: Iterable[str]) -> None:
        for k in keys:
            self.get(k)

    def _make(self, key: str) -> npt.NDArray[Any]:
        n = self.n
        if key == "color":
            return gen.color_volume(n)
        if key == "labels_u32":
            return gen.label_volume(n, dtype=np.uint32)
        if key == "labels_u64":
            return gen.label_volume(n, dtype=np.uint64)
        if key == "blocks40":
            return gen.random_blocks(200, 40, seed=7)
        if key == "nd_u16":
            return gen.nd_volume(n)
        raise KeyError(key)


# --------------------------------------------------------------------------- helpers


def _new_layer(
    wk: ModuleType,
    path: Path,
    name: str,
    category: str,
    dtype: str,
    *,
    compress: bool,
    n: int,
    largest_segment_id: int | None = None,
) -> Any:
    """Create dataset + layer + mag 1 (chunk 32³, shard 256³ at n=512); return mag."""
    ds = wk.Dataset(path, voxel_size=VOXEL_SIZE)
    kwargs: dict[str, Any] = {}
    if largest_segment_id is not None:
        kwargs["largest_segment_id"] = largest_segment_id
    # `dtype_per_channel` is accepted by the seed API and by webknossos 4.3.3
    # (which deprecates it in favour of `dtype`).
    layer = ds.add_layer(name, category, dtype_per_channel=dtype, **kwargs)
    return layer.add_mag(
        1, chunk_shape=CHUNK, shard_shape=shard_edge(n), compress=compress
    )


def _write_color(wk: ModuleType, path: Path, cache: DataCache, compress: bool) -> None:
    mag = _new_layer(wk, path, "color", "color", "uint8", compress=compress, n=cache.n)
    mag.write(cache.get("color"), absolute_offset=(0, 0, 0), allow_resize=True)


def _write_labels_u32(wk: ModuleType, path: Path, cache: DataCache) -> None:
    labels = cache.get("labels_u32")
    mag = _new_layer(
        wk,
        path,
        "segmentation",
        "segmentation",
        "uint32",
        compress=True,
        n=cache.n,
        largest_segment_id=int(labels.max()),
    )
    mag.write(labels, absolute_offset=(0, 0, 0), allow_resize=True)


def fingerprint(arr: npt.NDArray[Any]) -> tuple[Any, ...]:
    """Cheap, layout-independent fingerprint of a read result (used while timed)."""
    sample = np.ascontiguousarray(arr[..., ::7, ::5, ::3])
    return (
        tuple(int(s) for s in arr.shape),
        str(arr.dtype),
        int(arr.sum(dtype=np.uint64)),
        zlib.crc32(sample.tobytes()),
    )


def array_digest(arr: npt.NDArray[Any]) -> str:
    h = hashlib.sha1(f"{arr.dtype.str}{tuple(arr.shape)}".encode())
    h.update(np.ascontiguousarray(arr).tobytes())
    return h.hexdigest()


def dataset_checksums(wk: ModuleType, path: Path) -> dict[str, Any]:
    """sha1 of every mag's voxels (read back through the library's public API)."""
    ds = wk.Dataset.open(path)
    sums: dict[str, str] = {}
    meta: dict[str, Any] = {}
    for lname, layer in ds.layers.items():
        for mag, view in layer.mags.items():
            key = f"{lname}/{mag.to_layer_name()}"
            sums[key] = array_digest(view.read())
            info = view.info
            meta[key] = {
                "format": str(getattr(info.data_format, "value", info.data_format)),
                "chunk": list(info.chunk_shape),
                "shard": list(info.shard_shape),
                "compressed": bool(info.compression_mode),
                "bbox": str(layer.bounding_box),
            }
    return {"voxels": sums, "meta": meta}


# ------------------------------------------------------------------------ workloads


def setup_color_zstd(wk: ModuleType, workdir: Path, cache: DataCache) -> None:
    _write_color(wk, workdir / INPUT_DS, cache, compress=True)


def setup_color_raw(wk: ModuleType, workdir: Path, cache: DataCache) -> None:
    _write_color(wk, workdir / INPUT_DS, cache, compress=False)


def setup_labels_u32(wk: ModuleType, workdir: Path, cache: DataCache) -> None:
    _write_labels_u32(wk, workdir / INPUT_DS, cache)


def run_write_u8_raw(wk: ModuleType, workdir: Path, cache: DataCache) -> None:
    n = cache.n
    data = cache.get("color")
    mag = _new_layer(
        wk, workdir / OUTPUT_DS, "color", "color", "uint8", compress=False, n=n
    )
    half = n // 2
    mag.write(data[:, :, :half], absolute_offset=(0, 0, 0), allow_resize=True)
    mag.write(data[:, :, half:], absolute_offset=(0, 0, half), allow_resize=True)


def run_write_u8_zstd(wk: ModuleType, workdir: Path, cache: DataCache) -> None:
    _write_color(wk, workdir / OUTPUT_DS, cache, compress=True)


def run_read_u8_zstd(wk: ModuleType, workdir: Path, cache: DataCache) -> None:
    ds = wk.Dataset.open(workdir / INPUT_DS)
    mag = ds.get_layer("color").get_mag(1)
    cache.results["array"] = mag.read(absolute_offset=(0, 0, 0), size=(cache.n,) * 3)


def run_random_reads_64(wk: ModuleType, workdir: Path, cache: DataCache) -> None:
    ds = wk.Dataset.open(workdir / INPUT_DS)
    mag = ds.get_layer("color").get_mag(1)
    prints = []
    for off in gen.random_offsets(500, 64, cache.n, seed=11):
        prints.append(fingerprint(mag.read(absolute_offset=off, size=(64, 64, 64))))
    cache.results["fingerprints"] = prints


def run_xy_slices(wk: ModuleType, workdir: Path, cache: DataCache) -> None:
    n = cache.n
    ds = wk.Dataset.open(workdir / INPUT_DS)
    mag = ds.get_layer("color").get_mag(1)
    prints = []
    for i in range(256):
        z = (2 * i) % n
        prints.append(fingerprint(mag.read(absolute_offset=(0, 0, z), size=(n, n, 1))))
    cache.results["fingerprints"] = prints


def run_unaligned_writes_40(wk: ModuleType, workdir: Path, cache: DataCache) -> None:
    blocks = cache.get("blocks40")
    ds = wk.Dataset.open(workdir / INPUT_DS)
    mag = ds.get_layer("color").get_mag(1)
    for block, off in zip(blocks, gen.random_offsets(200, 40, cache.n, seed=13)):
        mag.write(block, absolute_offset=off, allow_unaligned=True)


def run_unaligned_writes_40_txn(
    wk: ModuleType, workdir: Path, cache: DataCache
) -> None:
    """The same 200 writes inside ``with ds.transaction():`` where the library has
    one (wkfn); the reference has none and writes call by call."""
    import contextlib

    blocks = cache.get("blocks40")
    ds = wk.Dataset.open(workdir / INPUT_DS)
    mag = ds.get_layer("color").get_mag(1)
    txn = getattr(ds, "transaction", None)
    with txn() if txn is not None else contextlib.nullcontext():
        for block, off in zip(blocks, gen.random_offsets(200, 40, cache.n, seed=13)):
            mag.write(block, absolute_offset=off, allow_unaligned=True)


def run_write_u64_labels(wk: ModuleType, workdir: Path, cache: DataCache) -> None:
    labels = cache.get("labels_u64")
    mag = _new_layer(
        wk,
        workdir / OUTPUT_DS,
        "segmentation",
        "segmentation",
        "uint64",
        compress=True,
        n=cache.n,
        largest_segment_id=int(labels.max()),
    )
    mag.write(labels, absolute_offset=(0, 0, 0), allow_resize=True)


def _downsample(wk: ModuleType, workdir: Path, layer_name: str) -> None:
    ds = wk.Dataset.open(workdir / INPUT_DS)
    ds.get_layer(layer_name).downsample(
        coarsest_mag=wk.Mag(8), sampling_mode="isotropic"
    )


def run_downsample_color(wk: ModuleType, workdir: Path, cache: DataCache) -> None:
    _downsample(wk, workdir, "color")  # default interpolation for color: median


def run_downsample_labels(wk: ModuleType, workdir: Path, cache: DataCache) -> None:
    _downsample(wk, workdir, "segmentation")  # default for segmentation: mode


def run_copy_wkw(wk: ModuleType, workdir: Path, cache: DataCache) -> None:
    ds = wk.Dataset.open(workdir / INPUT_DS)
    ds.copy_dataset(workdir / COPY_DS, data_format="wkw")


def run_copy_zarr2(wk: ModuleType, workdir: Path, cache: DataCache) -> None:
    ds = wk.Dataset.open(workdir / INPUT_DS)
    # zarr v2 has no sharding: chunk 32³ and shard == chunk. The seed API spells
    # this `chunks_per_shard=1`; 4.3.3 prefers `shard_shape=32` (it deprecates
    # `chunks_per_shard`). wkfn must accept both.
    ds.copy_dataset(
        workdir / COPY_DS, data_format="zarr", chunk_shape=CHUNK, shard_shape=CHUNK
    )


def run_compress_inplace(wk: ModuleType, workdir: Path, cache: DataCache) -> None:
    ds = wk.Dataset.open(workdir / INPUT_DS)
    ds.get_layer("color").get_mag(1).compress()


TIFF_DIR = INPUT_DS  # the TIFF folder written by setup (the runner requires it)


def tiff_slice_geometry(n: int) -> tuple[int, int]:
    """(edge, slices): 1024² x 256 at n=512, scaled for smoke runs."""
    return 2 * n, n // 2


def setup_tiff_slices(wk: ModuleType, workdir: Path, cache: DataCache) -> None:
    """Write uint8 TIFF slices (smooth field + membranes + noise, ~1.5x zstd)."""
    import tifffile

    edge, slices = tiff_slice_geometry(cache.n)
    out = workdir / TIFF_DIR
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(11)
    y = np.arange(edge, dtype=np.float32)[:, None]
    x = np.arange(edge, dtype=np.float32)[None, :]
    base = (
        140.0
        + 28.0 * np.sin(x * (2 * np.pi / 211.0))
        + 22.0 * np.sin(y * (2 * np.pi / 173.0))
    )
    membranes = ((x % 48) < 2) | ((y % 48) < 2)
    for z in range(slices):
        noise = rng.integers(-6, 7, size=(edge, edge), dtype=np.int16)
        img = np.where(membranes, base - 80.0, base + 10.0 * np.sin(z / 9.0))
        img = np.clip(img + noise, 0, 255).astype(np.uint8)
        tifffile.imwrite(out / f"slice_{z}.tif", img)


def run_from_images_tiff(wk: ModuleType, workdir: Path, cache: DataCache) -> None:
    wk.Dataset.from_images(
        workdir / TIFF_DIR, workdir / OUTPUT_DS, voxel_size=VOXEL_SIZE
    )


# ------------------------------------------------------------- concurrent writers

WRITERS = 4
WRITES_PER_WRITER = 200
REGION_EDGE = 15
REGION_GRID = (10, 10, 8)  # 800 regions, 15³ each, offset (3, 5, 7): all unaligned


def _region(k: int) -> tuple[int, int, int]:
    gx, gy, _ = REGION_GRID
    i, j, z = k % gx, (k // gx) % gy, k // (gx * gy)
    return (3 + i * REGION_EDGE, 5 + j * REGION_EDGE, 7 + z * REGION_EDGE)


def setup_shared_shards(wk: ModuleType, workdir: Path, cache: DataCache) -> None:
    """An empty zstd layer with 64³ shards (32³ chunks) that every writer shares."""
    ds = wk.Dataset(workdir / INPUT_DS, voxel_size=VOXEL_SIZE)
    layer = ds.add_layer("color", "color", dtype_per_channel="uint8")
    layer.add_mag(1, chunk_shape=CHUNK, shard_shape=64, compress=True)
    hi = [o + REGION_EDGE * g + 5 for o, g in zip(_region(0), REGION_GRID)]
    layer.bounding_box = wk.BoundingBox((0, 0, 0), tuple(hi))


def concurrent_writer(lib: str, path: str, p: int) -> None:
    """One writer process: its 200 regions (``k % 4 == p``), value ``k % 250 + 1``."""
    import importlib

    wk = importlib.import_module(lib)
    mag = wk.Dataset.open(path).get_layer("color").get_mag(1)
    mine = [k for k in range(WRITERS * WRITES_PER_WRITER) if k % WRITERS == p]
    np.random.default_rng(p).shuffle(mine)
    for k in mine:
        block = np.full((REGION_EDGE,) * 3, k % 250 + 1, np.uint8)
        mag.write(block, absolute_offset=_region(k), allow_unaligned=True)


def _run_writers(wk: ModuleType, workdir: Path, locking: str | None) -> None:
    import os
    import subprocess
    import sys

    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    if locking is None:
        env.pop("WKFN_FILE_LOCKING", None)
    else:
        env["WKFN_FILE_LOCKING"] = locking
    code = "import sys; from benchmarks.workloads import concurrent_writer as w; "
    code += "w(sys.argv[1], sys.argv[2], int(sys.argv[3]))"
    path = str(workdir / INPUT_DS)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, wk.__name__, path, str(p)], env=env
        )
        for p in range(WRITERS)
    ]
    codes = [proc.wait() for proc in procs]
    if any(codes):
        raise RuntimeError(f"writer processes failed with exit codes {codes}")


def run_concurrent_writers(wk: ModuleType, workdir: Path, cache: DataCache) -> None:
    """4 processes x 200 unaligned writes into shared shards, default locking."""
    _run_writers(wk, workdir, None)


def run_concurrent_writers_unlocked(
    wk: ModuleType, workdir: Path, cache: DataCache
) -> None:
    """Same with ``WKFN_FILE_LOCKING=none`` (no effect on the reference)."""
    _run_writers(wk, workdir, "none")


Fn = Callable[[ModuleType, Path, DataCache], None]


@dataclass(frozen=True)
class Workload:
    name: str
    group: str
    title: str  # as in ANCHORS.md
    run: Fn
    setup: Fn | None = None
    setup_needs: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()
    verify_paths: tuple[str, ...] = ()  # datasets to checksum after the run
    anchor_s: float | None = None  # reference seconds at 512³ (ANCHORS.md)
    anchor_rss_mb: float | None = None


WORKLOADS: dict[str, Workload] = {
    w.name: w
    for w in [
        Workload(
            "write_u8_raw",
            "io",
            "write 512³ u8 uncompressed (2 slab writes)",
            run_write_u8_raw,
            needs=("color",),
            verify_paths=(OUTPUT_DS,),
            anchor_s=0.41,
            anchor_rss_mb=414,
        ),
        Workload(
            "write_u8_zstd",
            "io",
            "write 512³ u8 zstd",
            run_write_u8_zstd,
            needs=("color",),
            verify_paths=(OUTPUT_DS,),
            anchor_s=0.95,
            anchor_rss_mb=376,
        ),
        Workload(
            "read_u8_zstd",
            "io",
            "read 512³ u8 zstd",
            run_read_u8_zstd,
            setup=setup_color_zstd,
            setup_needs=("color",),
            anchor_s=0.55,
            anchor_rss_mb=605,
        ),
        Workload(
            "random_reads_64",
            "io",
            "500 random unaligned 64³ reads",
            run_random_reads_64,
            setup=setup_color_zstd,
            setup_needs=("color",),
            anchor_s=1.21,
            anchor_rss_mb=347,
        ),
        Workload(
            "xy_slices",
            "io",
            "256 xy slices 512²",
            run_xy_slices,
            setup=setup_color_zstd,
            setup_needs=("color",),
            anchor_s=2.72,
            anchor_rss_mb=360,
        ),
        Workload(
            "unaligned_writes_40",
            "io",
            "200 unaligned 40³ writes into the zstd volume",
            run_unaligned_writes_40,
            setup=setup_color_zstd,
            setup_needs=("color",),
            needs=("blocks40",),
            verify_paths=(INPUT_DS,),
            anchor_s=31.0,
            anchor_rss_mb=528,
        ),
        Workload(
            "unaligned_writes_40_txn",
            "io",
            "the same 200 writes in one `with ds.transaction():` (reference: none)",
            run_unaligned_writes_40_txn,
            setup=setup_color_zstd,
            setup_needs=("color",),
            needs=("blocks40",),
            verify_paths=(INPUT_DS,),
        ),
        Workload(
            "write_u64_labels",
            "io",
            "write 512³ u64 labels zstd",
            run_write_u64_labels,
            needs=("labels_u64",),
            verify_paths=(OUTPUT_DS,),
            anchor_s=0.89,
            anchor_rss_mb=1746,
        ),
        Workload(
            "downsample_color",
            "downsample",
            "downsample color → mags 2, 4, 8 (median)",
            run_downsample_color,
            setup=setup_color_zstd,
            setup_needs=("color",),
            verify_paths=(INPUT_DS,),
            anchor_s=19.9,
            anchor_rss_mb=2592,
        ),
        Workload(
            "downsample_labels",
            "downsample",
            "downsample labels u32 → mags 2, 4, 8 (mode)",
            run_downsample_labels,
            setup=setup_labels_u32,
            setup_needs=("labels_u32",),
            verify_paths=(INPUT_DS,),
            anchor_s=53.2,
            anchor_rss_mb=9161,
        ),
        Workload(
            "copy_wkw",
            "copy",
            "copy zarr3 → wkw",
            run_copy_wkw,
            setup=setup_color_zstd,
            setup_needs=("color",),
            verify_paths=(COPY_DS,),
            anchor_s=3.54,
            anchor_rss_mb=342,
        ),
        Workload(
            "copy_zarr2",
            "copy",
            "copy zarr3 → zarr v2",
            run_copy_zarr2,
            setup=setup_color_zstd,
            setup_needs=("color",),
            verify_paths=(COPY_DS,),
            anchor_s=26.1,
            anchor_rss_mb=365,
        ),
        Workload(
            "compress_inplace",
            "copy",
            "compress an uncompressed 512³ layer in place",
            run_compress_inplace,
            setup=setup_color_raw,
            setup_needs=("color",),
            verify_paths=(INPUT_DS,),
            anchor_s=3.66,
            anchor_rss_mb=342,
        ),
        Workload(
            "concurrent_writers",
            "io",
            "4 processes x 200 unaligned 15³ writes into shared 64³ shards",
            run_concurrent_writers,
            setup=setup_shared_shards,
            verify_paths=(INPUT_DS,),
        ),
        Workload(
            "concurrent_writers_unlocked",
            "io",
            "same, wkfn with WKFN_FILE_LOCKING=none (loses regions)",
            run_concurrent_writers_unlocked,
            setup=setup_shared_shards,
            verify_paths=(INPUT_DS,),
        ),
        Workload(
            "from_images_tiff",
            "images",
            "from_images: 256 TIFF slices 1024² u8 → zarr3 compressed",
            run_from_images_tiff,
            setup=setup_tiff_slices,
            verify_paths=(OUTPUT_DS,),
            anchor_s=17.0,
            anchor_rss_mb=2100,
        ),
    ]
}

from benchmarks.nd_workloads import ND_WORKLOADS  # noqa: E402  (needs Workload)

WORKLOADS.update({w.name: w for w in ND_WORKLOADS})


def select(group: str = "all", only: Iterable[str] | None = None) -> list[Workload]:
    names = list(only or [])
    if names:
        unknown = [n for n in names if n not in WORKLOADS]
        if unknown:
            raise KeyError(f"unknown workload(s): {unknown}; have {list(WORKLOADS)}")
        return [WORKLOADS[n] for n in names]
    return [w for w in WORKLOADS.values() if group == "all" or w.group == group]


def run_digest(cache: DataCache) -> dict[str, str] | None:
    """Digest of what a read workload returned (computed after timing)."""
    if "array" in cache.results:
        return {"read": array_digest(np.asarray(cache.results["array"]))}
    if "fingerprints" in cache.results:
        h = hashlib.sha1(repr(cache.results["fingerprints"]).encode())
        return {"reads": h.hexdigest()}
    return None
