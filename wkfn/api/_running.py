"""How the facade runs a plan: thread pool, rollback, journaled (resumable) runs.

:class:`~wkfn.api._session.Session.apply` and copies to a new dataset
(:func:`run_plan`) share these steps. Resumable runs (:mod:`wkfn.execute.resumable`,
a flocked run directory beside the data) are local-only: on an object store
(``s3://`` / ``gs://``, given here as the URL string) the plan runs as before
resumable runs existed, arrays the failed plan created are removed by the executor,
and ``wkfn apply --resume`` keeps its own journal in the bucket
(:mod:`wkfn.execute.journal`).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Executor, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal

import numpy as np

from wkfn.execute.executor import execute, resolve_path
from wkfn.execute.progress_bar import is_long, progress_bar
from wkfn.execute.resumable import needs_journal, resumable_run, without_properties
from wkfn.plan.ops import CopyRegion, CopyTree, CreateArray, LinkPath, ResampleRegion
from wkfn.plan.plan import Plan
from wkfn.storage.files import delete_path
from wkfn.transform.change import Change

#: When ``apply`` runs a plan on its own thread pool (no executor given or set):
#: ``"never"``; ``"bulk"`` for plans with at least two bulk data ops (copies,
#: resampling); ``"always"`` (image imports, whose tasks report statistics).
PoolPolicy = Literal["never", "bulk", "always"]
_BULK_OPS = (CopyRegion, ResampleRegion)

#: Where a plan runs: a local dataset directory, or an object-store URL string.
ExecRoot = Path | str


def wrapped(
    executor: Executor | None, wrap: Callable[[Executor], Executor] | None
) -> Executor | None:
    """``wrap(executor)``, unless there is nothing to wrap (inline execution)."""
    if wrap is None or executor is None:
        return executor
    return wrap(executor)


@contextlib.contextmanager
def thread_pool(
    executor: Executor | None, plan: Plan, policy: PoolPolicy
) -> Iterator[Executor | None]:
    """The executor to run on: the given one, or an own thread pool per policy.

    tensorstore and wkw release the GIL while coding, so threads scale for bulk
    copies and resampling.
    """
    workers = os.cpu_count() or 1
    bulk = sum(1 for op in plan.ops if isinstance(op, _BULK_OPS))
    wanted = policy == "always" or (policy == "bulk" and bulk >= 2 and workers >= 2)
    if executor is not None or not wanted:
        yield executor
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        yield pool


@contextlib.contextmanager
def rollback_on_failure(root: ExecRoot, plan: Plan) -> Iterator[None]:
    """Remove the trees, links and directories ``plan`` made if it fails.

    Arrays the plan created are removed by the executor itself; copied trees,
    links and the then empty layer directories are removed here. On an object
    store nothing is done here: whether a prefix existed before cannot be told
    cheaply, and the executor removes the arrays it created.
    """
    if isinstance(root, str):
        yield
        return
    made = [
        resolve_path(root, op.target)
        for op in plan.ops
        if isinstance(op, CopyTree | LinkPath)
    ]
    parents = {
        os.path.dirname(resolve_path(root, op.path))
        for op in plan.ops
        if isinstance(op, CreateArray)
    } | {os.path.dirname(p) for p in made}
    existed = {p for p in [*made, *parents] if os.path.lexists(p)}
    try:
        yield
    except BaseException:
        for p in made:
            if p not in existed and os.path.lexists(p):
                with contextlib.suppress(OSError):
                    delete_path(p)
        for p in sorted(parents - existed, key=len, reverse=True):
            with contextlib.suppress(OSError):
                os.rmdir(p)  # only if empty
        raise


def run_plan(root: ExecRoot, change: Change, executor: Executor | None) -> None:
    """Execute a plan against a dataset that has no session yet (a new copy).

    Same pool policy, progress bar and rollback as :meth:`Session.apply`.
    """
    with (
        rollback_on_failure(root, change.plan),
        thread_pool(executor, change.plan, "bulk") as run_on,
        progress_bar(is_long(change.plan)) as bar,
    ):
        run_journaled(root, change.plan, None, executor=run_on, progress=bar)


def run_journaled(
    root: ExecRoot,
    plan: Plan,
    payloads: Mapping[str, np.ndarray] | None,
    *,
    executor: Executor | None,
    progress: Any,
    finish: Callable[[], Change] | None = None,
) -> Change | None:
    """Execute ``plan``; journaled and resumable if a killed run could leave
    anything behind (see :mod:`wkfn.execute.resumable`).

    With ``finish`` the plan's own properties are not written: once its data is
    on disk, the properties of ``finish()``'s change are, and that change is
    returned. On an object store (``root`` a URL string) the run is not journaled.
    """
    if isinstance(root, str):
        execute(
            plan if finish is None else without_properties(plan),
            root,
            payloads,
            executor=executor,
            progress=progress,
        )
        if finish is None:
            return None
        final = finish()
        execute(final.plan, root)
        return final
    if finish is None and not needs_journal(plan):
        execute(plan, root, payloads, executor=executor, progress=progress)
        return None
    with resumable_run(root, plan, payloads, hold=finish is not None) as run:
        execute(
            run.plan if finish is None else without_properties(run.plan),
            root,
            payloads,
            executor=executor,
            progress=progress,
            journal=run.journal,
        )
        if finish is None:
            return None
        final = finish()
        run.writing_properties(final.plan.target)
        execute(final.plan, root)
        run.properties_written()
        return final
