"""One point of an n-D array's extra axes as a classic ``(c, x, y, z)`` array.

An n-D mag array (e.g. dimensions ``t, x, y, z``) is addressed by the rest of the
storage one extra-axis point at a time: :class:`NDSliceArray` fixes the extra
dimensions at the indices of an :class:`~wkfn.spec.array.NDSelect`, moves x, y, z
(and the channel dimension, or a new one of length 1) into ``(c, x, y, z)`` order, and
so reads, writes, shard-groups and transacts exactly like a 3-D array. Growing an
extra axis (a write at ``t`` beyond the array's extent) resizes that dimension of the
underlying array; a read beyond it returns zeros.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from wkfn.errors import StorageError, UnsupportedLayerError
from wkfn.spec.array import NON_EXTRA, ArrayLayout, NDSelect
from wkfn.storage import location, shard_locks, tsspec
from wkfn.storage.ts_array import (
    METADATA_FILE,
    TensorStoreArray,
    Vec3,
    _metadata_stat,
    tensorstore_module,
)
from wkfn.storage.wkw_array import check_box

__all__ = ["NDSliceArray", "read_nd_layout"]


def read_nd_layout(path: str, data_format: str, dims: tuple[str, ...]) -> ArrayLayout:
    """The layout of a local n-D array whose dimensions are named ``dims``.

    Raises:
        StorageError: no array there, or its metadata does not fit ``dims``.
    """
    meta_file = os.path.join(path, METADATA_FILE[data_format])
    try:
        with open(meta_file, "rb") as f:
            raw = f.read()
    except FileNotFoundError as e:
        raise StorageError(f"no {data_format} array at {path}") from e
    except OSError as e:
        raise StorageError(f"cannot read array metadata {meta_file}: {e}") from e
    return nd_layout_from_metadata(raw, data_format, dims, meta_file)


def nd_layout_from_metadata(
    raw: bytes, data_format: str, dims: tuple[str, ...], where: str
) -> ArrayLayout:
    """The layout described by the metadata document ``raw`` (read from ``where``)."""
    try:
        meta = json.loads(raw)
        if data_format == "zarr3":
            return tsspec.layout_from_zarr3(meta, dims)
        return tsspec.layout_from_zarr2(meta, dims)
    except (ValueError, KeyError, TypeError, IndexError) as e:
        raise StorageError(f"cannot read array metadata {where}: {e}") from e


def _remote_layout(
    store: Any, url: str, data_format: str, dims: tuple[str, ...]
) -> ArrayLayout:
    """The layout of an n-D array at a URL, its metadata read through the store's
    own key-value store (so HTTP tokens and S3 credentials apply as for the data)."""
    name = METADATA_FILE[data_format]
    where = location.redact(location.join(url, name))
    try:
        raw = store.kvstore.read(name).result().value
    except Exception as e:
        raise StorageError(f"cannot read array metadata {where}: {e}") from e
    if not raw:
        raise StorageError(f"no {data_format} array at {location.redact(url)}")
    return nd_layout_from_metadata(bytes(raw), data_format, dims, where)


class NDSliceArray(TensorStoreArray):
    """A zarr3 / zarr v2 n-D array seen at one point of its extra axes.

    Local arrays are read and written; arrays at http(s) or object-store URLs are
    read only (resizing an n-D array needs the local metadata lock).
    """

    def __init__(self, path: str, data_format: str, select: NDSelect) -> None:
        self.select = select
        self._outside = False
        super().__init__(path, data_format)

    # ------------------------------------------------------------------ opening
    def _set_store(self, store: Any) -> None:
        ts = tensorstore_module()
        dims = self.select.dims
        if store.rank != len(dims):
            raise StorageError(
                f"{self.path}: the layer names {len(dims)} dimensions {list(dims)}, "
                f"the array has rank {store.rank}"
            )
        self._base = store
        hi = store.domain.exclusive_max
        pos = [dims.index(a) for a in "xyz"]
        self._shape: Vec3 = (int(hi[pos[0]]), int(hi[pos[1]]), int(hi[pos[2]]))
        if self.remote or self.object_store:
            self._layout = _remote_layout(store, self.path, self.data_format, dims)
        else:
            self._layout = read_nd_layout(self.path, self.data_format, dims)
        index: list[Any] = []
        kept: list[str] = []
        at = iter(self.select.at)
        self._outside = False
        for i, dim in enumerate(dims):
            if dim in NON_EXTRA:
                index.append(slice(None))
                kept.append(dim)
            else:
                value = next(at)
                if not 0 <= value < int(hi[i]):
                    self._outside = True
                index.append(value)
        if self._outside:
            self._store = None
            return
        view = store[tuple(index)]
        want = [d for d in ("c", "x", "y", "z") if d in kept]
        view = view[ts.d[:].transpose[[kept.index(d) for d in want]]]
        if "c" not in kept:
            view = view[ts.newaxis, ...]
        self._store = view

    # ------------------------------------------------------------------ reading
    def read(self, offset: Vec3, size: Vec3) -> np.ndarray[Any, Any]:
        """``(c, x, y, z)`` at this point; zeros beyond the array's extra extent."""
        if self._outside:
            self._refresh_if_changed()
        if self._outside:
            check_box(offset, size)
            return np.zeros(
                (self._layout.num_channels, *size), dtype=self._layout.dtype, order="F"
            )
        return super().read(offset, size)

    def read_block(
        self, start: Sequence[int], stop: Sequence[int]
    ) -> np.ndarray[Any, Any]:
        """A whole n-D region ``[start, stop)`` (one bound per array dimension, in
        array order) in one tensorstore read; zeros outside the array's domain.

        Reading all extra-axis points at once lets tensorstore decode every chunk
        in parallel (much faster than point by point).
        """
        self._refresh_if_changed()
        shape = [b - a for a, b in zip(start, stop)]
        if any(a < 0 for a in start) or any(n < 0 for n in shape):
            raise StorageError(f"{self.path}: bad region {list(start)}..{list(stop)}")
        hi = [int(v) for v in self._base.domain.exclusive_max]
        clip = [min(b, h) for b, h in zip(stop, hi)]
        if list(clip) == list(stop):  # inside the domain: no zero fill, no copy
            whole = tuple(slice(a, b) for a, b in zip(start, stop))
            try:
                data: np.ndarray[Any, Any] = self._base[whole].read(order="F").result()
            except Exception as e:
                raise StorageError(f"cannot read {self.path}: {e}") from e
            return data
        out: np.ndarray[Any, Any] = np.zeros(shape, dtype=self._layout.dtype, order="F")
        if all(c > a for a, c in zip(start, clip)):
            index = tuple(slice(a, c) for a, c in zip(start, clip))
            part = tuple(slice(0, c - a) for a, c in zip(start, clip))
            try:
                out[part] = self._base[index].read(order="F").result()
            except Exception as e:
                raise StorageError(f"cannot read {self.path}: {e}") from e
        return out

    # ------------------------------------------------------------------ resizing
    def ensure_shape(self, hi: Vec3) -> None:
        """Grow x, y, z to cover ``[0, hi)`` and every extra dimension to this
        point (metadata only)."""
        sx, sy, sz = self._shape
        if not self._outside and hi[0] <= sx and hi[1] <= sy and hi[2] <= sz:
            return
        self.resize(hi)

    def _check_writable(self) -> None:
        super()._check_writable()
        if self.object_store:
            raise UnsupportedLayerError(
                f"n-D arrays are written on local disks only, not at "
                f"{location.redact(self.path)} (reading them there works)"
            )

    def resize(self, shape: Vec3) -> None:
        """Grow the array (never shrinks): x, y, z to ``shape`` rounded up to
        shards, extra dimensions to include this point."""
        self._check_writable()
        unit = self._layout.shard_shape
        want = tsspec.ceil_to_multiple(shape, unit)
        dims = self.select.dims
        with shard_locks.hold(self.path, (), metadata=True), self._lock:
            if _metadata_stat(self._meta_path) != self._stamp:
                self._open()
            cur = [int(v) for v in self._base.domain.exclusive_max]
            new = list(cur)
            at = iter(self.select.at)
            for i, dim in enumerate(dims):
                if dim in ("x", "y", "z"):
                    new[i] = max(cur[i], want["xyz".index(dim)])
                elif dim != "c":
                    new[i] = max(cur[i], next(at) + 1)
            if new == cur:
                return
            try:
                store = self._base.resize(
                    exclusive_max=new, expand_only=True, resize_metadata_only=True
                ).result()
            except Exception as e:
                raise StorageError(f"cannot resize {self.path} to {new}: {e}") from e
            self._set_store(store)
            self._stamp = _metadata_stat(self._meta_path) or self._stamp

    def shard_boxes(self) -> list[tuple[Vec3, Vec3]]:
        """Not listed for n-D arrays (their keys have extra dimensions)."""
        raise StorageError(
            f"{self.path}: listing the shards of an n-D array is not supported"
        )
