"""Clients for an object-store location: tensorstore kvstore specs, fsspec, UPath.

:mod:`wkfn.storage.location` parses a URL and knows its bucket's options, endpoint and
region; this module turns those into what each backend needs:

* :func:`kvstore_spec` - tensorstore's ``s3`` / ``gcs`` kvstore JSON for an array
  (zarr3 and zarr v2 data is read and written by tensorstore itself); explicit keys
  go through a private credentials file, so no spec ever carries a secret;
* :func:`filesystem` - an fsspec filesystem for small metadata objects
  (``datasource-properties.json``, OME group files, the journal);
* :func:`to_upath` - a ``UPath`` carrying the bucket's options (``MagView.path``).
"""

from __future__ import annotations

import atexit
import hashlib
import os
import shutil
import tempfile
import threading
from typing import Any

from wkfn.errors import StorageError
from wkfn.storage.location import (
    ENDPOINT_ENV,
    SECRET_ENVS,
    JsonDict,
    UnsupportedSchemeError,
    endpoint_for,
    options_for,
    parse,
    region_for,
)

# ------------------------------------------------------------------- tensorstore

_cred_lock = threading.Lock()
_cred_files: dict[str, str] = {}


def _credentials_file(key: str, secret: str, token: str | None) -> str:
    """A private (0600) AWS credentials file for explicit key/secret options.

    tensorstore takes no inline keys; its ``profile`` credentials read a file. The
    spec then names the file, never the secret.
    """
    digest = hashlib.sha256(f"{key}\0{secret}\0{token}".encode()).hexdigest()[:16]
    with _cred_lock:
        path = _cred_files.get(digest)
        if path is not None and os.path.exists(path):
            return path
        directory = tempfile.mkdtemp(prefix="wkfn-aws-")
        path = os.path.join(directory, "credentials")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        lines = [
            "[wkfn]",
            f"aws_access_key_id = {key}",
            f"aws_secret_access_key = {secret}",
        ]
        if token:
            lines.append(f"aws_session_token = {token}")
        with os.fdopen(fd, "w") as f:
            f.write("\n".join(lines) + "\n")
        # the AWS profile parser also wants a config file to exist
        with open(os.path.join(directory, "config"), "w") as f:
            f.write("[default]\n")
        _cred_files[digest] = path
        if len(_cred_files) == 1:
            atexit.register(reset_caches)
        return path


def _aws_credentials(url: str) -> JsonDict:
    opts = options_for(url)
    if opts.get("anon"):
        return {"type": "anonymous"}
    key, secret = opts.get("key"), opts.get("secret")
    if key and secret:
        token = opts.get("token") or opts.get("session_token")
        path = _credentials_file(str(key), str(secret), token and str(token))
        return {
            "type": "profile",
            "profile": "wkfn",
            "credentials_file": path,
            "config_file": os.path.join(os.path.dirname(path), "config"),
        }
    if os.environ.get("AWS_ACCESS_KEY_ID") and os.environ.get("AWS_SECRET_ACCESS_KEY"):
        return {"type": "environment"}
    return {"type": "default"}


def kvstore_spec(url: str) -> JsonDict:
    """tensorstore kvstore JSON for the array directory at an object-store URL.

    S3 writes are unconditional (``use_conditional_write: false``, as the
    reference does): wkfn's plans give every shard one writer, and several
    S3-compatible stores reject conditional PUTs.
    """
    loc = parse(url)
    prefix = loc.key + "/" if loc.key else ""
    if loc.scheme == "gs":
        # tensorstore reads its endpoint from TENSORSTORE_GCS_HTTP_URL; a GCS
        # emulator is usually announced as STORAGE_EMULATOR_HOST (gcsfs, Google)
        emulator = os.environ.get("STORAGE_EMULATOR_HOST")
        if emulator and not os.environ.get("TENSORSTORE_GCS_HTTP_URL"):
            os.environ["TENSORSTORE_GCS_HTTP_URL"] = emulator
        if emulator and not os.environ.get("GOOGLE_AUTH_TOKEN_FOR_TESTING"):
            # an emulator takes no credentials; without a token tensorstore would
            # look for Google credentials (and wait for a metadata server)
            os.environ["GOOGLE_AUTH_TOKEN_FOR_TESTING"] = "emulator"
        return {"driver": "gcs", "bucket": loc.bucket, "path": prefix}
    if loc.scheme != "s3":
        raise UnsupportedSchemeError(
            f"no object-store kvstore for {loc.display}", url=loc.display
        )
    spec: JsonDict = {
        "driver": "s3",
        "bucket": loc.bucket,
        "path": prefix,
        "aws_region": region_for(url),
        "aws_credentials": _aws_credentials(url),
        "use_conditional_write": False,
    }
    endpoint = endpoint_for(url)
    if endpoint:
        spec["endpoint"] = endpoint
    return spec


