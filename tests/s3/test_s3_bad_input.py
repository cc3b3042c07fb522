"""Bad object-storage input: each a typed error naming the URL (secrets
redacted), raised before anything is written. The credential cases run against
a moto server that authenticates every request."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import wkfn as wk
from wkfn.storage import location, objects, store_access
from wkfn.storage.location import (
    BucketNotFoundError,
    CredentialsInUrlError,
    NoCredentialsError,
    NotADirectoryLocationError,
    ObjectStoreAuthError,
    UnsupportedSchemeError,
)
from wkfn.testing.s3_server import LocalS3Server


@pytest.fixture(scope="module")
def auth_server() -> Iterator[tuple[LocalS3Server, dict[str, tuple[str, str]]]]:
    with LocalS3Server(auth=True) as server:
        users = server.create_users()
        server.create_bucket("guarded", *users["admin"])
        yield server, users


def _use(
    monkeypatch: pytest.MonkeyPatch, server: LocalS3Server, key: str, secret: str
) -> None:
    monkeypatch.setenv("S3_ENDPOINT_URL", server.endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    store_access.reset_caches()


def test_unknown_scheme(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedSchemeError, match=r"foo://b/ds.*'foo'"):
        wk.Dataset("foo://b/ds", voxel_size=(1, 1, 1))
    with pytest.raises(UnsupportedSchemeError):
        wk.Dataset.open("ftp://host/ds")


def test_url_with_credentials_is_refused_and_redacted(bucket: str) -> None:
    name = bucket.removeprefix("s3://")
    with pytest.raises(CredentialsInUrlError) as info:
        wk.Dataset(f"s3://AKIAKEY:topsecret@{name}/ds", voxel_size=(1, 1, 1))
    assert "topsecret" not in str(info.value) and "AKIAKEY" not in str(info.value)
    assert "***@" in info.value.url
    with pytest.raises(CredentialsInUrlError) as info:
        wk.Dataset.open(f"{bucket}/ds?X-Amz-Signature=cafebabe1234")
    assert "cafebabe1234" not in str(info.value)
    assert not list(objects.iter_keys(bucket))


def test_missing_bucket(s3_env: dict[str, str], tmp_path: Path) -> None:
    with pytest.raises(BucketNotFoundError, match="s3://no-such-bucket"):
        wk.Dataset("s3://no-such-bucket/ds", voxel_size=(1, 1, 1))
    with pytest.raises(FileNotFoundError, match="s3://no-such-bucket/ds"):
        wk.Dataset.open("s3://no-such-bucket/ds")
    local = wk.Dataset(tmp_path / "ds", voxel_size=(1, 1, 1))
    with pytest.raises(BucketNotFoundError):
        local.copy_dataset("s3://no-such-bucket/copy")


def test_url_that_is_a_file_or_not_a_dataset(bucket: str) -> None:
    objects.write_bytes(f"{bucket}/notes.txt", b"hello")
    with pytest.raises(NotADirectoryLocationError, match=r"notes\.txt"):
        wk.Dataset(f"{bucket}/notes.txt", voxel_size=(1, 1, 1))
    with pytest.raises(NotADirectoryError):
        wk.Dataset.open(f"{bucket}/notes.txt")
    with pytest.raises(wk.errors.DatasetNotFoundError, match=f"{bucket}/nothing"):
        wk.Dataset.open(f"{bucket}/nothing")
    assert sorted(objects.iter_keys(bucket)) == ["notes.txt"]


def test_wrong_credentials_and_permission_denied(
    auth_server: tuple[LocalS3Server, dict[str, tuple[str, str]]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server, users = auth_server
    _use(monkeypatch, server, *users["admin"])
    wk.Dataset("s3://guarded/ok", voxel_size=(1, 1, 1))
    before = sorted(objects.iter_keys("s3://guarded"))
    for key, secret in (users["denied"], ("AKIAWRONGKEY", "wrong-secret-value")):
        _use(monkeypatch, server, key, secret)
        with pytest.raises(ObjectStoreAuthError) as info:
            wk.Dataset("s3://guarded/new", voxel_size=(1, 1, 1))
        assert "s3://guarded/new" in str(info.value)
        assert secret not in str(info.value) and key not in str(info.value)
        assert isinstance(info.value, PermissionError)
        with pytest.raises(ObjectStoreAuthError):
            wk.Dataset.open("s3://guarded/ok")
    _use(monkeypatch, server, *users["admin"])
    assert sorted(objects.iter_keys("s3://guarded")) == before


def test_no_credentials(
    auth_server: tuple[LocalS3Server, dict[str, tuple[str, str]]],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    server, _ = auth_server
    monkeypatch.setenv("S3_ENDPOINT_URL", server.endpoint)
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    store_access.reset_caches()
    with pytest.raises(NoCredentialsError, match="AWS_ACCESS_KEY_ID"):
        wk.Dataset("s3://guarded/x", voxel_size=(1, 1, 1))


def test_redaction_of_env_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "sup3r-s3cret")
    text = "failed: key sup3r-s3cret in s3://u:p@b/x?token=abc&Signature=zz"
    out = location.redact(text)
    assert "sup3r-s3cret" not in out and ":p@" not in out
    assert "abc" not in out and "zz" not in out
