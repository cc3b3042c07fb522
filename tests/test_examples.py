"""Every example script and the demo (the README's main job) run and succeed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.name)
def test_example_runs(script: Path, tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]


def test_demo_main_job(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "wkfn.demo", str(tmp_path / "sample")],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "+ array color/1 zarr3 uint8" in proc.stdout
    assert "voxels identical to the sample: True" in proc.stdout
    # the README's picture (examples/demo_preview.png) is what the demo draws
    image = pytest.importorskip("PIL.Image")
    drawn = np.asarray(image.open(tmp_path / "sample" / "preview.png"))
    committed = np.asarray(image.open(ROOT / "examples" / "demo_preview.png"))
    assert np.array_equal(drawn, committed)
    assert (tmp_path / "sample" / "plan.svg").read_text().startswith("<svg")
