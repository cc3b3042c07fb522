"""Kill -9 a downsample / copy of an n-D layer at points chosen by journal progress,
run the same script again: the files are bit-identical to an uninterrupted run."""

from __future__ import annotations

import hashlib
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import wkfn as wk
from wkfn.execute.journal import JOURNAL_DIR

SCRIPT = """
import os, signal, sys
import wkfn as wk
import wkfn.transform.copy.regions as regions
from wkfn.execute.journal import Journal
regions.GROW_BLOCK_BYTES = regions.MAX_BLOCK_BYTES = 1 << 14  # many copy ops
source, target, op, kill_at = sys.argv[1:4] + [int(sys.argv[4])]
done = 0
durable_record = Journal.record

def record(self, keys):
    global done
    durable_record(self, keys)
    done += 1
    if done == kill_at:
        os.kill(os.getpid(), signal.SIGKILL)

Journal.record = record
ds = wk.Dataset.open(source)
if op == "downsample":
    ds.get_layer("nd").downsample(coarsest_mag=wk.Mag(4))
else:
    ds.copy_dataset(target, data_format="zarr", chunk_shape=16, chunks_per_shard=1)
print(done)
"""


def _run(
    source: Path, target: Path, op: str, kill_at: int = -1
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", SCRIPT, str(source), str(target), op, str(kill_at)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _snapshot(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and JOURNAL_DIR not in p.parts
    }


@pytest.mark.parametrize("op", ["downsample", "copy"])
def test_kill_n_d_call_then_run_again(op: str, tmp_path: Path) -> None:
    base = tmp_path / "base"
    ds = wk.Dataset(base, voxel_size=(1, 1, 1))
    bb = wk.NDBoundingBox((0, 0, 0, 0), (4, 64, 64, 32), ("t", "x", "y", "z"))
    layer = ds.add_layer("nd", "color", bounding_box=bb)
    data = np.random.default_rng(2).integers(0, 255, tuple(bb.size)).astype(np.uint8)
    layer.add_mag(1, chunk_shape=16, shard_shape=32, compress=False).write(
        data, absolute_bounding_box=bb
    )
    reference = tmp_path / "reference"
    shutil.copytree(base, reference)
    done = _run(reference, tmp_path / "ref_out" / "copy", op)
    assert done.returncode == 0, done.stderr
    lines = int(done.stdout.strip().splitlines()[-1])
    assert lines >= 4, "the call must be journaled"
    result = tmp_path / "ref_out" / "copy" if op == "copy" else reference
    expected = _snapshot(result)
    for i, kill_at in enumerate(sorted({1, lines // 2, lines - 1})):
        source = tmp_path / f"run{i}"
        target = tmp_path / f"run{i}_out" / "copy"
        shutil.copytree(base, source)
        proc = _run(source, target, op, kill_at)
        assert proc.returncode == -signal.SIGKILL, (kill_at, proc.stderr)
        again = _run(source, target, op)
        assert again.returncode == 0, (kill_at, again.stderr)
        assert _snapshot(target if op == "copy" else source) == expected, kill_at
