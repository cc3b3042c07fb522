"""The task functions of the array and file ops: create, resize, write regions,
delete, move, and the properties write that commits a plan.

Top-level functions, so they pickle by reference for process pools and dask
workers; each is called as ``fn(root, op)`` (region writes take their regions).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence

import msgspec
import numpy as np

from wkfn.errors import StorageError
from wkfn.execute.paths import lexists, resolve_path
from wkfn.plan.ops import (
    CreateArray,
    DeletePath,
    MovePath,
    ResizeArray,
    WriteProperties,
)
from wkfn.spec.array import NDSelect
from wkfn.storage import location

Region = tuple[tuple[int, int, int], np.ndarray]


def run_create_array(root: str, op: CreateArray) -> None:
    """Create one array (or, with ``exist_ok``, accept an identical existing one)."""
    from wkfn.storage.arrays import array_exists, create_array, open_array, read_layout

    path = resolve_path(root, op.path)
    # a run killed inside create_array may leave the directory without metadata
    if op.exist_ok and array_exists(path, op.layout.data_format):
        want = op.layout
        found = read_layout(path, want.data_format, want.dims or None)
        same = msgspec.structs.replace(
            found, shape=want.shape, extra_shape=want.extra_shape
        )
        if same != want:
            raise StorageError(f"{path} exists with another layout: {found}")
        if not want.dims:  # n-D arrays grow on write
            open_array(path, want.data_format).resize(want.shape)
        return
    create_array(path, op.layout)


def run_resize_array(root: str, op: ResizeArray) -> None:
    """Grow one array's shape (metadata only)."""
    from wkfn.storage.arrays import open_array

    open_array(resolve_path(root, op.path), op.data_format).resize(op.shape)


def run_write_regions(
    root: str,
    path: str,
    data_format: str,
    regions: Sequence[Region],
    select: NDSelect | None = None,
) -> int:
    """Write regions into one array (at one extra-axis point of an n-D array),
    each shard read-modify-written once."""
    from wkfn.storage.arrays import write_regions

    write_regions(resolve_path(root, path), data_format, regions, select)
    return len(regions)


def run_delete_path(root: str, op: DeletePath) -> None:
    """Remove a layer or mag directory (a symlink is unlinked, not followed)."""
    from wkfn.storage.files import delete_path

    target = resolve_path(root, op.path)
    if lexists(target):
        delete_path(target)


def run_move_path(root: str, op: MovePath) -> None:
    """Rename a directory inside the dataset."""
    from wkfn.storage.files import move_path

    source = resolve_path(root, op.source)
    if location.is_remote(source):
        from wkfn.storage import objects

        if not objects.exists(source):
            return  # moved already (a resumed run)
    if lexists(source):
        move_path(source, resolve_path(root, op.target))


def run_write_properties(root: str, op: WriteProperties) -> None:
    """Write the group/OME metadata, then the properties file atomically.

    The properties file is the commit point of a plan: once it is written,
    everything the plan does is on disk (a resumed apply relies on this).
    """
    from wkfn.storage.files import write_properties_bytes
    from wkfn.storage.ome import write_group_metadata

    if not location.is_remote(root):
        os.makedirs(root, exist_ok=True)
    write_group_metadata(root, op.properties)
    data = json.dumps(op.properties, indent=4).encode()
    write_properties_bytes(root, data)
