"""Task function of :class:`~wkfn.plan.ops.ImportImages`: read slices, write a slab.

Each task owns a z-slab spanning the whole layer in x/y (aligned to shards in z), so
tasks never touch the same shard and run in parallel on any executor. Memory is one
sub-slab of at most :data:`MAX_SLAB_BYTES` (plus one decoded frame).

The task returns :class:`ImportStats` (value range, maximum, a sample of distinct
values for the colour/segmentation guess), which the facade combines.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import msgspec
import numpy as np

from wkfn.execute.paths import resolve_path
from wkfn.plan.ops import ImportImages

#: Upper bound of the slab buffer one task holds (it writes in steps of whole chunks).
MAX_SLAB_BYTES = 128 * 1024 * 1024
SAMPLE_EDGE = 16


class ImportStats(msgspec.Struct, frozen=True, kw_only=True):
    """What one import task observed in the data it wrote."""

    min: float | None = None
    max: float | None = None
    max_int: int = 0
    distinct: int = 0
    inspected: int = 0
    shape: tuple[int, int] = (0, 0)


def combine_stats(stats: Sequence[ImportStats]) -> ImportStats:
    """The stats of several tasks as one."""
    lows = [s.min for s in stats if s.min is not None]
    highs = [s.max for s in stats if s.max is not None]
    return ImportStats(
        min=min(lows) if lows else None,
        max=max(highs) if highs else None,
        max_int=max((s.max_int for s in stats), default=0),
        distinct=sum(s.distinct for s in stats),
        inspected=sum(s.inspected for s in stats),
        shape=(
            max((s.shape[0] for s in stats), default=0),
            max((s.shape[1] for s in stats), default=0),
        ),
    )


def _value_range(data: np.ndarray) -> tuple[float, float] | None:
    if data.size == 0:
        return None
    if np.issubdtype(data.dtype, np.floating):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            low, high = float(np.nanmin(data)), float(np.nanmax(data))
        if not (math.isfinite(low) and math.isfinite(high)):
            finite = data[np.isfinite(data)]
            if finite.size == 0:
                return None
            low, high = float(finite.min()), float(finite.max())
        return low, high
    return float(data.min()), float(data.max())


def _sample_distinct(slab: np.ndarray, samples: int, seed: int) -> tuple[int, int]:
    """Distinct non-zero, non-max values in random 16³ blocks of the slab."""
    _, sx, sy, sz = slab.shape
    ex, ey, ez = min(SAMPLE_EDGE, sx), min(SAMPLE_EDGE, sy), min(SAMPLE_EDGE, sz)
    rng = np.random.default_rng(seed)
    distinct = inspected = 0
    try:
        top = np.iinfo(slab.dtype).max
    except ValueError:
        top = None
    valid = attempts = 0
    while valid < samples and attempts < samples * 10:
        attempts += 1
        x = int(rng.integers(0, sx - ex + 1))
        y = int(rng.integers(0, sy - ey + 1))
        z = int(rng.integers(0, sz - ez + 1))
        block = slab[:, x : x + ex, y : y + ey, z : z + ez]
        block = block[block != 0]
        if top is not None:
            block = block[block != top]
        if block.size == 0:
            continue
        valid += 1
        distinct += len(np.unique(block))
        inspected += block.size
    return distinct, inspected


def _to_xy(frame: np.ndarray, op: ImportImages) -> np.ndarray:
    """(c, rows, cols) → (c, x, y) with the op's flips, swap and dtype."""
    if op.flip_x:
        frame = frame[:, ::-1, :]
    if op.flip_y:
        frame = frame[:, :, ::-1]
    if frame.dtype != np.dtype(op.dtype):
        frame = frame.astype(op.dtype)
    if not op.swap_xy:
        frame = frame.transpose(0, 2, 1)
    return frame


