"""Where a dataset lives: a local directory or a prefix in an object store.

Every path argument of the public API (``str``, ``os.PathLike`` or a
``universal-pathlib`` ``UPath``) is parsed here into a :class:`Location`: the scheme
(``file``, ``s3``, ``gs``, ``http``/``https``), a canonical URL string without any
credentials (what plans and saved plans carry), and a redacted display form for
messages. The shell hands that URL string around; this module turns it into what
each backend needs through :mod:`wkfn.storage.store_access` (tensorstore kvstore
specs, fsspec filesystems, UPaths).

Credentials and endpoints come from where users already keep them: the standard
AWS variables (``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``,
``AWS_SESSION_TOKEN``, ``AWS_REGION``), ``S3_ENDPOINT_URL`` for S3-compatible
stores (MinIO, Ceph, a local test server), and storage options given with a
``UPath`` (``endpoint_url``, ``key``, ``secret``, ``anon``), which are registered
per bucket in this process (:func:`register_options`) and never written into a
plan. Secrets never appear in messages: :func:`redact` removes them.

Example:
    >>> loc = parse("s3://bucket/data/ds/")
    >>> loc.scheme, loc.url, loc.bucket, loc.key
    ('s3', 's3://bucket/data/ds', 'bucket', 'data/ds')
    >>> join(loc.url, "./color/1")
    's3://bucket/data/ds/color/1'
    >>> is_object_url("gs://b/x"), is_object_url("/tmp/x")
    (True, False)
"""

from __future__ import annotations

import os
import posixpath
import re
import threading
import urllib.parse
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from wkfn.errors import DatasetNotFoundError, InvalidArgumentError, StorageError
from wkfn.spec.urls import SCHEME_RE, has_url_scheme

JsonDict = dict[str, Any]

OBJECT_SCHEMES = ("s3", "gs")
"""Object stores wkfn reads and writes (``gcs://`` is an alias of ``gs://``)."""
HTTP_SCHEMES = ("http", "https")
ENDPOINT_ENV = "S3_ENDPOINT_URL"
"""Endpoint of an S3-compatible store (as the reference's CLI reads it)."""
REGION_ENVS = ("AWS_REGION", "AWS_DEFAULT_REGION")
DEFAULT_REGION = "us-east-1"
SECRET_ENVS = ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ACCESS_KEY_ID")
SECRET_OPTIONS = ("key", "secret", "token", "session_token", "password")
SECRET_QUERY = (
    "token",
    "sharingToken",
    "X-Amz-Signature",
    "X-Amz-Credential",
    "X-Amz-Security-Token",
    "Signature",
    "AWSAccessKeyId",
    "access_token",
)


# --------------------------------------------------------------------------- errors


class LocationError(StorageError):
    """An object-store location cannot be used; ``url`` is the redacted URL."""

    def __init__(self, message: str, *, url: str) -> None:
        self.url = url
        super().__init__(message)


class UnsupportedSchemeError(InvalidArgumentError):
    """The URL's scheme is none wkfn can store a dataset at (names the URL)."""

    def __init__(self, message: str, *, url: str) -> None:
        self.url = url
        super().__init__(message)


class CredentialsInUrlError(InvalidArgumentError):
    """A URL carries a secret (user:password@ or a token in the query string).

    Secrets belong in the environment or a UPath's storage options, where they stay
    out of plans and logs; the message shows the URL with the secret redacted.
    """

    def __init__(self, message: str, *, url: str) -> None:
        self.url = url
        super().__init__(message)


class BucketNotFoundError(LocationError, DatasetNotFoundError):
    """The bucket does not exist (a ``FileNotFoundError``)."""


class ObjectStoreAuthError(LocationError, PermissionError):
    """The store refused the request: wrong credentials or no permission."""


class NoCredentialsError(ObjectStoreAuthError):
    """No credentials were found for a store that needs them."""


class NotADirectoryLocationError(LocationError, NotADirectoryError):
    """The URL names an object (a file), not a prefix a dataset could live under."""


# --------------------------------------------------------------------------- redaction

_options_lock = threading.Lock()
_options: dict[str, JsonDict] = {}
"""Storage options per bucket URL (``s3://bucket``), from UPaths seen here."""


