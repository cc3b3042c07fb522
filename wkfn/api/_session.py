"""The facade's one effect boundary: a dataset's root, spec, layouts and recorder.

Every facade object (``Dataset``, ``Layer``, ``MagView``, ``View``) reaches storage
through the ``Session`` of its dataset; nothing else in :mod:`wkfn.api` executes a
plan. A mutating facade call is always the same five steps::

    args = parse(...)                                  # wkfn.api._parse
    change = transform.xyz(session.spec, args)         # pure planner
    session.apply(change)                              # execute (or record), adopt
    return facade_object                               # Layer / MagView / ...

``Session.apply`` owns what those steps share: refusing read-only datasets, recording
inside ``dry_run()``, the thread-pool policy, the progress bar, journaling plans so
that the same call resumes after a crash, removing the files and directories a failed
plan made, and adopting the new spec together with the layouts of the arrays the plan
created. Reads never change the spec, so they go
straight to the driver (:meth:`Session.read`, :meth:`Session.layout`).

The session imports the pure core, :mod:`wkfn.storage` and :mod:`wkfn.execute`, and
only :mod:`wkfn.api.recorder` of its siblings; the facade classes import it, never
the other way round.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Executor, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal

import numpy as np

from wkfn.api.recorder import Recorder
from wkfn.errors import DatasetNotFoundError, ReadOnlyError
from wkfn.execute.executor import execute, resolve_path
from wkfn.execute.journal import JOURNAL_DIR
from wkfn.execute.progress_bar import is_long, progress_bar
from wkfn.execute.resumable import (
    clean_finished,
    needs_journal,
    resumable_run,
    without_properties,
)
from wkfn.geometry import Mag
from wkfn.plan.ops import (
    CopyRegion,
    CopyTree,
    CreateArray,
    DeletePath,
    LinkPath,
    ResampleRegion,
)
from wkfn.plan.plan import Plan
from wkfn.spec import lookup
from wkfn.spec.array import ArrayLayout
from wkfn.spec.codec import decode_properties
from wkfn.spec.dataset import DatasetSpec
from wkfn.spec.layer import LayerSpec
from wkfn.storage import path_policy, remote
from wkfn.storage.files import delete_path, read_properties_bytes
from wkfn.transform import layer as layer_transform
from wkfn.transform.change import Change

PROPERTIES_FILE_NAME = "datasource-properties.json"
Vec3 = tuple[int, int, int]
Root = Path | remote.UrlPath

#: When ``apply`` runs a plan on its own thread pool (no executor given or set):
#: ``"never"``; ``"bulk"`` for plans with at least two bulk data ops (copies,
#: resampling); ``"always"`` (image imports, whose tasks report statistics).
PoolPolicy = Literal["never", "bulk", "always"]
_BULK_OPS = (CopyRegion, ResampleRegion)


class Session:
    """The mutable state behind one dataset and the only path from plan to disk.

    Attributes:
        root: dataset directory, or a :class:`~wkfn.storage.remote.UrlPath` for a
            dataset read over HTTP (always read-only).
        read_only: mutations are refused.
        spec: the current spec; replaced (never mutated) by :meth:`adopt`.
        executor: default executor of plans (``Dataset.executor``).
        recorder: set inside ``dry_run()`` / ``transaction()`` and for planned
            datasets; changes are recorded instead of executed.
    """

    def __init__(
        self, root: Root, spec: DatasetSpec, *, read_only: bool = False
    ) -> None:
        self.root: Root = root
        self.read_only = read_only
        self.spec = spec
        self.executor: Executor | None = None
        self.recorder: Recorder | None = None
        self._layouts: dict[tuple[str, Vec3], ArrayLayout] = {}

    # ------------------------------------------------------------------ opening
    @classmethod
    def open(cls, root: Root, *, read_only: bool = False) -> Session:
        """A session over the existing dataset at ``root`` (a URL is read-only)."""
        remote_root = isinstance(root, remote.UrlPath)
        if isinstance(root, Path) and not read_only and (root / JOURNAL_DIR).is_dir():
            clean_finished(root)  # journals of runs killed after their last step
        return cls(root, load_spec(root), read_only=read_only or remote_root)

    @property
    def is_remote(self) -> bool:
        """True for a dataset read over HTTP."""
        return isinstance(self.root, remote.UrlPath)

    def reload(self) -> None:
        """Read the properties again (after another process changed them)."""
        self.spec = load_spec(self.root)
        self._layouts.clear()

    # ------------------------------------------------------------------ state
    def check_writable(self) -> None:
        """Raise ReadOnlyError for remote and read-only datasets."""
        if isinstance(self.root, remote.UrlPath):
            raise ReadOnlyError(
                f"The dataset {remote.redact(str(self.root))} is read over HTTP "
                "and therefore read-only, the changes will not be saved!"
            )
        if self.read_only:
            raise ReadOnlyError(
                f"The dataset {self.root} is read-only, the changes will not be saved!"
            )

    def local_root(self) -> Path:
        """The dataset directory of a writable local dataset."""
        self.check_writable()
        assert isinstance(self.root, Path)
        return self.root

    def layer_spec(self, layer: str) -> LayerSpec:
        """The current spec of one layer (LayerNotFoundError otherwise)."""
        return lookup.get_layer(self.spec, layer)

    @property
    def is_recording(self) -> bool:
        """True inside ``dry_run()`` / ``transaction()`` or for a planned dataset."""
        return self.recorder is not None

    # ------------------------------------------------------------------ applying
    def apply(
        self,
        change: Change,
        payloads: Mapping[str, np.ndarray] | None = None,
        *,
        executor: Executor | None = None,
        pool: PoolPolicy = "never",
        progress: bool | None = None,
        wrap: Callable[[Executor], Executor] | None = None,
        finish: Callable[[], Change] | None = None,
    ) -> None:
        """Execute (or record) ``change``, then adopt its spec.

        Args:
            change: the planner's result.
            payloads: voxel arrays referenced by the plan's writes.
            executor: overrides :attr:`executor` for this change.
            pool: when to run on an own thread pool (see :data:`PoolPolicy`).
            progress: draw a progress bar; ``None``: for long plans only.
            wrap: ``Executor -> Executor`` applied to the chosen executor (image
                imports capture their tasks' statistics this way).
            finish: called once the data is on disk, gives the change whose
                properties are written *instead of* ``change``'s (an image import
                finalises its layer from the tasks' statistics), in the same
                resumable run: a kill before it leaves nothing listed half-done.

        Plans that create, copy, resample, import or rewrite data are journaled
        (:mod:`wkfn.execute.resumable`): the same call after a ``kill -9``
        resumes the killed run; a different one over its leftovers raises
        LeftoverError. On an ordinary failure the files, links, arrays and (then
        empty) directories the plan created are removed. The spec stays as it was.
        """
        self.check_writable()
        if self.recorder is not None:
            self.recorder.record(change, payloads or {})
            self.adopt(change)
            return
        root = self.local_root()
        chosen = executor if executor is not None else self.executor
        show = is_long(change.plan) if progress is None else progress
        with (
            _rollback_on_failure(root, change.plan),
            _thread_pool(chosen, change.plan, pool) as run_on,
            progress_bar(show) as bar,
        ):
            final = run_journaled(
                root,
                change.plan,
                payloads,
                executor=_wrapped(run_on, wrap),
                progress=bar,
                finish=finish,
            )
        self.adopt(change)
        if final is not None:
            self.adopt(final)

    def adopt(self, change: Change) -> None:
        """Take over the spec of an applied (or recorded) change.

        Layouts of the arrays it creates are remembered, so later calls (also in a
        dry run, where nothing exists on disk yet) know their chunk and shard
        shapes without reading storage; deleted paths forget theirs.
        """
        for op in change.plan.ops:
            if isinstance(op, CreateArray):
                self._layouts[(op.layer, Mag(op.mag).to_tuple())] = op.layout
            elif isinstance(op, DeletePath):
                self._layouts = {
                    key: value
                    for key, value in self._layouts.items()
                    if not op.path.startswith(f"./{key[0]}")
                }
        self.spec = change.spec

    @contextlib.contextmanager
    def recording(self) -> Iterator[Recorder]:
        """Record instead of executing; restore spec and layouts on exit.

        The yielded recorder is attached to this session afterwards, so its
        ``apply()`` brings the session up to date.
        """
        root = self.local_root()
        if self.recorder is not None:
            raise RuntimeError("dry_run/transaction blocks cannot be nested")
        spec, layouts = self.spec, dict(self._layouts)
        recorder = Recorder(root, spec)
        self.recorder = recorder
        try:
            yield recorder
        finally:
            self.recorder = None
            self.spec, self._layouts = spec, layouts
            recorder.attach(self)

    def start_planned(self, change: Change) -> Recorder:
        """Record ``change`` (the creation of a dataset that does not exist yet)
        and every later change into a new recorder attached to this session."""
        recorder = Recorder(self.local_root(), None)
        recorder.record(change, {})
        recorder.attach(self)
        self.recorder = recorder
        return recorder

    def stop_recording(self) -> Recorder | None:
        """Leave recording mode, detaching the recorder (it keeps its changes)."""
        recorder, self.recorder = self.recorder, None
        if recorder is not None:
            recorder.detach()
        return recorder

    def applied(self, recorder: Recorder, spec: DatasetSpec) -> None:
        """Called by ``recorder.apply()``: the recorded plan is now on disk."""
        if self.recorder is recorder:  # a planned dataset now exists
            self.recorder = None
        self.spec = spec
        self._layouts.clear()

    # ------------------------------------------------------------------ layouts
    def layout(self, layer: str, mag: Mag) -> ArrayLayout:
        """Chunk/shard/dtype facts of a mag array, read once and cached."""
        key = (layer, mag.to_tuple())
        cached = self._layouts.get(key)
        if cached is None:
            from wkfn.storage.arrays import read_layout

            spec = self.layer_spec(layer)
            layer_transform.require_spatial(spec)
            cached = read_layout(self.mag_path(layer, mag), spec.data_format)
            self._layouts[key] = cached
        return cached

    def remember_layout(self, layer: str, mag: Vec3, layout: ArrayLayout) -> None:
        """Cache the layout of an array a planner just created."""
        self._layouts[(layer, mag)] = layout

    def forget_layouts(self, layer: str, mag: Vec3 | None = None) -> None:
        """Drop cached layouts of a layer (or of one of its mags)."""
        for key in [k for k in self._layouts if k[0] == layer]:
            if mag is None or key[1] == mag:
                del self._layouts[key]

    def existing_layouts(self, layer: str) -> dict[Vec3, ArrayLayout]:
        """Layouts of the layer's mags that can be read (unreadable ones skipped)."""
        out: dict[Vec3, ArrayLayout] = {}
        for m in self.layer_spec(layer).mags:
            try:
                out[m.mag] = self.layout(layer, Mag(m.mag))
            except (OSError, ValueError):
                continue
        return out

    def shard_shapes(self, layer: str) -> dict[Vec3, Vec3]:
        """Shard shape per readable mag of the layer (write planning needs them)."""
        return {
            mag: layout.shard_shape
            for mag, layout in self.existing_layouts(layer).items()
        }

    # ------------------------------------------------------------------ storage
    def mag_path(self, layer: str, mag: Mag) -> str:
        """Local path of the mag array, or its URL in a dataset read over HTTP."""
        mag_spec = lookup.get_mag(self.layer_spec(layer), mag.to_tuple())
        stored = lookup.resolve_mag_path(layer, mag_spec)
        if isinstance(self.root, remote.UrlPath):
            return remote.join(self.root, stored)
        return path_policy.check_mag_path(
            os.fspath(self.root),
            stored,
            resolve_path(self.root, stored),
            self.layer_spec(layer).data_format,
        )

    def mag_is_foreign(self, layer: str, mag: Mag) -> bool:
        """True if the mag's files belong to another dataset (a reference)."""
        spec = self.layer_spec(layer)
        mag_spec = lookup.get_mag(spec, mag.to_tuple())
        return not layer_transform.is_local_mag(spec, mag_spec)

    def read(self, layer: str, mag: Mag, offset: Vec3, shape: Vec3) -> np.ndarray:
        """Voxels ``(c, x, y, z)`` of a mag; an array not on disk reads as zeros."""
        spec = self.layer_spec(layer)
        layer_transform.require_spatial(spec)
        path = self.mag_path(layer, mag)
        if not remote.is_url(path) and not os.path.exists(path):
            dtype = np.dtype(layer_transform.layer_dtype(spec))
            return np.zeros((spec.num_channels, *shape), dtype=dtype)
        from wkfn.storage.arrays import open_array

        return open_array(path, spec.data_format).read(offset, shape)

    def __getstate__(self) -> dict[str, Any]:
        """Pickle state for worker processes: without the (process-local) executor.

        A session inside ``dry_run()`` is refused: a copy would record into a
        recorder nobody applies.
        """
        if self.recorder is not None:
            raise TypeError(
                f"cannot pickle the dataset {self.root} inside "
                "dry_run()/transaction(): its recorded changes would not reach the "
                "original dataset"
            )
        state = dict(self.__dict__)
        state["executor"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)


def open_session(
    dataset_path: str | os.PathLike[str], *, read_only: bool = False
) -> Session:
    """A session over the dataset at a local path or an http(s) URL.

    Raises:
        DatasetNotFoundError: no ``datasource-properties.json`` (FileNotFoundError).
    """
    if remote.is_url(dataset_path):
        return Session.open(remote.UrlPath(str(dataset_path)))
    text = os.fspath(dataset_path)
    path = Path(text.rstrip("/") if len(text) > 1 else text)
    if not (path / PROPERTIES_FILE_NAME).exists():
        raise DatasetNotFoundError(
            f"cannot open dataset {path}: {PROPERTIES_FILE_NAME} file not found"
        )
    return Session.open(path, read_only=read_only)


def load_spec(root: Root) -> DatasetSpec:
    """Read and decode ``datasource-properties.json`` under ``root``."""
    if isinstance(root, remote.UrlPath):
        return decode_properties(
            remote.fetch_properties(root), source=remote.properties_source(root)
        )
    data = read_properties_bytes(root)
    return decode_properties(data, source=str(root / PROPERTIES_FILE_NAME))


def _wrapped(
    executor: Executor | None, wrap: Callable[[Executor], Executor] | None
) -> Executor | None:
    """``wrap(executor)``, unless there is nothing to wrap (inline execution)."""
    if wrap is None or executor is None:
        return executor
    return wrap(executor)


@contextlib.contextmanager
def _thread_pool(
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
def _rollback_on_failure(root: Path, plan: Plan) -> Iterator[None]:
    """Remove the trees, links and directories ``plan`` made if it fails.

    Arrays the plan created are removed by the executor itself; copied trees,
    links and the then empty layer directories are removed here.
    """
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


def run_plan(root: Path, change: Change, executor: Executor | None) -> None:
    """Execute a plan against a dataset that has no session yet (a new copy).

    Same pool policy, progress bar and rollback as :meth:`Session.apply`.
    """
    with (
        _rollback_on_failure(root, change.plan),
        _thread_pool(executor, change.plan, "bulk") as run_on,
        progress_bar(is_long(change.plan)) as bar,
    ):
        run_journaled(root, change.plan, None, executor=run_on, progress=bar)


def run_journaled(
    root: Path,
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
    returned.
    """
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
