"""WKW arrays through the ``wkw`` package (local paths only).

A wkw mag directory holds ``header.wkw`` (16 bytes) and shard files
``z{Z}/y{Y}/x{X}.wkw``. Compressed (LZ4HC) files can only be written whole, so
unaligned writes into compressed arrays are read-modify-written here, one read and
one write per touched file.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from wkfn.errors import StorageError
from wkfn.geometry.grid import is_pow2
from wkfn.spec.array import ArrayLayout
from wkfn.storage import shard_locks

Vec3 = tuple[int, int, int]
Region = tuple[Vec3, np.ndarray[Any, Any]]

HEADER_NAME = "header.wkw"
BLOCK_TYPE_RAW = 1
BLOCK_TYPE_LZ4 = 2
BLOCK_TYPE_LZ4HC = 3
VOXEL_TYPES: tuple[str, ...] = (
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "float32",
    "float64",
    "int8",
    "int16",
    "int32",
    "int64",
)
"""Voxel type codes of the wkw header (code = index + 1)."""

_FILE_RE = re.compile(r"^x(\d+)\.wkw$")


def check_wkw_layout(layout: ArrayLayout) -> tuple[int, int]:
    """Validate a wkw layout; returns ``(block_len, file_len)`` (file_len in blocks)."""
    chunk, shard = layout.chunk_shape, layout.shard_shape
    if not chunk[0] == chunk[1] == chunk[2]:
        raise StorageError(f"wkw needs a cubic chunk shape, got {chunk}")
    if not shard[0] == shard[1] == shard[2]:
        raise StorageError(f"wkw needs a cubic shard shape, got {shard}")
    block_len = chunk[0]
    if shard[0] % block_len:
        raise StorageError(f"wkw shard {shard} is not a multiple of chunk {chunk}")
    file_len = shard[0] // block_len
    if not (is_pow2(block_len) and is_pow2(file_len)) or block_len > 32768:
        raise StorageError(
            f"wkw chunk and chunks per shard must be powers of two, got chunk "
            f"{block_len}, {file_len} chunks per shard"
        )
    if layout.dtype not in VOXEL_TYPES:
        raise StorageError(f"wkw cannot store dtype {layout.dtype!r}")
    if layout.num_channels < 1:
        raise StorageError(f"num_channels must be >= 1, got {layout.num_channels}")
    return block_len, file_len


def header_bytes(layout: ArrayLayout) -> bytes:
    """The 16 bytes of ``header.wkw`` for a layout (pure).

    >>> header_bytes(ArrayLayout(data_format="wkw", dtype="uint32", num_channels=1,
    ...     chunk_shape=(32, 32, 32), shard_shape=(64, 64, 64), compress=True)).hex()
    '574b5701150303040000000000000000'
    """
    block_len, file_len = check_wkw_layout(layout)
    itemsize = np.dtype(layout.dtype).itemsize
    lens = (block_len.bit_length() - 1) | ((file_len.bit_length() - 1) << 4)
    block_type = BLOCK_TYPE_LZ4HC if layout.compress else BLOCK_TYPE_RAW
    voxel_type = VOXEL_TYPES.index(layout.dtype) + 1
    return bytes(
        [
            0x57,
            0x4B,
            0x57,
            1,
            lens,
            block_type,
            voxel_type,
            layout.num_channels * itemsize,
        ]
    ) + bytes(8)


def parse_header(data: bytes, shape: Vec3 = (0, 0, 0)) -> ArrayLayout:
    """Decode ``header.wkw`` bytes into an :class:`ArrayLayout` (pure)."""
    if len(data) < 16 or data[:3] != b"WKW":
        raise StorageError("not a wkw header (missing 'WKW' magic)")
    version, lens, block_type, voxel_type, voxel_size = data[3:8]
    if version != 1:
        raise StorageError(f"unsupported wkw version {version}")
    if not 1 <= voxel_type <= len(VOXEL_TYPES):
        raise StorageError(f"unknown wkw voxel type {voxel_type}")
    if block_type not in (BLOCK_TYPE_RAW, BLOCK_TYPE_LZ4, BLOCK_TYPE_LZ4HC):
        raise StorageError(f"unknown wkw block type {block_type}")
    dtype = VOXEL_TYPES[voxel_type - 1]
    itemsize = np.dtype(dtype).itemsize
    if voxel_size % itemsize:
        raise StorageError(f"wkw voxel size {voxel_size} is not a multiple of {dtype}")
    block_len = 1 << (lens & 0x0F)
    shard_len = block_len << (lens >> 4)
    return ArrayLayout(
        data_format="wkw",
        dtype=dtype,
        num_channels=voxel_size // itemsize,
        chunk_shape=(block_len, block_len, block_len),
        shard_shape=(shard_len, shard_len, shard_len),
        compress=block_type != BLOCK_TYPE_RAW,
        shape=shape,
    )


def iter_shard_indices(path: str) -> Iterator[Vec3]:
    """Yield the (x, y, z) shard index of every ``z*/y*/x*.wkw`` file."""
    try:
        zdirs = list(os.scandir(path))
    except FileNotFoundError:
        return
    for zd in zdirs:
        if not (zd.name.startswith("z") and zd.name[1:].isdigit() and zd.is_dir()):
            continue
        for yd in os.scandir(zd.path):
            if not (yd.name.startswith("y") and yd.name[1:].isdigit() and yd.is_dir()):
                continue
            for f in os.scandir(yd.path):
                m = _FILE_RE.match(f.name)
                if m:
                    yield (int(m.group(1)), int(yd.name[1:]), int(zd.name[1:]))


def observed_shape(path: str, shard: Vec3) -> Vec3:
    """Extent covered by the shard files on disk (wkw stores no array shape)."""
    hi = [0, 0, 0]
    for idx in iter_shard_indices(path):
        for a in range(3):
            hi[a] = max(hi[a], (idx[a] + 1) * shard[a])
    return (hi[0], hi[1], hi[2])


def read_wkw_layout(path: str) -> ArrayLayout:
    """Observe the layout of the wkw array at ``path``."""
    try:
        with open(os.path.join(path, HEADER_NAME), "rb") as f:
            data = f.read(16)
    except FileNotFoundError as e:
        raise StorageError(f"no wkw array at {path} (missing {HEADER_NAME})") from e
    layout = parse_header(data)
    return parse_header(data, observed_shape(path, layout.shard_shape))


def create_wkw(path: str, layout: ArrayLayout) -> None:
    """Create the wkw array directory and ``header.wkw``."""
    import wkw

    block_len, file_len = check_wkw_layout(layout)
    if os.path.exists(os.path.join(path, HEADER_NAME)):
        raise StorageError(f"an array already exists at {path}")
    os.makedirs(path, exist_ok=True)
    header = wkw.Header(
        voxel_type=np.dtype(layout.dtype).type,
        num_channels=layout.num_channels,
        block_len=block_len,
        file_len=file_len,
        block_type=BLOCK_TYPE_LZ4HC if layout.compress else BLOCK_TYPE_RAW,
    )
    try:
        wkw.Dataset.create(path, header).close()
    except Exception as e:  # wkw raises WKWException / AssertionError
        raise StorageError(f"cannot create wkw array at {path}: {e}") from e
    _fsync_path(os.path.join(path, HEADER_NAME))
    _fsync_path(path)


def _fsync_path(path: str) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _shard_range(offset: Vec3, size: Vec3, shard: int) -> Iterator[Vec3]:
    lo = [o // shard for o in offset]
    hi = [(o + s - 1) // shard for o, s in zip(offset, size)]
    for z in range(lo[2], hi[2] + 1):
        for y in range(lo[1], hi[1] + 1):
            for x in range(lo[0], hi[0] + 1):
                yield (x, y, z)


class WkwArray:
    """A handle on one wkw array (see :mod:`wkfn.storage.arrays` for the contract)."""

    def __init__(self, path: str) -> None:
        import wkw

        self.path = path
        self._layout = read_wkw_layout(path)
        try:
            self._ds = wkw.Dataset.open(path)
        except Exception as e:
            raise StorageError(f"cannot open wkw array at {path}: {e}") from e
        self._lock = threading.Lock()  # guards the file-lock table and the layout
        self._file_locks: dict[Vec3, threading.Lock] = {}
        self._file_len = self._layout.shard_shape[0]

    @property
    def layout(self) -> ArrayLayout:
        """The array layout; ``shape`` is the extent of the shard files seen so far."""
        return self._layout

    def close(self) -> None:
        """Release the wkw handle."""
        self._ds.close()

    def read(self, offset: Vec3, size: Vec3) -> np.ndarray[Any, Any]:
        """Read ``(c, x, y, z)`` voxels; zeros where nothing is written."""
        check_box(offset, size)
        try:
            out: np.ndarray[Any, Any] = self._ds.read(offset, size)
        except Exception as e:
            raise StorageError(f"cannot read {self.path} at {offset}: {e}") from e
        return out

    def write(self, offset: Vec3, data: np.ndarray[Any, Any]) -> None:
        """Write ``(c, x, y, z)`` data at ``offset`` (any alignment)."""
        self.write_many([(offset, data)])

    def resize(self, shape: Vec3) -> None:
        """No-op: wkw has no stored shape."""

    def write_many(self, regions: Sequence[Region]) -> None:
        """Apply writes in order; compressed files are rewritten once each."""
        for offset, data in regions:
            check_data(self._layout, offset, data)
        regions = [(o, d) for o, d in regions if 0 not in d.shape]
        touched: set[Vec3] = set()
        s = self._file_len
        for offset, data in regions:
            touched.update(_shard_range(offset, data.shape[1:], s))
        # Only writes to the same file exclude each other: threads writing
        # different files of one array (a copy or downsample stage) run in
        # parallel; the wkw library writes each file independently.
        with contextlib.ExitStack() as held:
            for idx in sorted(touched):
                held.enter_context(self._file_lock(idx))
            # other processes: OS locks that die with their holder
            held.enter_context(shard_locks.hold(self.path, touched))
            if not self._layout.compress:
                for offset, data in regions:
                    self._raw_write(offset, data)
            else:
                pieces: dict[Vec3, list[Region]] = {}
                for offset, data in regions:
                    for idx in _shard_range(offset, data.shape[1:], s):
                        pieces.setdefault(idx, []).append((offset, data))
                for idx, items in pieces.items():
                    self._rewrite_file(idx, items)
            self._sync(touched)
        with self._lock:
            self._grow(touched)

    def _file_lock(self, idx: Vec3) -> threading.Lock:
        with self._lock:
            lock = self._file_locks.get(idx)
            if lock is None:
                lock = self._file_locks[idx] = threading.Lock()
            return lock

    def _raw_write(self, offset: Vec3, data: np.ndarray[Any, Any]) -> None:
        try:
            self._ds.write(offset, data)
        except Exception as e:
            raise StorageError(f"cannot write {self.path} at {offset}: {e}") from e

    def _rewrite_file(self, idx: Vec3, items: list[Region]) -> None:
        s = self._file_len
        lo = (idx[0] * s, idx[1] * s, idx[2] * s)
        if len(items) == 1:
            offset, data = items[0]
            sl = _local_slices(lo, s, offset, data.shape[1:])
            if all(sub.stop - sub.start == s for sub, _ in sl):
                self._raw_write(lo, data[(slice(None), *(src for _, src in sl))])
                return
        buf = self.read(lo, (s, s, s))
        for offset, data in items:
            sl = _local_slices(lo, s, offset, data.shape[1:])
            buf[(slice(None), *(dst for dst, _ in sl))] = data[
                (slice(None), *(src for _, src in sl))
            ]
        self._raw_write(lo, buf)

    def _sync(self, touched: set[Vec3]) -> None:
        dirs: set[str] = set()
        for x, y, z in touched:
            d = os.path.join(self.path, f"z{z}", f"y{y}")
            _fsync_path(os.path.join(d, f"x{x}.wkw"))
            dirs.add(d)
        for d in dirs:
            _fsync_path(d)

    def _grow(self, touched: set[Vec3]) -> None:
        s = self._file_len
        hi = list(self._layout.shape)
        for idx in touched:
            for a in range(3):
                hi[a] = max(hi[a], (idx[a] + 1) * s)
        if tuple(hi) != self._layout.shape:
            from msgspec import structs

            self._layout = structs.replace(self._layout, shape=(hi[0], hi[1], hi[2]))

    def shard_boxes(self) -> list[tuple[Vec3, Vec3]]:
        """One ``(offset, size)`` box per shard file on disk."""
        s = self._file_len
        return [
            ((x * s, y * s, z * s), (s, s, s))
            for x, y, z in iter_shard_indices(self.path)
        ]


def _local_slices(
    lo: Vec3, s: int, offset: Vec3, size: tuple[int, ...]
) -> list[tuple[slice, slice]]:
    """Per axis: (slice in the file buffer, slice in the data) of their overlap."""
    out = []
    for a in range(3):
        start = max(lo[a], offset[a])
        stop = min(lo[a] + s, offset[a] + size[a])
        out.append(
            (
                slice(start - lo[a], stop - lo[a]),
                slice(start - offset[a], stop - offset[a]),
            )
        )
    return out


def check_box(offset: Sequence[int], size: Sequence[int]) -> None:
    """Refuse a read box that is not 3 non-negative offsets and sizes."""
    if len(offset) != 3 or len(size) != 3:
        raise StorageError(f"offset and size must have 3 entries, got {offset}, {size}")
    if min(offset) < 0:
        raise StorageError(f"negative offset {tuple(offset)} is invalid")
    if min(size) < 0:
        raise StorageError(f"negative size {tuple(size)} is invalid")


def check_data(layout: ArrayLayout, offset: Vec3, data: np.ndarray[Any, Any]) -> None:
    """Refuse write data that is not ``(c, x, y, z)`` of the array's dtype."""
    if not isinstance(data, np.ndarray) or data.ndim != 4:
        raise StorageError(
            f"data must be a 4-d (c, x, y, z) numpy array, got "
            f"{getattr(data, 'shape', type(data))}"
        )
    check_box(offset, data.shape[1:])
    if data.dtype != np.dtype(layout.dtype):
        raise StorageError(
            f"data has dtype {data.dtype}, the array stores {layout.dtype}; "
            "cast explicitly before writing"
        )
    if data.shape[0] != layout.num_channels:
        raise StorageError(
            f"data has {data.shape[0]} channels, the array has {layout.num_channels}"
        )
