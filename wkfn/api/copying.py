"""Facade methods for dataset-to-dataset operations (copy, convert, link, compress).

Mixed into ``Dataset``, ``Layer`` and ``MagView``; each method parses arguments,
observes what the planner needs from disk (source layouts, shards present), calls the
pure planner in :mod:`wkfn.transform.copy` and applies the plan.

Plans with many region ops run on a thread pool (``os.cpu_count()`` workers) unless
an executor is given; tensorstore and wkw release the GIL while coding.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import uuid
import warnings
from collections.abc import Iterable, Iterator
from concurrent.futures import Executor, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec
import numpy as np

from wkfn.api._parse import optional_vec3 as _vec
from wkfn.errors import (
    ConflictingArgumentsError,
    DatasetExistsError,
    ExecutionError,
    InvalidArgumentError,
    StorageError,
)
from wkfn.execute.executor import execute, resolve_path
from wkfn.plan.ops import CopyRegion, CopyTree, CreateArray, LinkPath
from wkfn.plan.plan import Plan
from wkfn.spec import lookup
from wkfn.spec.names import validate_layer_name
from wkfn.transform import copy as copy_transform
from wkfn.transform.change import Change
from wkfn.transform.copy import CopyOptions, SourceLayer, SourceMag

if TYPE_CHECKING:
    from wkfn.api.dataset import Dataset
    from wkfn.api.layer import Layer
    from wkfn.api.view import MagView
    from wkfn.geometry import Mag

Vec3 = tuple[int, int, int]
PathLike = str | os.PathLike[str]
PROPERTIES = "datasource-properties.json"


# --------------------------------------------------------------------------- helpers


def _format(value: object) -> Any:
    if value is None:
        return None
    from wkfn.api.enums import parse_data_format

    return parse_data_format(value)


def _deprecated(old: str, new: str) -> None:
    warnings.warn(
        f"[DEPRECATION] `{old}` is deprecated, please use `{new}` instead",
        DeprecationWarning,
        stacklevel=3,
    )


def _options(
    *,
    data_format: object = None,
    chunk_shape: object = None,
    shard_shape: object = None,
    chunks_per_shard: object = None,
    compress: object = None,
    chunk_size: object = None,
    block_len: int | None = None,
    file_len: int | None = None,
) -> CopyOptions:
    from wkfn.api.layer import _legacy_shapes

    chunk_shape, chunks_per_shard = _legacy_shapes(
        chunk_shape, chunks_per_shard, chunk_size, block_len, file_len
    )
    if shard_shape is not None and chunks_per_shard is not None:
        raise ConflictingArgumentsError(
            "give either shard_shape or chunks_per_shard, not both"
        )
    if compress is not None and not isinstance(compress, bool):
        raise InvalidArgumentError(f"compress must be a bool, got {compress!r}")
    return CopyOptions(
        data_format=_format(data_format),
        chunk_shape=_vec(chunk_shape, "chunk_shape"),
        shard_shape=_vec(shard_shape, "shard_shape"),
        chunks_per_shard=_vec(chunks_per_shard, "chunks_per_shard"),
        compress=compress,
    )


def _as_layer(foreign: object) -> Layer:
    from wkfn.api.dataset import Dataset
    from wkfn.api.layer import Layer

    if isinstance(foreign, Layer):
        return foreign
    if "://" in str(foreign):  # s3://bucket/ds/layer (or a UPath of it)
        url = str(foreign).rstrip("/")
        return Dataset.open(posixpath.dirname(url)).get_layer(posixpath.basename(url))
    if isinstance(foreign, str | os.PathLike):
        path = Path(os.fspath(foreign).rstrip("/") or "/")
        return Dataset.open(path.parent).get_layer(path.name)
    raise InvalidArgumentError(
        f"expected a Layer or a path <dataset>/<layer>, got {foreign!r}"
    )


def _source_mag(layer: Layer, mag: Mag, *, absolute: bool = True) -> SourceMag:
    from wkfn.storage.arrays import shard_boxes_on_disk

    spec = lookup.get_mag(layer._spec, mag.to_tuple())
    rel = lookup.resolve_mag_path(layer.name, spec)
    path = layer._mag_path(mag)
    if absolute and "://" not in path:
        path = os.path.abspath(path)
    layout = layer._layout(mag)
    try:
        present = tuple(shard_boxes_on_disk(path, layout.data_format))
    except (OSError, ValueError):
        present = None
    return SourceMag(
        mag=mag.to_tuple(),
        path=path if absolute else rel,
        layout=layout,
        present=present,
    )


def _source_layer(layer: Layer, *, with_mags: bool = True) -> SourceLayer:
    from wkfn.geometry import Mag

    path = layer.dataset.path
    # a dataset read over HTTP or on a store keeps its URL (copies decode/encode)
    root = str(path) if "://" in str(path) else os.path.abspath(path)
    mags: tuple[SourceMag, ...] = ()
    if with_mags:
        mags = tuple(_source_mag(layer, Mag(m.mag)) for m in layer._spec.mags)
    return SourceLayer(
        spec=layer._spec,
        root=root,
        path=posixpath.join(root, layer.name),
        mags=mags,
    )


def _ref_mag_paths(
    layer: Layer, target_root: Path, make_relative: bool
) -> dict[Vec3, str]:
    """Resolved paths of the layer's mags, absolute or relative to ``target_root``."""
    from wkfn.geometry import Mag

    out: dict[Vec3, str] = {}
    for m in layer._spec.mags:
        rel = lookup.resolve_mag_path(layer.name, m)
        location = layer._mag_path(Mag(m.mag))
        if "://" in location:
            out[m.mag] = location  # a URL stays a URL, relative to nothing
            continue
        if "://" in str(target_root):  # a store cannot point relative to a disk
            out[m.mag] = os.path.realpath(location)
            continue
        base = os.path.realpath(target_root)
        real = os.path.realpath(resolve_path(layer.dataset.path, rel))
        out[m.mag] = os.path.relpath(real, base) if make_relative else real
    return out


