"""HTTP calls to a WEBKNOSSOS server and its datastores: timeouts, retries, errors.

One pooled ``httpx.Client`` per (url, token, timeout) context, so a session reuses
its connections. Every request has a timeout (the context's, connect at most 10 s),
is retried a bounded number of times with exponential backoff when the failure is
transient (no answer, 408/425/429/5xx; ``Retry-After`` honoured up to 30 s), and
fails with a typed error naming the method, the URL and the HTTP status. Tokens
never appear in messages: query values of ``token`` / ``sharingToken`` and the
context's token are replaced by ``***``.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import threading
import time
from typing import TYPE_CHECKING, Any

from wkfn.errors import InvalidArgumentError
from wkfn.remote.context import Context, current
from wkfn.storage import remote as http_storage

if TYPE_CHECKING:
    import httpx

RETRIES = 4
"""Extra attempts after a transient failure (at most ``RETRIES + 1`` requests)."""
BACKOFF_SECONDS = 0.5
"""First retry delay, doubled for each further retry (tests lower it)."""
MAX_DELAY_SECONDS = 30.0
CONNECT_TIMEOUT_SECONDS = 10.0
TRANSIENT = frozenset({408, 425, 429, 500, 502, 503, 504})
SUPPORTED_API_VERSIONS = (16, 15)
DATASTORE_API_VERSION = 15


class WebknossosError(http_storage.RemoteError):
    """A request to a WEBKNOSSOS server failed (an ``OSError``).

    ``method``, ``url`` (tokens redacted) and ``status`` (None when no answer came)
    name the request; ``server_message`` is the server's own explanation.
    """

    def __init__(
        self,
        message: str,
        *,
        url: str,
        status: int | None = None,
        method: str = "GET",
        server_message: str = "",
    ) -> None:
        self.method = method
        self.server_message = server_message
        super().__init__(message, url=url, status=status)


class WebknossosNotFoundError(WebknossosError, http_storage.RemoteNotFoundError):
    """404: no such dataset / route, or one the token may not see."""


class WebknossosAuthError(WebknossosError, http_storage.RemoteAuthError):
    """401/403: the token is missing, expired or lacks the right."""


class WebknossosRequestError(WebknossosError):
    """400/409/415/422: the server refused the request's content."""


class WebknossosServerError(WebknossosError):
    """5xx or no answer, after the bounded retries."""


def redact(text: str, context: Context | None = None) -> str:
    """``text`` without token values (query parameters, the context's token)."""
    out = http_storage.redact(text)
    token = (context or current()).token
    if token:
        out = out.replace(token, "***")
    return out


def _server_message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:300]
    if isinstance(body, dict) and isinstance(body.get("messages"), list):
        texts = [
            str(next(iter(m.values())))
            for m in body["messages"]
            if isinstance(m, dict) and m
        ]
        return "; ".join(texts)[:500]
    return json.dumps(body)[:300]


def _error(
    method: str, url: str, response: httpx.Response, attempts: int, ctx: Context
) -> WebknossosError:
    status = response.status_code
    shown = redact(url, ctx)
    said = redact(_server_message(response), ctx)
    tries = f" after {attempts} attempts" if attempts > 1 else ""
    text = f"{method} {shown} failed{tries}: HTTP {status} {response.reason_phrase}"
    if said:
        text += f": {said}"
    kwargs: dict[str, Any] = {
        "url": shown,
        "status": status,
        "method": method,
        "server_message": said,
    }
    if status == 404:
        return WebknossosNotFoundError(text, **kwargs)
    if status in (401, 403):
        hint = (
            "the token was refused (expired, or without access)"
            if ctx.token
            else "no token: use webknossos_context(token=...) or set WK_TOKEN"
        )
        return WebknossosAuthError(f"{text} ({hint})", **kwargs)
    if 400 <= status < 500:
        return WebknossosRequestError(text, **kwargs)
    return WebknossosServerError(text, **kwargs)


def _delay(attempt: int, retry_after: str | None) -> float:
    delay = BACKOFF_SECONDS * 2.0**attempt
    if retry_after is not None:
        with contextlib.suppress(ValueError):
            delay = max(delay, float(retry_after))
    return min(delay, MAX_DELAY_SECONDS)


_clients: dict[Context, httpx.Client] = {}
_versions: dict[str, int] = {}
_lock = threading.Lock()


def _http(ctx: Context) -> httpx.Client:
    import httpx

    with _lock:
        client = _clients.get(ctx)
        if client is None:
            headers = {http_storage.AUTH_HEADER: ctx.token} if ctx.token else {}
            client = httpx.Client(
                timeout=httpx.Timeout(
                    ctx.timeout, connect=min(CONNECT_TIMEOUT_SECONDS, ctx.timeout)
                ),
                headers=headers,
                follow_redirects=True,
                limits=httpx.Limits(max_connections=32, max_keepalive_connections=16),
            )
            _clients[ctx] = client
        return client


def close_connections() -> None:
    """Close every pooled connection (also run at interpreter exit)."""
    with _lock:
        clients = list(_clients.values())
        _clients.clear()
        _versions.clear()
    for client in clients:
        client.close()


