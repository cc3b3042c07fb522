"""Copies, conversions and references of whole datasets and layers.

``Dataset.copy_dataset``, ``shallow_copy_dataset``, ``add_layer_as_copy``,
``add_layer_as_ref``, ``add_layer_for_existing_files``, ``compress`` and their
deprecated aliases: plain functions taking the dataset first, bound as ``Dataset``
methods. Each parses arguments, observes what the planner needs from disk
(:mod:`wkfn.api._observe`: source layouts, shards present), calls the pure planner in
:mod:`wkfn.transform.copy` and applies the plan through the session, which runs
plans with several region copies on a thread pool unless an executor is given.
Mag-level copies live in :mod:`wkfn.api.mag_copy`.
"""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Iterable
from concurrent.futures import Executor
from typing import TYPE_CHECKING, Any

from wkfn.api import locations
from wkfn.api._observe import layer_ref, ref_mag_paths, source_layer
from wkfn.api._parse import (
    copy_options,
    deprecated,
    optional_format,
    parse_voxel_size,
)
from wkfn.api._running import run_plan
from wkfn.api.locations import new_target
from wkfn.api.mag_copy import compress_items, rechunk
from wkfn.errors import DatasetExistsError, InvalidArgumentError
from wkfn.execute.finished import summarize
from wkfn.execute.resumable import finished_differences, killed_target
from wkfn.geometry import BoundingBox
from wkfn.spec import lookup
from wkfn.spec.dtypes import parse_dtype
from wkfn.spec.names import validate_layer_name
from wkfn.storage.files import delete_path
from wkfn.storage.observe import find_mag_arrays, tight_box
from wkfn.transform import copy as copy_transform
from wkfn.transform.change import Change

if TYPE_CHECKING:
    from wkfn.api.dataset import Dataset
    from wkfn.api.layer import Layer

Vec3 = tuple[int, int, int]
PathLike = str | os.PathLike[str]