# --------------------------------------------------------------------------- fsspec

_fs_lock = threading.Lock()
_fs_cache: dict[tuple[str, str], Any] = {}


def _fs_options(url: str) -> JsonDict:
    scheme = parse(url).scheme
    opts = options_for(url)
    if scheme == "s3":
        endpoint = endpoint_for(url)
        if endpoint and "endpoint_url" not in opts:
            opts["endpoint_url"] = endpoint
        client_kwargs = dict(opts.get("client_kwargs") or {})
        client_kwargs.setdefault("region_name", region_for(url))
        opts["client_kwargs"] = client_kwargs
        config = dict(opts.get("config_kwargs") or {})
        # checksums only where required: S3-compatible stores (and the reference,
        # which sets the same through the environment) may not accept others
        config.setdefault("request_checksum_calculation", "when_required")
        config.setdefault("response_checksum_validation", "when_required")
        opts["config_kwargs"] = config
        opts.setdefault("use_listings_cache", False)
    elif scheme == "gs":
        if os.environ.get("STORAGE_EMULATOR_HOST") and "token" not in opts:
            opts["token"] = "anon"  # an emulator takes no credentials
        opts.setdefault("use_listings_cache", False)
    return opts


def _emulator_gcs_filesystem(opts: JsonDict) -> Any:
    """gcsfs's JSON-API filesystem, for a GCS emulator (``STORAGE_EMULATOR_HOST``).

    fsspec's ``gcs`` protocol gives gcsfs's default class, which first asks the
    gRPC Storage Control API for each bucket's layout (zonal / hierarchical
    namespace). An emulator serves only the JSON API, so that question fails
    after a 60 s timeout on every call, uncached. The base class asks nothing of
    the kind; the emulator's buckets are plain (flat-namespace) buckets anyway.
    """
    from gcsfs.core import GCSFileSystem

    return GCSFileSystem(skip_instance_cache=True, **opts)


def filesystem(url: str) -> Any:
    """The fsspec filesystem for an object-store URL (cached per bucket/options).

    Raises:
        StorageError: the fsspec implementation (s3fs / gcsfs) is not installed.
    """
    loc = parse(url)
    opts = _fs_options(url)
    env = tuple(os.environ.get(n, "") for n in (*SECRET_ENVS, ENDPOINT_ENV))
    cache_key = (loc.scheme, repr((sorted(opts.items(), key=str), env)))
    with _fs_lock:
        fs = _fs_cache.get(cache_key)
        if fs is not None:
            return fs
    try:
        import fsspec  # type: ignore[import-untyped]

        if loc.scheme == "gs" and os.environ.get("STORAGE_EMULATOR_HOST"):
            fs = _emulator_gcs_filesystem(opts)
        else:
            protocol = "gcs" if loc.scheme == "gs" else loc.scheme
            fs = fsspec.filesystem(protocol, skip_instance_cache=True, **opts)
    except ImportError as e:
        package, extra = ("s3fs", "s3") if loc.scheme == "s3" else ("gcsfs", "gcs")
        raise StorageError(
            f"cannot reach {loc.display}: install {package} "
            f"(pip install 'wkfn[{extra}]')"
        ) from e
    with _fs_lock:
        _fs_cache[cache_key] = fs
    return fs


def to_upath(url: str) -> Any:
    """A ``UPath`` for an object-store URL, with its endpoint and options."""
    from upath import UPath

    opts = options_for(url)
    endpoint = endpoint_for(url)
    if endpoint and parse(url).scheme == "s3":
        opts.setdefault("endpoint_url", endpoint)
    return UPath(url, **opts)


def reset_caches() -> None:
    """Forget cached filesystems (after the environment's credentials changed)."""
    with _fs_lock:
        _fs_cache.clear()
    with _cred_lock:
        for path in _cred_files.values():
            shutil.rmtree(os.path.dirname(path), ignore_errors=True)
        _cred_files.clear()


__all__ = ["filesystem", "kvstore_spec", "reset_caches", "to_upath"]
