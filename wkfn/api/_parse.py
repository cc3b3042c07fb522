"""Parsing of the facade's loose arguments into canonical values.

The reference API accepts ints or vectors, deprecated spellings, enums or strings;
these functions turn them into the plain values the pure planners take, and raise a
typed error naming the offending value before anything is planned.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from wkfn.api.enums import parse_data_format
from wkfn.errors import (
    ConflictingArgumentsError,
    InvalidArgumentError,
    ShardArgumentsError,
)
from wkfn.geometry import Mag, Vec3Int, VoxelSize
from wkfn.geometry.voxel_size import LengthUnit, length_unit_from_str
from wkfn.spec.dtypes import dtype_per_channel_of, element_class_of, parse_dtype
from wkfn.transform.copy import CopyOptions

Vec3 = tuple[int, int, int]


def optional_vec3(value: object, name: str) -> Vec3 | None:
    """``None``, an int (uniform) or 3 ints as a tuple; names ``name`` on error."""
    if value is None:
        return None
    try:
        return Vec3Int.from_vec_or_int(value).to_tuple()  # type: ignore[arg-type]
    except Exception as exc:
        raise InvalidArgumentError(
            f"{name} must be an int or 3 ints, got {value!r}"
        ) from exc


def mag_tuple(value: object) -> Vec3:
    """A mag (int, ``"2-2-1"``, vector, ``Mag``) as a tuple."""
    return Mag(value).to_tuple()  # type: ignore[arg-type]


def optional_format(value: object) -> Any:
    """``None`` or a data format name (``"zarr3"``, ``"zarr"``, ``"wkw"``)."""
    return None if value is None else parse_data_format(value)


def as_path(value: str | os.PathLike[str]) -> Path:
    """A local path without trailing slashes (``/`` stays ``/``)."""
    text = os.fspath(value)
    if len(text) > 1:
        text = text.rstrip("/")
    return Path(text)


def deprecated(old: str, new: str, stacklevel: int = 3) -> None:
    """Warn that ``old`` is deprecated in favour of ``new`` (reference wording)."""
    warnings.warn(
        f"[DEPRECATION] `{old}` is deprecated, please use `{new}` instead",
        DeprecationWarning,
        stacklevel=stacklevel,
    )


def _unit_value(unit: object) -> str:
    if isinstance(unit, LengthUnit):
        return unit.value
    return length_unit_from_str(str(unit)).value


def parse_voxel_size(
    voxel_size: object, voxel_size_with_unit: VoxelSize | None, scale: object
) -> tuple[tuple[float, float, float], str] | None:
    """``(factor, unit)`` from the reference's voxel size arguments, or ``None``."""
    if scale is not None:
        warnings.warn(
            "scale is deprecated, use voxel_size", DeprecationWarning, stacklevel=3
        )
        if voxel_size is not None:
            raise ConflictingArgumentsError("give voxel_size or scale, not both")
        voxel_size = scale
    if voxel_size is not None and voxel_size_with_unit is not None:
        raise InvalidArgumentError(
            "give either voxel_size or voxel_size_with_unit, not both"
        )
    if voxel_size_with_unit is not None:
        factor = tuple(float(f) for f in voxel_size_with_unit.factor)
        unit = _unit_value(voxel_size_with_unit.unit)
    elif voxel_size is not None:
        try:
            factor = tuple(float(f) for f in voxel_size)  # type: ignore[attr-defined]
        except TypeError as exc:
            raise InvalidArgumentError(
                f"voxel_size must be three numbers, got {voxel_size!r}"
            ) from exc
        unit = LengthUnit.NANOMETER.value
    else:
        return None
    if len(factor) != 3 or not all(f > 0 and np.isfinite(f) for f in factor):
        raise InvalidArgumentError(
            f"voxel size must be three positive finite numbers, got {factor!r}"
        )
    return (factor[0], factor[1], factor[2]), unit


def legacy_shapes(
    chunk_shape: object,
    chunks_per_shard: object,
    chunk_size: object,
    block_len: int | None,
    file_len: int | None,
) -> tuple[object, object]:
    """Fold the deprecated ``chunk_size`` / ``block_len`` / ``file_len`` into
    ``(chunk_shape, chunks_per_shard)``, warning for each one given."""
    for old, new, value in (
        ("chunk_size", "chunk_shape", chunk_size),
        ("block_len", "chunk_shape", block_len),
        ("file_len", "chunks_per_shard", file_len),
    ):
        if value is not None:
            warnings.warn(
                f"{old} is deprecated, use {new}", DeprecationWarning, stacklevel=3
            )
    if chunk_size is not None or block_len is not None:
        if chunk_shape is not None:
            raise ConflictingArgumentsError("give chunk_shape or its deprecated alias")
        chunk_shape = chunk_size if chunk_size is not None else block_len
    if file_len is not None:
        if chunks_per_shard is not None:
            raise ConflictingArgumentsError(
                "give chunks_per_shard or its deprecated alias file_len"
            )
        chunks_per_shard = file_len
    return chunk_shape, chunks_per_shard


def resolve_dtype(
    dtype_per_layer: Any, dtype_per_channel: Any, dtype: Any, num_channels: int | None
) -> tuple[str, int]:
    """(per-channel dtype name, channel count) from the reference's dtype arguments."""
    given = [
        n
        for n, v in (
            ("dtype_per_layer", dtype_per_layer),
            ("dtype_per_channel", dtype_per_channel),
            ("dtype", dtype),
        )
        if v is not None
    ]
    if len(given) > 1:
        raise ConflictingArgumentsError(
            f"give only one of dtype_per_layer, dtype_per_channel, dtype; got {given}"
        )
    if num_channels is not None and (
        not isinstance(num_channels, int) or num_channels < 1
    ):
        raise InvalidArgumentError(f"num_channels must be >= 1, got {num_channels!r}")
    if dtype_per_layer is not None:
        text = dtype_per_layer if isinstance(dtype_per_layer, str) else None
        if text == "uint24":
            channels = num_channels or 3
            return dtype_per_channel_of("uint24", channels), channels
        per_layer = parse_dtype(dtype_per_layer)
        channels = num_channels or 1
        return (
            dtype_per_channel_of(element_class_of(per_layer, 1), channels),
            channels,
        )
    per_channel = parse_dtype(
        dtype_per_channel if dtype_per_channel is not None else (dtype or "uint8")
    )
    return per_channel, num_channels or 1


def copy_options(
    *,
    data_format: object = None,
    chunk_shape: object = None,
    shard_shape: object = None,
    chunks_per_shard: object = None,
    compress: object = None,
    chunk_size: object = None,
    block_len: int | None = None,
    file_len: int | None = None,
) -> CopyOptions:
    """The target layout options of a copy (``None``: as the source has it)."""
    chunk_shape, chunks_per_shard = legacy_shapes(
        chunk_shape, chunks_per_shard, chunk_size, block_len, file_len
    )
    if shard_shape is not None and chunks_per_shard is not None:
        raise ShardArgumentsError(
            "give either shard_shape or chunks_per_shard, not both"
        )
    if compress is not None and not isinstance(compress, bool):
        raise InvalidArgumentError(f"compress must be a bool, got {compress!r}")
    return CopyOptions(
        data_format=optional_format(data_format),
        chunk_shape=optional_vec3(chunk_shape, "chunk_shape"),
        shard_shape=optional_vec3(shard_shape, "shard_shape"),
        chunks_per_shard=optional_vec3(chunks_per_shard, "chunks_per_shard"),
        compress=compress,
    )
