"""Task functions of the copy ops (top-level, picklable, called as ``fn(root, op)``).

* :func:`run_copy_region` decodes one block of the source array and encodes it into
  the target (blocks that are entirely zero are skipped: the target is always new).
* :func:`run_copy_tree` copies a directory as it is, into a hidden temporary sibling
  first, renamed into place when complete: the target never exists half-copied.
* :func:`run_link_path` creates a (relative or absolute) symbolic link.
* :func:`run_replace_path` swaps a finished temporary directory with the live one
  (``renameat2(RENAME_EXCHANGE)`` on Linux: atomic), then deletes the old data.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import shutil
import uuid
from typing import Any

import numpy as np

from wkfn.errors import StorageError
from wkfn.execute.paths import resolve_path
from wkfn.plan.ops import CopyRegion, CopyTree, LinkPath, ReplacePath
from wkfn.storage.location import is_url


def run_copy_region(root: str, op: CopyRegion) -> int:
    """Copy one block; returns the number of voxel bytes written (0 if all zero)."""
    from wkfn.storage.arrays import open_array

    source = open_array(
        resolve_path(root, op.source_path), op.source_format, op.source_select
    )
    data = source.read(op.offset, op.size)
    if data.dtype != np.dtype(op.dtype):
        raise StorageError(
            f"{op.source_path} stores {data.dtype}, the copy expects {op.dtype}"
        )
    if not op.keep_zeros and not data.any():
        return 0
    target = open_array(
        resolve_path(root, op.target_path), op.target_format, op.target_select
    )
    target.write(op.offset, data)
    return int(data.nbytes)


def _tmp_sibling(path: str, tag: str) -> str:
    parent, name = os.path.split(path.rstrip("/"))
    return os.path.join(parent, f".{name}.{tag}-{uuid.uuid4().hex[:12]}")


def run_copy_tree(root: str, op: CopyTree) -> None:
    """Copy ``op.source`` to ``op.target`` (which must not exist), files as they are.

    Symbolic links inside the source are followed (their data is copied), so the
    copy never depends on the source.
    """
    source = resolve_path(root, op.source)
    target = resolve_path(root, op.target)
    if is_url(source) or is_url(target):
        from wkfn.execute.object_copy import copy_tree_across

        copy_tree_across(source, target)
        return
    if os.path.lexists(target):
        raise StorageError(f"cannot copy {source} to {target}: target exists")
    if not os.path.exists(source):
        raise StorageError(f"cannot copy {source}: it does not exist")
    os.makedirs(os.path.dirname(target), exist_ok=True)
    tmp = _tmp_sibling(target, "copy")
    try:
        if os.path.isdir(source):
            shutil.copytree(source, tmp, symlinks=False)
        else:
            shutil.copy2(source, tmp)
        os.rename(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            if os.path.isdir(tmp):
                shutil.rmtree(tmp)
            elif os.path.lexists(tmp):
                os.unlink(tmp)
        raise


def run_link_path(root: str, op: LinkPath) -> None:
    """Create the link ``op.target`` → ``op.source`` (relative if ``op.relative``)."""
    source = os.path.abspath(resolve_path(root, op.source))
    target = os.path.abspath(resolve_path(root, op.target))
    parent = os.path.dirname(target)
    os.makedirs(parent, exist_ok=True)
    if op.relative:
        pointed = os.path.relpath(os.path.realpath(source), os.path.realpath(parent))
    else:
        pointed = os.path.realpath(source)
    if os.path.lexists(target):
        if os.path.islink(target) and os.readlink(target) == pointed:
            return  # done already (a resumed run)
        raise StorageError(f"cannot link {target}: it exists")
    os.symlink(pointed, target, target_is_directory=os.path.isdir(source))


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100
_libc: Any = None


def _exchange(a: str, b: str) -> bool:
    """Atomically swap two paths (Linux ``renameat2``); False if unsupported."""
    global _libc
    if not hasattr(os, "sched_getaffinity"):  # not Linux
        return False
    if _libc is None:
        name = ctypes.util.find_library("c")
        try:
            _libc = ctypes.CDLL(name, use_errno=True)
            _libc.renameat2  # noqa: B018  (raises AttributeError if missing)
        except (OSError, AttributeError):
            _libc = False
    if _libc is False:
        return False
    res = _libc.renameat2(
        _AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE
    )
    if res == 0:
        return True
    err = ctypes.get_errno()
    if err in (22, 38, 95):  # EINVAL, ENOSYS, EOPNOTSUPP: filesystem can't
        return False
    raise OSError(err, f"cannot exchange {a} and {b}: {os.strerror(err)}")


def run_replace_path(root: str, op: ReplacePath) -> None:
    """Put the finished ``op.source`` in place of ``op.target``, then drop the old.

    Readers see the old complete directory or the new complete one. Where the
    atomic exchange is unavailable, the old directory is renamed aside and the new
    one renamed in right after (two renames, no copying).
    """
    from wkfn.storage.arrays import forget
    from wkfn.storage.files import delete_path

    source = resolve_path(root, op.source)
    target = resolve_path(root, op.target)
    if is_url(source) or is_url(target):
        from wkfn.execute.object_copy import replace_on_store

        replace_on_store(source, target)
        return
    if not os.path.isdir(source):
        if os.path.isdir(target):
            return  # done already (a resumed run)
        raise StorageError(f"cannot replace {target}: {source} does not exist")
    forget(source)
    forget(target)
    if os.path.lexists(target) and _exchange(source, target):
        # ``source`` now holds the old data: move it out of the way first, so a
        # resumed run never swaps it back in
        old = _tmp_sibling(target, "old")
        os.rename(source, old)
    elif os.path.lexists(target):
        old = _tmp_sibling(target, "old")
        os.rename(target, old)
        try:
            os.rename(source, target)
        except BaseException:
            os.rename(old, target)
            raise
    else:
        os.rename(source, target)
        old = ""
    drop_cached_arrays(source, target)
    if old:
        delete_path(old)


def drop_cached_arrays(*paths: str) -> None:
    """Forget open handles of ``paths`` (after a directory swap).

    Reopening re-reads the metadata (``recheck_cached_metadata="open"``) and cached
    chunks are revalidated on read, so no stale codec or data survives the swap.
    """
    from wkfn.storage import arrays

    for p in paths:
        arrays.forget(p)


__all__ = ["run_copy_region", "run_copy_tree", "run_link_path", "run_replace_path"]
