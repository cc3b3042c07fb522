"""The storage driver: create, open, read and write mag arrays.

All coordinates are mag voxels ``(x, y, z)``; voxel arrays are numpy ``(c, x, y, z)``.
zarr3 and zarr v2 go through tensorstore (:mod:`wkfn.storage.ts_array`), wkw through
the ``wkw`` package (:mod:`wkfn.storage.wkw_array`). Open handles are cached per
resolved path (and per token for URLs).

Example:
    >>> import tempfile, numpy as np
    >>> from wkfn.spec.array import ArrayLayout
    >>> root = tempfile.mkdtemp()
    >>> layout = ArrayLayout(data_format="zarr3", dtype="uint8", num_channels=1,
    ...     chunk_shape=(32, 32, 32), shard_shape=(64, 64, 64), compress=True)
    >>> create_array(f"{root}/color/1", layout)
    >>> h = open_array(f"{root}/color/1", "zarr3")
    >>> h.write((10, 0, 0), np.ones((1, 4, 4, 4), np.uint8))
    >>> int(h.read((8, 0, 0), (8, 8, 8)).sum()), h.layout.shape
    (64, (64, 64, 64))
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np

from wkfn.errors import ReadOnlyError, StorageError, UnsupportedLayerError
from wkfn.spec.array import ArrayLayout, NDSelect
from wkfn.storage import location, object_arrays, remote, tsspec
from wkfn.storage.nd_array import NDSliceArray, read_nd_layout
from wkfn.storage.ts_array import (
    METADATA_FILE,
    SPLIT_WRITE_BYTES,
    STATS,
    TRANSACTION_BYTES,
    Box,
    Region,
    TensorStoreArray,
    Vec3,
    check_format,
    shared_context,
    split_by_shard,
    tensorstore_module,
)
from wkfn.storage.wkw_array import (
    HEADER_NAME,
    WkwArray,
    create_wkw,
    read_wkw_layout,
)


@runtime_checkable
class ArrayHandle(Protocol):
    """An open mag array."""

    @property
    def layout(self) -> ArrayLayout: ...

    def read(self, offset: Vec3, size: Vec3) -> np.ndarray[Any, Any]: ...

    def write(self, offset: Vec3, data: np.ndarray[Any, Any]) -> None: ...

    def resize(self, shape: Vec3) -> None: ...


_cache_lock = threading.Lock()


_cache: dict[tuple[str, str], TensorStoreArray | WkwArray] = {}


_alias: dict[tuple[str, str], tuple[str, str]] = {}


_remote_cache: dict[tuple[str, str, str], TensorStoreArray] = {}
"""Remote handles by (URL, format, token): a new WK_TOKEN opens a new handle."""


_nd_cache: dict[tuple[str, str, NDSelect], TensorStoreArray] = {}
"""Handles of n-D arrays, one per (real path, format, extra-axis point)."""


def _resolve(path: str | os.PathLike[str]) -> str:
    return os.path.realpath(os.fspath(path))


def open_array(
    path: str | os.PathLike[str], data_format: str, select: NDSelect | None = None
) -> TensorStoreArray | WkwArray:
    """Open (or fetch from the per-process cache) the array at ``path``.

    ``path`` may be an http(s) URL (read-only, zarr3 and zarr v2 only). ``select``
    opens an n-D array at one point of its extra axes (zarr3 / zarr v2; written
    on local disks only).
    """
    check_format(data_format)
    if select is not None:
        return _open_nd(path, data_format, select)
    if remote.is_url(path):
        return _open_remote(str(path), data_format)
    if location.is_object_url(path):
        return _open_object(str(path), data_format)
    key = (os.path.abspath(os.fspath(path)), data_format)
    real = _alias.get(key)
    if real is not None:
        handle = _cache.get(real)
        if handle is not None:
            return handle
    real = (_resolve(path), data_format)
    with _cache_lock:
        handle = _cache.get(real)
        if handle is None:
            if data_format == "wkw":
                if not os.path.isfile(os.path.join(real[0], HEADER_NAME)):
                    raise StorageError(f"no wkw array at {real[0]}")
                handle = WkwArray(real[0])
            else:
                handle = TensorStoreArray(real[0], data_format)
            _cache[real] = handle
        _alias[key] = real
    return handle


def _open_nd(
    path: str | os.PathLike[str], data_format: str, select: NDSelect
) -> TensorStoreArray:
    if data_format == "wkw":
        raise UnsupportedLayerError(
            f"{path}: wkw stores (c, x, y, z) only; n-D layers need zarr3 or zarr"
        )
    if remote.is_url(path) or location.is_object_url(path):
        real = (str(path).rstrip("/"), data_format, select)
    else:
        real = (_resolve(path), data_format, select)
    with _cache_lock:
        handle = _nd_cache.get(real)
        if handle is None:
            handle = NDSliceArray(real[0], data_format, select)
            _nd_cache[real] = handle
    return handle


def _open_remote(url: str, data_format: str) -> TensorStoreArray:
    if data_format == "wkw":
        remote.open_spec(url, data_format)  # raises the explanatory error
    # keyed by what is requested: the same URL with another token is another handle
    key = (remote.request_url(url), data_format, remote.auth_token(url) or "")
    with _cache_lock:
        handle = _remote_cache.get(key)
        if handle is None:
            handle = TensorStoreArray(url, data_format)
            _remote_cache[key] = handle
    return handle


def _open_object(url: str, data_format: str) -> TensorStoreArray:
    if data_format == "wkw":
        object_arrays.refuse_wkw(url)
    key = (url.rstrip("/"), data_format, "")
    with _cache_lock:
        handle = _remote_cache.get(key)
    if handle is None:
        try:
            handle = TensorStoreArray(url.rstrip("/"), data_format)
        except StorageError as e:
            if "NOT_FOUND" in str(e):
                raise StorageError(
                    f"no {data_format} array at {location.redact(url)}"
                ) from e
            raise
        with _cache_lock:
            _remote_cache[key] = handle
    return handle


def forget(path: str | os.PathLike[str]) -> None:
    """Drop cached handles at or below ``path`` (after delete or move)."""
    if location.is_object_url(path):
        root = str(path).rstrip("/")
        with _cache_lock:
            for rkey in list(_remote_cache):
                if rkey[0] == root or rkey[0].startswith(root + "/"):
                    del _remote_cache[rkey]
            for ndkey in list(_nd_cache):
                if ndkey[0] == root or ndkey[0].startswith(root + "/"):
                    del _nd_cache[ndkey]
        return
    roots = {os.path.abspath(os.fspath(path)), _resolve(path)}
    with _cache_lock:
        for ndkey in list(_nd_cache):
            if any(
                ndkey[0] == r or ndkey[0].startswith(r.rstrip(os.sep) + os.sep)
                for r in roots
            ):
                del _nd_cache[ndkey]
        for table in (_cache, _alias):
            for key in list(table):
                if any(
                    key[0] == r or key[0].startswith(r.rstrip(os.sep) + os.sep)
                    for r in roots
                ):
                    table.pop(key, None)
        for key, real in list(_alias.items()):
            if real not in _cache:
                del _alias[key]


def create_array(path: str | os.PathLike[str], layout: ArrayLayout) -> None:
    """Create an array (and its parent directories); fails if one exists there."""
    check_format(layout.data_format)
    if location.is_object_url(path):
        url = str(path).rstrip("/")
        forget(url)
        object_arrays.create(url, layout)
        return
    p = os.fspath(path)
    _refuse_remote(p, "create an array")
    object_arrays.check_layout(layout)
    for name in METADATA_FILE.values():
        if os.path.exists(os.path.join(p, name)):
            raise StorageError(f"an array already exists at {p}")
    forget(p)
    if layout.data_format == "wkw":
        create_wkw(p, layout)
        return
    os.makedirs(p, exist_ok=True)
    try:
        tensorstore_module().open(
            tsspec.create_spec(p, layout), context=shared_context()
        ).result()
    except Exception as e:
        raise StorageError(
            f"cannot create {layout.data_format} array at {p}: {e}"
        ) from e


def array_exists(path: str | os.PathLike[str], data_format: str) -> bool:
    """True once an array's metadata file is on disk (a bare directory is none)."""
    check_format(data_format)
    if location.is_object_url(path):
        return object_arrays.exists(str(path), data_format)
    return os.path.exists(os.path.join(os.fspath(path), METADATA_FILE[data_format]))


