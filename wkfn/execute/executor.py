"""Apply a plan to storage on any ``concurrent.futures.Executor``.

Stages run in order; the ops of a stage are turned into tasks and submitted together.
Region writes are regrouped per array *and shard*, so that each shard touched by a
stage is read-modify-written exactly once, whichever facade calls produced the writes.
Tasks are plain top-level functions with picklable arguments, so thread pools, process
pools (spawn/forkserver) and ``dask.distributed.Client.get_executor()`` all work.

If a stage fails, arrays created earlier by the same plan are removed again and the
properties are not written: the dataset stays openable with its previous contents.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

import msgspec
import numpy as np

from wkfn.errors import ExecutionError, StorageError
from wkfn.execute.array_tasks import Region, run_write_regions
from wkfn.execute.dispatch import task_for
from wkfn.execute.inline import InlineExecutor
from wkfn.execute.journal import Journal
from wkfn.execute.memory_budget import in_flight_window, memory_limit
from wkfn.execute.paths import lexists, resolve_path
from wkfn.execute.task_submit import label as task_label
from wkfn.execute.task_submit import submit
from wkfn.plan.ops import (
    CreateArray,
    WriteProperties,
    WriteRegion,
)
from wkfn.plan.plan import Plan, Stage
from wkfn.plan.summary import output_bytes
from wkfn.spec.array import NDSelect
from wkfn.storage import location

Payloads = Mapping[str, np.ndarray]


class ProgressEvent(msgspec.Struct, frozen=True, kw_only=True):
    """Where an execution stands, after each finished task."""

    stage: str
    tasks_done: int
    tasks_total: int
    bytes_done: int
    """Voxel bytes written by the finished tasks of this stage."""
    bytes_total: int
    """Voxel bytes the whole stage writes (0 for metadata-only stages)."""


Progress = Callable[[ProgressEvent], None]

#: Aim for write tasks of about this many payload bytes when spreading over workers.
TARGET_TASK_BYTES = 64 * 1024 * 1024


class Report(msgspec.Struct, frozen=True, kw_only=True):
    """What an execution did."""

    ops: int
    tasks: int
    seconds: float


# ---------------------------------------------------------------- planning of tasks


def _shard_of(
    op_path: str, root: str, data_format: str, select: NDSelect | None = None
) -> tuple[int, int, int]:
    from wkfn.storage.arrays import read_layout

    dims = None if select is None else select.dims
    layout = read_layout(resolve_path(root, op_path), data_format, dims)
    return layout.shard_shape


class Task(msgspec.Struct, frozen=True):
    """One unit of work: a top-level function, its arguments, the op keys it covers."""

    fn: Callable[..., Any]
    args: tuple[Any, ...]
    keys: tuple[str, ...]
    subject: Any = None
    nbytes: int = 0
    """Voxel bytes the task writes (for progress reporting)."""


def _write_tasks(
    root: str,
    ops: Sequence[WriteRegion],
    payloads: Payloads,
    *,
    parallel: bool,
    journaled: bool,
    stage_id: str,
    done: set[str],
) -> list[Task]:
    """Group region writes per array; per shard when parallel or journaled.

    Journaled writes are keyed ``stage:path:shard`` rather than by op: all pieces of
    a shard run in their original order inside one task, so skipping finished shards
    and re-running the others reproduces exactly the uninterrupted result.
    """
    by_array: dict[tuple[str, str, NDSelect | None], list[Region]] = defaultdict(list)
    for op in ops:
        try:
            data = payloads[op.payload.key]
        except KeyError:
            raise ExecutionError(
                {op.key(): f"payload {op.payload.key!r} is missing"}
            ) from None
        if tuple(data.shape) != tuple(op.payload.shape):
            raise ExecutionError(
                {op.key(): f"payload shape {data.shape} != {op.payload.shape}"}
            )
        by_array[(op.path, op.data_format, op.select)].append((op.offset, data))
    tasks: list[Task] = []
    for (path, fmt, select), regions in by_array.items():
        at = "" if select is None else f"{select.at}:"
        total = sum(d.nbytes for _, d in regions)
        if not journaled and (not parallel or total <= TARGET_TASK_BYTES):
            tasks.append(
                Task(
                    run_write_regions,
                    (root, path, fmt, regions, select),
                    (),
                    nbytes=total,
                )
            )
            continue
        from wkfn.storage.arrays import split_by_shard

        per_shard = split_by_shard(regions, _shard_of(path, root, fmt, select))
        batch: list[Region] = []
        keys: list[str] = []
        batch_bytes = 0
        for idx, shard_pieces in per_shard.items():
            key = f"{stage_id}:write:{path}:{at}{idx}"
            if key in done:
                continue
            batch.extend(shard_pieces)
            keys.append(key)
            batch_bytes += sum(d.nbytes for _, d in shard_pieces)
            if batch_bytes >= TARGET_TASK_BYTES:
                tasks.append(
                    Task(
                        run_write_regions,
                        (root, path, fmt, batch, select),
                        tuple(keys),
                        nbytes=batch_bytes,
                    )
                )
                batch, keys, batch_bytes = [], [], 0
        if batch:
            tasks.append(
                Task(
                    run_write_regions,
                    (root, path, fmt, batch, select),
                    tuple(keys),
                    nbytes=sum(d.nbytes for _, d in batch),
                )
            )
    return tasks


def _stage_tasks(
    root: str,
    stage: Stage,
    payloads: Payloads,
    *,
    parallel: bool,
    journaled: bool,
    stage_id: str,
    done: set[str],
) -> list[Task]:
    tasks: list[Task] = []
    writes: list[WriteRegion] = []
    for op in stage.ops:
        if isinstance(op, WriteRegion):
            writes.append(op)
        elif f"{stage_id}:{op.key()}" not in done:
            tasks.append(
                Task(
                    task_for(op),
                    (root, op),
                    (f"{stage_id}:{op.key()}",),
                    op,
                    nbytes=output_bytes(op),
                )
            )
    tasks.extend(
        _write_tasks(
            root,
            writes,
            payloads,
            parallel=parallel,
            journaled=journaled,
            stage_id=stage_id,
            done=done,
        )
    )
    return tasks


def _rollback(root: str, created: Sequence[CreateArray]) -> None:
    from wkfn.storage.files import delete_path

    for op in created:
        target = resolve_path(root, op.path)
        if lexists(target):
            # best effort: the failure itself is what gets reported
            with contextlib.suppress(OSError):
                delete_path(target)


def execute(
    plan: Plan,
    root: str | os.PathLike[str],
    payloads: Payloads | None = None,
    *,
    executor: Executor | None = None,
    progress: Progress | None = None,
    journal: Journal | None = None,
    memory_limit_bytes: int | None = None,
) -> Report:
    """Run every stage of ``plan`` against the dataset at ``root``.

    Args:
        plan: the plan to apply (its ``base`` is not checked here; see ``apply``).
        root: dataset directory; relative op paths are resolved against it.
        payloads: voxel arrays referenced by ``WriteRegion`` ops.
        executor: where tasks run; inline in this thread when None.
        progress: called with a :class:`ProgressEvent` after every finished task.
        journal: records finished ops (fsynced) and skips those already recorded,
            so a run killed at any point can be resumed; see ``wkfn.execute.journal``.
        memory_limit_bytes: bound of the memory estimates of the tasks in flight
            (see :mod:`wkfn.execute.memory_budget`); ``None``: ``WKFN_MEMORY_LIMIT``
            or its default.

    Returns:
        A :class:`Report`.

    Raises:
        ExecutionError: one or more tasks failed; created arrays were removed again
            (unless resuming from a journal) and the properties file was left as it
            was.
    """
    started = time.perf_counter()
    root_s = (
        str(root).rstrip("/") if location.is_remote(root) else os.fspath(Path(root))
    )
    pool: Executor = executor if executor is not None else InlineExecutor()
    parallel = not isinstance(pool, InlineExecutor)
    payloads = payloads or {}
    if location.is_remote(root_s):
        from wkfn.execute.store_checks import check_plan_for_store

        check_plan_for_store(plan, root_s)
    done_keys: set[str] = journal.finished() if journal is not None else set()
    resuming = journal.begin() if journal is not None else False
    if journal is not None:
        _sweep_temp_files(root_s, plan)
    created: list[CreateArray] = []
    n_tasks = 0
    limit = memory_limit() if memory_limit_bytes is None else memory_limit_bytes
    for number, stage in enumerate(plan.stages):
        if resuming:
            stage = _with_exist_ok(stage)
        try:
            tasks = _stage_tasks(
                root_s,
                stage,
                payloads,
                parallel=parallel,
                journaled=journal is not None,
                stage_id=str(number),
                done=done_keys,
            )
        except Exception:
            if journal is None:
                _rollback(root_s, created)
            raise
        futures = in_flight_window(
            tasks,
            lambda task: submit(pool, root_s, task.fn, task.args),
            _task_memory,
            limit,
        )
        bytes_total = sum(task.nbytes for task in tasks)
        bytes_done = 0
        failures: dict[str, str] = {}
        causes: dict[str, BaseException] = {}
        for done, (task, fut) in enumerate(futures, start=1):
            try:
                fut.result()
            except Exception as exc:
                label = f"{stage.name}:{task.fn.__name__}:{task_label(task.args)}"
                failures[label] = f"{type(exc).__name__}: {exc}"
                causes[label] = exc
            else:
                if isinstance(task.subject, CreateArray):
                    created.append(task.subject)
                if journal is not None and task.keys:
                    journal.record(task.keys)
            bytes_done += task.nbytes
            if progress is not None:
                progress(
                    ProgressEvent(
                        stage=stage.name,
                        tasks_done=done,
                        tasks_total=len(tasks),
                        bytes_done=bytes_done,
                        bytes_total=bytes_total,
                    )
                )
        n_tasks += len(tasks)
        if failures:
            if journal is None:
                _rollback(root_s, created)
            raise ExecutionError(failures, causes)
        if any(isinstance(op, WriteProperties) for op in stage.ops):
            created.clear()  # committed: the properties name these arrays now
    if journal is not None:
        journal.close(complete=True)
    return Report(
        ops=len(plan.ops), tasks=n_tasks, seconds=time.perf_counter() - started
    )


def _task_memory(task: Task) -> int:
    """What a task holds while it runs: its op's estimate, or its write payload."""
    estimate = getattr(task.subject, "memory_estimate", None)
    if estimate is not None:
        return int(estimate())
    return task.nbytes if task.fn is run_write_regions else 0


