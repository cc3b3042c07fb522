"""gs:// datasets: the tensorstore ``gcs`` kvstore spec, at the spec level only.

A local emulator (gcp-storage-emulator) runs here, but tensorstore's gcs kvstore
rejects its object generations ("Malformed StorageGeneration") on the first
re-read, so no end-to-end GCS test can run against it.
"""

from __future__ import annotations

import os

import pytest

from wkfn.storage import location, store_access


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
    store_access.kvstore_spec("gs://bucket/ds")
    assert os.environ["TENSORSTORE_GCS_HTTP_URL"] == "http://127.0.0.1:9"
