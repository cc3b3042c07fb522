"""Fixtures for the WEBKNOSSOS client tests: a running test server with two
organizations and a sample dataset, and the token of its user."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

_HERE = Path(__file__).resolve().parent
for _dir in (str(_HERE.parent), str(_HERE)):  # tests/wkserver, remote_helpers
    if _dir not in sys.path:
        sys.path.insert(0, _dir)

from remote_helpers import (  # noqa: E402
    ORG,
    OTHER_ORG,
    OTHER_TOKEN,
    SAMPLE_NAME,
    TOKEN,
    Wk,
    make_sample,
)
from wkserver import start  # noqa: E402


@pytest.fixture(scope="session")
def sample_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_sample(tmp_path_factory.mktemp("sample") / SAMPLE_NAME)


@pytest.fixture
def wkserver(tmp_path: Path, sample_dir: Path) -> Iterator[Wk]:
    server = start(tmp_path / "wkstore")
    state = server.state
    state.add_organization(ORG, TOKEN, "user@example.org")
    state.add_organization(OTHER_ORG, OTHER_TOKEN, "other@example.org")
    state.add_folder("Published", state.root_folder(ORG).id)
    sample = state.add_dataset_from(sample_dir, ORG, SAMPLE_NAME)
    yield Wk(server, sample, sample_dir)
    from wkfn.remote.client import close_connections

    close_connections()  # the next test's server reuses no stale keep-alive socket
    server.stop()


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("WK_TOKEN", "WK_URL", "WK_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
