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
import json
import os
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor, Future
from pathlib import Path
from typing import Any

import msgspec
import numpy as np

from wkfn.errors import ExecutionError, StorageError
from wkfn.execute.inline import InlineExecutor
from wkfn.plan.ops import (
    CreateArray,
    DeletePath,
    MovePath,
    PlanOp,
    ResizeArray,
    WriteProperties,
    WriteRegion,
)
from wkfn.plan.plan import Plan, Stage

Payloads = Mapping[str, np.ndarray]
Progress = Callable[[int, int, str], None]
Region = tuple[tuple[int, int, int], np.ndarray]

#: Aim for write tasks of about this many payload bytes when spreading over workers.
TARGET_TASK_BYTES = 64 * 1024 * 1024


class Report(msgspec.Struct, frozen=True, kw_only=True):
    """What an execution did."""

    ops: int
    tasks: int
    seconds: float


def resolve_path(root: str | os.PathLike[str], path: str) -> str:
    """Resolve a path as written in the properties against the dataset root."""
    if "://" in path or os.path.isabs(path):
        return path
    return os.path.normpath(os.path.join(os.fspath(root), path))


# ---------------------------------------------------------------- task functions
# Top-level so that they pickle by reference for process pools and dask workers.


def run_create_array(root: str, op: CreateArray) -> None:
    """Create one array."""
    from wkfn.storage.arrays import create_array

    create_array(resolve_path(root, op.path), op.layout)


def run_resize_array(root: str, op: ResizeArray) -> None:
    """Grow one array's shape (metadata only)."""
    from wkfn.storage.arrays import open_array

    open_array(resolve_path(root, op.path), op.data_format).resize(op.shape)


def run_write_regions(
    root: str, path: str, data_format: str, regions: Sequence[Region]
) -> int:
    """Write regions into one array, each shard read-modify-written once."""
    from wkfn.storage.arrays import write_regions

    write_regions(resolve_path(root, path), data_format, regions)
    return len(regions)


def run_delete_path(root: str, op: DeletePath) -> None:
    """Remove a layer or mag directory (a symlink is unlinked, not followed)."""
    from wkfn.storage.files import delete_path

    target = resolve_path(root, op.path)
    if os.path.lexists(target):
        delete_path(target)


def run_move_path(root: str, op: MovePath) -> None:
    """Rename a directory inside the dataset."""
    from wkfn.storage.files import move_path

    source = resolve_path(root, op.source)
    if os.path.lexists(source):
        move_path(source, resolve_path(root, op.target))


def run_write_properties(root: str, op: WriteProperties) -> None:
    """Write the properties file atomically, then the group/OME metadata."""
    from wkfn.storage.files import write_properties_bytes
    from wkfn.storage.ome import write_group_metadata

    os.makedirs(root, exist_ok=True)
    data = json.dumps(op.properties, indent=4).encode()
    write_properties_bytes(root, data)
    write_group_metadata(root, op.properties)


# ---------------------------------------------------------------- planning of tasks


def _shard_of(op_path: str, root: str, data_format: str) -> tuple[int, int, int]:
    from wkfn.storage.arrays import read_layout

    layout = read_layout(resolve_path(root, op_path), data_format)
    return layout.shard_shape


def _write_tasks(
    root: str,
    ops: Sequence[WriteRegion],
    payloads: Payloads,
    parallel: bool,
) -> list[tuple[Callable[..., Any], tuple[Any, ...]]]:
    by_array: dict[tuple[str, str], list[Region]] = defaultdict(list)
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
        by_array[(op.path, op.data_format)].append((op.offset, data))
    tasks: list[tuple[Callable[..., Any], tuple[Any, ...]]] = []
    for (path, fmt), regions in by_array.items():
        total = sum(d.nbytes for _, d in regions)
        if not parallel or total <= TARGET_TASK_BYTES:
            tasks.append((run_write_regions, (root, path, fmt, regions)))
            continue
        from wkfn.storage.arrays import split_by_shard

        per_shard = split_by_shard(regions, _shard_of(path, root, fmt))
        batch: list[Region] = []
        batch_bytes = 0
        for shard_pieces in per_shard.values():
            batch.extend(shard_pieces)
            batch_bytes += sum(d.nbytes for _, d in shard_pieces)
            if batch_bytes >= TARGET_TASK_BYTES:
                tasks.append((run_write_regions, (root, path, fmt, batch)))
                batch, batch_bytes = [], 0
        if batch:
            tasks.append((run_write_regions, (root, path, fmt, batch)))
    return tasks


