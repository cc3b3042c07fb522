"""Long facade operations draw a progress bar on stderr; small writes never do, and
output that is not a terminal stays clean unless WKFN_PROGRESS=1 asks for it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from wkfn.execute.progress_bar import is_long, progress_bar, wants_progress

SCRIPT = """
import sys
import numpy as np
import wkfn as wk
ds = wk.Dataset(sys.argv[1], voxel_size=(1, 1, 1))
mag = ds.add_layer("c", "color").add_mag(1, chunk_shape=16, shard_shape=32)
mag.write(np.ones((128, 128, 64), np.uint8), allow_resize=True)
print("WROTE", file=sys.stderr, flush=True)
ds.get_layer("c").downsample(coarsest_mag=4)
"""


def run(tmp_path: Path, setting: str | None) -> str:
    env = dict(os.environ)
    env.pop("WKFN_PROGRESS", None)
    if setting is not None:
        env["WKFN_PROGRESS"] = setting
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "ds")],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=300,
    )
    return proc.stderr


def test_forced_bar_shows_downsample_stages_only(tmp_path: Path) -> None:
    err = run(tmp_path, "1")
    before, after = err.split("WROTE")
    assert "ops" not in before  # the single write drew nothing
    assert "downsample c 2" in after and "downsample c 4" in after
    assert "ops" in after


def test_no_terminal_no_bar(tmp_path: Path) -> None:
    assert run(tmp_path, None).strip() == "WROTE"


def test_switched_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run(tmp_path, "0").strip() == "WROTE"
    monkeypatch.setenv("WKFN_PROGRESS", "off")
    assert not wants_progress()
    with progress_bar() as callback:
        assert callback is None


def test_only_bulk_plans_are_long(tmp_path: Path) -> None:
    import numpy as np

    import wkfn as wk

    ds = wk.Dataset(tmp_path / "p", voxel_size=(1, 1, 1))
    with ds.dry_run() as rec:
        mag = ds.add_layer("c", "color").add_mag(1, chunk_shape=16, shard_shape=32)
        mag.write(np.ones((64, 64, 64), np.uint8), allow_resize=True)
    assert not is_long(rec.plan)
    mag = ds.add_layer("d", "color").add_mag(1, chunk_shape=16, shard_shape=32)
    mag.write(np.ones((64, 64, 64), np.uint8), allow_resize=True)
    with ds.dry_run() as rec:
        ds.get_layer("d").downsample(coarsest_mag=2)
    assert is_long(rec.plan)