def _absolute_location(path: str) -> str:
    """A URL as it is; a local path absolute and symlink-free."""
    return path if "://" in path else os.path.realpath(path)


def _region_ops(plan: Plan) -> int:
    return sum(1 for op in plan.ops if isinstance(op, CopyRegion))


@contextlib.contextmanager
def _pool(executor: Executor | None, plan: Plan) -> Iterator[Executor | None]:
    """The given executor, or a thread pool for plans with several region ops."""
    workers = os.cpu_count() or 1
    if executor is not None or _region_ops(plan) < 2 or workers < 2:
        yield executor
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        yield pool


def _run(
    root: PathLike,
    change: Change,
    executor: Executor | None,
) -> None:
    """Execute a plan; on failure remove the files, links and directories it made.

    Arrays it created are removed by the executor; copied trees, links and the
    then empty layer directories here.
    """
    made = [
        resolve_path(root, op.target)
        for op in change.plan.ops
        if isinstance(op, CopyTree | LinkPath)
    ]
    parents = {
        os.path.dirname(resolve_path(root, op.path))
        for op in change.plan.ops
        if isinstance(op, CreateArray)
    } | {os.path.dirname(p) for p in made}
    existed = {p for p in [*made, *parents] if os.path.lexists(p)}
    try:
        from wkfn.execute.progress_bar import is_long, progress_bar

        with (
            _pool(executor, change.plan) as pool,
            progress_bar(is_long(change.plan)) as progress,
        ):
            execute(change.plan, root, executor=pool, progress=progress)
    except BaseException:
        from wkfn.storage.files import delete_path

        for p in made:
            if p not in existed and os.path.lexists(p):
                with contextlib.suppress(OSError):
                    delete_path(p)
        for p in sorted(parents - existed, key=len, reverse=True):
            with contextlib.suppress(OSError):
                os.rmdir(p)  # only if empty
        raise


def _apply(ds: Dataset, change: Change, executor: Executor | None = None) -> None:
    """Apply (or record, inside ``dry_run``) a change to ``ds``, then adopt it."""
    ds._check_writable()
    if ds._recorder is not None:
        ds._recorder.record(change, {})
    else:
        _run(ds.path, change, executor if executor is not None else ds.executor)
    ds._spec = change.spec


def _new_target(path: PathLike, exists_ok: bool) -> tuple[Any, bool]:
    """(path, exists): refuse a non-empty directory that is not a dataset.

    An ``s3://`` / ``gs://`` target gives a ``UPath`` (checked: bucket reachable).
    """
    from wkfn.api import locations

    if locations.is_object_root(path):
        root = locations.dataset_root(path)
        locations.check_reachable(root)
        if locations.has_dataset(root):
            if not exists_ok:
                raise DatasetExistsError(
                    f"cannot copy to {root}: a dataset exists there "
                    "(pass exists_ok=True)"
                )
            return root, True
        if locations.is_nonempty_dir(root):
            raise DatasetExistsError(
                f"cannot copy to {root}: objects exist below it and it is not a dataset"
            )
        return root, False
    target = Path(os.fspath(path).rstrip("/") or "/")
    if (target / PROPERTIES).exists():
        if not exists_ok:
            raise DatasetExistsError(
                f"cannot copy to {target}: a dataset exists there (pass exists_ok=True)"
            )
        return target, True
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise DatasetExistsError(
            f"cannot copy to {target}: it exists and is not an empty directory"
        )
    return target, False


