"""Who may read what over HTTP: user tokens and sharing tokens by URL prefix.

A user token goes as the ``X-Auth-Token`` header (:func:`auth_headers`), registered
for a URL prefix (:func:`register_token`) or from ``WK_TOKEN``. A sharing token
registered for a prefix (:func:`register_sharing_token`) is added as ``?token=``
to each request only (:func:`request_url`), so the URLs wkfn keeps in plans and
journals stay token-free. :func:`credentials_snapshot` and
:func:`install_credentials` hand both to worker processes with their tasks.
"""

from __future__ import annotations

import os
import threading
import urllib.parse

TOKEN_ENV = "WK_TOKEN"
"""Environment variable holding the user token (as in the reference)."""
AUTH_HEADER = "X-Auth-Token"
TOKEN_PARAMS = ("token", "sharingToken")
"""Query parameters that carry secrets."""

_tokens: dict[str, str] = {}
_sharing: dict[str, str] = {}
_tokens_lock = threading.Lock()


def register_token(prefix: str, token: str | None) -> None:
    """Send ``token`` as ``X-Auth-Token`` to every URL starting with ``prefix``.

    Used by :mod:`wkfn.remote` for a WEBKNOSSOS dataset opened in a context with a
    token: its reads keep the token after the ``with`` block ends, and the token
    goes only to that server. ``None`` forgets the prefix.
    """
    with _tokens_lock:
        if token:
            _tokens[prefix] = token
        else:
            _tokens.pop(prefix, None)


def register_sharing_token(prefix: str, token: str | None) -> None:
    """Add ``?token=<token>`` to every request for a URL starting with ``prefix``.

    The URL strings themselves stay token-free (what plans and journals record);
    only the request adds the token (:func:`request_url`, :func:`kvstore_spec`).
    ``None`` forgets the prefix.
    """
    with _tokens_lock:
        if token:
            _sharing[prefix] = token
        else:
            _sharing.pop(prefix, None)


def _longest(table: dict[str, str], url: str) -> str | None:
    with _tokens_lock:
        best = max((p for p in table if url.startswith(p)), key=len, default=None)
        return None if best is None else table[best]


def sharing_token(url: str) -> str | None:
    """The sharing token registered for ``url`` (longest prefix), if any."""
    return _longest(_sharing, url)


def request_url(url: str) -> str:
    """``url`` as requested: with the registered sharing token as ``?token=``
    unless the URL already carries a token."""
    token = sharing_token(url)
    if token is None:
        return url
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qs(parts.query)
    if any(p in query for p in TOKEN_PARAMS):
        return url
    extra = urllib.parse.urlencode({"token": token})
    return urllib.parse.urlunsplit(
        parts._replace(query=f"{parts.query}&{extra}" if parts.query else extra)
    )


def credentials_snapshot() -> dict[str, dict[str, str]]:
    """The registered user and sharing tokens, to hand to worker processes with
    their tasks (never written anywhere)."""
    with _tokens_lock:
        return {"user": dict(_tokens), "sharing": dict(_sharing)}


def install_credentials(snapshot: dict[str, dict[str, str]]) -> None:
    """Register tokens received from the process that planned the work."""
    with _tokens_lock:
        _tokens.update(snapshot.get("user", {}))
        _sharing.update(snapshot.get("sharing", {}))


def auth_token(url: str | None = None) -> str | None:
    """The token for ``url``: a registered one (longest prefix), else ``WK_TOKEN``."""
    if url is not None:
        token = _longest(_tokens, url)
        if token is not None:
            return token
    return os.environ.get(TOKEN_ENV) or None


def auth_headers(url: str | None = None) -> dict[str, str]:
    """Headers a request to ``url`` carries: ``X-Auth-Token`` when a token is set."""
    token = auth_token(url)
    return {AUTH_HEADER: token} if token else {}


def registered_secrets() -> list[str]:
    """Every registered token (for redacting messages)."""
    with _tokens_lock:
        return [*_tokens.values(), *_sharing.values()]


__all__ = [
    "AUTH_HEADER",
    "TOKEN_ENV",
    "auth_headers",
    "auth_token",
    "credentials_snapshot",
    "install_credentials",
    "register_sharing_token",
    "register_token",
    "registered_secrets",
    "request_url",
    "sharing_token",
]