def _step_z(op: ImportImages, chunk_z: int) -> int:
    nc = max(1, len(op.channels))
    per_slice = nc * op.size[0] * op.size[1] * np.dtype(op.dtype).itemsize
    depth = op.size[2]
    if per_slice * depth <= MAX_SLAB_BYTES:
        return depth
    step = max(1, MAX_SLAB_BYTES // max(1, per_slice))
    if step >= chunk_z:
        step -= step % chunk_z
    return max(1, step)


class _FramesReader:
    """Frames of an in-memory sequence (``pims.FramesSequence``) as (c, rows, cols)."""

    def __init__(self, frames: Any) -> None:
        self.frames = frames

    def frame(self, z: int, t: int, channels: Sequence[int]) -> np.ndarray:
        data = np.asarray(self.frames[z])
        if data.dtype.byteorder == ">":
            data = data.astype(data.dtype.newbyteorder("="))
        cyx = data[np.newaxis] if data.ndim == 2 else np.moveaxis(data, -1, 0)
        return cyx[list(channels)] if channels else cyx[:1]

    def close(self) -> None:
        pass


def run_import_images(root: str, op: ImportImages, frames: Any = None) -> ImportStats:
    """Read the op's slices and write them at ``op.offset`` (mag voxels).

    ``frames`` supplies the pixels of an in-memory source (``reader == "frames"``),
    which cannot be replayed from a saved plan.
    """
    from wkfn.images.readers import open_reader
    from wkfn.storage.arrays import open_array

    array = open_array(resolve_path(root, op.path), op.data_format)
    nc = max(1, len(op.channels))
    step = _step_z(op, array.layout.chunk_shape[2])
    readers: dict[int, Any] = {}
    if op.reader == "frames":
        if frames is None:
            raise ValueError(
                f"{op.key()}: the images were an in-memory frame sequence, which a "
                "saved or recorded plan cannot replay"
            )
        readers = {0: _FramesReader(frames)}
    stats: list[ImportStats] = []
    sx, sy = op.size[0], op.size[1]
    try:
        for s0 in range(0, len(op.slices), step):
            part = op.slices[s0 : s0 + step]
            # F-order: every (c, x, y) slice is one contiguous block, and a
            # transposed (c, rows, cols) frame copies into it linearly.
            slab: np.ndarray[Any, Any] = np.zeros(
                (nc, sx, sy, len(part)), dtype=op.dtype, order="F"
            )
            shape = (0, 0)
            for k, (fi, z) in enumerate(part):
                reader = readers.get(fi)
                if reader is None and op.reader != "frames":
                    for old in readers.values():
                        old.close()
                    readers = {fi: open_reader(op.files[fi], op.reader)}
                    reader = readers[fi]
                assert reader is not None
                frame = _to_xy(reader.frame(z, op.timepoint, op.channels), op)
                fx, fy = frame.shape[1], frame.shape[2]
                if fx > sx or fy > sy:
                    raise ValueError(
                        f"{op.files[fi]}: frame {z} is {fx}x{fy}, larger than "
                        f"the layer ({sx}x{sy})"
                    )
                shape = (max(shape[0], fx), max(shape[1], fy))
                slab[:, :fx, :fy, k] = frame
            rng = _value_range(slab)
            distinct, inspected = _sample_distinct(
                slab, op.samples, seed=hash((op.offset, s0)) & 0xFFFFFFFF
            )
            stats.append(
                ImportStats(
                    min=None if rng is None else rng[0],
                    max=None if rng is None else rng[1],
                    max_int=int(rng[1])
                    if rng is not None and np.issubdtype(slab.dtype, np.integer)
                    else 0,
                    distinct=distinct,
                    inspected=inspected,
                    shape=shape,
                )
            )
            x0, y0, z0 = op.offset
            array.write((x0, y0, z0 + s0), slab)
            del slab
    finally:
        for reader in readers.values():
            reader.close()
    return combine_stats(stats)


__all__ = ["ImportStats", "combine_stats", "run_import_images"]
