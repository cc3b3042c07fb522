"""Array metadata on an object store (``s3://`` / ``gs://``): create, layout, checks.

:mod:`wkfn.storage.arrays` dispatches here for store URLs so that its local code stays
about files; the open handles themselves are :class:`~wkfn.storage.ts_array.
TensorStoreArray` through tensorstore's ``s3`` / ``gcs`` kvstore. wkw is refused with
a clear error: it needs a local filesystem.
"""

from __future__ import annotations

import json
from typing import NoReturn

from wkfn.errors import StorageError
from wkfn.spec.array import ArrayLayout
from wkfn.storage import location, store_access, tsspec
from wkfn.storage.ts_array import METADATA_FILE, shared_context, tensorstore_module


def refuse_wkw(url: str) -> NoReturn:
    """Raise: wkw arrays cannot live on an object store."""
    raise StorageError(
        f"cannot store a wkw array at {location.redact(url)}: wkw needs a local "
        "filesystem (the reference cannot write it to object storage either); use "
        "zarr3 (the default) or zarr"
    )


def check_layout(layout: ArrayLayout) -> None:
    """Refuse a layout no format can store (channels, chunk/shard, shape)."""
    if layout.num_channels < 1:
        raise StorageError(f"num_channels must be >= 1, got {layout.num_channels}")
    chunk, shard = layout.chunk_shape, layout.shard_shape
    if min(*chunk, *shard) < 1 or any(s % c for s, c in zip(shard, chunk)):
        raise StorageError(
            f"shard shape {shard} must be a multiple of chunk shape {chunk}"
        )
    if layout.data_format == "zarr" and chunk != shard:
        raise StorageError("zarr v2 does not support sharding: shard must equal chunk")
    if min(layout.shape) < 0:
        raise StorageError(f"negative array shape {layout.shape}")


def create(url: str, layout: ArrayLayout) -> None:
    """Create a zarr3 / zarr v2 array below an object-store prefix."""
    from wkfn.storage import objects

    if layout.data_format == "wkw":
        refuse_wkw(url)
    check_layout(layout)
    names = sorted(set(METADATA_FILE.values()))
    if any(objects.which_exist([location.join(url, n) for n in names])):
        raise StorageError(f"an array already exists at {location.redact(url)}")
    spec = tsspec.create_spec(url, layout, store_access.kvstore_spec(url))
    try:
        tensorstore_module().open(spec, context=shared_context()).result()
    except Exception as e:
        raise StorageError(
            location.redact(f"cannot create {layout.data_format} array at {url}: {e}")
        ) from e


def exists(url: str, data_format: str) -> bool:
    """True once the array's metadata object is stored."""
    from wkfn.storage import objects

    return objects.is_file(location.join(url, METADATA_FILE[data_format]))


def read_layout(url: str, data_format: str) -> ArrayLayout:
    """The layout recorded in the array's metadata object."""
    from wkfn.storage import objects

    if data_format == "wkw":
        refuse_wkw(url)
    meta_url = location.join(url, METADATA_FILE[data_format])
    try:
        meta = json.loads(objects.read_bytes(meta_url))
    except FileNotFoundError as e:
        raise StorageError(f"no {data_format} array at {location.redact(url)}") from e
    try:
        if data_format == "zarr3":
            return tsspec.layout_from_zarr3(meta)
        return tsspec.layout_from_zarr2(meta)
    except (ValueError, KeyError, TypeError, IndexError) as e:
        raise StorageError(
            f"cannot read array metadata {location.redact(meta_url)}: {e}"
        ) from e


def delete(url: str) -> None:
    """Remove every object below the array's prefix."""
    from wkfn.storage import objects

    objects.delete_tree(url)
