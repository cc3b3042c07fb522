"""Shared helpers for the storage tests (imported by name: no package here)."""

from __future__ import annotations

import numpy as np

from wkfn.spec.array import ArrayLayout


def make_layout(
    data_format: str = "zarr3",
    dtype: str = "uint8",
    num_channels: int = 1,
    chunk: int = 32,
    shard: int = 64,
    compress: bool = True,
    shape: tuple[int, int, int] = (0, 0, 0),
) -> ArrayLayout:
    if data_format == "zarr":
        shard = chunk
    return ArrayLayout(
        data_format=data_format,  # type: ignore[arg-type]
        dtype=dtype,
        num_channels=num_channels,
        chunk_shape=(chunk, chunk, chunk),
        shard_shape=(shard, shard, shard),
        compress=compress,
        shape=shape,
    )


def random_block(
    rng: np.random.Generator, shape: tuple[int, ...], dtype: str
) -> np.ndarray:
    dt = np.dtype(dtype)
    if dt.kind == "f":
        return rng.standard_normal(shape).astype(dt)
    info = np.iinfo(dt)
    return rng.integers(1, min(int(info.max), 2**62), size=shape, dtype=dt)