def read_layout(
    path: str | os.PathLike[str],
    data_format: str,
    dims: tuple[str, ...] | None = None,
) -> ArrayLayout:
    """The layout observed on disk (zarr.json, .zarray or header.wkw).

    For an http(s) URL the array is opened (and cached) and its layout returned.
    ``dims`` names the dimensions of an n-D array (see
    :func:`wkfn.transform.nd_layer.array_dims`).
    """
    check_format(data_format)
    if dims is not None:
        if data_format == "wkw":
            raise UnsupportedLayerError(
                f"{path}: wkw stores (c, x, y, z) only; n-D layers need zarr3 or zarr"
            )
        return read_nd_layout(os.fspath(path), data_format, dims)
    if remote.is_url(path):
        return open_array(path, data_format).layout
    if location.is_object_url(path):
        return object_arrays.read_layout(str(path), data_format)
    p = os.fspath(path)
    if data_format == "wkw":
        return read_wkw_layout(p)
    meta_file = os.path.join(p, METADATA_FILE[data_format])
    try:
        with open(meta_file, "rb") as f:
            meta = json.loads(f.read())
        if data_format == "zarr3":
            return tsspec.layout_from_zarr3(meta)
        return tsspec.layout_from_zarr2(meta)
    except FileNotFoundError as e:
        raise StorageError(f"no {data_format} array at {p}") from e
    except (OSError, ValueError, KeyError, TypeError, IndexError) as e:
        raise StorageError(f"cannot read array metadata {meta_file}: {e}") from e


