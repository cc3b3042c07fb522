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
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Executor
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np

from wkfn.api import locations
from wkfn.api._running import (
    ExecRoot,
    PoolPolicy,
    rollback_on_failure,
    run_journaled,
    thread_pool,
    wrapped,
)
from wkfn.api.recorder import Recorder
from wkfn.errors import DatasetNotFoundError, ReadOnlyError
from wkfn.execute.journal import JOURNAL_DIR
from wkfn.execute.paths import resolve_path
from wkfn.execute.progress_bar import is_long, progress_bar
from wkfn.execute.resumable import clean_finished
from wkfn.geometry import Mag
from wkfn.plan.ops import (
    CreateArray,
    DeletePath,
)
from wkfn.spec import lookup
from wkfn.spec.array import ArrayLayout, NDSelect
from wkfn.spec.codec import decode_properties
from wkfn.spec.dataset import DatasetSpec
from wkfn.spec.layer import LayerSpec
from wkfn.storage import location, path_policy, remote
from wkfn.storage.files import read_properties_bytes
from wkfn.transform import layer as layer_transform
from wkfn.transform.change import Change

PROPERTIES_FILE_NAME = "datasource-properties.json"
Vec3 = tuple[int, int, int]
if TYPE_CHECKING:
    from upath import UPath

#: A local directory, a ``UPath`` on an object store (``s3://``, ``gs://``, as the
#: reference's ``Dataset.path``) or a dataset read over HTTP.
Root: TypeAlias = "Path | UPath | remote.UrlPath"


class Session:
    """The mutable state behind one dataset and the only path from plan to disk.

    Attributes:
        root: dataset directory, a ``UPath`` on an object store, or a
            :class:`~wkfn.storage.remote.UrlPath` for a dataset read over HTTP
            (always read-only).
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
        self._mag_paths: tuple[DatasetSpec | None, dict[tuple[str, Vec3], str]] = (
            None,
            {},
        )

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

    @property
    def on_object_store(self) -> bool:
        """True for a dataset on an object store (``s3://``, ``gs://``)."""
        return location.is_object_url(self.root)

    def local_root(self) -> ExecRoot:
        """Where a writable dataset's plans run: its directory, or its URL string
        on an object store (plans carry URLs, never a UPath's options)."""
        self.check_writable()
        if self.on_object_store:
            return str(locations.exec_root(self.root))
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
            rollback_on_failure(root, change.plan),
            thread_pool(chosen, change.plan, pool) as run_on,
            progress_bar(show) as bar,
        ):
            final = run_journaled(
                root,
                change.plan,
                payloads,
                executor=wrapped(run_on, wrap),
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
            dims = None
            if spec.additional_axes:
                from wkfn.transform import nd_layer

                mag_spec = lookup.get_mag(spec, mag.to_tuple())
                dims = nd_layer.array_dims(spec, mag_spec)
            cached = read_layout(self.mag_path(layer, mag), spec.data_format, dims)
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
        """Local path of the mag array, or its URL in a dataset read over HTTP.

        Resolved (and checked by the path policy) once per spec: every read and
        write asks for it, and resolving costs a ``realpath`` of root and target.
        """
        spec, known = self._mag_paths
        key = (layer, mag.to_tuple())
        if spec is self.spec and key in known:
            return known[key]
        if spec is not self.spec:
            known = {}
            self._mag_paths = (self.spec, known)
        known[key] = path = self._resolve_mag_path(layer, mag)
        return path

    def _resolve_mag_path(self, layer: str, mag: Mag) -> str:
        mag_spec = lookup.get_mag(self.layer_spec(layer), mag.to_tuple())
        stored = lookup.resolve_mag_path(layer, mag_spec)
        if isinstance(self.root, remote.UrlPath):
            return remote.join(self.root, stored)
        resolved = resolve_path(str(locations.exec_root(self.root)), stored)
        if locations.is_object_root(self.root):
            return resolved
        return path_policy.check_mag_path(
            str(self.root),
            stored,
            resolved,
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
        if not location.is_url(path) and not os.path.exists(path):
            dtype = np.dtype(layer_transform.layer_dtype(spec))
            return np.zeros((spec.num_channels, *shape), dtype=dtype)
        from wkfn.storage.arrays import open_array

        return open_array(path, spec.data_format).read(offset, shape)

    def read_nd_block(
        self,
        layer: str,
        mag: Mag,
        select: NDSelect,
        start: Sequence[int],
        stop: Sequence[int],
    ) -> np.ndarray:
        """An n-D region of a mag, one bound per array dimension (array order)."""
        spec = self.layer_spec(layer)
        path = self.mag_path(layer, mag)
        shape = [b - a for a, b in zip(start, stop)]
        if not location.is_url(path) and not os.path.exists(path):
            dtype = np.dtype(layer_transform.layer_dtype(spec))
            return np.zeros(shape, dtype=dtype)
        from wkfn.storage.arrays import open_array
        from wkfn.storage.nd_array import NDSliceArray

        handle = open_array(path, spec.data_format, select)
        assert isinstance(handle, NDSliceArray)
        return handle.read_block(start, stop)

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
        state["_mag_paths"] = (None, {})
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
    path = locations.dataset_root(dataset_path)  # a Path, or a UPath on a store
    if locations.is_object_root(path):
        # one GET of the properties; bucket, credentials and "is it an object?"
        # are checked only when that GET fails (files.read_properties_bytes)
        return Session.open(path, read_only=read_only)
    if not locations.has_dataset(path):
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
    if location.is_object_url(root):
        url = locations.url_of(root)
        data = read_properties_bytes(url)
        source = location.redact(location.join(url, PROPERTIES_FILE_NAME))
        return decode_properties(data, source=source)
    data = read_properties_bytes(str(root))
    return decode_properties(data, source=str(root / PROPERTIES_FILE_NAME))
