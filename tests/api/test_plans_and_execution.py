"""Dry runs, saved plans, stale plans, executors (threads, processes, dask)."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

import wkfn as wk
from wkfn.errors import ExecutionError, StalePlanError


def test_dry_run_writes_nothing_and_applies_later(tmp_path: Path) -> None:
    ds = wk.Dataset(tmp_path / "ds", voxel_size=(1, 1, 1))
    before = (tmp_path / "ds" / "datasource-properties.json").read_bytes()
    data = np.arange(64**3, dtype=np.uint32).reshape(64, 64, 64) % 251
    with ds.dry_run() as rec:
        layer = ds.add_layer("c", "color", dtype="uint16")
        mag = layer.add_mag(1, chunk_shape=32, shard_shape=64)
        mag.write(data.astype(np.uint16), allow_resize=True)
        assert "c" in ds.layers  # visible inside the block
    assert "c" not in ds.layers  # restored afterwards
    assert (tmp_path / "ds" / "datasource-properties.json").read_bytes() == before
    assert not (tmp_path / "ds" / "c").exists()
    text = str(rec.plan)
    assert "+ array c/1 zarr3 uint16 chunk 32³ shard 64³" in text
    assert "~ write c/1 at (0, 0, 0) size 64x64x64 uint16" in text
    assert text.splitlines()[-1].startswith("~ properties")
    saved = wk.save_plan(rec.plan, tmp_path / "plan", rec.payloads)
    plan, payloads = wk.load_plan(saved)
    assert plan == rec.plan
    wk.apply(plan, tmp_path / "ds", payloads)
    again = wk.Dataset.open(tmp_path / "ds")
    np.testing.assert_array_equal(again.get_layer("c").get_mag(1).read()[0], data)
    assert wk.apply(plan, tmp_path / "ds", payloads).ops == 0  # idempotent


def test_stale_plan_refused(tmp_path: Path) -> None:
    ds = wk.Dataset(tmp_path / "ds", voxel_size=(1, 1, 1))
    with ds.dry_run() as rec:
        ds.add_layer("a", "color")
    ds.add_layer("b", "color")  # the dataset moves on
    with pytest.raises(StalePlanError):
        rec.apply()
    assert list(wk.Dataset.open(tmp_path / "ds").layers) == ["b"]


def test_transaction_rewrites_each_shard_once(tmp_path: Path) -> None:
    from wkfn.storage.arrays import STATS

    ds = wk.Dataset(tmp_path / "ds", voxel_size=(1, 1, 1))
    mag = ds.add_layer("c", "color").add_mag(1, chunk_shape=32, shard_shape=128)
    mag.write(np.zeros((256, 256, 256), np.uint8), allow_resize=True)
    rng = np.random.default_rng(1)
    offsets = rng.integers(0, 200, (50, 3))
    expected = mag.read()[0].copy()
    start = STATS["transactions"]
    with ds.transaction():
        for i, off in enumerate(offsets):
            block = np.full((40, 40, 40), i + 1, np.uint8)
            x, y, z = (int(v) for v in off)
            size = np.minimum(40, 256 - off)
            mag.write(
                block[: size[0], : size[1], : size[2]],
                absolute_offset=(x, y, z),
                allow_unaligned=True,
            )
            expected[x : x + size[0], y : y + size[1], z : z + size[2]] = i + 1
    assert STATS["transactions"] - start == 1
    np.testing.assert_array_equal(mag.read()[0], expected)


def _write_with(executor: object, path: Path) -> None:
    ds = wk.Dataset(path, voxel_size=(1, 1, 1))
    data = (np.arange(256**3, dtype=np.uint64).reshape(256, 256, 256) * 7 % 255).astype(
        np.uint8
    )
    with ds.dry_run() as rec:
        ds.add_layer("c", "color").add_mag(1, chunk_shape=32, shard_shape=64).write(
            data, allow_resize=True
        )
    import wkfn.execute.executor as ex

    old = ex.TARGET_TASK_BYTES
    ex.TARGET_TASK_BYTES = 1 << 20  # force many tasks
    try:
        report = rec.apply(executor=executor)  # type: ignore[arg-type]
    finally:
        ex.TARGET_TASK_BYTES = old
    assert report.tasks > 4
    np.testing.assert_array_equal(
        wk.Dataset.open(path).get_layer("c").get_mag(1).read()[0], data
    )


def test_thread_pool(tmp_path: Path) -> None:
    with ThreadPoolExecutor(2) as pool:
        _write_with(pool, tmp_path / "ds")


def test_process_pool_spawn(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(2, mp_context=ctx) as pool:
        _write_with(pool, tmp_path / "ds")


def test_dask_local_cluster(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        _write_with(client.get_executor(), tmp_path / "ds")


def test_failed_plan_rolls_back_created_arrays(tmp_path: Path) -> None:
    ds = wk.Dataset(tmp_path / "ds", voxel_size=(1, 1, 1))
    with ds.dry_run() as rec:
        ds.add_layer("c", "color").add_mag(1).write(
            np.ones((32, 32, 32), np.uint8), allow_resize=True
        )
    before = (tmp_path / "ds" / "datasource-properties.json").read_bytes()
    with pytest.raises(ExecutionError):  # the payload is missing
        wk.apply(rec.plan, tmp_path / "ds", {}, resume=False)
    assert (tmp_path / "ds" / "datasource-properties.json").read_bytes() == before
    assert not (tmp_path / "ds" / "c" / "1").exists()
    assert wk.Dataset.open(tmp_path / "ds").layers == {}


def test_failed_resumable_apply_keeps_progress_and_resumes(tmp_path: Path) -> None:
    ds = wk.Dataset(tmp_path / "ds", voxel_size=(1, 1, 1))
    with ds.dry_run() as rec:
        ds.add_layer("c", "color").add_mag(1).write(
            np.ones((32, 32, 32), np.uint8), allow_resize=True
        )
    before = (tmp_path / "ds" / "datasource-properties.json").read_bytes()
    with pytest.raises(ExecutionError):  # the payload is missing
        wk.apply(rec.plan, tmp_path / "ds", {})
    # still openable in its old state; the created array is kept for the resume
    assert (tmp_path / "ds" / "datasource-properties.json").read_bytes() == before
    assert wk.Dataset.open(tmp_path / "ds").layers == {}
    assert (tmp_path / "ds" / "c" / "1").exists()
    wk.apply(rec.plan, tmp_path / "ds", rec.payloads)
    assert wk.Dataset.open(tmp_path / "ds").get_layer("c").get_mag(1).read().min() == 1
    assert not (tmp_path / "ds" / ".wkfn-journal").exists()


def test_in_memory_and_on_disk_fingerprints_agree(tmp_path: Path) -> None:
    """A plan recorded after any mutation applies: memory and disk states match."""
    ds = wk.Dataset(tmp_path / "ds", voxel_size=(4, 4, 40))
    ds.add_layer("empty", "segmentation", dtype="uint64", largest_segment_id=2**62)
    ds.default_view_configuration = wk.DatasetViewConfiguration(zoom=1.5)
    with ds.dry_run() as rec:
        ds.add_layer("b", "color", num_channels=3)
    rec.apply()
    assert list(wk.Dataset.open(tmp_path / "ds").layers) == ["empty", "b"]


def test_failed_facade_call_changes_neither_memory_nor_disk(tmp_path: Path) -> None:
    ds = wk.Dataset(tmp_path / "ds", voxel_size=(1, 1, 1))
    layer = ds.add_layer("c", "color")
    (tmp_path / "ds" / "c").mkdir()
    (tmp_path / "ds" / "c" / "1").write_text("not an array")  # blocks array creation
    before = (tmp_path / "ds" / "datasource-properties.json").read_bytes()
    with pytest.raises(ExecutionError):
        layer.add_mag(1)
    assert layer.mags == {}  # the in-memory spec was not swapped
    assert (tmp_path / "ds" / "datasource-properties.json").read_bytes() == before
    assert wk.Dataset.open(tmp_path / "ds").get_layer("c").mags == {}
    assert (tmp_path / "ds" / "c" / "1").read_text() == "not an array"  # untouched


def test_progress_reports_tasks_and_bytes(tmp_path: Path) -> None:
    from wkfn.execute.executor import ProgressEvent

    ds = wk.Dataset(tmp_path / "ds", voxel_size=(1, 1, 1))
    with ds.dry_run() as rec:
        ds.add_layer("c", "color").add_mag(1, chunk_shape=32, shard_shape=64).write(
            np.ones((128, 128, 64), np.uint8), allow_resize=True
        )
    events: list[ProgressEvent] = []
    with ThreadPoolExecutor(2) as pool:
        rec.apply(executor=pool, progress=events.append)
    writes = [e for e in events if e.bytes_total]
    assert writes, events
    assert writes[-1].bytes_done == writes[-1].bytes_total == 128 * 128 * 64
    assert [e.bytes_done for e in writes] == sorted(e.bytes_done for e in writes)
    assert all(e.tasks_done <= e.tasks_total for e in events)


def test_resume_after_kill_between_create_and_first_journal_line(
    tmp_path: Path,
) -> None:
    """The crash window the random-kill test hit once: an array created, nothing
    journaled yet. The journal is begun before any op, so the rerun resumes."""
    from wkfn.execute.array_tasks import run_create_array
    from wkfn.execute.journal import Journal
    from wkfn.plan.ops import CreateArray

    ds = wk.Dataset(tmp_path / "ds", voxel_size=(1, 1, 1))
    with ds.dry_run() as rec:
        ds.add_layer("c", "color").add_mag(1).write(
            np.ones((32, 32, 32), np.uint8), allow_resize=True
        )
    root = str(tmp_path / "ds")
    assert Journal(root, rec.plan.target).begin() is False  # the killed run's start
    creates = [
        op for st in rec.plan.stages for op in st.ops if isinstance(op, CreateArray)
    ]
    assert creates
    for op in creates:
        run_create_array(root, op)  # ... and its first task, then kill -9
    wk.apply(rec.plan, tmp_path / "ds", rec.payloads)
    assert wk.Dataset.open(tmp_path / "ds").get_layer("c").get_mag(1).read().min() == 1
    assert not (tmp_path / "ds" / ".wkfn-journal").exists()


@pytest.mark.parametrize("data_format", ["zarr3", "zarr", "wkw"])
def test_resume_after_kill_inside_create_array(
    tmp_path: Path, data_format: str
) -> None:
    """Killed after the array directory was made but before its metadata landed."""
    from wkfn.execute.journal import Journal
    from wkfn.plan.ops import CreateArray

    ds = wk.Dataset(tmp_path / "ds", voxel_size=(1, 1, 1))
    with ds.dry_run() as rec:
        ds.add_layer("c", "color", data_format=data_format).add_mag(1).write(
            np.ones((32, 32, 32), np.uint8), allow_resize=True
        )
    Journal(tmp_path / "ds", rec.plan.target).begin()
    for st in rec.plan.stages:
        for op in st.ops:
            if isinstance(op, CreateArray):
                (tmp_path / "ds" / op.path).mkdir(parents=True)
    wk.apply(rec.plan, tmp_path / "ds", rec.payloads)
    assert wk.Dataset.open(tmp_path / "ds").get_layer("c").get_mag(1).read().min() == 1
