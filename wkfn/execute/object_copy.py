"""Copying a directory to, from or within an object store (the CopyTree op there).

A mag array is copied through tensorstore, shard by shard (decoded and encoded
with the same layout, so codecs and chunking stay as they are): array data on a
store is only ever read and written by tensorstore's kvstores, never as fsspec byte
copies. Anything else (attachments, group files) is copied object by object.

An object store has no rename, so the local "copy to a temporary sibling, then
rename" cannot be used; instead the target's properties entry is what makes the
copy visible (the plan writes the properties last), and a resumed run copies
again over a partial target (every shard write is a whole-object PUT).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

from wkfn.errors import StorageError
from wkfn.storage import location

_ARRAY_FILES = (("zarr.json", "zarr3"), (".zarray", "zarr"), ("header.wkw", "wkw"))
COPY_THREADS = 4
"""Shards copied concurrently (each a GET and a PUT of one shard)."""


def _has_file(path: str, name: str) -> bool:
    if location.is_object_url(path):
        from wkfn.storage import objects

        return objects.is_file(location.join(path, name))
    if "://" in path:  # http: only arrays are reachable
        return name != "header.wkw"
    return os.path.isfile(os.path.join(path, name))


def array_format(path: str) -> str | None:
    """The data format of the array at ``path`` (None if it holds no array)."""
    for name, fmt in _ARRAY_FILES:
        if _has_file(path, name):
            return fmt
    return None


def copy_array(source: str, target: str, data_format: str) -> None:
    """Copy one mag array with its layout, shard by shard, through tensorstore."""
    from wkfn.storage.arrays import array_exists, create_array, open_array, read_layout

    if data_format == "wkw" and location.is_object_url(target):
        raise StorageError(
            f"cannot copy the wkw array {location.redact(source)} to "
            f"{location.redact(target)}: wkw needs a local filesystem; convert it "
            "to zarr3 (data_format='zarr3')"
        )
    layout = read_layout(source, data_format)
    if not array_exists(target, data_format):
        create_array(target, layout)
    src = open_array(source, data_format)
    dst = open_array(target, data_format)
    try:
        boxes = src.shard_boxes()  # type: ignore[union-attr]
    except StorageError:
        shard = layout.shard_shape
        boxes = [
            ((x, y, z), shard)
            for x in range(0, layout.shape[0], shard[0])
            for y in range(0, layout.shape[1], shard[1])
            for z in range(0, layout.shape[2], shard[2])
        ]

    shape = src.layout.shape

    def one(box: tuple[tuple[int, int, int], tuple[int, int, int]]) -> None:
        offset, full = box
        size = (
            min(full[0], shape[0] - offset[0]),
            min(full[1], shape[1] - offset[1]),
            min(full[2], shape[2] - offset[2]),
        )
        if min(size) <= 0:
            return
        data = src.read(offset, size)
        if data.any():
            dst.write(offset, data)

    with ThreadPoolExecutor(COPY_THREADS) as pool:
        list(pool.map(one, boxes))


def copy_tree_across(source: str, target: str) -> None:
    """Copy ``source`` to ``target`` where at least one of them is a URL."""
    from wkfn.storage import objects

    fmt = array_format(source)
    if fmt is not None:
        copy_array(source, target, fmt)
        return
    if location.is_object_url(target):
        objects.copy_tree(source, target)
        return
    if not location.is_object_url(source):
        raise StorageError(
            f"cannot copy {location.redact(source)}: only arrays can be read over HTTP"
        )
    # object store -> local directory
    if objects.is_file(source):
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as f:
            f.write(objects.read_bytes(source))
        return
    for rel in objects.iter_keys(source):
        out = os.path.join(target, *rel.split("/"))
        os.makedirs(os.path.dirname(out), exist_ok=True)
        with open(out, "wb") as f:
            f.write(objects.read_bytes(f"{source}/{rel}"))


def replace_on_store(source: str, target: str) -> None:
    """Put the finished prefix ``source`` in place of ``target`` on an object store.

    A store has no rename: the old objects below ``target`` are deleted, the new
    ones copied in server side (S3 CopyObject: the shard bytes never pass through
    this process and are not re-encoded), then ``source`` is deleted. This is not
    atomic for readers (while it runs, a reader may miss shards), but it is
    resumable: until ``source`` is gone a re-run repeats it, after that the
    journal's finished mark or the missing ``source`` makes it a no-op.
    """
    from wkfn.storage import arrays, objects

    if not location.is_object_url(source) or not location.is_object_url(target):
        raise StorageError(
            f"cannot replace {location.redact(target)} with {location.redact(source)}"
            ": both must be on the same object store"
        )
    keys = list(objects.iter_keys(source))
    if not keys:
        if objects.is_dir(target):
            return  # done already (a resumed run)
        raise StorageError(
            f"cannot replace {location.redact(target)}: "
            f"{location.redact(source)} does not exist"
        )
    arrays.forget(source)
    arrays.forget(target)
    objects.delete_tree(target)
    objects.server_side_copy(source, target, keys)
    objects.delete_tree(source)
    arrays.forget(target)


__all__ = ["array_format", "copy_array", "copy_tree_across", "replace_on_store"]