# ------------------------------------------------------------------ whole copies
def plan_copy_dataset(
    ds: Dataset,
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
    options = copy_options(
        data_format=data_format,
        chunk_shape=chunk_shape,
        shard_shape=shard_shape,
        chunks_per_shard=chunks_per_shard,
        compress=compress,
        chunk_size=chunk_size,
        block_len=block_len,
        file_len=file_len,
    )
    parsed = parse_voxel_size(voxel_size, voxel_size_with_unit, None)
    ignore = set(layers_to_ignore or ())
    for layer_name in ignore:
        lookup.get_layer(ds.spec, layer_name)
    for layer in ds.spec.data_layers:
        validate_layer_name(layer.name)
    sources = [
        source_layer(ds.session, layer.name)
        for layer in ds.spec.data_layers
        if layer.name not in ignore
    ]
    target = locations.dataset_root(new_dataset_path)
    return copy_transform.copy_dataset(
        ds.spec,
        sources,
        name=name or locations.name_of(target),
        voxel_size=None if parsed is None else parsed[0],
        unit=None if parsed is None else parsed[1],
        options=options,
    )


def copy_dataset(
    ds: Dataset,
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
    if args is not None:
        deprecated("args", "executor")
    if ds.session.is_recording:
        raise InvalidArgumentError(
            "copy_dataset writes a new dataset and cannot run inside dry_run() "
            "of the source; use plan_copy_dataset(...) to inspect its plan"
        )
    target = locations.dataset_root(new_dataset_path)  # a UPath on a store
    on_store = locations.is_object_root(target)  # no resumable runs there
    # a target a killed copy left is resumed by the same plan (run_plan)
    killed = not on_store and killed_target(target)
    exists = not killed and new_target(new_dataset_path, True)[1]
    if exists and exists_ok:
        out = type(ds).open(target)
        ignore = set(layers_to_ignore or ())
        for layer_name, layer in ds.layers.items():
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
    change = ds.plan_copy_dataset(
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
    if exists:  # a finished script run again: fine if nothing would change
        why = (
            ["it is on an object store (finished copies are not compared there)"]
            if on_store
            else finished_differences(target, change.plan, change.spec)
        )
        if why:
            raise DatasetExistsError(
                f"cannot copy to {target}: a dataset exists there and differs from "
                f"what this copy would produce ({summarize(why)}). Pass "
                "exists_ok=True to add the layers and mags it lacks to it, or "
                "choose another target"
            )
        return type(ds).open(target)
    created = not (locations.is_nonempty_dir(target) if on_store else target.exists())
    root = locations.run_root(target)
    try:
        run_plan(root, change, executor if executor is not None else ds.executor)
    except BaseException:
        if created:
            with contextlib.suppress(OSError):
                delete_path(root)
        raise
    return type(ds).open(target)


def shallow_copy_dataset(
    ds: Dataset,
    new_dataset_path: PathLike,
    name: str | None = None,
    make_relative: bool = False,
    layers_to_ignore: Iterable[str] | None = None,
) -> Dataset:
    """A new dataset whose layers reference this one's mags (no data copied).

    Mag paths are absolute (resolved), or relative to the new dataset with
    ``make_relative=True``.
    """
    target, _ = new_target(new_dataset_path, False)
    ignore = set(layers_to_ignore or ())
    layers = [lay.name for lay in ds.spec.data_layers if lay.name not in ignore]
    target.mkdir(parents=True, exist_ok=True)
    try:
        change = copy_transform.shallow_copy_dataset(
            ds.spec,
            [source_layer(ds.session, lay) for lay in layers],
            name=name or ds.name,
            mag_paths={
                lay: ref_mag_paths(ds.session, lay, target, make_relative)
                for lay in layers
            },
        )
        run_plan(locations.run_root(target), change, None)
    except BaseException:
        with contextlib.suppress(OSError):
            if not any(target.iterdir()):
                target.rmdir()
        raise
    return type(ds).open(target)


# ------------------------------------------------------------------ layers
def add_layer_as_copy(
    ds: Dataset,
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
    ds.session.check_writable()
    options = copy_options(
        data_format=data_format,
        chunk_shape=chunk_shape,
        shard_shape=shard_shape,
        chunks_per_shard=chunks_per_shard,
        compress=compress,
        chunk_size=chunk_size,
        block_len=block_len,
        file_len=file_len,
    )
    layer = layer_ref(foreign_layer)
    name = layer.name if new_layer_name is None else new_layer_name
    validate_layer_name(name)
    change = copy_transform.add_layer_as_copy(
        ds.spec,
        source_layer(layer.session, layer.name),
        new_name=name,
        options=options,
        exists_ok=exists_ok,
        with_attachments=with_attachments,
    )
    ds.session.apply(change, executor=executor, pool="bulk")
    ds.session.forget_layouts(name)
    return ds.get_layer(name)


def add_copy_layer(
    ds: Dataset,
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
    deprecated("add_copy_layer", "add_layer_as_copy")
    return ds.add_layer_as_copy(
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
    ds: Dataset, foreign_layer: Any, new_layer_name: str | None = None
) -> Layer:
    """Copy a layer's files as they are (deprecated in the reference).

    Mag paths point at ``./<new_layer_name>/…``, never at the old nads.
    """
    ds.session.check_writable()
    deprecated("add_fs_copy_layer", "add_layer_as_copy")
    layer = layer_ref(foreign_layer)
    name = layer.name if new_layer_name is None else new_layer_name
    validate_layer_name(name)
    change = copy_transform.add_fs_copy_layer(
        ds.spec, source_layer(layer.session, layer.name), new_name=name
    )
    ds.session.apply(change, pool="bulk")
    ds.session.forget_layouts(name)
    return ds.get_layer(name)


def add_symlink_layer(
    ds: Dataset,
    foreign_layer: Any,
    make_relative: bool | str = False,
    new_layer_name: str | None = None,
) -> Layer:
    """Link ``<dataset>/<name>`` to a foreign layer directory (deprecated).

    Mag paths are the resolved foreign mags (absolute, or relative to this
    dataset with ``make_relative``), so the layer reads the linked data under any
    nads. (A str as second argument is taken as ``new_layer_name``, the
    reference 4.3.3 order.)
    """
    ds.session.check_writable()
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
    layer = layer_ref(foreign_layer)
    name = layer.name if new_layer_name is None else new_layer_name
    validate_layer_name(name)
    change = copy_transform.add_symlink_layer(
        ds.spec,
        source_layer(layer.session, layer.name),
        new_name=name,
        make_relative=bool(make_relative),
        mag_paths=ref_mag_paths(
            layer.session, layer.name, ds.path, bool(make_relative)
        ),
    )
    ds.session.apply(change, pool="bulk")
    ds.session.forget_layouts(name)
    return ds.get_layer(name)


def add_layer_as_ref(
    ds: Dataset, foreign_layer: Any, new_layer_name: str | None = None
) -> Layer:
    """A layer whose mags are the foreign layer's arrays (absolute paths)."""
    ds.session.check_writable()
    layer = layer_ref(foreign_layer)
    if not layer.session.is_remote and locations.same_root(layer.session.root, ds.path):
        raise InvalidArgumentError(
            "cannot add a layer of the same dataset as a reference"
        )
    name = layer.name if new_layer_name is None else new_layer_name
    validate_layer_name(name)
    change = copy_transform.add_layer_as_ref(
        ds.spec,
        source_layer(layer.session, layer.name),
        new_name=name,
        mag_paths=ref_mag_paths(
            layer.session, layer.name, ds.session.local_root(), False
        ),
    )
    ds.session.apply(change, pool="bulk")
    ds.session.forget_layouts(name)
    return ds.get_layer(name)


def add_remote_layer(
    ds: Dataset, foreign_layer: Any, new_layer_name: str | None = None
) -> Layer:
    """Deprecated alias of :meth:`add_layer_as_ref`."""
    deprecated("add_remote_layer", "add_layer_as_ref")
    return ds.add_layer_as_ref(foreign_layer, new_layer_name)


def add_layer_for_existing_files(
    ds: Dataset, layer_name: str, category: str, **kwargs: Any
) -> Layer:
    """Register arrays already in ``<dataset>/<layer_name>/<mag>`` as a layer.

    dtype, channels, format and mags are inferred from the arrays (the first
    readable of wkw, zarr3, zarr per directory); the bounding box is the tight
    box of the non-zero voxels of the finest mag. ``num_channels``,
    ``dtype_per_channel``/``dtype``, ``data_format``, ``bounding_box``,
    ``largest_segment_id`` and ``mappings`` override.
    """
    ds.session.check_writable()
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
    layer_dir = os.path.join(ds.path, layer_name)
    if not os.path.isdir(layer_dir):
        raise InvalidArgumentError(f"no directory {layer_dir} to add as a layer")
    forced = optional_format(kwargs.get("data_format"))
    found = find_mag_arrays(layer_dir, forced)
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
        box = tight_box(layer_dir, finest[0], finest[1], fmt)
    largest = kwargs.get("largest_segment_id")
    change = copy_transform.add_layer_for_existing_files(
        ds.spec,
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
    ds.session.apply(change, pool="bulk")
    ds.session.forget_layouts(layer_name)
    return ds.get_layer(layer_name)


# ------------------------------------------------------------------ in place
def compress_dataset(ds: Dataset, executor: Executor | None = None) -> None:
    """Compress every uncompressed local mag in place (one plan)."""
    items = []
    for layer in ds.spec.data_layers:
        items.extend(compress_items(ds.session, layer.name, None))
    rechunk(ds.session, items, executor)
