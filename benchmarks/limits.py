"""The "limit" rows: the same work done with bare tensorstore, no library around it.

A limit function gets the ``tensorstore`` module (instead of a library) and does
exactly the storage work of its workload on the dataset that the workload's setup
wrote (with wkfn): same array, same boxes, same order, same data. It uses a default
``tensorstore.Context()`` (fsynced writes, no chunk cache), as a script calling
tensorstore directly would. Reads record the same digests as the library rows, and
written datasets are checksummed by the same verify phase, so the ``voxels``
column compares the limit with the libraries too.

``LIMITS`` maps workload names to their limit; workloads without an entry have no
limit row.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from benchmarks import data as gen
from benchmarks.workloads import INPUT_DS, DataCache, fingerprint

LIMIT = "limit"  # the pseudo-library name used by the runner


def _open(ts: ModuleType, workdir: Path, layer: str = "color") -> Any:
    path = workdir / INPUT_DS / layer / "1"
    spec = {"driver": "zarr3", "kvstore": {"driver": "file", "path": str(path) + "/"}}
    return ts.open(spec, context=ts.Context()).result()


def limit_read_full(ts: ModuleType, workdir: Path, cache: DataCache) -> None:
    """One read of the whole array (Fortran order: the stored chunk order)."""
    arr = _open(ts, workdir)
    n = cache.n
    cache.results["array"] = arr[:, :n, :n, :n].read(order="F").result()


def limit_random_reads(ts: ModuleType, workdir: Path, cache: DataCache) -> None:
    """500 reads of 64³, one after the other, at the workload's offsets."""
    arr = _open(ts, workdir)
    prints = []
    for x, y, z in gen.random_offsets(500, 64, cache.n, seed=11):
        block = arr[:, x : x + 64, y : y + 64, z : z + 64].read(order="F").result()
        prints.append(fingerprint(block))
    cache.results["fingerprints"] = prints


def _writes(cache: DataCache) -> list[tuple[tuple[int, int, int], Any]]:
    blocks = cache.get("blocks40")
    offsets = gen.random_offsets(200, 40, cache.n, seed=13)
    return list(zip(offsets, blocks))


def limit_unaligned_writes(ts: ModuleType, workdir: Path, cache: DataCache) -> None:
    """200 writes of 40³, each its own (implicit) tensorstore transaction."""
    arr = _open(ts, workdir)
    for (x, y, z), block in _writes(cache):
        arr[:, x : x + 40, y : y + 40, z : z + 40].write(block[None]).result()


def limit_unaligned_writes_txn(ts: ModuleType, workdir: Path, cache: DataCache) -> None:
    """The same 200 writes staged in one tensorstore transaction, committed once."""
    arr = _open(ts, workdir)
    txn = ts.Transaction()
    staged = arr.with_transaction(txn)
    for (x, y, z), block in _writes(cache):
        staged[:, x : x + 40, y : y + 40, z : z + 40].write(block[None]).result()
    txn.commit_async().result()


Fn = Callable[[ModuleType, Path, DataCache], None]

LIMITS: dict[str, Fn] = {
    "read_u8_zstd": limit_read_full,
    "random_reads_64": limit_random_reads,
    "unaligned_writes_40": limit_unaligned_writes,
    "unaligned_writes_40_txn": limit_unaligned_writes_txn,
}