def _secret_values() -> list[str]:
    values = [os.environ.get(name, "") for name in SECRET_ENVS]
    with _options_lock:
        for opts in _options.values():
            values.extend(str(opts.get(k, "")) for k in SECRET_OPTIONS)
    token = os.environ.get("WK_TOKEN", "")
    values.append(token)
    return sorted({v for v in values if len(v) >= 4}, key=len, reverse=True)


def redact(text: str) -> str:
    """``text`` without secrets: URL passwords, token/signature query values, and
    the values of the AWS secret variables or registered storage options.

    >>> redact("s3://AKIA:abc@b/x?X-Amz-Signature=f00&y=1")
    's3://***@b/x?X-Amz-Signature=***&y=1'
    """
    out = re.sub(r"(://)[^/@\s\"']+@", r"\1***@", text)
    names = "|".join(re.escape(p) for p in SECRET_QUERY)
    out = re.sub(rf"((?:[?&]|%3F|%26)(?:{names})=)[^&#\s\"']+", r"\1***", out)
    for secret in _secret_values():
        out = out.replace(secret, "***")
    return out


# --------------------------------------------------------------------------- parsing


@dataclass(frozen=True)
class Location:
    """A parsed dataset location (no credentials inside; safe to print and pickle).

    ``url`` is the canonical form: an absolute local path for ``file``, otherwise
    ``scheme://bucket/key`` (no trailing slash, no query string for object stores).
    """

    scheme: str
    url: str

    @property
    def is_local(self) -> bool:
        """True for a directory on a local (or mounted) filesystem."""
        return self.scheme == "file"

    @property
    def is_object_store(self) -> bool:
        """True for ``s3://`` and ``gs://`` locations (read and written)."""
        return self.scheme in OBJECT_SCHEMES

    @property
    def bucket(self) -> str:
        """The bucket (empty for local paths and http)."""
        if not self.is_object_store:
            return ""
        return urllib.parse.urlsplit(self.url).netloc

    @property
    def key(self) -> str:
        """The object key prefix inside the bucket (no leading/trailing ``/``)."""
        if not self.is_object_store:
            return ""
        return urllib.parse.urlsplit(self.url).path.strip("/")

    @property
    def name(self) -> str:
        """The last path component (the dataset's directory name)."""
        return posixpath.basename(self.url.rstrip("/"))

    @property
    def display(self) -> str:
        """How messages name this location (secrets redacted)."""
        return redact(self.url)

    def joinpath(self, *parts: str) -> Location:
        """The location of ``parts`` below this one."""
        return Location(self.scheme, join(self.url, *parts))

    def __str__(self) -> str:
        return self.display


def scheme_of(value: object) -> str:
    """The scheme of a path argument: ``file`` for local paths, else the URL's."""
    protocol = getattr(value, "protocol", None)
    if isinstance(protocol, str) and not isinstance(value, PurePath | str):
        proto = protocol.lower()
        if proto in ("", "file", "local"):
            return "file"
        return "gs" if proto == "gcs" else proto
    if isinstance(value, PurePath | bytes) or value is None:
        return "file"
    match = SCHEME_RE.match(str(value))
    if match is None:
        return "file"
    scheme = match.group(1).lower()
    return "gs" if scheme == "gcs" else scheme


def is_url(value: object) -> bool:
    """True for any URL (``scheme://...``: s3, gs, http(s), ...), False for a local
    path. The one test the shell uses to tell the two apart; the pure core asks
    the same function (:func:`wkfn.spec.urls.has_url_scheme`)."""
    return has_url_scheme(value)


def is_object_url(value: object) -> bool:
    """True for an ``s3://`` / ``gs://`` URL string or UPath."""
    return scheme_of(value) in OBJECT_SCHEMES


def is_remote(value: object) -> bool:
    """True for anything that is not a local path (object store or http)."""
    return scheme_of(value) != "file"


