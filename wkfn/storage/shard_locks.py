"""Cross-process write locks on the shards of one array (OS locks, die with the writer).

Independent processes (a dask worker, a second script, a SLURM job) that write
unaligned boxes into the same shard each read the shard, merge their box and write it
back; without a lock the later rename wins and the other box is lost. Measured with 4
spawn processes x 200 unaligned 15³ writes into shared 64³ shards: 132 of 800 regions
lost on zarr3, 62 on zarr v2, and corrupt (half-written) wkw files.

The lock is an **open-file-description byte-range lock** (Linux ``F_OFD_SETLKW``) on
one empty anchor file per array. Each shard maps to one byte of that file (byte 0 is
the array metadata), so writers of different shards never wait for each other. The
OS releases the locks of a process when it dies, ``kill -9`` included: nothing is
ever stale or stuck, and the anchor file carries no state (its existence means
nothing, it is never deleted or renamed).

The anchors live **outside the dataset**, in :func:`lock_dir` (``$WKFN_LOCK_DIR``,
else ``<tmp>/wkfn-locks``), named by a digest of the array's real path: a dataset
holds only its data, so uploads and other tools see no extra files (the reference's
upload declares every file and an empty one is never sent, so the server waits for
it forever). Writers on several hosts of a shared file system must point
``WKFN_LOCK_DIR`` at a folder on that file system.

Why not tensorstore's own locking: its ``os`` mode serialises writers correctly, but
tensorstore 0.1.86 reuses a ``<key>.__lock`` temp file left by a killed writer without
truncating it, so a shorter new shard inherits the old tail: the shard index at the
end of a zarr3 shard no longer matches (DATA_LOSS on read, shown by
``tests/storage/test_arrays.py::test_stale_lock_file_does_not_corrupt_a_later_write``
under ``WKFN_FILE_LOCKING=os``). wkfn therefore keeps tensorstore's lock-free mode,
whose temp files have unique names, and adds these locks around every write.

``WKFN_FILE_LOCKING`` selects the mode (see :func:`locking_mode`): ``shard`` (the
default), ``os`` (tensorstore's locks only) or ``none`` (no locks; for measurements).

On macOS/BSD (no OFD locks) the whole anchor file is locked with ``flock`` (one writer
per array at a time, still released on death); on Windows there is no cross-process
lock (in-process writers are still serialised by tensorstore and the wkw driver).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import struct
import sys
import tempfile
from collections.abc import Iterable, Iterator
from typing import Any

from wkfn.errors import InvalidArgumentError, StorageError
from wkfn.storage.location import is_url

Vec3 = tuple[int, int, int]

LOCK_DIR_ENV = "WKFN_LOCK_DIR"
"""Environment variable naming the folder of the anchor files (default: a folder in
the system's temporary directory)."""

LOCKING_MODES = ("shard", "os", "none")
"""Values of ``WKFN_FILE_LOCKING``."""

_AXIS_BITS = 20
_AXIS_MASK = (1 << _AXIS_BITS) - 1

try:  # pragma: no cover - platform dependent
    import fcntl

    _OFD_SETLKW: int | None = getattr(fcntl, "F_OFD_SETLKW", None)
    _HAVE_FCNTL = True
except ImportError:  # pragma: no cover - Windows
    _OFD_SETLKW = None
    _HAVE_FCNTL = False

_USE_OFD = (
    _OFD_SETLKW is not None and sys.platform.startswith("linux") and sys.maxsize > 2**32
)


def locking_mode() -> str:
    """The cross-process write locking in force: ``WKFN_FILE_LOCKING`` or ``"shard"``.

    >>> import os; os.environ.pop("WKFN_FILE_LOCKING", None) and None
    >>> locking_mode()
    'shard'
    """
    mode = os.environ.get("WKFN_FILE_LOCKING", "shard").strip() or "shard"
    if mode not in LOCKING_MODES:
        raise InvalidArgumentError(
            f"WKFN_FILE_LOCKING must be one of {', '.join(LOCKING_MODES)}, got {mode!r}"
        )
    return mode


def lock_byte(shard_index: Vec3) -> int:
    """The anchor byte of a shard: 1 + 20 bits per axis (byte 0 is the metadata).

    Indices beyond 2**20 per axis wrap: two shards then share a byte, which only
    makes their writers wait for each other.

    >>> lock_byte((0, 0, 0)), lock_byte((1, 0, 0)), lock_byte((0, 0, 1))
    (1, 2, 1099511627777)
    """
    x, y, z = (int(v) & _AXIS_MASK for v in shard_index)
    return 1 + x + (y << _AXIS_BITS) + (z << (2 * _AXIS_BITS))


def shards_of_boxes(boxes: Iterable[tuple[Vec3, Vec3]], shard_shape: Vec3) -> set[Vec3]:
    """Indices of the shards that the ``(offset, size)`` boxes touch (empty boxes none).

    >>> sorted(shards_of_boxes([((60, 0, 0), (8, 1, 1))], (64, 64, 64)))
    [(0, 0, 0), (1, 0, 0)]
    """
    out: set[Vec3] = set()
    for offset, size in boxes:
        if min(size) <= 0:
            continue
        lo = [offset[a] // shard_shape[a] for a in range(3)]
        hi = [(offset[a] + size[a] - 1) // shard_shape[a] for a in range(3)]
        for x in range(lo[0], hi[0] + 1):
            for y in range(lo[1], hi[1] + 1):
                for z in range(lo[2], hi[2] + 1):
                    out.add((x, y, z))
    return out


def _flock_struct(start: int, kind: int) -> bytes:
    # struct flock {short l_type; short l_whence; off_t l_start; off_t l_len;
    #               pid_t l_pid;} on 64-bit Linux (32 bytes with padding)
    return struct.pack("@hhqqi4x", kind, os.SEEK_SET, start, 1, 0)


def lock_dir() -> str:
    """Folder of the anchor files: ``$WKFN_LOCK_DIR``, else ``<tmp>/wkfn-locks``."""
    return os.environ.get(LOCK_DIR_ENV) or os.path.join(
        tempfile.gettempdir(), "wkfn-locks"
    )


def anchor_path(array_path: str) -> str:
    """The anchor file of one array: named by a digest of its real path, so every
    process that writes the array (whatever path it was given) locks the same file."""
    real = os.path.realpath(array_path)
    digest = hashlib.sha256(real.encode("utf-8", "surrogateescape")).hexdigest()
    return os.path.join(lock_dir(), digest[:40] + ".lock")


_anchors: dict[tuple[str, str], str] = {}
"""Anchor path per (array path, lock dir), so a write does not hash and resolve the
path again; the file itself is opened per hold (one lock owner per hold)."""


def _open_anchor(array_path: str) -> int:
    key = (array_path, lock_dir())
    anchor = _anchors.get(key)
    flags = os.O_RDWR | os.O_CREAT | os.O_CLOEXEC
    try:
        if anchor is not None:
            try:
                return os.open(anchor, flags, 0o666)
            except FileNotFoundError:  # the lock folder was removed: make it again
                pass
        anchor = anchor_path(array_path)
        os.makedirs(os.path.dirname(anchor), mode=0o777, exist_ok=True)
        fd = os.open(anchor, flags, 0o666)
    except OSError as e:
        raise StorageError(f"cannot open the write lock {anchor}: {e}") from e
    _anchors[key] = anchor
    return fd


@contextlib.contextmanager
def hold(
    array_path: str, shards: Iterable[Vec3], *, metadata: bool = False
) -> Iterator[None]:
    """Hold exclusive write locks on ``shards`` (and the metadata) of one array.

    Locks are taken in ascending byte order, so two writers can never deadlock; they
    are released when the block ends, or when the process dies. Nested holds of the
    same shard in one thread would wait for themselves: take all locks at once.
    Does nothing unless :func:`locking_mode` is ``"shard"``, and nothing for arrays
    on object storage (``s3://``, ``gs://``), which offers no locks.
    """
    if locking_mode() != "shard" or not _HAVE_FCNTL or is_url(array_path):
        # object stores have no locks to take: writers of one shard there must be
        # kept apart by the plan (the executor gives each task whole shards)
        yield
        return
    wanted = sorted({lock_byte(s) for s in shards} | ({0} if metadata else set()))
    if not wanted:
        yield
        return
    fd = _open_anchor(array_path)
    try:
        _acquire(fd, wanted, array_path)
        yield
    finally:
        os.close(fd)  # closing the last descriptor of the description unlocks


def _acquire(fd: int, wanted: list[int], array_path: str) -> None:
    lock: Any = fcntl  # the module, typed loosely (constants differ per platform)
    try:
        if _USE_OFD:
            assert _OFD_SETLKW is not None
            for start in wanted:
                lock.fcntl(fd, _OFD_SETLKW, _flock_struct(start, lock.F_WRLCK))
        else:  # pragma: no cover - macOS / BSD
            lock.flock(fd, lock.LOCK_EX)
    except OSError as e:
        raise StorageError(
            f"cannot lock shards of {array_path} for writing: {e}"
        ) from e


__all__ = [
    "LOCKING_MODES",
    "LOCK_DIR_ENV",
    "anchor_path",
    "hold",
    "lock_byte",
    "lock_dir",
    "locking_mode",
    "shards_of_boxes",
]
