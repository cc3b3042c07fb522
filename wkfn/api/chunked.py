"""Chunk-wise processing of views: ``for_each_chunk``, ``map_chunk`` and friends.

A view is cut on a grid of Mag-1 chunk boxes and a user function runs once per
chunk, inline or on any ``concurrent.futures``-style executor (a spawn
``ProcessPoolExecutor``, ``dask.distributed.Client.get_executor()``, ...).

Why parallel writes are safe: on a writable view every chunk must be a multiple of
the shard extent (``mag * chunk_shape * chunks_per_shard``) and chunk borders lie on
multiples of the chunk shape, so two chunks never share a shard (a storage file).
``View.write`` inside a chunk never grows the layer, so it writes no properties
file either; workers therefore touch disjoint files only. Views travel to workers
by pickling (dataset path, spec, layer name, mag, box); array handles are opened
afresh in each worker process.
"""

from __future__ import annotations

import sys
import uuid
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, as_completed
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from wkfn.errors import ChunkShapeError
from wkfn.geometry import BoundingBox, Vec3Int

if TYPE_CHECKING:
    from wkfn.api.view import View

T = TypeVar("T")
R = TypeVar("R")


# --------------------------------------------------------------------------- helpers


def _parse_shape(value: object, what: str) -> Vec3Int:
    """A Mag-1 chunk shape from an int or a 3-vector; all entries must be > 0."""
    try:
        shape = Vec3Int.from_vec_or_int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise ChunkShapeError(
            f"{what} must be an int or three ints, got {value!r}"
        ) from exc
    if not shape.is_positive(strictly_positive=True):
        raise ChunkShapeError(
            f"The passed parameter '{what}' {shape} contains at least one value "
            "<= 0. This is not allowed."
        )
    return shape


def _shard_extent_mag1(view: View) -> Vec3Int:
    """One shard of the view's array, in Mag-1 voxels (the default chunk)."""
    return view.info.shard_shape * view.mag.to_vec3_int()


def _check_chunk_shape(view: View, shape: Vec3Int, read_only: bool, what: str) -> None:
    """Refuse chunk shapes that could make two chunks share a shard (writable) or
    cut through storage chunks (read-only).

    Raises:
        ChunkShapeError: ``shape`` is not a multiple of ``mag * chunk_shape``
            (read-only) or ``mag * chunk_shape * chunks_per_shard`` (writable).
    """
    info = view.info
    divisor = view.mag.to_vec3_int() * info.chunk_shape
    if not read_only:
        divisor = divisor * info.chunks_per_shard
    if any(s % d for s, d in zip(shape, divisor)):
        extra = "" if read_only else "*chunks_per_shard"
        raise ChunkShapeError(
            f"The {what} {shape} must be a multiple of mag*chunk_shape{extra} of "
            f"the view, which is {divisor} (view {view}"
            f"{', read-only' if read_only else ', writable'})."
        )


def _is_recording(view: View) -> bool:
    """True inside ``Dataset.dry_run()``/``transaction()`` of the view's dataset."""
    return view.session.is_recording


class _Progress:
    """A one-line chunk counter on stderr (only created when a description is given)."""

    def __init__(self, desc: str, total: int) -> None:
        self._desc = desc
        self._total = total
        self._done = 0
        self._show()

    def _show(self) -> None:
        sys.stderr.write(f"\r{self._desc}: {self._done}/{self._total} chunks")
        sys.stderr.flush()

    def advance(self) -> None:
        self._done += 1
        self._show()

    def close(self) -> None:
        sys.stderr.write("\n")
        sys.stderr.flush()


def _call(func: Callable[[T], R], job: T, nonce: str) -> R:
    """Run one job in a worker.

    ``nonce`` is unique per call of the chunk methods: dask treats submissions with
    equal arguments as the same (pure) task and could hand back a stale result of an
    earlier call (e.g. of ``content_is_equal`` before the data changed).
    """
    del nonce
    return func(job)


