"""``explore_and_add_remote`` with data that stays elsewhere: a dataset served over
HTTP by ``wkfn serve``'s server on 127.0.0.1, and one in a bucket of a real moto S3
server. The test server explores the URI like the real one (reads the remote
properties, stores absolute mag URIs) and its datastore then reads the voxels from
there, as files (zarr streaming) and transcoded; the reference client explores and
reads the HTTP one the same way."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from remote_helpers import ORG, TOKEN, Wk

import wkfn as wk
from wkfn.visual.server import DatasetServer

_buckets = itertools.count()


def _same_as_sample(remote: Any, wkserver: Wk) -> None:
    local = wk.Dataset.open(wkserver.sample_path)
    assert sorted(remote.layers) == sorted(local.layers)
    for name, layer in local.layers.items():
        other = remote.get_layer(name)
        assert other.bounding_box == layer.bounding_box, name
        for mag in layer.mags:
            np.testing.assert_array_equal(
                other.get_mag(mag).read(), layer.get_mag(mag).read(), err_msg=name
            )


@pytest.fixture
def http_sample(wkserver: Wk) -> Iterator[str]:
    with DatasetServer(wkserver.sample_path, port=0) as served:
        yield served.url.rstrip("/")


def test_explore_and_add_an_http_dataset(wkserver: Wk, http_sample: str) -> None:
    with wk.webknossos_context(url=wkserver.url, token=TOKEN):
        added = wk.Dataset.explore_and_add_remote(
            http_sample, "over_http", f"{ORG}/Published"
        )
        assert added.name == "over_http" and added.folder.name == "Published"
        _same_as_sample(added, wkserver)
        rec = wkserver.server.state.datasets[added.dataset_id]
        # the server kept only the description, with absolute mag URIs ...
        assert sorted(p.name for p in rec.path.iterdir()) == [
            "datasource-properties.json"
        ]
        assert (
            f'"{http_sample}/color/1"'
            in (rec.path / "datasource-properties.json").read_text()
        )
        # ... and reads the voxels from there, also transcoded like the real one
        wkserver.server.transcode = True
        again = wk.Dataset.open_remote(added.dataset_id)
        _same_as_sample(again, wkserver)
        downloaded = wk.Dataset.download(
            "over_http",
            layers="color",
            mags=[wk.Mag(1)],
            path=wkserver.server.state.root / "dl",
        )
    np.testing.assert_array_equal(
        downloaded.get_layer("color").get_mag(1).read(),
        wk.Dataset.open(wkserver.sample_path).get_layer("color").get_mag(1).read(),
    )


REF_EXPLORE = """
with wk.webknossos_context(url=P["url"], token=P["token"]):
    ds = wk.RemoteDataset.explore_and_add_remote(P["uri"], "explored_by_ref")
    data = ds.get_layer("color").get_mag(1).read()
    print(json.dumps({"id": ds.dataset_id, "sum": int(data.astype("uint64").sum()),
                      "shape": list(data.shape)}))
"""


@pytest.mark.reference
def test_reference_explores_the_http_dataset_alike(
    wkserver: Wk, http_sample: str, ref: Any
) -> None:
    theirs = ref(REF_EXPLORE, url=wkserver.url, token=TOKEN, uri=http_sample)
    local = wk.Dataset.open(wkserver.sample_path).get_layer("color").get_mag(1).read()
    assert theirs["sum"] == int(local.astype("uint64").sum())
    assert theirs["shape"] == list(local.shape)
    with wk.webknossos_context(url=wkserver.url, token=TOKEN):
        _same_as_sample(wk.Dataset.open_remote(theirs["id"]), wkserver)


def test_explore_of_nothing_is_a_typed_error(wkserver: Wk, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "datasource-properties.json").write_text("{}")
    with (
        DatasetServer(empty, port=0) as served,
        wk.webknossos_context(url=wkserver.url, token=TOKEN),
        pytest.raises(wk.WebknossosError, match="found no dataset") as e,
    ):
        wk.Dataset.explore_and_add_remote(served.url + "nothing", "nothing_here")
    assert e.value.status == 400
    assert not any(
        d.name == "nothing_here" for d in wkserver.server.state.datasets.values()
    )


# --------------------------------------------------------------------------- s3


@pytest.fixture(scope="module")
def s3_server() -> Iterator[Any]:
    pytest.importorskip("moto")
    pytest.importorskip("s3fs")
    from wkfn.testing.s3_server import LocalS3Server

    with LocalS3Server() as server:
        yield server


@pytest.fixture
def s3_sample(s3_server: Any, wkserver: Wk, monkeypatch: pytest.MonkeyPatch) -> str:
    from wkfn.storage import store_access

    for key, value in s3_server.env().items():
        monkeypatch.setenv(key, value)
    store_access.reset_caches()
    bucket = f"wkfn-explore-{os.getpid()}-{next(_buckets)}"
    s3_server.create_bucket(bucket)
    uri = f"s3://{bucket}/sample"
    wk.Dataset.open(wkserver.sample_path).copy_dataset(uri)
    wkserver.server.s3_endpoint = s3_server.endpoint
    return uri


def test_explore_and_add_an_s3_dataset(wkserver: Wk, s3_sample: str) -> None:
    with wk.webknossos_context(url=wkserver.url, token=TOKEN):
        added = wk.Dataset.explore_and_add_remote(s3_sample, "in_s3")
        _same_as_sample(added, wkserver)
        props = (
            wkserver.server.state.datasets[added.dataset_id].path
            / "datasource-properties.json"
        ).read_text()
        assert f'"{s3_sample}/segmentation/2-2-1"' in props
        wkserver.server.transcode = True  # the datastore's own zarr3 form
        _same_as_sample(wk.Dataset.open_remote("in_s3"), wkserver)
        with pytest.raises(wk.WebknossosError, match="found no dataset"):
            wk.Dataset.explore_and_add_remote(f"{s3_sample}-missing", "not_there")