def _tight_box(layer_dir: str, mag: Vec3, dirname: str, fmt: str) -> tuple[Vec3, Vec3]:
    """Mag-1 box of the non-zero voxels of one array (read in bounded blocks)."""
    from wkfn.storage.arrays import open_array, shard_boxes_on_disk

    path = os.path.join(layer_dir, dirname)
    handle = open_array(path, fmt)
    layout = handle.layout
    big = 1 << 62
    lo = [big, big, big]
    hi = [-1, -1, -1]
    itemsize = np.dtype(layout.dtype).itemsize * layout.num_channels
    for offset, size in shard_boxes_on_disk(path, fmt):
        plane = max(1, size[0] * size[1] * itemsize)
        step = max(1, min(size[2], (64 << 20) // plane))
        for z in range(offset[2], offset[2] + size[2], step):
            depth = min(step, offset[2] + size[2] - z)
            data = handle.read((offset[0], offset[1], z), (size[0], size[1], depth))
            nz = data.any(axis=0)
            if not nz.any():
                continue
            start = (offset[0], offset[1], z)
            for axis in range(3):
                other = [a for a in range(3) if a != axis]
                idx = np.flatnonzero(np.any(nz, axis=(other[0], other[1])))
                lo[axis] = min(lo[axis], start[axis] + int(idx[0]))
                hi[axis] = max(hi[axis], start[axis] + int(idx[-1]) + 1)
    if hi[0] < 0:
        return (0, 0, 0), (0, 0, 0)
    top = (lo[0] * mag[0], lo[1] * mag[1], lo[2] * mag[2])
    size3 = (
        hi[0] * mag[0] - top[0],
        hi[1] * mag[1] - top[1],
        hi[2] * mag[2] - top[2],
    )
    return top, size3


# --------------------------------------------------------------------------- Dataset


def _as_dataset(obj: object) -> Dataset:
    return obj  # type: ignore[return-value]


def _as_layer_obj(obj: object) -> Layer:
    return obj  # type: ignore[return-value]


def _as_magview(obj: object) -> MagView:
    return obj  # type: ignore[return-value]


class DatasetCopyMixin:
    """Copy/link/compress methods of ``Dataset``."""

    # ------------------------------------------------------------------ whole copies
    def plan_copy_dataset(
        self,
        new_dataset_path: PathLike,
        voxel_size: tuple[float, float, float] | None = None,
        chunk_shape: object = None,
        chunks_per_shard: object = None,
        data_format: object = None,
        compress: bool | None = None,
        *,
        voxel_size_with_unit: Any = None,
        shard_shape: object = None,
        layers_to_ignore: Iterable[str] | None = None,
        name: str | None = None,
        chunk_size: object = None,
        block_len: int | None = None,
        file_len: int | None = None,
    ) -> Change:
        """The change :meth:`copy_dataset` would apply to ``new_dataset_path``.

        Pure apart from observing the source arrays: ``print(change.plan)`` shows
        source → target per layer and mag; ``wkfn.apply(change.plan, path)`` runs it.
        """
        me = _as_dataset(self)
        from wkfn.api.dataset import _parse_voxel_size

        options = _options(
            data_format=data_format,
            chunk_shape=chunk_shape,
            shard_shape=shard_shape,
            chunks_per_shard=chunks_per_shard,
            compress=compress,
            chunk_size=chunk_size,
            block_len=block_len,
            file_len=file_len,
        )
        parsed = _parse_voxel_size(voxel_size, voxel_size_with_unit, None)
        ignore = set(layers_to_ignore or ())
        for layer_name in ignore:
            lookup.get_layer(me._spec, layer_name)
        for layer in me._spec.data_layers:
            validate_layer_name(layer.name)
        sources = [
            _source_layer(layer)
            for layer_name, layer in me.layers.items()
            if layer_name not in ignore
        ]
        from wkfn.api import locations

        return copy_transform.copy_dataset(
            me._spec,
            sources,
            name=name or locations.name_of(locations.dataset_root(new_dataset_path)),
            voxel_size=None if parsed is None else parsed[0],
            unit=None if parsed is None else parsed[1],
            options=options,
        )

    def copy_dataset(
        self,
        new_dataset_path: PathLike,
        voxel_size: tuple[float, float, float] | None = None,
        chunk_shape: object = None,
        chunks_per_shard: object = None,
        data_format: object = None,
        compress: bool | None = None,
        args: Any = None,
        executor: Executor | None = None,
        *,
        voxel_size_with_unit: Any = None,
        shard_shape: object = None,
        exists_ok: bool = False,
        layers_to_ignore: Iterable[str] | None = None,
        chunk_size: object = None,
        block_len: int | None = None,
        file_len: int | None = None,
    ) -> Dataset:
        """Copy every layer into a new dataset, converting storage where asked.

        ``data_format`` converts between zarr3, zarr (v2, shard = chunk) and wkw;
        chunk/shard shapes and compression default to each source mag's. Layouts
        that stay identical are copied file by file. One plan: arrays first,
        properties last; if it fails, a target created by this call is removed.

        Raises:
            DatasetExistsError: the target exists (and not ``exists_ok``).
            InvalidLayerNameError: a layer name would escape the dataset.
        """
        me = _as_dataset(self)
        from wkfn.api.dataset import Dataset

        if args is not None:
            _deprecated("args", "executor")
        if me._recorder is not None:
            raise InvalidArgumentError(
                "copy_dataset writes a new dataset and cannot run inside dry_run() "
                "of the source; use plan_copy_dataset(...) to inspect its plan"
            )
        target, exists = _new_target(new_dataset_path, exists_ok)
        if exists:
            out = Dataset.open(target)
            ignore = set(layers_to_ignore or ())
            for layer_name, layer in me.layers.items():
                if layer_name in ignore:
                    continue
                out.add_layer_as_copy(
                    layer,
                    chunk_shape=chunk_shape,
                    chunks_per_shard=chunks_per_shard,
                    shard_shape=shard_shape,
                    data_format=data_format,
                    compress=compress,
                    exists_ok=True,
                    executor=executor,
                )
            return out
        change = me.plan_copy_dataset(
            target,
            voxel_size,
            chunk_shape,
            chunks_per_shard,
            data_format,
            compress,
            voxel_size_with_unit=voxel_size_with_unit,
            shard_shape=shard_shape,
            layers_to_ignore=layers_to_ignore,
            chunk_size=chunk_size,
            block_len=block_len,
            file_len=file_len,
        )
        from wkfn.api import locations

        created = not locations.is_nonempty_dir(target)
        root = locations.exec_root(target)
        if not locations.is_object_root(target):
            created = not target.exists()
            root = target.absolute()
        try:
            _run(root, change, executor if executor is not None else me.executor)
        except BaseException:
            if created:
                from wkfn.storage.files import delete_path

                with contextlib.suppress(OSError):
                    delete_path(root)
            raise
        return Dataset.open(target)

    def shallow_copy_dataset(
        self,
        new_dataset_path: PathLike,
        name: str | None = None,
        make_relative: bool = False,
        layers_to_ignore: Iterable[str] | None = None,
    ) -> Dataset:
        """A new dataset whose layers reference this one's mags (no data copied).

        Mag paths are absolute (resolved), or relative to the new dataset with
        ``make_relative=True``.
        """
        me = _as_dataset(self)
        from wkfn.api.dataset import Dataset

        target, _ = _new_target(new_dataset_path, False)
        ignore = set(layers_to_ignore or ())
        layers = [lay for n, lay in me.layers.items() if n not in ignore]
        target.mkdir(parents=True, exist_ok=True)
        try:
            change = copy_transform.shallow_copy_dataset(
                me._spec,
                [_source_layer(lay, with_mags=True) for lay in layers],
                name=name or me.name,
                mag_paths={
                    lay.name: _ref_mag_paths(lay, target, make_relative)
                    for lay in layers
                },
            )
            _run(target.absolute(), change, None)
        except BaseException:
            with contextlib.suppress(OSError):
                if not any(target.iterdir()):
                    target.rmdir()
            raise
        return Dataset.open(target)

    # ------------------------------------------------------------------ layers
    def add_layer_as_copy(
        self,
        foreign_layer: Any,
        new_layer_name: str | None = None,
        chunk_shape: object = None,
        chunks_per_shard: object = None,
        data_format: object = None,
        compress: bool | None = None,
        executor: Executor | None = None,
        *,
        shard_shape: object = None,
        exists_ok: bool = False,
        with_attachments: bool = True,
        chunk_size: object = None,
        block_len: int | None = None,
        file_len: int | None = None,
    ) -> Layer:
        """Copy a layer (object or ``<dataset>/<layer>`` path) into this dataset.

        Identical layouts are copied as files; otherwise each mag is decoded and
        re-encoded in bounded blocks (format conversion, rechunking, compression).
        """
        me = _as_dataset(self)
        me._check_writable()
        options = _options(
            data_format=data_format,
            chunk_shape=chunk_shape,
            shard_shape=shard_shape,
            chunks_per_shard=chunks_per_shard,
            compress=compress,
            chunk_size=chunk_size,
            block_len=block_len,
            file_len=file_len,
        )
        layer = _as_layer(foreign_layer)
        name = layer.name if new_layer_name is None else new_layer_name
        validate_layer_name(name)
        change = copy_transform.add_layer_as_copy(
            me._spec,
            _source_layer(layer),
            new_name=name,
            options=options,
            exists_ok=exists_ok,
            with_attachments=with_attachments,
        )
        _apply(me, change, executor)
        me._forget_layouts(name)
        return me.get_layer(name)

    def add_copy_layer(
        self,
        foreign_layer: Any,
        new_layer_name: str | None = None,
        chunk_shape: object = None,
        chunks_per_shard: object = None,
        data_format: object = None,
        compress: bool | None = None,
        executor: Executor | None = None,
        *,
        shard_shape: object = None,
        exists_ok: bool = False,
        with_attachments: bool = True,
        chunk_size: object = None,
        block_len: int | None = None,
        file_len: int | None = None,
    ) -> Layer:
        """Deprecated alias of :meth:`add_layer_as_copy`."""
        me = _as_dataset(self)
        _deprecated("add_copy_layer", "add_layer_as_copy")
        return me.add_layer_as_copy(
            foreign_layer,
            new_layer_name,
            chunk_shape,
            chunks_per_shard,
            data_format,
            compress,
            executor,
            shard_shape=shard_shape,
            exists_ok=exists_ok,
            with_attachments=with_attachments,
            chunk_size=chunk_size,
            block_len=block_len,
            file_len=file_len,
        )

    def add_fs_copy_layer(
        self, foreign_layer: Any, new_layer_name: str | None = None
    ) -> Layer:
        """Copy a layer's files as they are (deprecated in the reference).

        Mag paths point at ``./<new_layer_name>/…``, never at the old name.
        """
        me = _as_dataset(self)
        me._check_writable()
        _deprecated("add_fs_copy_layer", "add_layer_as_copy")
        layer = _as_layer(foreign_layer)
        name = layer.name if new_layer_name is None else new_layer_name
        validate_layer_name(name)
        change = copy_transform.add_fs_copy_layer(
            me._spec, _source_layer(layer), new_name=name
        )
        _apply(me, change)
        me._forget_layouts(name)
        return me.get_layer(name)

    def add_symlink_layer(
        self,
        foreign_layer: Any,
        make_relative: bool | str = False,
        new_layer_name: str | None = None,
    ) -> Layer:
        """Link ``<dataset>/<name>`` to a foreign layer directory (deprecated).

        Mag paths are the resolved foreign mags (absolute, or relative to this
        dataset with ``make_relative``), so the layer reads the linked data under any
        name. (A str as second argument is taken as ``new_layer_name``, the
        reference 4.3.3 order.)
        """
        me = _as_dataset(self)
        me._check_writable()
        warnings.warn(
            "Using symlinks is deprecated and will be removed in a future version. "
            "Use `add_layer_as_ref` instead, which adds the mags and attachments of "
            "the layer as references to this dataset.",
            DeprecationWarning,
            stacklevel=2,
        )
        if isinstance(make_relative, str):
            new_layer_name = make_relative
            make_relative = False
        layer = _as_layer(foreign_layer)
        name = layer.name if new_layer_name is None else new_layer_name
        validate_layer_name(name)
        change = copy_transform.add_symlink_layer(
            me._spec,
            _source_layer(layer, with_mags=True),
            new_name=name,
            make_relative=bool(make_relative),
            mag_paths=_ref_mag_paths(layer, me.path, bool(make_relative)),
        )
        _apply(me, change)
        me._forget_layouts(name)
        return me.get_layer(name)

    def add_layer_as_ref(
        self, foreign_layer: Any, new_layer_name: str | None = None
    ) -> Layer:
        """A layer whose mags are the foreign layer's arrays (absolute paths)."""
        me = _as_dataset(self)
        me._check_writable()
        layer = _as_layer(foreign_layer)
        theirs, mine = str(layer.dataset.path), str(me.path)
        if ("://" in theirs or "://" in mine) and theirs.rstrip("/") == mine.rstrip(
            "/"
        ):
            raise InvalidArgumentError(
                "cannot add a layer of the same dataset as a reference"
            )
        if (
            "://" not in theirs
            and "://" not in mine
            and os.path.realpath(theirs) == os.path.realpath(mine)
        ):
            raise InvalidArgumentError(
                "cannot add a layer of the same dataset as a reference"
            )
        name = layer.name if new_layer_name is None else new_layer_name
        validate_layer_name(name)
        change = copy_transform.add_layer_as_ref(
            me._spec,
            _source_layer(layer),
            new_name=name,
            mag_paths=_ref_mag_paths(layer, me.path, False),
        )
        _apply(me, change)
        me._forget_layouts(name)
        return me.get_layer(name)

    def add_remote_layer(
        self, foreign_layer: Any, new_layer_name: str | None = None
    ) -> Layer:
        """Deprecated alias of :meth:`add_layer_as_ref`."""
        me = _as_dataset(self)
        _deprecated("add_remote_layer", "add_layer_as_ref")
        return me.add_layer_as_ref(foreign_layer, new_layer_name)

    def add_layer_for_existing_files(
        self, layer_name: str, category: str, **kwargs: Any
    ) -> Layer:
        """Register arrays already in ``<dataset>/<layer_name>/<mag>`` as a layer.

        dtype, channels, format and mags are inferred from the arrays (the first
        readable of wkw, zarr3, zarr per directory); the bounding box is the tight
        box of the non-zero voxels of the finest mag. ``num_channels``,
        ``dtype_per_channel``/``dtype``, ``data_format``, ``bounding_box``,
        ``largest_segment_id`` and ``mappings`` override.
        """
        me = _as_dataset(self)
        from wkfn.geometry import BoundingBox, Mag
        from wkfn.spec.dtypes import parse_dtype
        from wkfn.storage.arrays import read_layout

        me._check_writable()
        validate_layer_name(layer_name)
        unknown = set(kwargs) - {
            "num_channels",
            "dtype_per_channel",
            "dtype",
            "data_format",
            "bounding_box",
            "largest_segment_id",
            "mappings",
        }
        if unknown:
            raise TypeError(f"unexpected arguments: {sorted(unknown)}")
        layer_dir = os.path.join(me.path, layer_name)
        if not os.path.isdir(layer_dir):
            raise InvalidArgumentError(f"no directory {layer_dir} to add as a layer")
        forced = _format(kwargs.get("data_format"))
        found: list[tuple[Vec3, str, Any]] = []
        for entry in sorted(os.scandir(layer_dir), key=lambda e: e.name):
            if not entry.is_dir():
                continue
            try:
                mag = Mag(entry.name).to_tuple()
            except Exception:
                continue
            for fmt in (forced,) if forced else ("wkw", "zarr3", "zarr"):
                try:
                    layout = read_layout(entry.path, fmt)
                except (OSError, ValueError):
                    continue
                found.append((mag, entry.name, layout))
                break
        if not found:
            raise InvalidArgumentError(
                f"no wkw, zarr3 or zarr arrays found in subdirectories of {layer_dir}"
            )
        found.sort(key=lambda f: (max(f[0]), f[0]))
        first = found[0][2]
        fmt = forced or first.data_format
        mags = [f for f in found if f[2].data_format == fmt]
        dtype_arg = kwargs.get("dtype_per_channel", kwargs.get("dtype"))
        dtype = parse_dtype(dtype_arg) if dtype_arg is not None else first.dtype
        channels = int(kwargs.get("num_channels") or first.num_channels)
        bbox = kwargs.get("bounding_box")
        if bbox is not None:
            if not isinstance(bbox, BoundingBox):
                raise InvalidArgumentError("bounding_box must be a BoundingBox")
            box = (bbox.topleft.to_tuple(), bbox.size.to_tuple())
        else:
            finest = mags[0]
            box = _tight_box(layer_dir, finest[0], finest[1], fmt)
        largest = kwargs.get("largest_segment_id")
        change = copy_transform.add_layer_for_existing_files(
            me._spec,
            name=layer_name,
            category=str(getattr(category, "value", category)),
            data_format=fmt,
            dtype_per_channel=dtype,
            num_channels=channels,
            mags=mags,
            bounding_box=box,
            largest_segment_id=None if largest is None else int(largest),
            mappings=tuple(kwargs.get("mappings") or ()),
        )
        _apply(me, change)
        me._forget_layouts(layer_name)
        return me.get_layer(layer_name)

    # ------------------------------------------------------------------ in place
    def compress(self, executor: Executor | None = None) -> None:
        """Compress every uncompressed local mag in place (one plan)."""
        me = _as_dataset(self)
        items = []
        for layer in me.layers.values():
            items.extend(_compress_items(layer, None))
        _rechunk(me, items, executor)


def _compress_items(
    layer: Layer, mags: Iterable[Mag] | None
) -> list[copy_transform.RechunkItem]:
    from wkfn.geometry import Mag

    chosen = [Mag(m.mag) for m in layer._spec.mags] if mags is None else list(mags)
    items = []
    for mag in chosen:
        spec = lookup.get_mag(layer._spec, mag.to_tuple())
        rel = lookup.resolve_mag_path(layer.name, spec)
        if not rel.startswith(f"./{layer.name}/"):
            continue  # foreign mags are not ours to rewrite
        layout = layer._layout(mag)
        if layout.compress:
            continue
        src = _source_mag(layer, mag, absolute=False)
        items.append(
            copy_transform.RechunkItem(
                layer=layer.name,
                source=src,
                target=msgspec.structs.replace(layout, compress=True),
            )
        )
    return items


def _rechunk(
    ds: Dataset, items: list[copy_transform.RechunkItem], executor: Executor | None
) -> None:
    from wkfn.execute.copy_tasks import drop_cached_arrays

    ds._check_writable()
    if not items:
        return
    change = copy_transform.rechunk_mags(ds._spec, items, token=uuid.uuid4().hex[:8])
    _apply(ds, change, executor)
    for item in items:
        ds._layouts.pop((item.layer, item.source.mag), None)
    if ds._recorder is None:
        drop_cached_arrays(*(resolve_path(ds.path, item.source.path) for item in items))


# --------------------------------------------------------------------------- Layer


class LayerCopyMixin:
    """Copy/compress methods of ``Layer``."""

    def add_mag_as_copy(
        self,
        foreign_mag_view_or_path: Any,
        *,
        mag: object = None,
        extend_layer_bounding_box: bool = True,
        chunk_shape: object = None,
        shard_shape: object = None,
        chunks_per_shard: object = None,
        compress: bool | None = None,
        exists_ok: bool = False,
        executor: Executor | None = None,
        progress_desc: str | None = None,
    ) -> MagView:
        """Copy a mag (MagView or path ``<ds>/<layer>/<mag>``) into this layer."""
        me = _as_layer_obj(self)
        from wkfn.api.view import MagView
        from wkfn.geometry import Mag

        ds = me._dataset
        ds._check_writable()
        view = _as_mag_view(foreign_mag_view_or_path)
        target = Mag(mag).to_tuple() if mag is not None else None  # type: ignore[arg-type]
        options = _options(
            chunk_shape=chunk_shape,
            shard_shape=shard_shape,
            chunks_per_shard=chunks_per_shard,
            compress=compress,
        )
        change = copy_transform.add_mag_as_copy(
            ds._spec,
            me.name,
            _source_mag(view.layer, view.mag),
            view.layer._spec,
            mag=target,
            options=options,
            extend_layer_bounding_box=extend_layer_bounding_box,
            exists_ok=exists_ok,
        )
        _apply(ds, change, executor)
        result = Mag(target or view.mag.to_tuple())
        ds._layouts.pop((me.name, result.to_tuple()), None)
        return MagView(me, result)

    def add_mag_as_ref(
        self,
        foreign_mag_view_or_path: Any,
        *,
        mag: object = None,
        extend_layer_bounding_box: bool = True,
    ) -> MagView:
        """Register a foreign mag's array (absolute path) as a mag of this layer."""
        me = _as_layer_obj(self)
        from wkfn.api.view import MagView
        from wkfn.geometry import Mag

        ds = me._dataset
        ds._check_writable()
        view = _as_mag_view(foreign_mag_view_or_path)
        target = Mag(mag).to_tuple() if mag is not None else None  # type: ignore[arg-type]
        change = copy_transform.add_mag_as_ref(
            ds._spec,
            me.name,
            _source_mag(view.layer, view.mag),
            view.layer._spec,
            path=_absolute_location(view.layer._mag_path(view.mag)),
            mag=target,
            extend_layer_bounding_box=extend_layer_bounding_box,
        )
        _apply(ds, change)
        result = Mag(target or view.mag.to_tuple())
        ds._layouts.pop((me.name, result.to_tuple()), None)
        return MagView(me, result)

    def compress(self, executor: Executor | None = None) -> None:
        """Compress every uncompressed mag of this layer in place."""
        me = _as_layer_obj(self)
        _rechunk(me._dataset, _compress_items(me, None), executor)

    def rechunk(
        self,
        chunk_shape: object = None,
        shard_shape: object = None,
        compress: bool | None = None,
        executor: Executor | None = None,
        *,
        chunks_per_shard: object = None,
    ) -> None:
        """Change chunk/shard shapes (and compression) of every local mag in place."""
        me = _as_layer_obj(self)
        from wkfn.geometry import Mag

        items = []
        for m in me._spec.mags:
            rel = lookup.resolve_mag_path(me.name, m)
            if rel.startswith(f"./{me.name}/"):
                items.append(
                    _rechunk_item(
                        me,
                        Mag(m.mag),
                        chunk_shape,
                        shard_shape,
                        chunks_per_shard,
                        compress,
                    )
                )
        _rechunk(me._dataset, items, executor)


def _as_mag_view(value: Any) -> MagView:
    from wkfn.api.view import MagView

    if isinstance(value, MagView):
        return value
    if "://" in str(value):  # s3://bucket/ds/layer/mag (or a UPath of it)
        from wkfn.geometry import Mag

        url = str(value).rstrip("/")
        return _as_layer(posixpath.dirname(url)).get_mag(Mag(posixpath.basename(url)))
    if isinstance(value, str | os.PathLike):
        path = Path(os.fspath(value).rstrip("/"))
        layer = _as_layer(path.parent)
        from wkfn.geometry import Mag

        return layer.get_mag(Mag(path.name))
    raise InvalidArgumentError(f"expected a MagView or a mag path, got {value!r}")


def _rechunk_item(
    layer: Layer,
    mag: Mag,
    chunk_shape: object,
    shard_shape: object,
    chunks_per_shard: object,
    compress: bool | None,
) -> copy_transform.RechunkItem:
    if shard_shape is not None and chunks_per_shard is not None:
        raise ConflictingArgumentsError(
            "give either shard_shape or chunks_per_shard, not both"
        )
    src = _source_mag(layer, mag, absolute=False)
    target = copy_transform.rechunk_layout(
        src.layout,
        chunk_shape=_vec(chunk_shape, "chunk_shape"),
        shard_shape=_vec(shard_shape, "shard_shape"),
        chunks_per_shard=_vec(chunks_per_shard, "chunks_per_shard"),
        compress=compress,
    )
    return copy_transform.RechunkItem(layer=layer.name, source=src, target=target)


# --------------------------------------------------------------------------- MagView


class MagViewCopyMixin:
    """Compress/rechunk methods of ``MagView``."""

    def compress(
        self,
        target_path: PathLike | None = None,
        executor: Executor | None = None,
    ) -> None:
        """Compress this mag in place (no-op if compressed already)."""
        me = _as_magview(self)
        if target_path is not None:
            raise InvalidArgumentError(
                "compress(target_path=...) is not supported; use "
                "Layer.add_mag_as_copy(..., compress=True) on the target layer"
            )
        if me.read_only:
            from wkfn.errors import ReadOnlyError

            raise ReadOnlyError(f"cannot compress {me}: it is read-only")
        _rechunk(me.layer._dataset, _compress_items(me.layer, [me.mag]), executor)

    def rechunk(
        self,
        chunk_shape: object = None,
        shard_shape: object = None,
        compress: bool | None = None,
        target_path: PathLike | None = None,
        executor: Executor | None = None,
        *,
        chunks_per_shard: object = None,
    ) -> None:
        """Change this mag's chunk/shard shape (and compression) in place."""
        me = _as_magview(self)
        if target_path is not None:
            raise InvalidArgumentError(
                "rechunk(target_path=...) is not supported; use "
                "Layer.add_mag_as_copy(...) on the target layer"
            )
        item = _rechunk_item(
            me.layer, me.mag, chunk_shape, shard_shape, chunks_per_shard, compress
        )
        _rechunk(me.layer._dataset, [item], executor)


__all__ = [
    "DatasetCopyMixin",
    "ExecutionError",
    "LayerCopyMixin",
    "MagViewCopyMixin",
    "StorageError",
]
