"""Choice of chunk and shard shapes for a new mag array (pure).

Follows the reference's rules (chunk 32³; zarr v2 shard == chunk; wkw cubic; zarr3
1024³ shards, flat layers (4096, 4096, 32)), with one deliberate difference: when the
layer's extent is known, a zarr3 shard is never larger than the extent needs (rounded
up to a power of two and to whole chunks), so partial-shard rewrites of small mags stay
cheap.
"""

from __future__ import annotations

from wkfn.errors import (
    InvalidArgumentError,
    ShardArgumentsError,
)
from wkfn.geometry.grid import ceil_div3, is_pow2, next_pow2
from wkfn.spec.array import ArrayLayout, DataFormatName

Vec3 = tuple[int, int, int]

DEFAULT_CHUNK_SHAPE: Vec3 = (32, 32, 32)
DEFAULT_CHUNKS_PER_SHARD: Vec3 = (32, 32, 32)
FLAT_CHUNKS_PER_SHARD: Vec3 = (128, 128, 1)


def array_shape(
    bbox_topleft: Vec3, bbox_size: Vec3, mag: Vec3, shard_shape: Vec3
) -> Vec3:
    """Array extent (mag voxels) covering a Mag-1 bounding box, in whole shards."""
    if any(s <= 0 for s in bbox_size):
        return (0, 0, 0)
    bottom = tuple(t + s for t, s in zip(bbox_topleft, bbox_size))
    in_mag = ceil_div3((bottom[0], bottom[1], bottom[2]), mag)
    shards = ceil_div3(in_mag, shard_shape)
    return (
        shards[0] * shard_shape[0],
        shards[1] * shard_shape[1],
        shards[2] * shard_shape[2],
    )


def choose_layout(
    *,
    data_format: DataFormatName,
    dtype: str,
    num_channels: int,
    mag: Vec3,
    chunk_shape: Vec3 | None = None,
    shard_shape: Vec3 | None = None,
    chunks_per_shard: Vec3 | None = None,
    compress: bool = True,
    layer_extent: Vec3 | None = None,
    bbox_topleft: Vec3 = (0, 0, 0),
) -> ArrayLayout:
    """Pick the layout of a new mag array.

    Args:
        layer_extent: size of the layer bounding box in Mag-1 voxels, or None when the
            layer is still empty (then the reference's default shard is used).

    Raises:
        ConflictingArgumentsError: both ``shard_shape`` and ``chunks_per_shard``.
        InvalidArgumentError: non-power-of-two shapes, a shard that is not a multiple
            of the chunk, sharding on zarr v2, non-cubic wkw shapes.
    """
    if shard_shape is not None and chunks_per_shard is not None:
        raise ShardArgumentsError(
            "give either shard_shape or chunks_per_shard, not both "
            f"(got shard_shape={shard_shape}, chunks_per_shard={chunks_per_shard})"
        )
    chunk = chunk_shape or DEFAULT_CHUNK_SHAPE
    if chunks_per_shard is not None:
        shard_shape = (
            chunk[0] * chunks_per_shard[0],
            chunk[1] * chunks_per_shard[1],
            chunk[2] * chunks_per_shard[2],
        )
    for name, shape in (("chunk_shape", chunk), ("shard_shape", shard_shape)):
        if shape is not None and not all(is_pow2(s) for s in shape):
            raise InvalidArgumentError(
                f"{name} must be a power of two on every axis, got {shape}"
            )
    if shard_shape is not None and any(s % c for s, c in zip(shard_shape, chunk)):
        raise InvalidArgumentError(
            f"shard_shape {shard_shape} is not a multiple of chunk_shape {chunk}"
        )
    shard: Vec3
    if data_format == "zarr":
        if shard_shape is not None and shard_shape != chunk:
            raise InvalidArgumentError(
                f"zarr (version 2) has no sharding: shard_shape {shard_shape} must "
                f"equal chunk_shape {chunk} (omit it, or use data_format='zarr3')"
            )
        shard = chunk
    elif shard_shape is not None:
        shard = shard_shape
    elif (
        data_format == "zarr3"
        and layer_extent is not None
        and all(e > 0 for e in layer_extent)
    ):
        bottom = tuple(t + e for t, e in zip(bbox_topleft, layer_extent))
        in_mag = ceil_div3((bottom[0], bottom[1], bottom[2]), mag)
        flat = in_mag[2] <= chunk[2]
        default_cps = FLAT_CHUNKS_PER_SHARD if flat else DEFAULT_CHUNKS_PER_SHARD
        shard = (
            min(chunk[0] * default_cps[0], max(chunk[0], next_pow2(in_mag[0]))),
            min(chunk[1] * default_cps[1], max(chunk[1], next_pow2(in_mag[1]))),
            min(chunk[2] * default_cps[2], max(chunk[2], next_pow2(in_mag[2]))),
        )
    else:
        shard = (
            chunk[0] * DEFAULT_CHUNKS_PER_SHARD[0],
            chunk[1] * DEFAULT_CHUNKS_PER_SHARD[1],
            chunk[2] * DEFAULT_CHUNKS_PER_SHARD[2],
        )
    if data_format == "wkw" and (len(set(chunk)) != 1 or len(set(shard)) != 1):
        raise InvalidArgumentError(
            f"wkw needs cubic chunk and shard shapes, got chunk {chunk}, shard {shard}"
        )
    return ArrayLayout(
        data_format=data_format,
        dtype=dtype,
        num_channels=num_channels,
        chunk_shape=chunk,
        shard_shape=shard,
        compress=compress,
    )