def _run_jobs(
    func: Callable[[T], R],
    jobs: Sequence[T],
    executor: Executor | None,
    progress_desc: str | None,
) -> list[R]:
    """Apply ``func`` to every job, returning the results in job order.

    Inline when ``executor`` is None. With an executor every job is submitted; the
    first failure (in completion order) cancels the jobs that have not started and
    is re-raised.
    """
    progress = None if progress_desc is None else _Progress(progress_desc, len(jobs))
    try:
        if executor is None:
            results: list[R] = []
            for job in jobs:
                results.append(func(job))
                if progress is not None:
                    progress.advance()
            return results
        nonce = uuid.uuid4().hex
        futures: list[Future[R]] = [
            executor.submit(_call, func, job, nonce) for job in jobs
        ]
        try:
            for fut in as_completed(futures):
                fut.result()  # raises the job's exception
                if progress is not None:
                    progress.advance()
        except BaseException:
            for fut in futures:
                fut.cancel()
            raise
        return [fut.result() for fut in futures]
    finally:
        if progress is not None:
            progress.close()


def _effective_executor(
    executor: Executor | None, views: Sequence[View]
) -> Executor | None:
    """No executor while a dataset records (dry run): workers could not record."""
    if executor is not None and any(_is_recording(v) for v in views):
        warnings.warn(
            "the dataset is inside dry_run()/transaction(): chunks run inline so "
            "that their writes are recorded; the executor is not used",
            UserWarning,
            stacklevel=3,
        )
        return None
    return executor


def _chunks_equal(pair: tuple[View, View]) -> bool:
    """True if both (equally sized, read-only) views hold the same voxels."""
    a, b = pair
    return bool(np.array_equal(a.read(), b.read()))


# ------------------------------------------------------------------- View methods


def for_each_chunk(
    view: View,
    func_per_chunk: Callable[[tuple[View, int]], object],
    *,
    chunk_shape: object = None,
    executor: Executor | None = None,
    progress_desc: str | None = None,
) -> None:
    """Call ``func_per_chunk((sub_view, index))`` for every chunk of the view.

    Args:
        func_per_chunk: called once per chunk; must be picklable (a top-level
            function or ``functools.partial`` of one) when ``executor`` runs
            in other processes.
        chunk_shape: Mag-1 chunk shape; default one shard (shard shape x mag).
            On a writable view it must be a multiple of
            ``mag * chunk_shape * chunks_per_shard`` so chunks own whole
            shards; on a read-only view a multiple of ``mag * chunk_shape``.
        executor: a ``concurrent.futures.Executor``; inline when None.
        progress_desc: if given, a chunk counter is shown on stderr.

    Raises:
        ChunkShapeError: ``chunk_shape`` is invalid (before any work is done).
    """
    shape = _resolve_chunk_shape(view, chunk_shape)
    jobs = [(sub, i) for i, sub in enumerate(view.chunk(shape, shape))]
    _run_jobs(
        func_per_chunk,
        jobs,
        _effective_executor(executor, [view]),
        progress_desc,
    )


def map_chunk(
    view: View,
    func_per_chunk: Callable[[View], R],
    *,
    chunk_shape: object = None,
    executor: Executor | None = None,
    progress_desc: str | None = None,
) -> list[R]:
    """``func_per_chunk(sub_view)`` for every chunk; results in chunk order.

    Chunking, executor and progress as in :meth:`for_each_chunk`.
    """
    shape = _resolve_chunk_shape(view, chunk_shape)
    jobs = list(view.chunk(shape, shape))
    return _run_jobs(
        func_per_chunk,
        jobs,
        _effective_executor(executor, [view]),
        progress_desc,
    )


