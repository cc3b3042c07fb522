"""Read-only access to datasets served over HTTP(S).

A remote dataset is a base URL below which ``datasource-properties.json`` and every
mag (zarr3 or zarr v2) are served, exactly as on disk. This is what a WEBKNOSSOS
datastore's "zarr streaming" route offers, and what any static file server does for
a dataset directory. The properties file is fetched with httpx (timeouts, bounded
retries on transient failures); array data is read by tensorstore's ``http``
kvstore (byte-range GETs). Writing over HTTP is impossible, so remote datasets are
always read-only.

Authentication follows the reference: a user token from the environment variable
``WK_TOKEN`` is sent as the ``X-Auth-Token`` header on every request, and a sharing
token in the URL's query string (``?token=...`` or ``?sharingToken=...``) is kept on
every request, including tensorstore's (its ``base_url`` keeps the query string).
A sharing token can also be registered for a URL prefix
(:func:`register_sharing_token`): then the URLs wkfn keeps (dataset roots, mag
paths, plans, journals) carry no token, and ``?token=`` is added only to the
requests themselves. :func:`credentials_snapshot` / :func:`install_credentials`
hand the registered tokens to worker processes with their tasks.

Importing this module is cheap: httpx loads on the first fetch.

Example:
    >>> root = UrlPath("https://example.org/data/ds/?token=abc#view")
    >>> str(root), root.name
    ('https://example.org/data/ds?token=abc', 'ds')
    >>> join(root, "./color/1")
    'https://example.org/data/ds/color/1?token=abc'
    >>> join(root, "https://other.org/x/1")
    'https://other.org/x/1'
    >>> redact("GET https://example.org/ds?token=abc failed")
    'GET https://example.org/ds?token=*** failed'
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import re
import time
import urllib.parse
from pathlib import PurePath
from typing import Any

from wkfn.errors import DatasetNotFoundError, StorageError
from wkfn.storage import location, tsspec
from wkfn.storage.http_auth import (
    AUTH_HEADER,
    TOKEN_ENV,
    TOKEN_PARAMS,
    auth_headers,
    auth_token,
    credentials_snapshot,
    install_credentials,
    register_sharing_token,
    register_token,
    registered_secrets,
    request_url,
    sharing_token,
)

JsonDict = dict[str, Any]

PROPERTIES_FILE_NAME = "datasource-properties.json"
TIMEOUT_ENV = "WK_TIMEOUT"
"""Environment variable overriding the read timeout of metadata requests (seconds)."""
DEFAULT_TIMEOUT_SECONDS = 60.0
CONNECT_TIMEOUT_SECONDS = 10.0
RETRIES = 3
"""Extra attempts after a transient failure (so at most ``RETRIES + 1`` requests)."""
BACKOFF_SECONDS = 0.5
"""First retry delay; doubled for every further retry."""
MAX_RETRY_AFTER_SECONDS = 30.0
TRANSIENT_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})

_SCHEMES = ("http://", "https://")


class RemoteError(StorageError):
    """An HTTP request for a remote dataset failed (an ``OSError``).

    ``url`` is the requested URL (secrets redacted), ``status`` the HTTP status or
    None when no response arrived (connection refused, timeout).
    """

    def __init__(self, message: str, *, url: str, status: int | None = None) -> None:
        self.url = url
        self.status = status
        super().__init__(message)


class RemoteNotFoundError(RemoteError, DatasetNotFoundError):
    """The server answered 404: no dataset (or file) at the URL."""


class RemoteAuthError(RemoteError, PermissionError):
    """The server refused the request (401/403): a token is missing or wrong."""


# --------------------------------------------------------------------------- URLs


def is_url(value: object) -> bool:
    """True for an http(s) URL string or :class:`UrlPath` (never for local paths).

    Any other object whose ``str()`` is an http(s) URL (such as a ``UPath``) counts
    too; ``pathlib`` paths never do (they would have mangled the ``//`` anyway).
    """
    if isinstance(value, UrlPath):
        return True
    if isinstance(value, (bytes, PurePath)) or value is None:
        return False
    return str(value)[:8].lower().startswith(_SCHEMES)


class UrlPath:
    """The root of a remote dataset: an http(s) URL with an optional query string.

    Behaves like the parts of a ``pathlib.Path`` that make sense for a URL
    (``/``, ``name``, ``parent``, ``resolve``); ``str()`` gives the full URL. The
    fragment (``#...`` in WEBKNOSSOS view links) is dropped, a trailing ``/`` too.
    It has no ``__fspath__`` on purpose: local file functions fail loudly on it
    instead of creating a directory called ``http:``.
    """

    __slots__ = ("_base", "_query")

    def __init__(self, url: str | UrlPath) -> None:
        if isinstance(url, UrlPath):
            self._base: str = url._base
            self._query: str = url._query
            return
        text = str(url)
        parts = urllib.parse.urlsplit(text)
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
            raise StorageError(f"not an http(s) URL: {redact(text)!r}")
        path = parts.path.rstrip("/")
        self._base = urllib.parse.urlunsplit(
            (parts.scheme.lower(), parts.netloc, path, "", "")
        )
        self._query = parts.query

    @property
    def base(self) -> str:
        """The URL without query string."""
        return self._base

    @property
    def query(self) -> str:
        """The query string (without ``?``), kept on every request."""
        return self._query

    @property
    def url(self) -> str:
        """The full URL (base and query string)."""
        return self._base + (f"?{self._query}" if self._query else "")

    @property
    def name(self) -> str:
        """Last path component (the dataset's directory name)."""
        return posixpath.basename(urllib.parse.urlsplit(self._base).path)

    @property
    def parent(self) -> UrlPath:
        """The URL one path component up (same query string)."""
        parts = urllib.parse.urlsplit(self._base)
        return self._with_path(posixpath.dirname(parts.path))

    def _with_path(self, path: str) -> UrlPath:
        parts = urllib.parse.urlsplit(self._base)
        out = UrlPath.__new__(UrlPath)
        out._base = urllib.parse.urlunsplit(
            (parts.scheme, parts.netloc, path.rstrip("/"), "", "")
        )
        out._query = self._query
        return out

    def joinpath(self, *parts: str) -> UrlPath:
        """The URL with ``parts`` appended as path components (percent-encoded)."""
        path = urllib.parse.urlsplit(self._base).path
        for part in parts:
            path = posixpath.normpath(f"{path}/{_quote(str(part))}")
        return self._with_path(path)

    def __truediv__(self, part: str) -> UrlPath:
        return self.joinpath(part)

    def resolve(self) -> UrlPath:
        """A URL is already absolute: returns itself."""
        return self

    def absolute(self) -> UrlPath:
        """A URL is already absolute: returns itself."""
        return self

    def as_posix(self) -> str:
        """The full URL (what ``str()`` gives)."""
        return self.url

    def __str__(self) -> str:
        return self.url

    def __repr__(self) -> str:
        return f"UrlPath({redact(self.url)!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, UrlPath):
            return NotImplemented
        return (self._base, self._query) == (other._base, other._query)

    def __hash__(self) -> int:
        return hash((self._base, self._query))


def _quote(path: str) -> str:
    return urllib.parse.quote(path, safe="/~-._!$&'()*+,;=:@%")


def join(root: UrlPath, path: str) -> str:
    """The URL of ``path`` (as written in the properties) below ``root``.

    Relative paths (``./color/1``, ``../other/color/1``) resolve against the root
    and keep its query string; absolute http(s) URLs are used as they are; a path
    starting with ``/`` is taken from the root's host (also keeping the query).
    Other schemes (``s3://``) cannot be reached through the root and are refused.
    """
    if is_url(path):
        return path
    if location.is_url(path):
        raise StorageError(
            f"cannot read {path!r} of the remote dataset {redact(root.url)}: "
            "only http(s) URLs and paths relative to the dataset are supported"
        )
    if path.startswith("/"):
        return root._with_path(posixpath.normpath(_quote(path))).url
    return root.joinpath(path).url


def redact(text: str) -> str:
    """``text`` with token query values and the ``WK_TOKEN`` value replaced."""
    pattern = "|".join(re.escape(p) for p in TOKEN_PARAMS)
    out = re.sub(rf"((?:[?&]|%3F|%26)(?:{pattern})=)[^&#\s\"']+", r"\1***", text)
    for token in (os.environ.get(TOKEN_ENV), *registered_secrets()):
        if token:
            out = out.replace(token, "***")
    return out


# --------------------------------------------------------------------------- fetch


def _timeout_seconds() -> float:
    raw = os.environ.get(TIMEOUT_ENV)
    if not raw:
        return DEFAULT_TIMEOUT_SECONDS
    try:
        value = float(raw)
    except ValueError:
        return DEFAULT_TIMEOUT_SECONDS
    return value if value > 0 else DEFAULT_TIMEOUT_SECONDS


def _retry_delay(attempt: int, retry_after: str | None) -> float:
    delay = BACKOFF_SECONDS * 2.0**attempt
    if retry_after is not None:
        with contextlib.suppress(ValueError):
            delay = max(delay, float(retry_after))
    return min(delay, MAX_RETRY_AFTER_SECONDS)


def _status_error(url: str, status: int, reason: str, attempts: int) -> RemoteError:
    shown = redact(url)
    tries = f" after {attempts} attempts" if attempts > 1 else ""
    if status == 404:
        return RemoteNotFoundError(
            f"not found: {shown} (HTTP 404)", url=shown, status=status
        )
    if status in (401, 403):
        hint = (
            "the token was refused"
            if auth_token(url)
            else f"set the {TOKEN_ENV} environment variable or add ?token=... "
            "to the URL"
        )
        return RemoteAuthError(
            f"access denied to {shown} (HTTP {status} {reason}): {hint}",
            url=shown,
            status=status,
        )
    return RemoteError(
        f"GET {shown} failed{tries}: HTTP {status} {reason}", url=shown, status=status
    )


def fetch_bytes(url: str) -> bytes:
    """GET ``url`` with the auth header, a timeout and bounded retries.

    Connection errors, timeouts and the statuses in :data:`TRANSIENT_STATUS` are
    retried up to :data:`RETRIES` times with exponential backoff (honouring a
    ``Retry-After`` header up to :data:`MAX_RETRY_AFTER_SECONDS`).

    Raises:
        RemoteNotFoundError: HTTP 404 (a ``FileNotFoundError``).
        RemoteAuthError: HTTP 401/403 (a ``PermissionError``).
        RemoteError: any other failure (an ``OSError``), naming the URL.
    """
    import httpx

    read = _timeout_seconds()
    timeout = httpx.Timeout(read, connect=min(CONNECT_TIMEOUT_SECONDS, read))
    with httpx.Client(
        timeout=timeout, headers=auth_headers(url), follow_redirects=True
    ) as client:
        attempt = 0
        while True:
            try:
                response = client.get(request_url(url))
            except httpx.TransportError as e:
                if attempt < RETRIES:
                    time.sleep(_retry_delay(attempt, None))
                    attempt += 1
                    continue
                shown = redact(url)
                raise RemoteError(
                    f"GET {shown} failed after {attempt + 1} attempts: "
                    f"{type(e).__name__}: {redact(str(e))}",
                    url=shown,
                ) from e
            status = response.status_code
            if status in TRANSIENT_STATUS and attempt < RETRIES:
                time.sleep(_retry_delay(attempt, response.headers.get("Retry-After")))
                attempt += 1
                continue
            if status >= 400:
                raise _status_error(url, status, response.reason_phrase, attempt + 1)
            return response.content


def fetch_properties(root: UrlPath) -> bytes:
    """The raw ``datasource-properties.json`` served at the dataset root.

    Raises:
        RemoteNotFoundError: no properties file there (a ``DatasetNotFoundError``).
    """
    url = join(root, PROPERTIES_FILE_NAME)
    try:
        return fetch_bytes(url)
    except RemoteNotFoundError as e:
        raise RemoteNotFoundError(
            f"cannot open dataset {redact(root.url)}: {e.url} not found (HTTP 404)",
            url=e.url,
            status=404,
        ) from e


def properties_source(root: UrlPath) -> str:
    """How error messages name a remote properties file (secrets redacted)."""
    return redact(join(root, PROPERTIES_FILE_NAME))


# ------------------------------------------------------------------ tensorstore


def kvstore_spec(url: str) -> JsonDict:
    """tensorstore ``http`` kvstore for the array directory at ``url``.

    The query string stays in ``base_url`` (tensorstore appends keys to the path
    and sends the query on every request); the token goes in ``headers``.
    """
    spec: JsonDict = {"driver": "http", "base_url": request_url(url)}
    token = auth_token(url)
    if token:
        spec["headers"] = [f"{AUTH_HEADER}: {token}"]
    return spec


def open_spec(url: str, data_format: str) -> JsonDict:
    """Spec that opens the remote zarr3 / zarr v2 array at ``url`` for reading.

    Chunks are cached for the life of the handle (``recheck_cached_data: "open"``):
    revalidating every read against the server would cost a round trip per chunk.
    """
    if data_format == "wkw":
        raise StorageError(
            f"cannot read the wkw array at {redact(url)} over HTTP: wkw files are "
            "not served by ranges; convert the layer to zarr3 first"
        )
    return {
        "driver": tsspec.driver_name(data_format),
        "kvstore": kvstore_spec(url),
        "open": True,
        "recheck_cached_metadata": "open",
        "recheck_cached_data": "open",
    }


__all__ = [
    "AUTH_HEADER",
    "TOKEN_ENV",
    "RemoteAuthError",
    "RemoteError",
    "RemoteNotFoundError",
    "UrlPath",
    "auth_headers",
    "auth_token",
    "credentials_snapshot",
    "fetch_bytes",
    "fetch_properties",
    "install_credentials",
    "is_url",
    "join",
    "kvstore_spec",
    "open_spec",
    "properties_source",
    "redact",
    "register_sharing_token",
    "register_token",
    "request_url",
    "sharing_token",
]
