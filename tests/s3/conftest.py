"""Fixtures for the object-storage tests: a real moto S3 server on 127.0.0.1.

``s3_server`` starts one server process per session; ``s3_env`` points the
standard variables (``S3_ENDPOINT_URL``, ``AWS_ACCESS_KEY_ID``, ...) at it for one
test; ``bucket`` creates a fresh bucket and yields its ``s3://`` URL.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator

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