def _check_no_secret(text: str, shown: str) -> None:
    parts = urllib.parse.urlsplit(text)
    if parts.username or parts.password:
        raise CredentialsInUrlError(
            f"the URL {shown} carries credentials; give them through "
            "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or a UPath's storage options",
            url=shown,
        )
    query = urllib.parse.parse_qs(parts.query)
    if any(name in query for name in SECRET_QUERY):
        raise CredentialsInUrlError(
            f"the URL {shown} carries a token in its query string; object-store "
            "credentials belong in the environment or a UPath's storage options",
            url=shown,
        )


def parse(value: object) -> Location:
    """Parse a path argument (``str``, ``os.PathLike``, ``UPath``) into a Location.

    A UPath's storage options are registered for its bucket (see
    :func:`register_options`), so every later access from this process uses them.

    Raises:
        UnsupportedSchemeError: a URL scheme other than file, s3, gs, http(s).
        CredentialsInUrlError: an object-store URL with user:password@ or a token.
    """
    scheme = scheme_of(value)
    if scheme == "file":
        path = getattr(value, "path", None) if _is_upath(value) else None
        source = path if isinstance(path, str) else value
        if not isinstance(source, str | os.PathLike):
            raise InvalidArgumentError(f"not a path: {source!r}")
        text = os.fspath(source)
        if isinstance(text, bytes):
            text = os.fsdecode(text)
        if text.startswith("file://"):
            text = urllib.parse.unquote(urllib.parse.urlsplit(text).path)
        return Location("file", os.path.abspath(text))
    text = str(value)
    shown = redact(text)
    if scheme in HTTP_SCHEMES:
        return Location(scheme, text.rstrip("/"))
    if scheme not in OBJECT_SCHEMES:
        raise UnsupportedSchemeError(
            f"cannot store a dataset at {shown}: unsupported scheme {scheme!r} "
            "(use a local path, s3://, gs:// or http(s)://)",
            url=shown,
        )
    _check_no_secret(text, shown)
    parts = urllib.parse.urlsplit(text)
    if not parts.netloc:
        raise UnsupportedSchemeError(f"{shown} names no bucket", url=shown)
    key = posixpath.normpath("/" + parts.path).strip("/") if parts.path else ""
    netloc = parts.netloc
    if scheme == "s3" and is_endpoint_host(netloc):
        netloc, _, key = key.partition("/")
        if not netloc:
            raise UnsupportedSchemeError(f"{shown} names no bucket", url=shown)
        bucket = f"s3://{netloc}"
        if not options_for(bucket).get("endpoint_url"):
            register_options(
                bucket,
                {**options_for(bucket), "endpoint_url": endpoint_url_of(parts.netloc)},
            )
    url = f"{scheme}://{netloc}" + (f"/{key}" if key else "")
    if _is_upath(value):
        options = dict(getattr(value, "storage_options", {}) or {})
        if options:
            register_options(url, options)
    return Location(scheme, url)


def _known_endpoints() -> list[str]:
    """Endpoint URLs in use: ``S3_ENDPOINT_URL`` and those of registered options."""
    found = [os.environ.get(ENDPOINT_ENV) or ""]
    with _options_lock:
        for opts in _options.values():
            found.append(str(opts.get("endpoint_url") or ""))
    return [e for e in found if e]


def is_endpoint_host(netloc: str) -> bool:
    """True if the host part of an ``s3://`` URL names an S3 endpoint, not a bucket.

    The reference writes a mag path that points into an S3-compatible store as
    ``s3://<endpoint host[:port]>/<bucket>/<key>``. Bucket names have no ``:``, so
    a port marks that form; so does the host of a known endpoint
    (``S3_ENDPOINT_URL``, a UPath's ``endpoint_url``) or an AWS endpoint host.

    >>> is_endpoint_host("127.0.0.1:9000"), is_endpoint_host("my-bucket")
    (True, False)
    >>> is_endpoint_host("s3.eu-central-1.amazonaws.com")
    True
    """
    host = netloc.lower()
    if (
        ":" in host
        or host == "s3.amazonaws.com"
        or (host.startswith("s3.") and host.endswith(".amazonaws.com"))
    ):
        return True
    return any(
        urllib.parse.urlsplit(e).netloc.lower() == host for e in _known_endpoints()
    )