def for_zipped_chunks(
    view: View,
    func_per_chunk: Callable[[tuple[View, View, int]], object],
    target_view: View,
    *,
    source_chunk_shape: object = None,
    target_chunk_shape: object = None,
    executor: Executor | None = None,
    progress_desc: str | None = None,
) -> None:
    """Call ``func_per_chunk((source_chunk, target_chunk, index))`` pairwise.

    Both views are chunked with their own chunk shape (in Mag-1); the i-th
    source chunk is paired with the i-th target chunk, which is what e.g. a
    downsampling step from one mag into another needs.

    Args:
        target_view: the view chunked alongside this one (usually written).
        source_chunk_shape, target_chunk_shape: give both or neither; the
            default for both is the pairwise maximum of the two views' shard
            extents (Mag-1). Given shapes are checked like in
            :meth:`for_each_chunk`, each against its own view.

    Raises:
        ChunkShapeError: only one shape given, a shape is invalid, or the ratio
            of the view sizes differs from the ratio of the chunk shapes.

    Empty views make this a no-op.
    """
    if source_chunk_shape is None or target_chunk_shape is None:
        if source_chunk_shape is not None or target_chunk_shape is not None:
            raise ChunkShapeError(
                "Either both source_chunk_shape and target_chunk_shape must be "
                "given or none."
            )
        src_shape = _shard_extent_mag1(view).pairmax(_shard_extent_mag1(target_view))
        tgt_shape = src_shape
    else:
        src_shape = _parse_shape(source_chunk_shape, "source_chunk_shape")
        tgt_shape = _parse_shape(target_chunk_shape, "target_chunk_shape")
        _check_chunk_shape(view, src_shape, view.read_only, "source_chunk_shape")
        _check_chunk_shape(
            target_view, tgt_shape, target_view.read_only, "target_chunk_shape"
        )
    src_box, tgt_box = view.bounding_box, target_view.bounding_box
    if src_box.is_empty() or tgt_box.is_empty():
        return
    src_size, tgt_size = src_box.size_xyz, tgt_box.size_xyz
    # a/b == c/d  <=>  a*d == c*b  (all positive here), without float rounding
    if any(
        s * tc != t * sc
        for s, t, sc, tc in zip(src_size, tgt_size, src_shape, tgt_shape)
    ):
        raise ChunkShapeError(
            "Calling 'for_zipped_chunks' failed because the ratio of the view "
            f"sizes (source size = {src_size}, target size = {tgt_size}) must "
            "be equal to the ratio of the chunk sizes (source_chunk_shape in "
            f"Mag(1) = {src_shape}, target_chunk_shape in Mag(1) = {tgt_shape})"
        )
    sources = view.chunk(src_shape, src_shape)
    targets = target_view.chunk(tgt_shape, tgt_shape)
    jobs = [(s, t, i) for i, (s, t) in enumerate(zip(sources, targets))]
    _run_jobs(
        func_per_chunk,
        jobs,
        _effective_executor(executor, [view, target_view]),
        progress_desc,
    )


def content_is_equal(
    view: View,
    other: View,
    *,
    executor: Executor | None = None,
    progress_desc: str | None = None,
    chunk_shape: object = None,
) -> bool:
    """True if both views have the same Mag-1 size and the same voxels.

    The comparison reads both views chunk by chunk through read-only views, so
    memory stays at about two chunks per worker. Chunks are laid out relative to
    each view's topleft, so views at different positions compare correctly.

    Args:
        chunk_shape: Mag-1 chunk shape, a multiple of ``mag * chunk_shape`` of
            both views; default is the pairwise maximum of their shard extents.

    Raises:
        ChunkShapeError: ``chunk_shape`` is invalid.
    """
    if view.bounding_box.size_xyz != other.bounding_box.size_xyz:
        return False
    ro_self = view.get_view(read_only=True)
    ro_other = other.get_view(read_only=True)
    if chunk_shape is None:
        shape = _shard_extent_mag1(view).pairmax(_shard_extent_mag1(other))
    else:
        shape = _parse_shape(chunk_shape, "chunk_shape")
        _check_chunk_shape(ro_self, shape, True, "chunk_shape")
        _check_chunk_shape(ro_other, shape, True, "chunk_shape")
    size = view.bounding_box.size_xyz
    origin = BoundingBox((0, 0, 0), size)
    jobs = [
        (
            ro_self.get_view(relative_bounding_box=rel, read_only=True),
            ro_other.get_view(relative_bounding_box=rel, read_only=True),
        )
        for rel in origin.chunk(shape)
    ]
    results = _run_jobs(
        _chunks_equal,
        jobs,
        _effective_executor(executor, [view, other]),
        progress_desc,
    )
    return all(results)


def _resolve_chunk_shape(view: View, chunk_shape: object) -> Vec3Int:
    """The given chunk shape (checked for the view's writability) or one shard."""
    if chunk_shape is None:
        return _shard_extent_mag1(view)
    shape = _parse_shape(chunk_shape, "chunk_shape")
    _check_chunk_shape(view, shape, view.read_only, "chunk_shape")
    return shape


__all__ = [
    "ChunkShapeError",
    "content_is_equal",
    "for_each_chunk",
    "for_zipped_chunks",
    "map_chunk",
]
