"""S3 benchmark workloads, written against the public ``webknossos`` 4.3.3 API.

Each workload gets the library module as ``wk``, the dataset URL in a bucket of
the local S3 server, a local scratch directory and the volume edge ``n``. The
bucket is reached through a ``UPath`` with ``endpoint_url`` (the reference's way;
wkfn accepts the same object) and the standard AWS variables, so the very same
code runs with both libraries.

Run by ``benchmarks/s3_one.py`` (one phase per fresh process) and
``benchmarks/run_s3.py`` (the side-by-side runner).
"""

from __future__ import annotations

import hashlib
import os
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import numpy.typing as npt

from benchmarks import data as gen

VOXEL_SIZE = (11.24, 11.24, 11.24)
CHUNK = 32
LOCAL_DS = "local_ds"


def shard_edge(n: int) -> int:
    """128 at n=256 (8 shards), never below one chunk."""
    return min(256, max(CHUNK, n // 2))


def upath(url: str) -> Any:
    """The dataset location as a UPath carrying the endpoint (both libraries)."""
    from upath import UPath

    return UPath(url, endpoint_url=os.environ["S3_ENDPOINT_URL"])


def _write_color(wk: ModuleType, path: Any, n: int) -> None:
    ds = wk.Dataset(path, voxel_size=VOXEL_SIZE)
    layer = ds.add_layer("color", "color", dtype_per_channel="uint8")
    mag = layer.add_mag(1, chunk_shape=CHUNK, shard_shape=shard_edge(n), compress=True)
    mag.write(gen.color_volume(n), absolute_offset=(0, 0, 0), allow_resize=True)


def fingerprint(arr: npt.NDArray[Any]) -> tuple[Any, ...]:
    """Cheap, layout-independent fingerprint of a read result."""
    sample = np.ascontiguousarray(arr[..., ::7, ::5, ::3])
    return (
        tuple(int(s) for s in arr.shape),
        str(arr.dtype),
        int(arr.sum(dtype=np.uint64)),
        zlib.crc32(sample.tobytes()),
    )


def digest(arr: npt.NDArray[Any]) -> str:
    h = hashlib.sha1(f"{arr.dtype.str}{tuple(arr.shape)}".encode())
    h.update(np.ascontiguousarray(arr).tobytes())
    return h.hexdigest()


# ----------------------------------------------------------------------- phases


def setup_s3_color(wk: ModuleType, url: str, workdir: Path, n: int) -> None:
    _write_color(wk, upath(url), n)


def setup_local_color(wk: ModuleType, url: str, workdir: Path, n: int) -> None:
    _write_color(wk, workdir / LOCAL_DS, n)


def run_write(wk: ModuleType, url: str, workdir: Path, n: int) -> Any:
    _write_color(wk, upath(url), n)
    return None


def run_read(wk: ModuleType, url: str, workdir: Path, n: int) -> Any:
    mag = wk.Dataset.open(upath(url)).get_layer("color").get_mag(1)
    return digest(mag.read(absolute_offset=(0, 0, 0), size=(n, n, n)))


def run_random_reads(wk: ModuleType, url: str, workdir: Path, n: int) -> Any:
    mag = wk.Dataset.open(upath(url)).get_layer("color").get_mag(1)
    prints = [
        fingerprint(mag.read(absolute_offset=off, size=(64, 64, 64)))
        for off in gen.random_offsets(200, 64, n, seed=11)
    ]
    return hashlib.sha1(repr(prints).encode()).hexdigest()


def run_copy_local_to_s3(wk: ModuleType, url: str, workdir: Path, n: int) -> Any:
    wk.Dataset.open(workdir / LOCAL_DS).copy_dataset(upath(url))
    return None


def verify(wk: ModuleType, url: str, workdir: Path, n: int) -> str:
    """sha1 of the written mag 1 (read back through the library)."""
    mag = wk.Dataset.open(upath(url)).get_layer("color").get_mag(1)
    return digest(mag.read())


Fn = Callable[[ModuleType, str, Path, int], Any]


@dataclass(frozen=True)
class S3Workload:
    name: str
    title: str
    run: Fn
    setup: Fn | None = None
    writes: bool = False


WORKLOADS: dict[str, S3Workload] = {
    w.name: w
    for w in (
        S3Workload("s3_write_zstd", "write n³ u8 zstd to S3", run_write, writes=True),
        S3Workload("s3_read_full", "full read n³ from S3", run_read, setup_s3_color),
        S3Workload(
            "s3_random_reads_64",
            "200 random 64³ reads from S3",
            run_random_reads,
            setup_s3_color,
        ),
        S3Workload(
            "s3_copy_local_to_s3",
            "copy_dataset local → S3",
            run_copy_local_to_s3,
            setup_local_color,
            writes=True,
        ),
    )
}
