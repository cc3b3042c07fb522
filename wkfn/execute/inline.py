"""An executor that runs each task immediately in the calling thread."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any, ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


class InlineExecutor(Executor):
    """Runs submitted callables synchronously; the default for small plans.

    Exceptions are captured in the returned future, as with a real pool, so callers
    handle failures the same way whatever executor they were given.
    """

    def submit(
        self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs
    ) -> Future[T]:
        future: Future[T] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            future.set_exception(exc)
        return future

    def map(self, fn: Callable[..., T], *iterables: Any, **_: Any) -> Any:
        return (fn(*args) for args in zip(*iterables))
