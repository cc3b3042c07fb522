"""Pure builders of tensorstore JSON specs for wkfn arrays.

Nothing here touches the disk or imports tensorstore: every function maps an
:class:`~wkfn.spec.array.ArrayLayout` (and a path) to plain JSON-shaped dicts, so specs
can be inspected, compared with the reference's files and shipped to workers.

Example:
    >>> from wkfn.spec.array import ArrayLayout
    >>> layout = ArrayLayout(data_format="zarr", dtype="uint8", num_channels=3,
    ...     chunk_shape=(32, 32, 32), shard_shape=(32, 32, 32), compress=True,
    ...     shape=(40, 64, 1))
    >>> zarr2_metadata(layout)["shape"]
    [3, 64, 64, 32]
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from wkfn.spec.array import ArrayLayout

Vec3 = tuple[int, int, int]
JsonDict = dict[str, Any]

ZSTD_LEVEL = 5
CACHE_POOL_BYTES = int(os.environ.get("WKFN_CACHE_MB", "32")) * 1024 * 1024
"""Bound of the shared tensorstore chunk cache (decoded chunks kept across reads).

32 MiB holds a band of decoded chunks, enough for slice-by-slice reads, while big
reads are not slowed by cache churn (measured: 0 MiB makes 256 xy slices 8x slower,
128 MiB makes one full 512³ read 2x slower). Override with ``WKFN_CACHE_MB``."""


def ceil_to_multiple(shape: Vec3, unit: Vec3) -> Vec3:
    """Round every axis of ``shape`` up to a multiple of ``unit`` (0 stays 0).

    >>> ceil_to_multiple((65, 0, 1), (64, 64, 64))
    (128, 0, 64)
    """
    return (
        -(-shape[0] // unit[0]) * unit[0],
        -(-shape[1] // unit[1]) * unit[1],
        -(-shape[2] // unit[2]) * unit[2],
    )


def context_spec() -> JsonDict:
    """The shared tensorstore context: bounded cache, parallel copies, fsynced files."""
    return {
        "cache_pool": {"total_bytes_limit": CACHE_POOL_BYTES},
        "data_copy_concurrency": {"limit": max(os.cpu_count() or 1, 1)},
        "file_io_concurrency": {"limit": 32},
        "file_io_sync": True,
    }


def file_io_locking() -> str:
    """tensorstore's ``file_io_locking`` mode: ``"os"`` under ``WKFN_FILE_LOCKING=os``.

    Otherwise ``"none"``: tensorstore then writes each key through a uniquely named
    temp file, so a writer killed mid-write leaves nothing a later writer reuses, and
    concurrent writers are serialised by wkfn's own shard locks
    (:mod:`wkfn.storage.shard_locks`, the default). tensorstore 0.1.86's ``os`` mode
    reuses a killed writer's ``<key>.__lock`` without truncating it (a corrupt shard),
    and its ``lockfile`` mode blocks on it; both stay off by default.
    """
    from wkfn.storage.shard_locks import locking_mode

    return "os" if locking_mode() == "os" else "none"


def kvstore_spec(path: str | os.PathLike[str]) -> JsonDict:
    """A file kvstore for the array directory (locking per :func:`file_io_locking`)."""
    p = os.fspath(path)
    if not p.endswith("/"):
        p += "/"
    return {"driver": "file", "path": p, "file_io_locking": {"mode": file_io_locking()}}


def _bytes_codec(dtype: np.dtype[Any]) -> JsonDict:
    if dtype.itemsize == 1:
        return {"name": "bytes"}
    return {"name": "bytes", "configuration": {"endian": "little"}}


def _fill_value(dtype: np.dtype[Any]) -> int | float:
    return 0.0 if dtype.kind == "f" else 0


def zarr3_codecs(
    layout: ArrayLayout, inner_chunk: list[int] | None = None
) -> list[JsonDict]:
    """The codec chain of a zarr3 array, as the reference writes it (Fortran order
    inside chunks; ``inner_chunk`` is the n-D chunk shape of n-D arrays)."""
    dtype = np.dtype(layout.dtype)
    rank = len(layout.dims) if layout.dims else 4
    inner: list[JsonDict] = [
        {"name": "transpose", "configuration": {"order": list(range(rank))[::-1]}},
        _bytes_codec(dtype),
    ]
    if layout.compress:
        inner.append(
            {"name": "zstd", "configuration": {"level": ZSTD_LEVEL, "checksum": True}}
        )
    if tuple(layout.chunk_shape) == tuple(layout.shard_shape):
        return inner
    return [
        {
            "name": "sharding_indexed",
            "configuration": {
                "chunk_shape": inner_chunk
                or [layout.num_channels, *layout.chunk_shape],
                "codecs": inner,
                "index_codecs": [
                    {"name": "bytes", "configuration": {"endian": "little"}},
                    {"name": "crc32c"},
                ],
            },
        }
    ]


def nd_shapes(
    layout: ArrayLayout, unit: Vec3
) -> tuple[list[int], list[int], list[int]]:
    """Shape, outer chunk (shard) and inner chunk of an n-D array, per dimension.

    x, y, z follow the layout (shape rounded up to ``unit``), the channel dimension
    spans ``num_channels``, every extra dimension has chunks of one index (as the
    reference writes them) and the extent given in ``extra_shape``.
    """
    shape: list[int] = []
    outer: list[int] = []
    inner: list[int] = []
    rounded = ceil_to_multiple(layout.shape, unit)
    extra = iter(layout.extra_shape)
    for dim in layout.dims:
        if dim == "c":
            n = layout.num_channels
            shape.append(n)
            outer.append(n)
            inner.append(n)
        elif dim in ("x", "y", "z"):
            i = "xyz".index(dim)
            shape.append(rounded[i])
            outer.append(layout.shard_shape[i])
            inner.append(layout.chunk_shape[i])
        else:
            shape.append(next(extra))
            outer.append(1)
            inner.append(1)
    return shape, outer, inner


def zarr3_metadata(layout: ArrayLayout) -> JsonDict:
    """The ``zarr.json`` of a zarr3 array (shape rounded up to whole shards)."""
    dtype = np.dtype(layout.dtype)
    if layout.dims:
        return _zarr3_nd_metadata(layout)
    shape = ceil_to_multiple(layout.shape, layout.shard_shape)
    return {
        "zarr_format": 3,
        "node_type": "array",
        "shape": [layout.num_channels, *shape],
        "data_type": dtype.name,
        "chunk_grid": {
            "name": "regular",
            "configuration": {
                "chunk_shape": [layout.num_channels, *layout.shard_shape]
            },
        },
        "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
        "fill_value": _fill_value(dtype),
        "dimension_names": ["c", "x", "y", "z"],
        "codecs": zarr3_codecs(layout),
    }


def zarr2_dtype(dtype: str) -> str:
    """Zarr v2 dtype string (``"|u1"``, ``"<u2"``, ``"<f4"``)."""
    return np.dtype(dtype).newbyteorder("<").str


def _zarr3_nd_metadata(layout: ArrayLayout) -> JsonDict:
    dtype = np.dtype(layout.dtype)
    shape, outer, inner = nd_shapes(layout, layout.shard_shape)
    return {
        "zarr_format": 3,
        "node_type": "array",
        "shape": shape,
        "data_type": dtype.name,
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": outer}},
        "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
        "fill_value": _fill_value(dtype),
        "dimension_names": list(layout.dims),
        "codecs": zarr3_codecs(layout, inner),
    }


def zarr2_metadata(layout: ArrayLayout) -> JsonDict:
    """The ``.zarray`` of a zarr v2 array (no sharding: shape rounded up to chunks)."""
    dtype = np.dtype(layout.dtype)
    if layout.dims:
        nd_shape, _, nd_chunks = nd_shapes(layout, layout.chunk_shape)
        shape_json, chunks_json = nd_shape, nd_chunks
    else:
        shape = ceil_to_multiple(layout.shape, layout.chunk_shape)
        shape_json = [layout.num_channels, *shape]
        chunks_json = [layout.num_channels, *layout.chunk_shape]
    return {
        "zarr_format": 2,
        "shape": shape_json,
        "chunks": chunks_json,
        "dtype": zarr2_dtype(layout.dtype),
        "order": "F",
        "fill_value": _fill_value(dtype),
        "compressor": {"id": "zstd", "level": ZSTD_LEVEL} if layout.compress else None,
        "filters": None,
        "dimension_separator": "/",
    }


def driver_name(data_format: str) -> str:
    """The tensorstore driver of a wkfn data format (``"zarr3"`` or ``"zarr"``)."""
    if data_format == "zarr3":
        return "zarr3"
    if data_format == "zarr":
        return "zarr"
    raise ValueError(f"no tensorstore driver for data format {data_format!r}")


def create_spec(
    path: str | os.PathLike[str],
    layout: ArrayLayout,
    kvstore: JsonDict | None = None,
) -> JsonDict:
    """Spec that creates a new array (fails if one exists).

    ``kvstore`` replaces the local file kvstore (an object store's, built by
    :func:`wkfn.storage.store_access.kvstore_spec`).
    """
    if layout.data_format == "zarr3":
        metadata = zarr3_metadata(layout)
    elif layout.data_format == "zarr":
        metadata = zarr2_metadata(layout)
    else:
        raise ValueError(
            f"no tensorstore driver for data format {layout.data_format!r}"
        )
    return {
        "driver": driver_name(layout.data_format),
        "kvstore": kvstore if kvstore is not None else kvstore_spec(path),
        "metadata": metadata,
        "create": True,
    }


def open_spec(
    path: str | os.PathLike[str], data_format: str, kvstore: JsonDict | None = None
) -> JsonDict:
    """Spec that opens an existing array (``kvstore`` as in :func:`create_spec`).

    Metadata is re-read whenever an array is (re)opened, and cached chunks are
    revalidated against the file's generation on every read, so a shard or a whole
    mag rewritten by another process (a dask worker, an in-place compress) is never
    served stale from the shared cache. Measured: no visible cost on 500 random reads
    or 256 slice reads of a 512³ zstd array.
    """
    return {
        "driver": driver_name(data_format),
        "kvstore": kvstore if kvstore is not None else kvstore_spec(path),
        "open": True,
        "recheck_cached_metadata": "open",
        "recheck_cached_data": True,
    }


def _nd_layout(
    data_format: str,
    dims: tuple[str, ...],
    metadata: JsonDict,
    shape: list[int],
    outer: list[int],
    inner: list[int],
    compressed: bool,
    dtype: str,
) -> ArrayLayout:
    if len(dims) != len(shape):
        raise ValueError(
            f"the layer names {len(dims)} array dimensions {list(dims)}, the array "
            f"has shape {shape}"
        )
    pos = [dims.index(a) for a in "xyz"]
    extra = [i for i, d in enumerate(dims) if d not in ("c", "x", "y", "z")]
    channels = int(shape[dims.index("c")]) if "c" in dims else 1
    return ArrayLayout(
        data_format=data_format,  # type: ignore[arg-type]
        dtype=dtype,
        num_channels=channels,
        chunk_shape=(int(inner[pos[0]]), int(inner[pos[1]]), int(inner[pos[2]])),
        shard_shape=(int(outer[pos[0]]), int(outer[pos[1]]), int(outer[pos[2]])),
        compress=compressed,
        shape=(int(shape[pos[0]]), int(shape[pos[1]]), int(shape[pos[2]])),
        dims=tuple(dims),
        extra_shape=tuple(int(shape[i]) for i in extra),
    )


def layout_from_zarr3(
    metadata: JsonDict, dims: tuple[str, ...] | None = None
) -> ArrayLayout:
    """Observe an :class:`ArrayLayout` from a parsed ``zarr.json``.

    ``dims`` names the dimensions of an n-D array (from the layer's ``axisOrder``
    and ``additionalAxes``); without it the array must be ``(c, x, y, z)``.
    """
    shape = metadata["shape"]
    if dims is not None:
        grid = metadata["chunk_grid"]["configuration"]["chunk_shape"]
        codecs = metadata.get("codecs", [])
        chunk, inner_codecs = grid, codecs
        if codecs and codecs[0].get("name") == "sharding_indexed":
            chunk = codecs[0]["configuration"]["chunk_shape"]
            inner_codecs = codecs[0]["configuration"].get("codecs", [])
        compressed = any(
            c.get("name") in ("zstd", "gzip", "blosc") for c in inner_codecs
        )
        return _nd_layout(
            "zarr3",
            dims,
            metadata,
            shape,
            grid,
            chunk,
            compressed,
            np.dtype(metadata["data_type"]).name,
        )
    if len(shape) != 4:
        raise ValueError(f"expected a 4-d (c, x, y, z) array, got shape {shape}")
    grid = metadata["chunk_grid"]["configuration"]["chunk_shape"]
    codecs = metadata.get("codecs", [])
    chunk = grid
    inner = codecs
    if codecs and codecs[0].get("name") == "sharding_indexed":
        chunk = codecs[0]["configuration"]["chunk_shape"]
        inner = codecs[0]["configuration"].get("codecs", [])
    compressed = any(c.get("name") in ("zstd", "gzip", "blosc") for c in inner)
    return ArrayLayout(
        data_format="zarr3",
        dtype=np.dtype(metadata["data_type"]).name,
        num_channels=int(shape[0]),
        chunk_shape=(int(chunk[1]), int(chunk[2]), int(chunk[3])),
        shard_shape=(int(grid[1]), int(grid[2]), int(grid[3])),
        compress=compressed,
        shape=(int(shape[1]), int(shape[2]), int(shape[3])),
    )


def layout_from_zarr2(
    metadata: JsonDict, dims: tuple[str, ...] | None = None
) -> ArrayLayout:
    """Observe an :class:`ArrayLayout` from a parsed ``.zarray`` (``dims`` as in
    :func:`layout_from_zarr3`)."""
    shape = metadata["shape"]
    if dims is not None:
        chunks = metadata["chunks"]
        return _nd_layout(
            "zarr",
            dims,
            metadata,
            shape,
            chunks,
            chunks,
            metadata.get("compressor") is not None,
            np.dtype(metadata["dtype"]).name,
        )
    if len(shape) != 4:
        raise ValueError(f"expected a 4-d (c, x, y, z) array, got shape {shape}")
    chunks = metadata["chunks"]
    chunk = (int(chunks[1]), int(chunks[2]), int(chunks[3]))
    return ArrayLayout(
        data_format="zarr",
        dtype=np.dtype(metadata["dtype"]).name,
        num_channels=int(shape[0]),
        chunk_shape=chunk,
        shard_shape=chunk,
        compress=metadata.get("compressor") is not None,
        shape=(int(shape[1]), int(shape[2]), int(shape[3])),
    )