def endpoint_url_of(netloc: str) -> str:
    """The endpoint URL for an endpoint host: a known endpoint with that host
    (keeping its ``http``/``https``), else ``https://<host>``."""
    for endpoint in _known_endpoints():
        if urllib.parse.urlsplit(endpoint).netloc.lower() == netloc.lower():
            return endpoint.rstrip("/")
    return f"https://{netloc}"


def _is_upath(value: object) -> bool:
    return hasattr(value, "storage_options") and hasattr(value, "protocol")


def join(root: str, *parts: str) -> str:
    """``parts`` (relative, as written in the properties) below the URL ``root``.

    Absolute URLs among ``parts`` replace the root; ``..`` is resolved.

    >>> join("s3://b/ds", "../other/color/1")
    's3://b/other/color/1'
    """
    out = root.rstrip("/")
    for part in parts:
        if has_url_scheme(part):
            out = part.rstrip("/")
            continue
        split = urllib.parse.urlsplit(out)
        path = posixpath.normpath(posixpath.join(split.path or "/", part))
        out = f"{split.scheme}://{split.netloc}{'' if path == '/' else path}"
    return out


def relative_to(path: str, root: str) -> str | None:
    """``./rel`` if the URL ``path`` lies below ``root``, else None."""
    base = root.rstrip("/") + "/"
    return "./" + path[len(base) :] if path.startswith(base) else None


# --------------------------------------------------------------------------- options


def bucket_url(url: str) -> str:
    """``scheme://bucket`` of an object-store URL (also of the endpoint-host form
    ``s3://host:port/bucket/key``, see :func:`is_endpoint_host`)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "s3" and is_endpoint_host(parts.netloc):
        return f"s3://{parse(url).bucket}"
    return f"{parts.scheme}://{parts.netloc}"


def register_options(url: str, options: JsonDict) -> None:
    """Use ``options`` (fsspec storage options) for every access to url's bucket."""
    key = bucket_url(url)  # outside the lock: it may look at registered endpoints
    with _options_lock:
        _options[key] = dict(options)


def options_for(url: str) -> JsonDict:
    """The storage options registered for ``url``'s bucket (may be empty)."""
    key = bucket_url(url)
    with _options_lock:
        return dict(_options.get(key, {}))


def options_snapshot() -> dict[str, JsonDict]:
    """All registered options, to hand to worker processes with their tasks."""
    with _options_lock:
        return {k: dict(v) for k, v in _options.items()}


def install_options(snapshot: dict[str, JsonDict]) -> None:
    """Register options received from the process that planned the work."""
    with _options_lock:
        _options.update({k: dict(v) for k, v in snapshot.items()})


def endpoint_for(url: str) -> str | None:
    """The S3 endpoint URL: the bucket's storage options, else ``S3_ENDPOINT_URL``."""
    opts = options_for(url)
    endpoint = opts.get("endpoint_url") or (opts.get("client_kwargs") or {}).get(
        "endpoint_url"
    )
    return str(endpoint) if endpoint else (os.environ.get(ENDPOINT_ENV) or None)


def region_for(url: str) -> str:
    """The AWS region: storage options, then AWS_REGION / AWS_DEFAULT_REGION."""
    opts = options_for(url)
    region = opts.get("region_name") or (opts.get("client_kwargs") or {}).get(
        "region_name"
    )
    if region:
        return str(region)
    for name in REGION_ENVS:
        if os.environ.get(name):
            return os.environ[name]
    return DEFAULT_REGION


def object_path(url: str) -> str:
    """``bucket/key`` as fsspec names an object-store URL."""
    loc = parse(url)
    return f"{loc.bucket}/{loc.key}" if loc.key else loc.bucket


__all__ = [
    "BucketNotFoundError",
    "CredentialsInUrlError",
    "Location",
    "LocationError",
    "NoCredentialsError",
    "NotADirectoryLocationError",
    "ObjectStoreAuthError",
    "UnsupportedSchemeError",
    "endpoint_url_of",
    "install_options",
    "is_endpoint_host",
    "is_object_url",
    "is_remote",
    "is_url",
    "join",
    "object_path",
    "options_for",
    "options_snapshot",
    "parse",
    "redact",
    "register_options",
    "scheme_of",
]
