"""Independent processes writing unaligned boxes into shared shards lose nothing.

Four real processes (``writer_script.py``) write 200 unaligned 15³ regions each into
one dataset whose 64³ shards (zarr3, wkw) or 32³ chunks (zarr v2) they all share;
every region must come back with its value, and no zeros. Without the shard locks of
:mod:`wkfn.storage.shard_locks` this loses about one region in six (measured with
``WKFN_FILE_LOCKING=none``: 142/800 zarr3, 53/800 zarr v2, corrupt wkw files). A
writer killed with ``kill -9`` in the middle must neither block the others nor a later
writer, and must leave no lock or temp file that a later write trips over.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import wkfn as wk

sys.path.insert(0, str(Path(__file__).parent))
from writer_script import EDGE, GRID, region, value

SCRIPT = str(Path(__file__).parent / "writer_script.py")
ROOT = str(Path(__file__).resolve().parents[2])
PROCS = 4
REGIONS = PROCS * 200
TIMEOUT = 240.0


def _make_dataset(path: Path, data_format: str) -> None:
    ds = wk.Dataset(path, voxel_size=(1, 1, 1))
    layer = ds.add_layer(
        "color", wk.COLOR_CATEGORY, dtype_per_channel="uint8", data_format=data_format
    )
    if data_format == "zarr":
        layer.add_mag(1, chunk_shape=(32, 32, 32))
    else:
        layer.add_mag(1, chunk_shape=(32, 32, 32), shard_shape=(64, 64, 64))
    hi = [3 + GRID[0] * EDGE + 5, 5 + GRID[1] * EDGE + 5, 7 + GRID[2] * EDGE + 5]
    layer.bounding_box = wk.BoundingBox((0, 0, 0), tuple(hi))


def _writer(path: Path, p: int, delay: float = 0.0) -> subprocess.Popen[str]:
    env = dict(os.environ)
    env.pop("WKFN_FILE_LOCKING", None)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.Popen(
        [
            sys.executable,
            SCRIPT,
            str(path),
            str(p),
            str(PROCS),
            str(REGIONS),
            str(delay),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _finish(proc: subprocess.Popen[str]) -> str:
    out, err = proc.communicate(timeout=TIMEOUT)
    assert proc.returncode == 0, err[-2000:]
    return out


def _check_all_regions(path: Path) -> None:
    data = wk.Dataset.open(path).get_layer("color").get_mag(1).read()[0]
    lost = []
    zeros = 0
    for k in range(REGIONS):
        x, y, z = region(k)
        block = data[x : x + EDGE, y : y + EDGE, z : z + EDGE]
        if not (block == value(k)).all():
            lost.append(k)
            zeros += int((block == 0).sum())
    assert (lost, zeros) == ([], 0), f"{len(lost)} regions lost, {zeros} zero voxels"


def _leftovers(path: Path) -> list[str]:
    return [
        os.path.join(d, f)
        for d, _, files in os.walk(path)
        for f in files
        if f.endswith((".__lock", "_tmp"))
    ]


@pytest.mark.parametrize("data_format", ["zarr3", "zarr", "wkw"])
def test_four_processes_unaligned_into_shared_shards_lose_nothing(
    tmp_path: Path, data_format: str
) -> None:
    path = tmp_path / "ds"
    _make_dataset(path, data_format)
    procs = [_writer(path, p) for p in range(PROCS)]
    outputs = [_finish(proc) for proc in procs]
    assert sum(len(o.split()) for o in outputs) == REGIONS
    _check_all_regions(path)
    assert _leftovers(path) == []


def test_a_writer_killed_mid_way_blocks_nobody(tmp_path: Path) -> None:
    path = tmp_path / "ds"
    _make_dataset(path, "zarr3")
    victim = _writer(path, 0, delay=0.002)
    others = [_writer(path, p) for p in range(1, PROCS)]
    assert victim.stdout is not None
    deadline = time.monotonic() + TIMEOUT
    written = 0
    while written < 40 and time.monotonic() < deadline:  # wait until it is mid-way
        if victim.stdout.readline():
            written += 1
    assert written == 40, "the victim never got going"
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(timeout=TIMEOUT)
    assert victim.returncode == -signal.SIGKILL
    for proc in others:
        _finish(proc)  # within the timeout: nothing is stuck behind the dead writer
    # a later writer redoes the victim's share (and everything else) and proceeds
    _finish(_writer(path, -1))
    _check_all_regions(path)
    assert _leftovers(path) == []
    mag = wk.Dataset.open(path).get_layer("color").get_mag(1)
    assert np.count_nonzero(mag.read()) == REGIONS * EDGE**3