def _refuse_remote(path: str, what: str) -> None:
    if remote.is_url(path):
        raise ReadOnlyError(
            f"cannot {what} at {remote.redact(path)}: datasets read over HTTP "
            "are read-only"
        )


def write_regions(
    path: str | os.PathLike[str],
    data_format: str,
    regions: Sequence[Region],
    select: NDSelect | None = None,
) -> None:
    """Apply many writes to one array (at one point of an n-D array's extra axes);
    each touched shard is rewritten once. Later regions win where regions overlap.
    """
    open_array(path, data_format, select).write_many(regions)


def shard_boxes_on_disk(path: str | os.PathLike[str], data_format: str) -> list[Box]:
    """One ``(offset, size)`` box (mag voxels) per existing shard file/key."""
    return open_array(path, data_format).shard_boxes()


def delete_array(path: str | os.PathLike[str]) -> None:
    """Remove an array directory; a symlink is unlinked, never followed."""
    if location.is_object_url(path):
        forget(path)
        object_arrays.delete(str(path))
        return
    p = os.fspath(path)
    _refuse_remote(p, "delete")
    forget(p)
    if os.path.islink(p):
        os.unlink(p)
    elif os.path.isdir(p):
        shutil.rmtree(p)
    elif os.path.exists(p):
        os.unlink(p)


__all__ = [
    "SPLIT_WRITE_BYTES",
    "STATS",
    "TRANSACTION_BYTES",
    "ArrayHandle",
    "TensorStoreArray",
    "WkwArray",
    "create_array",
    "delete_array",
    "forget",
    "open_array",
    "read_layout",
    "shard_boxes_on_disk",
    "shared_context",
    "split_by_shard",
    "write_regions",
]