atexit.register(close_connections)


def request(
    method: str,
    url: str,
    *,
    params: dict[str, Any] | None = None,
    json_body: Any = None,
    data: dict[str, Any] | None = None,
    files: dict[str, Any] | None = None,
    context: Context | None = None,
    retries: int = RETRIES,
    timeout: float | None = None,
) -> httpx.Response:
    """Send one request with retries; the response, or a :class:`WebknossosError`.

    ``params`` with None values are dropped. Only idempotent requests should be
    retried: every call this package makes is (chunks and finishes are keyed).
    """
    import httpx

    ctx = context or current()
    client = _http(ctx)
    query = {k: v for k, v in (params or {}).items() if v is not None}
    query = {
        k: ("true" if v is True else "false" if v is False else v)
        for k, v in query.items()
    }
    shown_url = url + (
        "?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else ""
    )
    attempt = 0
    while True:
        try:
            response = client.request(
                method,
                url,
                params=query or None,
                json=json_body,
                data=data,
                files=files,
                timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT,
            )
        except httpx.TransportError as e:
            if attempt < retries:
                time.sleep(_delay(attempt, None))
                attempt += 1
                continue
            shown = redact(shown_url, ctx)
            raise WebknossosServerError(
                f"{method} {shown} failed after {attempt + 1} attempts: "
                f"{type(e).__name__}: {redact(str(e), ctx)}",
                url=shown,
                method=method,
            ) from None
        if response.status_code in TRANSIENT and attempt < retries:
            time.sleep(_delay(attempt, response.headers.get("Retry-After")))
            attempt += 1
            continue
        if response.status_code >= 400:
            raise _error(method, shown_url, response, attempt + 1, ctx)
        return response


def api_version(ctx: Context | None = None) -> int:
    """The highest WEBKNOSSOS API version both the server and wkfn speak (cached)."""
    ctx = ctx or current()
    with _lock:
        known = _versions.get(ctx.url)
    if known is not None:
        return known
    info = request("GET", f"{ctx.url}/api/buildinfo", context=ctx).json()
    versioning = info.get("httpApiVersioning", {}) if isinstance(info, dict) else {}
    newest = versioning.get("currentApiVersion")
    oldest = versioning.get("oldestSupportedApiVersion", newest)
    if not isinstance(newest, int) or not isinstance(oldest, int):
        raise WebknossosError(
            f"{ctx.url}/api/buildinfo does not say which API versions the server "
            "speaks (httpApiVersioning)",
            url=f"{ctx.url}/api/buildinfo",
        )
    shared = [v for v in SUPPORTED_API_VERSIONS if oldest <= v <= newest]
    if not shared:
        raise WebknossosError(
            f"the WEBKNOSSOS server at {ctx.url} speaks API versions "
            f"{oldest}-{newest}; "
            f"wkfn speaks {min(SUPPORTED_API_VERSIONS)}-{max(SUPPORTED_API_VERSIONS)}",
            url=f"{ctx.url}/api/buildinfo",
        )
    with _lock:
        _versions[ctx.url] = shared[0]
    return shared[0]


def api_url(route: str, ctx: Context | None = None) -> str:
    """``{url}/api/v{N}{route}`` for the context's server."""
    ctx = ctx or current()
    return f"{ctx.url}/api/v{api_version(ctx)}{route}"


def datastore_url(datastore: str, route: str) -> str:
    """``{datastore}/data/v15{route}``."""
    return f"{datastore.rstrip('/')}/data/v{DATASTORE_API_VERSION}{route}"


def api_json(
    method: str, route: str, *, ctx: Context | None = None, **kwargs: Any
) -> Any:
    """Call a WEBKNOSSOS route and decode its JSON answer (None for an empty one)."""
    ctx = ctx or current()
    url = api_url(route, ctx)
    response = request(method, url, context=ctx, **kwargs)
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError as e:
        raise WebknossosError(
            f"{method} {redact(url, ctx)} answered non-JSON: {response.text[:200]!r}",
            url=redact(url, ctx),
            status=response.status_code,
            method=method,
        ) from e


def expect(value: Any, kind: type, what: str, url: str) -> Any:
    """``value`` if it is a ``kind``, else a typed error naming the response."""
    if not isinstance(value, kind):
        raise WebknossosError(
            f"unexpected answer from {url}: {what} should be a {kind.__name__}, "
            f"got {type(value).__name__}",
            url=url,
        )
    return value


def quote(segment: str) -> str:
    """A path segment, percent-encoded (names may contain anything)."""
    import urllib.parse

    if not segment:
        raise InvalidArgumentError("an empty name cannot be part of a URL")
    return urllib.parse.quote(segment, safe="")


__all__ = [
    "WebknossosAuthError",
    "WebknossosError",
    "WebknossosNotFoundError",
    "WebknossosRequestError",
    "WebknossosServerError",
    "api_json",
    "api_url",
    "api_version",
    "close_connections",
    "datastore_url",
    "redact",
    "request",
]
