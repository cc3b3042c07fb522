"""Which WEBKNOSSOS server to talk to, with which token: ``webknossos_context``.

The context is a ``ContextVar`` holding ``(url, token, timeout)``. Outside any
``with webknossos_context(...)`` block it comes from the environment, read when it
is used (not at import, unlike the reference 4.3.3): ``WK_URL`` (default
https://webknossos.org), ``WK_TOKEN`` and ``WK_TIMEOUT`` (seconds, default 1800).
``webknossos_context`` is a context manager and a decorator; ``url`` and ``timeout``
default to the enclosing context's, ``token`` must be given explicitly (as in the
reference). ``login`` changes the context for the rest of the session.

Example:
    >>> with webknossos_context(url="http://localhost:9000", token="secret"):
    ...     current().url, current().token is not None
    ('http://localhost:9000', True)
"""

from __future__ import annotations

import contextvars
import os
from collections.abc import Callable
from contextlib import ContextDecorator
from dataclasses import dataclass
from typing import Any

from wkfn.errors import InvalidArgumentError

DEFAULT_URL = "https://webknossos.org"
DEFAULT_TIMEOUT_SECONDS = 1800.0
URL_ENV = "WK_URL"
TOKEN_ENV = "WK_TOKEN"
TIMEOUT_ENV = "WK_TIMEOUT"


@dataclass(frozen=True)
class Context:
    """A server URL (no trailing slash), a user token or None, a timeout in s."""

    url: str
    token: str | None
    timeout: float

    def __repr__(self) -> str:
        token = "None" if self.token is None else "'***'"
        return f"Context(url={self.url!r}, token={token}, timeout={self.timeout})"


def _timeout_from_env() -> float:
    raw = os.environ.get(TIMEOUT_ENV)
    if not raw:
        return DEFAULT_TIMEOUT_SECONDS
    try:
        value = float(raw)
    except ValueError as e:
        raise InvalidArgumentError(
            f"{TIMEOUT_ENV} must be a number of seconds, got {raw!r}"
        ) from e
    if value <= 0:
        raise InvalidArgumentError(f"{TIMEOUT_ENV} must be positive, got {raw!r}")
    return value


def from_environment() -> Context:
    """The context the environment variables describe (read now)."""
    return Context(
        url=_clean_url(os.environ.get(URL_ENV) or DEFAULT_URL),
        token=os.environ.get(TOKEN_ENV) or None,
        timeout=_timeout_from_env(),
    )


_VAR: contextvars.ContextVar[Context | None] = contextvars.ContextVar(
    "wkfn_webknossos_context", default=None
)


def current() -> Context:
    """The active context: the innermost ``webknossos_context``, else the env."""
    ctx = _VAR.get()
    return ctx if ctx is not None else from_environment()


def _clean_url(url: str) -> str:
    text = str(url).strip().rstrip("/")
    if not text.lower().startswith(("http://", "https://")):
        raise InvalidArgumentError(
            f"a WEBKNOSSOS URL must start with http:// or https://, got {text!r}"
        )
    return text


class webknossos_context(ContextDecorator):
    """Use another server, token or timeout inside a ``with`` block or function.

    Args:
        url: server URL; the enclosing context's when None.
        token: user token (https://webknossos.org/account/token); None means no
            token, it is never inherited.
        timeout: seconds per request; the enclosing context's when None.
    """

    def __init__(
        self,
        url: str | None = None,
        token: str | None = None,
        timeout: float | None = None,
    ) -> None:
        outer = current()
        self._context = Context(
            url=outer.url if url is None else _clean_url(url),
            token=token or None,
            timeout=outer.timeout if timeout is None else float(timeout),
        )
        if self._context.timeout <= 0:
            raise InvalidArgumentError(f"timeout must be positive, got {timeout!r}")
        self._resets: list[contextvars.Token[Context | None]] = []

    @property
    def context(self) -> Context:
        return self._context

    def __enter__(self) -> Context:
        self._resets.append(_VAR.set(self._context))
        return self._context

    def __exit__(self, *exc: object) -> None:
        _VAR.reset(self._resets.pop())


def login(
    *, url: str | None = None, token: str | None = None, timeout: float | None = None
) -> None:
    """Set the context for the rest of the session (not scoped like the ``with``)."""
    outer = current()
    if token is None:
        raise InvalidArgumentError("login needs a token (wkfn never prompts for one)")
    _VAR.set(
        Context(
            url=outer.url if url is None else _clean_url(url),
            token=token,
            timeout=outer.timeout if timeout is None else float(timeout),
        )
    )


def run_in(context: Context, fn: Callable[..., Any], *args: Any) -> Any:
    """Call ``fn(*args)`` with ``context`` active (for worker threads)."""
    reset = _VAR.set(context)
    try:
        return fn(*args)
    finally:
        _VAR.reset(reset)


__all__ = ["Context", "current", "login", "run_in", "webknossos_context"]
