"""Upload and download with wkfn against the test server: plans (dry runs with byte
counts), parallel and resumable uploads that survive dropped connections, linked
layers, refused names, partial downloads, and a download killed with SIGKILL that
resumes."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import numpy as np
import pytest
from remote_helpers import ORG, SAMPLE_NAME, TOKEN, Wk

import wkfn as wk
from wkfn.errors import DatasetExistsError
from wkfn.remote import client, upload
from wkfn.testing.kill_points import run_killable


@pytest.fixture(autouse=True)
def _fast(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(client, "BACKOFF_SECONDS", 0.01)
    monkeypatch.setenv("WKFN_CACHE_DIR", str(tmp_path / "cache"))


def _same(a: wk.Dataset, b: wk.Dataset) -> None:
    assert sorted(a.layers) == sorted(b.layers)
    for name, layer in a.layers.items():
        other = b.get_layer(name)
        assert layer.bounding_box == other.bounding_box, name
        assert sorted(layer.mags) == sorted(other.mags), name
        for mag, view in layer.mags.items():
            np.testing.assert_array_equal(view.read(), other.get_mag(mag).read())


def _chunk_posts(wkserver: Wk) -> list[str]:
    return [r.path for r in wkserver.server.requests("POST", r"/upload/dataset$")]


# --------------------------------------------------------------------------- upload


def test_upload_dry_run_lists_files_and_bytes_without_requests(wkserver: Wk) -> None:
    local = wk.Dataset.open(wkserver.sample_path)
    with wk.webknossos_context(url=wkserver.url, token=TOKEN):
        plan = local.upload("dry", dry_run=True)
    text = str(plan)
    assert text.startswith(f"upload {wkserver.sample_path} -> {wkserver.url} as 'dry'")
    files = {f.relpath: f.size for f in plan.files}
    assert "datasource-properties.json" in files
    assert (
        files["color/1/zarr.json"]
        == (wkserver.sample_path / "color/1/zarr.json").stat().st_size
    )
    assert plan.total_bytes == sum(files.values())
    assert f"{plan.total_bytes} B" in text
    assert not any(".wkfn" in name for name in files)
    assert wkserver.server.log == []


def test_refused_name_fails_before_anything_is_reserved(wkserver: Wk) -> None:
    local = wk.Dataset.open(wkserver.sample_path)
    before = set(wkserver.server.state.datasets)
    with (
        wk.webknossos_context(url=wkserver.url, token=TOKEN),
        pytest.raises(wk.DatasetNameRefusedError, match="bad name!"),
    ):
        local.upload("bad name!")
    assert not wkserver.server.requests("POST", "reserveUpload")
    assert set(wkserver.server.state.datasets) == before
    assert not (wkserver.server.state.root / ORG / "bad name!").exists()


def test_upload_survives_drops_and_resumes_on_the_next_call(
    wkserver: Wk, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(upload, "CHUNK_SIZE", 64 * 1024)  # several chunks per file
    monkeypatch.setattr(client, "RETRIES", 1)
    local = wk.Dataset.open(wkserver.sample_path)
    state = wkserver.server.state
    before = set(state.datasets)
    with wk.webknossos_context(url=wkserver.url, token=TOKEN):
        plan = local.upload("resumed", dry_run=True)
        n_chunks = sum(max(1, -(-f.size // upload.CHUNK_SIZE)) for f in plan.files)
        assert n_chunks > 10
        # the connection drops for good after 6 chunks
        wkserver.server.fail("POST", r"/upload/dataset$", 0, count=10**6, skip=6)
        with pytest.raises(wk.UploadFailedError, match="call upload again") as info:
            local.upload("resumed", jobs=1)
        assert TOKEN not in str(info.value)
        assert set(state.datasets) == before  # no dataset, not even a partial one
        assert not (state.root / ORG / "resumed").exists()
        wkserver.server.faults.clear()
        wkserver.server.log.clear()
        remote = local.upload("resumed", jobs=3)
    sent_again = _chunk_posts(wkserver)
    assert len(sent_again) == n_chunks - 6  # only the missing chunks
    # one probe of the first chunk (does the server still know the upload?), then
    # one test per chunk
    assert len(wkserver.server.requests("GET", r"/upload/dataset$")) == n_chunks + 1
    assert remote.name == "resumed"
    _same(local, remote)
    assert not list((Path(os.environ["WKFN_CACHE_DIR"]) / "uploads").glob("*.json"))


def test_a_resumed_upload_the_server_forgot_starts_over(
    wkserver: Wk, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(client, "RETRIES", 0)
    local = wk.Dataset.open(wkserver.sample_path)
    with wk.webknossos_context(url=wkserver.url, token=TOKEN):
        wkserver.server.fail("POST", r"/upload/dataset$", 500, count=10**6, skip=3)
        with pytest.raises(wk.UploadFailedError):
            local.upload("forgotten", jobs=1)
        wkserver.server.faults.clear()
        wkserver.server.state.uploads.clear()  # e.g. the datastore restarted
        remote = local.upload("forgotten")
    assert len(wkserver.server.requests("POST", "reserveUpload")) == 2
    _same(local, remote)


def test_parallel_upload_retries_transient_errors(
    wkserver: Wk, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(upload, "CHUNK_SIZE", 128 * 1024)
    wkserver.server.fail("POST", r"/upload/dataset$", 503, count=3, skip=2)
    wkserver.server.fail("POST", r"/finishUpload$", 502, count=1)
    local = wk.Dataset.open(wkserver.sample_path)
    with wk.webknossos_context(url=wkserver.url, token=TOKEN):
        remote = local.upload(jobs=4)
    assert remote.name == local.name
    _same(local, remote)


def test_linked_layers_are_not_sent(wkserver: Wk, tmp_path: Path) -> None:
    local = wk.Dataset.open(wkserver.sample_path).copy_dataset(tmp_path / "local")
    with wk.webknossos_context(url=wkserver.url, token=TOKEN):
        source = wk.Dataset.open_remote(SAMPLE_NAME)
        links = [
            wk.LayerToLink.from_remote_layer(source.get_layer("color")),
            wk.LayerToLink(source.dataset_id, "segmentation", "seg_linked"),
        ]
        plan = local.upload("with_links", layers_to_link=links, dry_run=True)
        assert plan.left_out == ("color",)
        assert "~ link layer seg_linked" in str(plan)
        remote = local.upload("with_links", layers_to_link=links)
    posted = [r.query.get("resumableRelativePath") for r in wkserver.server.log]
    assert posted  # form fields arrive in the body; check the stored files instead
    stored = wkserver.server.state.datasets[remote.dataset_id].path
    assert (stored / "color").is_symlink()
    assert sorted(remote.layers) == ["color", "seg_linked", "segmentation"]
    np.testing.assert_array_equal(
        remote.get_layer("color").get_mag(1).read(),
        local.get_layer("color").get_mag(1).read(),
    )
    np.testing.assert_array_equal(
        remote.get_layer("seg_linked").get_mag(1).read(),
        local.get_layer("segmentation").get_mag(1).read(),
    )


def test_upload_of_a_remote_dataset_is_refused(wkserver: Wk) -> None:
    with wk.webknossos_context(url=wkserver.url, token=TOKEN):
        ds = wk.Dataset.open_remote(SAMPLE_NAME)
        with pytest.raises(wk.InvalidArgumentError, match="not on local disk"):
            ds.upload("copy")


# --------------------------------------------------------------------------- download


def test_partial_download_and_dry_run(wkserver: Wk, tmp_path: Path) -> None:
    box = wk.BoundingBox((16, 24, 8), (32, 32, 16))
    target = tmp_path / "part"
    with wk.webknossos_context(url=wkserver.url, token=TOKEN):
        plan = wk.Dataset.download(
            SAMPLE_NAME,
            bbox=box,
            layers="color",
            mags=[wk.Mag(1)],
            path=target,
            dry_run=True,
        )
        assert plan.total_bytes == 32 * 32 * 16
        assert "16384 B to fetch" in str(plan) and not target.exists()
        ds = wk.Dataset.download(
            SAMPLE_NAME, bbox=box, layers="color", mags=[wk.Mag(1)], path=target
        )
    assert list(ds.layers) == ["color"]
    assert list(ds.get_layer("color").mags) == [wk.Mag(1)]
    assert ds.get_layer("color").bounding_box == box
    local = wk.Dataset.open(wkserver.sample_path).get_layer("color").get_mag(1)
    np.testing.assert_array_equal(
        ds.get_layer("color").get_mag(1).read(),
        local.read(absolute_bounding_box=box),
    )


def test_download_default_path_exist_ok_and_bad_layers(
    wkserver: Wk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with wk.webknossos_context(url=wkserver.url, token=TOKEN):
        ds = wk.Dataset.download(SAMPLE_NAME)
        assert Path(ds.path) == Path(f"{SAMPLE_NAME}-{wkserver.sample.id}")
        _same(ds, wk.Dataset.open(wkserver.sample_path))
        again = wk.Dataset.download(SAMPLE_NAME)  # same download: nothing to do
        assert again.path == ds.path
        with pytest.raises(DatasetExistsError):
            wk.Dataset.download(SAMPLE_NAME, layers=["color"], path=ds.path)
        replaced = wk.Dataset.download(
            SAMPLE_NAME, layers=["color"], path=ds.path, exist_ok=True
        )
        assert list(replaced.layers) == ["color"]
        with pytest.raises(IndexError, match="nope"):
            wk.Dataset.download(SAMPLE_NAME, layers=["nope"], path=tmp_path / "x")
        with pytest.raises(IndexError, match="has no mag 4"):
            wk.Dataset.download(SAMPLE_NAME, mags=[wk.Mag(4)], path=tmp_path / "y")
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()


def _big_dataset(path: Path) -> Path:
    rng = np.random.default_rng(3)
    ds = wk.Dataset(path, voxel_size=(1, 1, 1), exist_ok=False)
    layer = ds.add_layer("color", "color", dtype_per_channel="uint8")
    mag = layer.add_mag(1, chunk_shape=32, shard_shape=64)
    data = rng.integers(0, 255, (256, 256, 128), dtype=np.uint8)
    mag.write(data, absolute_offset=(0, 0, 0), allow_resize=True)
    return path


KILLED_DOWNLOAD = """
import sys, wkfn as wk
with wk.webknossos_context(url=sys.argv[1], token=sys.argv[2]):
    wk.Dataset.download(sys.argv[3], path=sys.argv[4])
