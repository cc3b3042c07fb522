"""The memory bound of an execution: how many task bytes may be in flight at once.

Every bulk op says how much memory it holds while it runs (``op.memory_estimate()``:
a bounded piece of its target plus the source slab it reads, see
:mod:`wkfn.plan.data_ops`); a write task holds its payload. The executor submits the
tasks of a stage in order, but only while the estimates of the submitted, unfinished
tasks stay within the limit (:func:`in_flight_window`); one task is always let
through, so a task larger than the limit still runs, alone. Peak memory is then
about the process's base plus the limit, whatever the size of the dataset and the
number of workers, and the limit applies to any executor (threads, processes, dask).

The limit is ``WKFN_MEMORY_LIMIT`` (bytes, or with a unit: ``512M``, ``2GiB``,
``1.5G``; ``none`` for no limit), else :data:`DEFAULT_MEMORY_LIMIT`; ``execute(...,
memory_limit=...)`` overrides it for one run.
"""

from __future__ import annotations

import os
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from typing import Any, TypeVar

from wkfn.errors import InvalidArgumentError

MEMORY_LIMIT_ENV = "WKFN_MEMORY_LIMIT"
"""Environment variable holding the in-flight memory limit of an execution."""

DEFAULT_MEMORY_LIMIT = 2 * 1024**3
"""2 GiB of task estimates in flight: about ten downsample ops (each at most a 64 MiB
target piece plus 128 MiB for its source slabs), more than a few cores keep busy."""

_UNITS = {
    "": 1,
    "b": 1,
    "k": 1000,
    "kb": 1000,
    "kib": 1024,
    "m": 1000**2,
    "mb": 1000**2,
    "mib": 1024**2,
    "g": 1000**3,
    "gb": 1000**3,
    "gib": 1024**3,
    "t": 1000**4,
    "tb": 1000**4,
    "tib": 1024**4,
}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$")


def parse_size(text: str) -> int | None:
    """Bytes of ``"512M"``, ``"2GiB"``, ``"1000000"``; ``None`` for ``"none"``.

    >>> parse_size("512MiB"), parse_size("1.5G"), parse_size("none")
    (536870912, 1500000000, None)

    Raises:
        InvalidArgumentError: not a size, or not positive.
    """
    if text.strip().lower() in ("none", "unlimited", "inf"):
        return None
    match = _SIZE.match(text)
    unit = match.group(2).lower() if match else ""
    if match is None or unit not in _UNITS:
        raise InvalidArgumentError(
            f"{MEMORY_LIMIT_ENV} must be a size such as 512M, 2GiB or none, "
            f"got {text!r}"
        )
    value = int(float(match.group(1)) * _UNITS[unit])
    if value <= 0:
        raise InvalidArgumentError(f"{MEMORY_LIMIT_ENV} must be positive, got {text!r}")
    return value


def memory_limit() -> int | None:
    """The limit in force: ``WKFN_MEMORY_LIMIT`` or :data:`DEFAULT_MEMORY_LIMIT`."""
    text = os.environ.get(MEMORY_LIMIT_ENV, "").strip()
    return DEFAULT_MEMORY_LIMIT if not text else parse_size(text)


T = TypeVar("T")


def in_flight_window(
    tasks: Iterable[T],
    submit: Callable[[T], Future[Any]],
    cost: Callable[[T], int],
    limit: int | None,
) -> Iterator[tuple[T, Future[Any]]]:
    """Submit ``tasks`` in order, keeping the summed ``cost`` in flight within
    ``limit``; yield each ``(task, future)`` once it is done, oldest first.

    The caller takes the result of each yielded future; a task is only counted as
    finished (its bytes released) when it is yielded. ``limit=None``: no bound.
    """
    pending: deque[tuple[T, Future[Any], int]] = deque()
    held = 0
    for task in tasks:
        need = max(0, cost(task))
        while pending and limit is not None and held + need > limit:
            done, fut, size = pending.popleft()
            _wait(fut)
            held -= size
            yield done, fut
        pending.append((task, submit(task), need))
        held += need
    while pending:
        done, fut, _ = pending.popleft()
        _wait(fut)
        yield done, fut


def _wait(fut: Future[Any]) -> None:
    """Wait until ``fut`` is done without raising its exception (the caller will)."""
    try:
        fut.exception()
    except BaseException:  # cancelled, or a foreign future type: result() decides
        return


__all__ = [
    "DEFAULT_MEMORY_LIMIT",
    "MEMORY_LIMIT_ENV",
    "in_flight_window",
    "memory_limit",
    "parse_size",
]
