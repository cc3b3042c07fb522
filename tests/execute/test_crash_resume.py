"""Kill -9 an apply at random points; the dataset stays openable and a resumed apply
produces files bit-identical to an uninterrupted run."""

from __future__ import annotations

import os
import shutil
import signal
from pathlib import Path

import numpy as np
import pytest

import wkfn as wk
from wkfn.execute.journal import JOURNAL_DIR
from wkfn.testing.kill_points import (
    journal_lines,
    kill_point,
    run_apply_killable,
    tree_digest,
)

KILLS = int(os.environ.get("WKFN_CRASH_KILLS", "50"))


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A base dataset and a saved plan that creates, writes and deletes."""
    root = tmp_path_factory.mktemp("crash")
    base = root / "base"
    ds = wk.Dataset(base, voxel_size=(4, 4, 40))
    old = ds.add_layer("old", "color")
    old.add_mag(1, chunk_shape=16, shard_shape=32).write(
        np.full((64, 64, 64), 9, np.uint8), allow_resize=True
    )
    old.add_mag(2, chunk_shape=16, shard_shape=32)
    rng = np.random.default_rng(5)
    with ds.dry_run() as rec:
        seg = ds.add_layer("seg", "segmentation", dtype="uint32", largest_segment_id=99)
        mag = seg.add_mag(1, chunk_shape=16, shard_shape=32)
        mag.write(
            rng.integers(0, 99, (192, 192, 96), dtype=np.uint32), allow_resize=True
        )
        for _ in range(60):
            off = rng.integers(0, (176, 176, 80))
            mag.write(
                rng.integers(0, 99, (16, 16, 16), dtype=np.uint32),
                absolute_offset=tuple(int(v) for v in off),
                allow_unaligned=True,
            )
        ds.get_layer("old").delete_mag(2)
        ds.name = "after"
    plan_dir = wk.save_plan(rec.plan, root / "plan", rec.payloads)
    return base, plan_dir


def test_kill_at_random_points_then_resume(
    scenario: tuple[Path, Path], tmp_path: Path
) -> None:
    base, plan_dir = scenario
    reference = tmp_path / "reference"
    shutil.copytree(base, reference)
    done = run_apply_killable(reference, plan_dir)
    assert done.returncode == 0, done.stderr
    lines = journal_lines(done)  # of a full run
    assert lines > 20, "the plan must give many places to die in"
    expected = tree_digest(reference)
    assert wk.Dataset.open(reference).name == "after"

    plan, payloads = wk.load_plan(plan_dir)
    rng = np.random.default_rng(123)
    killed_mid_run = 0
    for i in range(KILLS):
        target = tmp_path / f"run{i}"
        shutil.copytree(base, target)
        # every point of progress can be chosen: after the journal's opening line
        # (0 tasks done) up to after the last task's line (properties not written)
        kill_at, mode = kill_point(rng, i, lines)
        proc = run_apply_killable(target, plan_dir, kill_at=kill_at, mode=mode)
        assert proc.returncode == -signal.SIGKILL, (kill_at, mode, proc.stderr)
        killed_mid_run += 1
        # whatever happened, the dataset opens (in its old or new state)
        opened = wk.Dataset.open(target)
        assert opened.name in ("after", "base")
        wk.apply(plan, target, payloads)  # resume
        assert tree_digest(target) == expected, f"run {i} ({mode} {kill_at}) differs"
        assert not (target / JOURNAL_DIR).exists()
        shutil.rmtree(target)
    print(f"\n{KILLS} runs, {killed_mid_run} killed mid-run, all resumed identically")
    assert killed_mid_run == KILLS