def _sweep_temp_files(root: str, plan: Plan) -> None:
    """Remove temp files an earlier, killed run of this plan may have left behind."""
    if location.is_remote(root):
        return  # object stores take whole objects: nothing is left half-written
    from wkfn.storage.files import (
        remove_stale_atomic_temp_files,
        remove_stale_temp_files,
    )

    remove_stale_atomic_temp_files(root)
    for entry in os.scandir(root) if os.path.isdir(root) else ():
        if entry.is_dir(follow_symlinks=False):
            remove_stale_atomic_temp_files(entry.path)

    paths = {op.path for op in plan.ops if isinstance(op, WriteRegion | CreateArray)}
    paths |= {
        str(target)
        for op in plan.ops
        if (target := getattr(op, "target_path", None)) is not None
    }
    for path in sorted(paths):
        remove_stale_temp_files(resolve_path(root, path))


def _with_exist_ok(stage: Stage) -> Stage:
    """When resuming, an array may exist because the crash hit after its creation."""
    ops = tuple(
        msgspec.structs.replace(op, exist_ok=True)
        if isinstance(op, CreateArray)
        else op
        for op in stage.ops
    )
    return msgspec.structs.replace(stage, ops=ops)


__all__ = ["Report", "StorageError", "execute", "resolve_path"]
