"""Copying a directory to, from or within an object store (the CopyTree op there).

A mag array (same layout on both sides, that is what a CopyTree op means) is
copied key by key through tensorstore's kvstores (file, s3, gcs): the stored
shard bytes are the copy, nothing is decoded. Array data on a store is only ever
read and written by tensorstore, never by fsspec. Anything else (attachments,
group files) is copied object by object through fsspec.

An object store has no rename, so the local "copy to a temporary sibling, then
rename" cannot be used; instead the target's properties entry is what makes the
copy visible (the plan writes the properties last), and a resumed run copies
again over a partial target (every shard write is a whole-object PUT).
"""

from __future__ import annotations

import os

from wkfn.errors import StorageError
from wkfn.storage import location, store_access

_ARRAY_FILES = (("zarr.json", "zarr3"), (".zarray", "zarr"), ("header.wkw", "wkw"))
COPY_THREADS = 4
"""Bounds the shard writes in flight (x4) while copying an array's keys."""


def _has_file(path: str, name: str) -> bool:
    if location.is_object_url(path):
        from wkfn.storage import objects

        return objects.is_file(location.join(path, name))
    if location.is_url(path):  # http: only arrays are reachable
        return name != "header.wkw"
    return os.path.isfile(os.path.join(path, name))


def array_format(path: str) -> str | None:
    """The data format of the array at ``path`` (None if it holds no array)."""
    for name, fmt in _ARRAY_FILES:
        if _has_file(path, name):
            return fmt
    return None


def _kvstore(path: str) -> dict[str, object]:
    if location.is_object_url(path):
        return store_access.kvstore_spec(path)
    from wkfn.storage import tsspec

    return tsspec.kvstore_spec(path)


def copy_array(source: str, target: str, data_format: str) -> None:
    """Copy one mag array as it is stored: every key (metadata and shard objects)
    read from the source kvstore and written to the target kvstore by tensorstore.

    The layout is unchanged, so the stored bytes are the copy (nothing decoded or
    re-encoded); ``COPY_THREADS`` keys are in flight at a time.
    """
    import tensorstore as ts

    from wkfn.storage.arrays import forget, shared_context
    from wkfn.storage.files import TEMP_SUFFIX

    if data_format == "wkw":
        raise StorageError(
            f"cannot copy the wkw array {location.redact(source)} to "
            f"{location.redact(target)}: wkw needs a local filesystem; convert it "
            "to zarr3 (data_format='zarr3')"
        )
    forget(target)
    try:
        src = ts.KvStore.open(_kvstore(source), context=shared_context()).result()
        dst = ts.KvStore.open(_kvstore(target), context=shared_context()).result()
        keys = [
            k.decode()
            for k in src.list().result()
            if not k.decode().endswith(TEMP_SUFFIX)
        ]
        # metadata last: a reader never finds zarr.json before the chunks it lists
        meta = {"zarr.json", ".zarray", ".zattrs"}
        ordered = sorted(keys, key=lambda k: (k in meta, k))
        pending: list[object] = []
        for key in ordered:
            if key in meta:
                for fut in pending:
                    fut.result()  # type: ignore[attr-defined]
                pending = []
            value = src.read(key).result().value
            pending.append(dst.write(key, value))
            if len(pending) >= COPY_THREADS * 4:
                pending.pop(0).result()  # type: ignore[attr-defined]
        for fut in pending:
            fut.result()  # type: ignore[attr-defined]
    except StorageError:
        raise
    except Exception as e:
        raise StorageError(
            location.redact(f"cannot copy the array {source} to {target}: {e}")
        ) from e
    forget(target)


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
