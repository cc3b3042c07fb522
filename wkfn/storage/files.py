"""Atomic file writes, the properties file, deleting and moving paths.

Example:
    >>> import tempfile
    >>> root = tempfile.mkdtemp()
    >>> write_properties_bytes(root, b'{"version": 1}')
    >>> read_properties_bytes(root)
    b'{"version": 1}'
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile

from wkfn.errors import DatasetNotFoundError, StorageError
from wkfn.storage.location import is_object_url

PROPERTIES_FILE_NAME = "datasource-properties.json"


def _fsync_dir(path: str) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` so that readers see the old file or the new one, never a mix.

    A temporary file in the same directory is written and fsynced, then
    ``os.replace``d over ``path``, then the directory is fsynced.
    """
    if is_object_url(path):
        # one PUT: object stores replace an object atomically
        from wkfn.storage import objects

        objects.write_bytes(str(path), data)
        return
    p = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(p))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{os.path.basename(p)}.", suffix=".tmp", dir=directory
    )
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, p)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(directory)


def read_properties_bytes(dataset_root: str | os.PathLike[str]) -> bytes:
    """The raw bytes of ``<dataset_root>/datasource-properties.json``."""
    if is_object_url(dataset_root):
        return _read_remote_properties(str(dataset_root))
    p = os.path.join(os.fspath(dataset_root), PROPERTIES_FILE_NAME)
    try:
        with open(p, "rb") as f:
            return f.read()
    except (FileNotFoundError, NotADirectoryError) as e:
        raise DatasetNotFoundError(f"no dataset found: {p} does not exist") from e


def _read_remote_properties(root: str) -> bytes:
    from wkfn.storage import location, objects

    url = location.join(root, PROPERTIES_FILE_NAME)
    try:
        return objects.read_bytes(url)
    except FileNotFoundError as e:
        objects.check_bucket(root)  # a missing bucket says so
        objects.require_prefix(root)  # so does a URL naming an object
        raise DatasetNotFoundError(
            f"no dataset found: {location.redact(url)} does not exist"
        ) from e


def properties_exist(dataset_root: str | os.PathLike[str]) -> bool:
    """True if ``<dataset_root>/datasource-properties.json`` exists (any store)."""
    if is_object_url(dataset_root):
        from wkfn.storage import location, objects

        return objects.is_file(location.join(str(dataset_root), PROPERTIES_FILE_NAME))
    return os.path.exists(os.path.join(os.fspath(dataset_root), PROPERTIES_FILE_NAME))


def write_properties_bytes(dataset_root: str | os.PathLike[str], data: bytes) -> None:
    """Atomically replace ``<dataset_root>/datasource-properties.json``.

    Locally: temp file, fsync, rename. On an object store: one PUT, which S3 and
    GCS apply atomically (readers get the old or the new object, never a part).
    """
    if is_object_url(dataset_root):
        from wkfn.storage import location

        write_bytes_atomic(location.join(str(dataset_root), PROPERTIES_FILE_NAME), data)
        return
    write_bytes_atomic(
        os.path.join(os.fspath(dataset_root), PROPERTIES_FILE_NAME), data
    )


def _forget(path: str) -> None:
    arrays = sys.modules.get("wkfn.storage.arrays")
    if arrays is not None:
        arrays.forget(path)


def delete_path(path: str | os.PathLike[str]) -> None:
    """Delete a file or directory tree; a symlink is unlinked, never followed.

    A missing path is not an error. On an object store every object below the
    prefix is deleted.
    """
    if is_object_url(path):
        from wkfn.storage import objects

        _forget(str(path))
        objects.delete_tree(str(path))
        return
    p = os.fspath(path)
    _forget(p)
    try:
        if os.path.islink(p) or not os.path.isdir(p):
            os.unlink(p)
        else:
            shutil.rmtree(p)
    except FileNotFoundError:
        return
    except OSError as e:
        raise StorageError(f"cannot delete {p}: {e}") from e


def move_path(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
    """Move ``src`` to ``dst`` (which must not exist); creates parent directories.

    On an object store (no rename) the objects are copied, then the source deleted.
    """
    if is_object_url(src) or is_object_url(dst):
        _move_objects(str(src), str(dst))
        return
    s, d = os.fspath(src), os.fspath(dst)
    if os.path.lexists(d):
        raise StorageError(f"cannot move {s} to {d}: destination exists")
    if not os.path.lexists(s):
        raise StorageError(f"cannot move {s}: it does not exist")
    _forget(s)
    try:
        os.makedirs(os.path.dirname(os.path.abspath(d)), exist_ok=True)
        shutil.move(s, d)
    except OSError as e:
        raise StorageError(f"cannot move {s} to {d}: {e}") from e
    _fsync_dir(os.path.dirname(os.path.abspath(d)))


def _move_objects(src: str, dst: str) -> None:
    from wkfn.storage import location, objects

    if objects.exists(dst):
        raise StorageError(
            f"cannot move {location.redact(src)} to {location.redact(dst)}: "
            "destination exists"
        )
    if not objects.exists(src):
        raise StorageError(f"cannot move {location.redact(src)}: it does not exist")
    _forget(src)
    objects.copy_tree(src, dst)
    objects.delete_tree(src)


TEMP_SUFFIX = ".__lock"
"""Suffix of tensorstore's temporary files (written, then renamed over the key)."""


def remove_stale_temp_files(path: str | os.PathLike[str]) -> int:
    """Delete leftover tensorstore temp files below an array directory.

    A process killed between writing a shard's temporary file and renaming it leaves
    ``<key>_<random>.__lock`` behind; the data itself is intact (the old shard or the
    new one). Only call this when no other process writes to the array.
    Returns the number of files removed.
    """
    removed = 0
    if is_object_url(path):
        return 0  # tensorstore writes objects with single PUTs: no temp files
    root = os.fspath(path)
    if not os.path.isdir(root):
        return 0
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            if name.endswith(TEMP_SUFFIX):
                os.unlink(os.path.join(dirpath, name))
                removed += 1
    return removed


def remove_stale_atomic_temp_files(directory: str | os.PathLike[str]) -> int:
    """Delete temp files :func:`write_bytes_atomic` left in ``directory`` (not below).

    They exist only if a process died between creating and renaming them; the file
    they were meant to replace is intact. Returns the number removed.
    """
    if is_object_url(directory):
        return 0  # properties are single PUTs: no temp files
    root = os.fspath(directory)
    if not os.path.isdir(root):
        return 0
    removed = 0
    for entry in os.scandir(root):
        name = entry.name
        if name.startswith(".") and name.endswith(".tmp") and entry.is_file():
            os.unlink(entry.path)
            removed += 1
    return removed
