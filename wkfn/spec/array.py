"""Storage layout of one mag array: the facts that live in zarr.json / header.wkw.

These are not part of ``datasource-properties.json``; they travel inside plan ops
(``CreateArray``) and are observed from disk by the storage shell (``MagView.info``).
"""

from __future__ import annotations

from typing import Literal

import msgspec

DataFormatName = Literal["zarr3", "zarr", "wkw"]
"""Formats wkfn can create. (``n5``/``neuroglancerPrecomputed`` are not writable.)"""

Vec3 = tuple[int, int, int]


class ArrayLayout(msgspec.Struct, frozen=True, kw_only=True):
    """How one mag array is laid out on disk.

    All shapes are in voxels *of this mag*, in x, y, z order; the channel axis is
    implicit (always one chunk spanning ``num_channels``).

    Attributes:
        data_format: ``"zarr3"`` (sharded), ``"zarr"`` (zarr v2, shard == chunk) or
            ``"wkw"`` (cubic chunk and shard).
        dtype: numpy name of the per-channel dtype, e.g. ``"uint8"``.
        num_channels: channels per voxel (>= 1).
        chunk_shape: inner chunk (zarr3), chunk (zarr v2) or block (wkw) shape.
        shard_shape: shard (zarr3), chunk (zarr v2) or file (wkw) shape; a multiple of
            ``chunk_shape`` on every axis.
        compress: zstd level 5 (zarr3, zarr v2) or LZ4HC (wkw) when true.
        shape: array extent in mag voxels (upper bound, exclusive; lower bound is 0).
        dims: n-D arrays only: the dimension names in array order (``"x"``, ``"y"``,
            ``"z"``, extra axes such as ``"t"``, and ``"c"`` if the array has a
            channel dimension); empty for the classic ``(c, x, y, z)`` array.
        extra_shape: n-D arrays only: the extent (exclusive upper bound) of each
            extra dimension, in the order they appear in ``dims``.
    """

    data_format: DataFormatName
    dtype: str
    num_channels: int
    chunk_shape: Vec3
    shard_shape: Vec3
    compress: bool
    shape: Vec3 = (0, 0, 0)
    dims: tuple[str, ...] = ()
    extra_shape: tuple[int, ...] = ()


NON_EXTRA = ("c", "x", "y", "z")


class NDSelect(msgspec.Struct, frozen=True, kw_only=True):
    """One point on the extra axes of an n-D array: storage then addresses the
    array as a classic ``(c, x, y, z)`` array at that point.

    Attributes:
        dims: the array's dimension names in array order (see ``ArrayLayout.dims``).
        at: the index of each extra dimension, in the order they appear in ``dims``.
    """

    dims: tuple[str, ...]
    at: tuple[int, ...]

    def extra_names(self) -> tuple[str, ...]:
        """The extra dimension names, in array order."""
        return tuple(d for d in self.dims if d not in NON_EXTRA)

    def describe(self) -> str:
        """``t=3, a=0`` (empty for no extra axes)."""
        return ", ".join(f"{n}={i}" for n, i in zip(self.extra_names(), self.at))
