"""``--executor inline|threads|processes|dask://HOST:PORT`` as a context manager."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor

from wkfn.errors import InvalidArgumentError


@contextlib.contextmanager
def open_executor(spec: str, jobs: int | None) -> Iterator[Executor | None]:
    """Yield the executor named by ``spec`` (None for inline) and shut it down after.

    ``dask://ADDRESS`` connects to a running dask scheduler; ``dask://local`` starts
    a LocalCluster with ``jobs`` workers for the duration of the command.
    """
    check_executor_spec(spec)
    workers = jobs or os.cpu_count() or 1
    if spec == "inline":
        yield None
    elif spec == "threads":
        with ThreadPoolExecutor(workers) as pool:
            yield pool
    elif spec == "processes":
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(workers, mp_context=ctx) as pool:
            yield pool
    elif spec.startswith("dask://"):
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:
            raise InvalidArgumentError(
                "--executor dask://... needs dask.distributed: "
                "pip install 'wkfn[distributed]'"
            ) from exc
        address = spec.removeprefix("dask://")
        if address == "local":
            with (
                LocalCluster(  # type: ignore[no-untyped-call]
                    n_workers=workers, threads_per_worker=1, dashboard_address=None
                ) as cluster,
                Client(cluster) as client,  # type: ignore[no-untyped-call]
            ):
                yield client.get_executor()
        else:
            try:
                client = Client(address, timeout=10)  # type: ignore[no-untyped-call]
            except OSError as exc:
                raise InvalidArgumentError(
                    f"cannot reach the dask scheduler at {address}: {exc}"
                ) from exc
            with client:
                yield client.get_executor()  # type: ignore[no-untyped-call]


def check_executor_spec(spec: str) -> str:
    """Return ``spec`` if it names an executor; raise before any work otherwise."""
    if spec in ("inline", "threads", "processes") or (
        spec.startswith("dask://") and len(spec) > len("dask://")
    ):
        return spec
    raise InvalidArgumentError(
        f"unknown executor {spec!r}: use inline, threads, processes or "
        "dask://HOST:PORT (dask://local starts a local cluster)"
    )