"""


def test_download_killed_with_sigkill_resumes(wkserver: Wk, tmp_path: Path) -> None:
    """SIGKILL by journal progress (the 2nd journal line), not by the clock:
    the kill always lands mid-way, however fast the machine reads."""
    source = _big_dataset(tmp_path / "big")
    rec = wkserver.server.state.add_dataset_from(source, ORG, "big")
    target = tmp_path / "download"
    with wk.webknossos_context(url=wkserver.url, token=TOKEN):
        planned = wk.Dataset.download(rec.id, path=target, dry_run=True)
    assert planned.total_bytes == 256 * 256 * 128
    proc = run_killable(
        KILLED_DOWNLOAD,
        wkserver.url,
        TOKEN,
        rec.id,
        str(target),
        kill_at=2,
        mode="after",
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    journal = target / ".wkfn-journal"
    lines = [
        line
        for f in journal.glob("*.jsonl")
        for line in f.read_text().splitlines()
        if json.loads(line)
    ]
    assert lines  # some tasks acknowledged, the properties not yet written
    assert not (target / "datasource-properties.json").exists()
    wkserver.server.log.clear()
    with wk.webknossos_context(url=wkserver.url, token=TOKEN):
        ds = wk.Dataset.download(rec.id, path=target)
    _same(ds, wk.Dataset.open(source))
    assert not list(journal.glob("*.jsonl"))
