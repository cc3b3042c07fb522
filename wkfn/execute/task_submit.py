"""How the executor hands one task to a ``concurrent.futures.Executor``.

Tasks of a plan on an object store carry the storage options registered in the
planning process (endpoint, keys given as ``UPath`` options), so worker processes
(a process pool, dask workers) reach the same bucket; the options travel with the
task only, never in a plan. Also names a task for progress and failure messages.
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


def submit(
    pool: Executor, root: str, fn: Callable[..., Any], args: tuple[Any, ...]
) -> Future[Any]:
    """``pool.submit(fn, *args)``; for a URL root on a real pool, with the options."""
    if "://" in root and not isinstance(pool, InlineExecutor):
        from wkfn.storage.location import options_snapshot

        options = options_snapshot()
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
