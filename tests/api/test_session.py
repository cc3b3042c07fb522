"""The facade's effect boundary, ``wkfn.api._session.Session``, on real files.

Every mutating facade call ends in ``Session.apply``; these tests pin what it owns:
refusing read-only datasets, recording in dry runs, adopting the new spec and the
layouts of created arrays, removing what a failed plan made, and the pool policy.
"""

from __future__ import annotations

import os
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

import wkfn as wk
from wkfn.api._session import Session, open_session
from wkfn.errors import DatasetNotFoundError, ExecutionError, ReadOnlyError
from wkfn.plan.ops import CopyTree, CreateArray
from wkfn.transform import dataset as ds_transform
from wkfn.transform import layer as layer_transform
from wkfn.transform.change import make_change


def _dataset(tmp_path: Path) -> wk.Dataset:
    ds = wk.Dataset(tmp_path / "ds", voxel_size=(1, 1, 1))
    ds.add_layer("color", "color", bounding_box=wk.BoundingBox((0, 0, 0), (64, 64, 64)))
    return ds


def test_apply_executes_and_adopts_spec_and_layouts(tmp_path: Path) -> None:
    ds = _dataset(tmp_path)
    session = ds.session
    change, layout = layer_transform.add_mag(session.spec, "color", (1, 1, 1))
    session.apply(change)
    assert session.spec == change.spec
    assert (tmp_path / "ds" / "color" / "1").is_dir()
    # the created array's layout is known without reading storage
    assert session.layout("color", wk.Mag(1)) == layout
    assert open_session(tmp_path / "ds").spec == change.spec


def test_apply_refuses_read_only_before_planning_anything(tmp_path: Path) -> None:
    _dataset(tmp_path)
    session = open_session(tmp_path / "ds", read_only=True)
    change = ds_transform.set_name(session.spec, "other")
    with pytest.raises(ReadOnlyError):
        session.apply(change)
    assert session.spec.id.name == "ds"
    assert open_session(tmp_path / "ds").spec.id.name == "ds"


def test_recording_records_instead_of_executing_and_restores(tmp_path: Path) -> None:
    ds = _dataset(tmp_path)
    session = ds.session
    before = session.spec
    with session.recording() as recorder:
        change, _ = layer_transform.add_mag(session.spec, "color", (1, 1, 1))
        session.apply(change)
        assert session.is_recording
        assert session.spec == change.spec  # the object behaves as if it happened
        assert not (tmp_path / "ds" / "color" / "1").exists()
    assert session.spec == before
    assert recorder.changes == [change]
    recorder.apply()
    assert session.spec == change.spec  # the attached session caught up
    assert (tmp_path / "ds" / "color" / "1").is_dir()


def test_failed_plan_removes_what_it_made_and_keeps_the_spec(tmp_path: Path) -> None:
    ds = _dataset(tmp_path)
    session = ds.session
    before = session.spec
    source = tmp_path / "source.bin"
    source.write_bytes(b"voxels")
    made = tmp_path / "ds" / "new_layer" / "copied"
    failing = CopyTree(source=str(tmp_path / "missing"), target=str(made) + "2")
    bad = make_change(
        before,
        ds_transform.set_name(before, "renamed").spec,
        [
            ("copy", [CopyTree(source=str(source), target=str(made))]),
            ("fail", [failing]),
        ],
    )
    with pytest.raises((ExecutionError, OSError)):
        session.apply(bad)
    assert session.spec == before
    assert not made.exists()  # the copied file and
    assert not made.parent.exists()  # the directory the plan created are gone
    assert open_session(tmp_path / "ds").spec == before


class _Counting(Executor):
    """Runs tasks inline and counts them (to see which executor a plan ran on)."""

    def __init__(self) -> None:
        self.submitted = 0

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.submitted += 1
        fut: Future[Any] = Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            fut.set_exception(exc)
        return fut


def test_executor_precedence_and_wrap(tmp_path: Path) -> None:
    ds = _dataset(tmp_path)
    session = ds.session
    default, given = _Counting(), _Counting()
    session.executor = default
    change, _ = layer_transform.add_mag(session.spec, "color", (1, 1, 1))
    seen: list[Executor] = []

    def wrap(inner: Executor) -> Executor:
        seen.append(inner)
        return inner

    session.apply(change, executor=given, wrap=wrap)
    assert given.submitted > 0 and default.submitted == 0
    assert seen == [given]
    change2, _ = layer_transform.add_mag(session.spec, "color", (2, 2, 2))
    session.apply(change2)
    assert default.submitted > 0


def test_pool_policy_always_uses_a_thread_pool(tmp_path: Path) -> None:
    ds = _dataset(tmp_path)
    session = ds.session
    change, _ = layer_transform.add_mag(session.spec, "color", (1, 1, 1))
    seen: list[Executor] = []
    session.apply(change, pool="always", wrap=lambda e: seen.append(e) or e)
    assert len(seen) == 1 and isinstance(seen[0], ThreadPoolExecutor)
    assert any(isinstance(op, CreateArray) for op in change.plan.ops)


def test_open_session_names_the_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DatasetNotFoundError, match=r"datasource-properties\.json"):
        open_session(tmp_path / "nothing")


def test_session_pickles_without_executor_and_refuses_while_recording(
    tmp_path: Path,
) -> None:
    import pickle

    ds = _dataset(tmp_path)
    session = ds.session
    session.executor = ThreadPoolExecutor(max_workers=1)
    copy = pickle.loads(pickle.dumps(session))
    assert isinstance(copy, Session) and copy.executor is None
    assert copy.spec == session.spec
    session.executor.shutdown()
    with session.recording(), pytest.raises(TypeError, match="dry_run"):
        pickle.dumps(session)
    assert os.path.isdir(tmp_path / "ds")
