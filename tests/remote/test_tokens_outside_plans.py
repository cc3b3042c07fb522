"""A sharing token never enters a download's plan: not the in-memory plan, not its
saved JSON, not the journal of an interrupted run, not an error message. It travels
beside the plan (registered for the dataset's datastore route, handed to worker
processes with their tasks), and the download through a sharing link still works,
also on a process pool."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import msgspec
import numpy as np
import pytest
from remote_helpers import TOKEN, Wk

import wkfn as wk
from wkfn.errors import ExecutionError
from wkfn.execute.saved import save_plan
from wkfn.remote import client


@pytest.fixture(autouse=True)
def _fast(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client, "BACKOFF_SECONDS", 0.01)


def _sharing_link(wkserver: Wk) -> tuple[str, str]:
    with wk.webknossos_context(url=wkserver.url, token=TOKEN):
        token = wk.Dataset.open_remote(wkserver.sample.id).sharing_token
    assert token
    return f"{wkserver.url}/datasets/{wkserver.sample.id}/view?token={token}", token


def _files_text(root: Path) -> str:
    return "".join(
        p.read_text(errors="replace") for p in root.rglob("*") if p.is_file()
    )


def test_download_plan_saved_plan_and_journal_hold_no_sharing_token(
    wkserver: Wk, tmp_path: Path
) -> None:
    link, token = _sharing_link(wkserver)
    target = tmp_path / "dl"
    planned = wk.Dataset.download(link, path=target, dry_run=True)
    assert planned.regions > 0
    encoded = msgspec.json.encode(planned.plan).decode()
    assert "/zarr/" in encoded  # the plan does name the datastore route ...
    for text in (encoded, repr(planned), str(planned), repr(planned.change)):
        assert token not in text  # ... but never the token
        assert "token=" not in text
    saved = save_plan(planned.plan, tmp_path / "saved", {})
    assert token not in _files_text(saved)

    # an interrupted run leaves its journal: the segmentation reads are refused
    wkserver.server.fail("GET", r"/zarr/[0-9a-f]+/segmentation/", 403, count=10_000)
    with pytest.raises(ExecutionError, match=r"segmentation.*403") as failed:
        wk.Dataset.download(link, path=target)
    assert token not in str(failed.value)
    journal = target / ".wkfn-journal"
    assert any(journal.glob("*.jsonl"))
    assert token not in _files_text(target)
    # the token went to the server with the reads, as ?token=
    reads = wkserver.server.requests("GET", r"/zarr/[0-9a-f]+/color/")
    assert reads and all(r.query.get("token") == token for r in reads)

    wkserver.server.faults.clear()
    ds = wk.Dataset.download(link, path=target)  # resumes
    local = wk.Dataset.open(wkserver.sample_path)
    for name in ("color", "segmentation"):
        np.testing.assert_array_equal(
            ds.get_layer(name).get_mag(1).read(),
            local.get_layer(name).get_mag(1).read(),
        )
    assert token not in _files_text(target)


def test_sharing_link_download_on_a_process_pool(wkserver: Wk, tmp_path: Path) -> None:
    """Worker processes get the token with their tasks (not through the plan)."""
    link, token = _sharing_link(wkserver)
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(2, mp_context=ctx) as pool:
        ds = wk.Dataset.download(
            link, layers="color", path=tmp_path / "dl", executor=pool
        )
    np.testing.assert_array_equal(
        ds.get_layer("color").get_mag(1).read(),
        wk.Dataset.open(wkserver.sample_path).get_layer("color").get_mag(1).read(),
    )
    assert token not in _files_text(tmp_path / "dl")
