"""How the executor hands one task to a ``concurrent.futures.Executor``.

Tasks of a plan on an object store carry the storage options registered in the
planning process (endpoint, keys given as ``UPath`` options), so worker processes
(a process pool, dask workers) reach the same bucket; the options travel with the
task only, never in a plan. So do the WEBKNOSSOS user and sharing tokens registered
for http(s) reads (a download's tasks read URLs whose tokens are kept outside the
plan, see :mod:`wkfn.storage.remote`). Also names a task for progress and failure
messages.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any

from wkfn.execute.inline import InlineExecutor


def run_with_storage_options(
    options: dict[str, dict[str, Any]], fn: Callable[..., Any], *args: Any
) -> Any:
    """Run a task after registering the planning process's storage options."""
    from wkfn.storage.location import install_options

    install_options(options)
    return fn(*args)


def run_with_credentials(
    options: dict[str, dict[str, Any]],
    tokens: dict[str, dict[str, str]],
    fn: Callable[..., Any],
    *args: Any,
) -> Any:
    """Run a task after registering the planning process's options and tokens."""
    from wkfn.storage.remote import install_credentials

    install_credentials(tokens)
    return run_with_storage_options(options, fn, *args)


def submit(
    pool: Executor, root: str, fn: Callable[..., Any], args: tuple[Any, ...]
) -> Future[Any]:
    """``pool.submit(fn, *args)``; on a real pool with the registered credentials
    (storage options for a URL root, http tokens for any root)."""
    if not isinstance(pool, InlineExecutor):
        from wkfn.storage.location import is_url, options_snapshot
        from wkfn.storage.remote import credentials_snapshot

        options = options_snapshot() if is_url(root) else {}
        tokens = credentials_snapshot()
        if tokens["user"] or tokens["sharing"]:
            return pool.submit(run_with_credentials, options, tokens, fn, *args)
        if options:
            return pool.submit(run_with_storage_options, options, fn, *args)
    return pool.submit(fn, *args)


def label(args: tuple[Any, ...]) -> str:
    """The first path among a task's arguments (after the root), for messages."""
    for arg in args[1:]:
        if isinstance(arg, str):
            return arg
        path = getattr(arg, "path", None)
        if isinstance(path, str):
            return path
    return ""
