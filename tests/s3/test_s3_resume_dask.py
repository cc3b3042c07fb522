"""Plans applied to a bucket: resume after kill -9 (the journal lives in the
bucket), and a dask LocalCluster whose worker processes read and write the bucket."""

from __future__ import annotations

import hashlib
import os
import signal
import warnings
from pathlib import Path

import numpy as np
import pytest

import wkfn as wk
from wkfn.execute.journal import JOURNAL_DIR
from wkfn.storage import objects, store_access
from wkfn.testing.kill_points import journal_lines, kill_point, run_apply_killable

KILLS = int(os.environ.get("WKFN_S3_CRASH_KILLS", "6"))


def snapshot(url: str) -> dict[str, str]:
    """Key -> sha256 of every object below ``url`` (the journal excluded)."""
    return {
        key: hashlib.sha256(objects.read_bytes(f"{url}/{key}")).hexdigest()
        for key in sorted(objects.iter_keys(url))
        if not key.startswith(JOURNAL_DIR)
    }


def clone(source: str, target: str) -> None:
    objects.server_side_copy(source, target, list(objects.iter_keys(source)))


def test_kill_then_resume_on_s3(
    bucket: str, s3_env: dict[str, str], tmp_path: Path
) -> None:
    base = f"{bucket}/base"
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
        mag.write(rng.integers(0, 99, (96, 96, 64), dtype=np.uint32), allow_resize=True)
        for _ in range(20):
            off = rng.integers(0, (80, 80, 48))
            mag.write(
                rng.integers(0, 99, (16, 16, 16), dtype=np.uint32),
                absolute_offset=tuple(int(v) for v in off),
                allow_unaligned=True,
            )
        ds.get_layer("old").delete_mag(2)
        ds.name = "after"
    plan_dir = wk.save_plan(rec.plan, tmp_path / "plan", rec.payloads)
    saved = "".join(p.read_text(errors="ignore") for p in plan_dir.rglob("*.json"))
    assert s3_env["AWS_SECRET_ACCESS_KEY"] not in saved

    reference = f"{bucket}/reference"
    clone(base, reference)
    done = run_apply_killable(reference, plan_dir, timeout=600)
    assert done.returncode == 0, done.stderr
    lines = journal_lines(done)
    assert lines > 10
    expected = snapshot(reference)
    assert wk.Dataset.open(reference).name == "after"

    plan, payloads = wk.load_plan(plan_dir)
    for i in range(KILLS):
        target = f"{bucket}/run{i}"
        clone(base, target)
        kill_at, mode = kill_point(rng, i, lines, last=False)
        proc = run_apply_killable(
            target, plan_dir, kill_at=kill_at, mode=mode, timeout=600
        )
        assert proc.returncode == -signal.SIGKILL, (kill_at, mode, proc.stderr)
        # the journal is in the bucket, beside the dataset
        assert objects.is_dir(f"{target}/{JOURNAL_DIR}")
        assert wk.Dataset.open(target).name in ("after", "base")
        wk.apply(plan, target, payloads)  # resume, from this process
        assert snapshot(target) == expected, f"run {i} ({mode} {kill_at}) differs"
        assert not objects.is_dir(f"{target}/{JOURNAL_DIR}")


@pytest.mark.slow
def test_dask_cluster_downsamples_and_copies_in_bucket(
    bucket: str,
    s3_env: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    distributed = pytest.importorskip("distributed")
    from upath import UPath

    data = np.random.default_rng(7).integers(0, 200, (256, 256, 128), dtype=np.uint8)
    local = wk.Dataset(tmp_path / "local", voxel_size=(1, 1, 1))
    llayer = local.add_layer("color", "color")
    llayer.add_mag(1, chunk_shape=32, shard_shape=64).write(data, allow_resize=True)
    llayer.downsample(coarsest_mag=4, sampling_mode="isotropic")

    # the workers get no credentials from the environment: only the UPath's
    # storage options, which travel with the tasks (never in the plan)
    for name in ("S3_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    store_access.reset_caches()
    root = UPath(
        f"{bucket}/dask",
        endpoint_url=s3_env["S3_ENDPOINT_URL"],
        key=s3_env["AWS_ACCESS_KEY_ID"],
        secret=s3_env["AWS_SECRET_ACCESS_KEY"],
    )
    ds = wk.Dataset(root, voxel_size=(1, 1, 1))
    layer = ds.add_layer("color", "color")
    layer.add_mag(1, chunk_shape=32, shard_shape=64).write(data, allow_resize=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with (
            distributed.LocalCluster(
                n_workers=2,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
            ) as cluster,
            distributed.Client(cluster) as client,
            distributed.get_task_stream(client) as stream,
        ):
            layer.downsample(
                coarsest_mag=4,
                sampling_mode="isotropic",
                executor=client.get_executor(),
            )
            copy = ds.copy_dataset(
                UPath(f"{bucket}/dask-copy", **root.storage_options),
                data_format="zarr",
                chunk_shape=32,
                executor=client.get_executor(),
            )
    workers = {task["worker"] for task in stream.data}
    assert len(workers) == 2, "both worker processes ran tasks"
    for m in (1, 2, 4):
        want = llayer.get_mag(m).read()
        np.testing.assert_array_equal(
            wk.Dataset.open(root).get_layer("color").get_mag(m).read(), want
        )
        np.testing.assert_array_equal(copy.get_layer("color").get_mag(m).read(), want)
    assert "key" not in str(copy.path)