def _stage_tasks(
    root: str, stage: Stage, payloads: Payloads, parallel: bool
) -> list[tuple[Callable[..., Any], tuple[Any, ...]]]:
    tasks: list[tuple[Callable[..., Any], tuple[Any, ...]]] = []
    writes: list[WriteRegion] = []
    for op in stage.ops:
        if isinstance(op, WriteRegion):
            writes.append(op)
        else:
            tasks.append((task_for(op), (root, op)))
    tasks.extend(_write_tasks(root, writes, payloads, parallel))
    return tasks


_TASK_OF: dict[type[PlanOp], Callable[..., Any]] = {
    CreateArray: run_create_array,
    ResizeArray: run_resize_array,
    DeletePath: run_delete_path,
    MovePath: run_move_path,
    WriteProperties: run_write_properties,
}

#: Ops whose task functions live in their own modules: "module:function". The
#: function is called as ``fn(root, op)`` and imported on first use.
_TASK_PATHS: dict[str, str] = {
    "DownsampleRegion": "wkfn.execute.resample_tasks:run_downsample_region",
    "UpsampleRegion": "wkfn.execute.resample_tasks:run_upsample_region",
    "CopyRegion": "wkfn.execute.copy_tasks:run_copy_region",
    "CopyTree": "wkfn.execute.copy_tasks:run_copy_tree",
    "LinkPath": "wkfn.execute.copy_tasks:run_link_path",
    "ReplacePath": "wkfn.execute.copy_tasks:run_replace_path",
}


def task_for(op: PlanOp) -> Callable[..., Any]:
    """The top-level function that runs ``op`` (as ``fn(root, op)``)."""
    fn = _TASK_OF.get(type(op))
    if fn is None:
        import importlib

        module, _, name = _TASK_PATHS[type(op).__name__].partition(":")
        fn = getattr(importlib.import_module(module), name)
        _TASK_OF[type(op)] = fn
    return fn


def _rollback(root: str, created: Sequence[CreateArray]) -> None:
    from wkfn.storage.files import delete_path

    for op in created:
        target = resolve_path(root, op.path)
        if os.path.lexists(target):
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
) -> Report:
    """Run every stage of ``plan`` against the dataset at ``root``.

    Args:
        plan: the plan to apply (its ``base`` is not checked here; see ``apply``).
        root: dataset directory; relative op paths are resolved against it.
        payloads: voxel arrays referenced by ``WriteRegion`` ops.
        executor: where tasks run; inline in this thread when None.
        progress: called as ``progress(done_tasks, total_tasks, stage_name)``.

    Returns:
        A :class:`Report`.

    Raises:
        ExecutionError: one or more tasks failed; created arrays were removed again
            and the properties file was left as it was.
    """
    started = time.perf_counter()
    root_s = os.fspath(Path(root))
    pool: Executor = executor if executor is not None else InlineExecutor()
    parallel = not isinstance(pool, InlineExecutor)
    payloads = payloads or {}
    created: list[CreateArray] = []
    n_tasks = 0
    for stage in plan.stages:
        try:
            tasks = _stage_tasks(root_s, stage, payloads, parallel)
        except Exception:
            _rollback(root_s, created)
            raise
        futures: list[tuple[str, Future[Any], Any]] = []
        for fn, args in tasks:
            label = f"{stage.name}:{fn.__name__}:{_label(args)}"
            futures.append((label, pool.submit(fn, *args), args[1]))
        failures: dict[str, str] = {}
        for done, (label, fut, subject) in enumerate(futures, start=1):
            try:
                fut.result()
            except Exception as exc:
                failures[label] = f"{type(exc).__name__}: {exc}"
            else:
                if isinstance(subject, CreateArray):
                    created.append(subject)
            if progress is not None:
                progress(done, len(futures), stage.name)
        n_tasks += len(futures)
        if failures:
            _rollback(root_s, created)
            raise ExecutionError(failures)
    return Report(
        ops=len(plan.ops), tasks=n_tasks, seconds=time.perf_counter() - started
    )


def _label(args: tuple[Any, ...]) -> str:
    for arg in args[1:]:
        if isinstance(arg, str):
            return arg
        path = getattr(arg, "path", None)
        if isinstance(path, str):
            return path
    return ""


__all__ = ["Report", "StorageError", "execute", "resolve_path"]
