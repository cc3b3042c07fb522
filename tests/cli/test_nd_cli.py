"""``wkfn info`` / ``check`` / ``copy-dataset`` on an n-D layer (real subprocesses)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

import wkfn as wk


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wkfn.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_info_check_and_copy_an_n_d_dataset(tmp_path: Path) -> None:
    bb = wk.NDBoundingBox((3, 0, 0, 0), (3, 32, 32, 16), ("t", "x", "y", "z"))
    ds = wk.Dataset(tmp_path / "ds", voxel_size=(1, 1, 1))
    layer = ds.add_layer("nd", "color", bounding_box=bb)
    data = np.random.default_rng(1).integers(0, 255, tuple(bb.size)).astype(np.uint8)
    layer.add_mag(1).write(data, absolute_bounding_box=bb)

    info = run("info", str(tmp_path / "ds"))
    assert info.returncode == 0, info.stderr
    assert "bbox t=3..5, x=0..31, y=0..31, z=0..15" in info.stdout
    assert "dims (t, x, y, z)" in info.stdout

    check = run("check", str(tmp_path / "ds"))
    assert check.returncode == 0, check.stdout + check.stderr

    copy = run("copy-dataset", str(tmp_path / "ds"), str(tmp_path / "copy"))
    assert copy.returncode == 0, copy.stderr
    copied = wk.Dataset.open(tmp_path / "copy").get_layer("nd")
    assert copied.bounding_box == bb
    assert np.array_equal(copied.get_mag(1).read(), data)

    # a tampered OME group is reported (check compares the n-D axes too)
    group = tmp_path / "copy/nd/zarr.json"
    group.write_text(group.read_text().replace('"time"', '"space"'))
    bad = run("check", str(tmp_path / "copy"))
    assert bad.returncode != 0 and "nd" in bad.stdout, bad.stdout
