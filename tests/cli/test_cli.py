"""The `wkfn` command line, run as a real subprocess on real files."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import wkfn as wk

tifffile = pytest.importorskip("tifffile")


def run(*args: str, cwd: Path, ok: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "wkfn.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
        check=False,
    )
    if ok:
        assert proc.returncode == 0, proc.stderr
    return proc


@pytest.fixture
def stack(tmp_path: Path) -> Path:
    folder = tmp_path / "slices"
    folder.mkdir()
    rng = np.random.default_rng(3)
    for z in range(20):
        tifffile.imwrite(
            folder / f"img_{z}.tif", rng.integers(0, 255, (64, 96), np.uint8)
        )
    return folder


DECLARATION = """
name = "sample"
voxel_size = [11.24, 11.24, 25.0]

[[layers]]
name = "color"
shard_shape = [64, 64, 32]
source = { images = "slices" }
downsample = { coarsest_mag = 4, sampling_mode = "isotropic" }

[[layers]]
name = "labels"
category = "segmentation"
dtype = "uint32"
bounding_box = { size = [96, 64, 20] }
"""


def test_plan_apply_is_idempotent(tmp_path: Path, stack: Path) -> None:
    (tmp_path / "sample.toml").write_text(DECLARATION)
    plan = run("plan", "sample.toml", "--json", "saved", cwd=tmp_path).stdout
    assert "+ array color/1 zarr3 uint8" in plan
    assert "~ import color/1" in plan
    assert "+ array color/2 " in plan and "+ array color/4 " in plan
    assert "region ops" in plan.splitlines()[1]
    assert not (tmp_path / "sample").exists()  # planning wrote nothing
    run("apply", "sample.toml", cwd=tmp_path)
    ds = wk.Dataset.open(tmp_path / "sample")
    assert set(ds.layers) == {"color", "labels"}
    assert set(ds.get_layer("color").mags) == {wk.Mag(1), wk.Mag(2), wk.Mag(4)}
    data = ds.get_layer("color").get_mag(1).read()[0]
    assert np.array_equal(data[:, :, 5], tifffile.imread(stack / "img_5.tif").T)
    again = run("plan", "sample.toml", cwd=tmp_path).stdout
    assert "(no changes)" in again
    assert "nothing to do" in run("apply", "sample.toml", cwd=tmp_path).stdout


def test_saved_plan_applies_to_a_fresh_copy(tmp_path: Path, stack: Path) -> None:
    (tmp_path / "sample.toml").write_text(DECLARATION)
    run("plan", "sample.toml", "--json", "saved", cwd=tmp_path)
    run("apply", "saved", "--dataset", "a", cwd=tmp_path)
    run("apply", "saved", "--dataset", "b", "--executor", "inline", cwd=tmp_path)
    assert run("check-equality", "a", "b", cwd=tmp_path).returncode == 0


def test_declaration_errors_are_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('voxel_size = [1, 1, 1]\n[[layers]]\nname = "c"\ncolour = 1\n')
    proc = run("plan", "bad.toml", cwd=tmp_path, ok=False)
    assert proc.returncode == 1
    assert proc.stderr.strip().count("\n") == 0
    assert "bad.toml: $.layers[0]" in proc.stderr and "colour" in proc.stderr
    bad.write_text(
        'voxel_size = [1, 1, 1]\n[[layers]]\nname = "c"\n'
        "chunk_shape = [32, 32, 32]\nshard_shape = [48, 64, 64]\n"
    )
    proc = run("plan", "bad.toml", cwd=tmp_path, ok=False)
    assert "$.layers[0].shard_shape" in proc.stderr
    missing = run("info", "nowhere", cwd=tmp_path, ok=False)
    assert missing.returncode == 1 and missing.stderr.startswith("error:")
    assert "Traceback" not in missing.stderr


def test_convert_info_check_compress_copy_export(tmp_path: Path, stack: Path) -> None:
    run(
        "convert",
        "slices",
        "ds",
        "--voxel-size",
        "4,4,40",
        "--no-compress",
        "--shard-shape",
        "64",
        cwd=tmp_path,
    )
    info = run("info", "ds", cwd=tmp_path).stdout
    assert "layer color: color uint8" in info and "mag 2-2-1" in info
    assert "raw" in info
    assert run("check", "ds", cwd=tmp_path).stdout.strip().endswith("ok")
    dry = run("compress", "ds", "--dry-run", cwd=tmp_path).stdout
    assert "color/1" in dry and "raw" in run("info", "ds", cwd=tmp_path).stdout
    run("compress", "ds", cwd=tmp_path)
    assert "raw" not in run("info", "ds", cwd=tmp_path).stdout
    run("copy-dataset", "ds", "copy", "--data-format", "wkw", cwd=tmp_path)
    assert run("check-equality", "ds", "copy", cwd=tmp_path).returncode == 0
    run("export-as-tiff", "ds", "tiffs", "--layer-name", "color", cwd=tmp_path)
    exported = tifffile.imread(tmp_path / "tiffs" / "000003.tif")
    assert np.array_equal(exported, tifffile.imread(stack / "img_3.tif"))


def test_check_reports_missing_arrays_and_differences(
    tmp_path: Path, stack: Path
) -> None:
    run("convert", "slices", "ds", "--voxel-size", "4,4,40", cwd=tmp_path)
    shutil.copytree(tmp_path / "ds", tmp_path / "other")
    view = wk.Dataset.open(tmp_path / "other").get_layer("color").get_mag(1)
    view.write(np.full((8, 8, 8), 1, np.uint8), allow_unaligned=True)
    diff = run("check-equality", "ds", "other", cwd=tmp_path, ok=False)
    assert diff.returncode == 1 and "voxels differ" in diff.stdout
    shutil.rmtree(tmp_path / "ds" / "color" / "2-2-1")
    props = json.loads((tmp_path / "ds" / "datasource-properties.json").read_text())
    assert any(m["path"] == "./color/2-2-1" for m in props["dataLayers"][0]["mags"])
    bad = run("check", "ds", cwd=tmp_path, ok=False)
    assert bad.returncode == 1 and "color/2-2-1: array missing" in bad.stdout


def test_dry_run_changes_nothing(tmp_path: Path, stack: Path) -> None:
    out = run(
        "convert", "slices", "ds", "--voxel-size", "4,4,40", "--dry-run", cwd=tmp_path
    )
    assert "+ array color/1" in out.stdout
    assert not (tmp_path / "ds").exists()


def test_executor_dask_address_runs_on_a_real_scheduler(
    tmp_path: Path, stack: Path
) -> None:
    """`--executor dask://HOST:PORT` connects to a scheduler the test started."""
    distributed = pytest.importorskip("distributed")
    run("convert", "slices", "ds", "--voxel-size", "4,4,40", cwd=tmp_path)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        address = cluster.scheduler_address.removeprefix("tcp://")
        run(
            "copy-dataset",
            "ds",
            "copy",
            "--data-format",
            "zarr",
            "--executor",
            f"dask://{address}",
            cwd=tmp_path,
        )
        with distributed.Client(cluster) as client:
            # the workers did the work: the tasks ran in their processes
            ran = client.run(lambda: "wkfn.execute.copy_tasks" in sys.modules)
            assert ran and any(ran.values()), ran
    assert run("check-equality", "ds", "copy", cwd=tmp_path).returncode == 0
    assert wk.Dataset.open(tmp_path / "copy").get_layer("color").data_format == "zarr"


def test_unknown_executor_is_one_line(tmp_path: Path, stack: Path) -> None:
    run(
        "convert",
        "slices",
        "ds",
        "--voxel-size",
        "4,4,40",
        "--no-compress",
        cwd=tmp_path,
    )
    proc = run("compress", "ds", "--executor", "ray", cwd=tmp_path, ok=False)
    assert proc.returncode != 0 and "unknown executor 'ray'" in proc.stderr
    assert "Traceback" not in proc.stderr
    proc = run(
        "compress", "ds", "--executor", "dask://127.0.0.1:9", cwd=tmp_path, ok=False
    )
    assert proc.returncode != 0 and "cannot reach the dask scheduler" in proc.stderr
    assert "Traceback" not in proc.stderr
