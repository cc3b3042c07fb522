"""The `wkfn` command line on datasets in a bucket (real subprocesses, real moto
server; credentials and endpoint only through the standard variables)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import wkfn as wk
from wkfn.storage import objects

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


DECLARATION = """
name = "sample"
voxel_size = [11.24, 11.24, 25.0]

[[layers]]
name = "color"
shard_shape = [64, 64, 32]
source = { images = "slices" }
downsample = { coarsest_mag = 4, sampling_mode = "isotropic" }
"""


def test_cli_on_a_bucket(tmp_path: Path, bucket: str, s3_env: dict[str, str]) -> None:
    folder = tmp_path / "slices"
    folder.mkdir()
    rng = np.random.default_rng(3)
    for z in range(20):
        tifffile.imwrite(
            folder / f"img_{z}.tif", rng.integers(0, 255, (64, 96), np.uint8)
        )
    (tmp_path / "sample.toml").write_text(DECLARATION)
    url = f"{bucket}/sample"
    plan = run("plan", "sample.toml", "--dataset", url, "--json", "saved", cwd=tmp_path)
    assert "+ array color/1" in plan.stdout
    assert not objects.exists(url), "planning writes nothing"
    saved = "".join(p.read_text() for p in (tmp_path / "saved").rglob("*.json"))
    assert s3_env["AWS_SECRET_ACCESS_KEY"] not in saved + plan.stdout + plan.stderr
    run("apply", "saved", "--dataset", url, cwd=tmp_path)
    again = run("plan", "sample.toml", "--dataset", url, cwd=tmp_path).stdout
    assert "(no changes)" in again
    info = run("info", url, cwd=tmp_path).stdout
    assert f"at {url}" in info
    assert "mag 4" in info and "stored" in info
    assert run("check", url, cwd=tmp_path).stdout.strip().endswith("ok")

    # copy to a local dir and back into the bucket, recompress and downsample
    run("copy-dataset", url, "local", cwd=tmp_path)
    run(
        "copy-dataset",
        str(tmp_path / "local"),
        f"{bucket}/raw",
        "--data-format",
        "zarr",
        cwd=tmp_path,
    )
    local = wk.Dataset.open(tmp_path / "local").get_layer("color")
    coarser = [m for m in local.mags if m != wk.Mag(1)]
    raw = wk.Dataset.open(f"{bucket}/raw")
    for mag in coarser:
        raw.get_layer("color").delete_mag(mag)
    run(
        "downsample",
        f"{bucket}/raw",
        "--coarsest-mag",
        "4",
        "--sampling-mode",
        "isotropic",
        cwd=tmp_path,
    )
    run("compress", f"{bucket}/raw", cwd=tmp_path)
    again_raw = wk.Dataset.open(f"{bucket}/raw").get_layer("color")
    assert sorted(again_raw.mags) == sorted(local.mags)
    for mag in local.mags:
        assert again_raw.get_mag(mag).info.compression_mode
        np.testing.assert_array_equal(
            again_raw.get_mag(mag).read(), local.get_mag(mag).read()
        )
    # the converter writes into a bucket too
    run(
        "convert",
        "slices",
        f"{bucket}/converted",
        "--voxel-size",
        "1,1,1",
        "--no-downsample",
        cwd=tmp_path,
    )
    conv = wk.Dataset.open(f"{bucket}/converted")
    assert conv.get_layer("color").bounding_box.size.to_tuple()[2] == 20
