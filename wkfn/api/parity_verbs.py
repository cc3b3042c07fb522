"""``Dataset.write_layer`` and ``MagView.merge_with_view``: the reference's
whole-array conveniences, each run as one plan through the dataset's Session.

``write_layer`` records ``add_layer`` + ``add_mag`` + ``write`` (+ ``downsample``)
in one transaction, so the layer, its data and its pyramid are a single
journaled plan (resumable after a crash, nothing half-listed in the properties).
Every argument is checked before that plan starts; the reference creates the
layer first and leaves it behind when the data turns out not to fit.

``merge_with_view`` plans with :func:`wkfn.transform.merge.plan_merge`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from concurrent.futures import Executor
from typing import TYPE_CHECKING, Any

import numpy as np

from wkfn.api._parse import resolve_dtype
from wkfn.api.enums import parse_data_format
from wkfn.errors import (
    InvalidArgumentError,
    LayerExistsError,
    ShardArgumentsError,
    UnsupportedLayerError,
)
from wkfn.geometry import BoundingBox, Mag, Vec3Int
from wkfn.storage.location import is_url
from wkfn.transform import merge as merge_transform

if TYPE_CHECKING:
    from wkfn.api.dataset import Dataset
    from wkfn.api.layer import Layer
    from wkfn.api.view import MagView

_XYZ = ("x", "y", "z")
_CXYZ = ("c", "x", "y", "z")


def _layer_box_and_channels(
    shape: tuple[int, ...], axes: Iterable[str] | None, offset: object, mag: Mag
) -> tuple[BoundingBox, int]:
    """Mag-1 box and channel count of data of ``shape`` written at ``mag``."""
    names = tuple(axes) if axes is not None else None
    if names is None:
        if len(shape) > 4:
            raise InvalidArgumentError(
                f"data of shape {shape} has more than 4 dimensions: pass axes"
            )
        if len(shape) < 3:
            raise InvalidArgumentError(
                f"write_layer needs (x, y, z) or (c, x, y, z) data, got shape {shape}"
            )
        names = _XYZ if len(shape) == 3 else _CXYZ
    if names not in (_XYZ, _CXYZ):
        raise UnsupportedLayerError(
            f"write_layer supports the axes {_XYZ} and {_CXYZ}, got {names}"
        )
    if len(names) != len(shape):
        raise InvalidArgumentError(f"axes {names} do not match data of shape {shape}")
    channels = shape[0] if names == _CXYZ else 1
    size = Vec3Int(shape[-3:])
    topleft = Vec3Int(0, 0, 0) if offset is None else Vec3Int(offset)
    if any(t < 0 for t in topleft):
        raise InvalidArgumentError(f"absolute_offset must be >= 0, got {topleft}")
    return BoundingBox(topleft, size * mag.to_vec3_int()), channels


def write_layer(
    ds: Dataset,
    layer_name: str,
    category: str,
    data: np.ndarray,
    *,
    data_format: Any = "zarr3",
    downsample: bool = True,
    chunk_shape: object = None,
    shard_shape: object = None,
    chunks_per_shard: object = None,
    axes: Iterable[str] | None = None,
    absolute_offset: object = None,
    mag: object = 1,
) -> Layer:
    """Write a whole array to a new layer (at ``mag``) and downsample it.

    ``data`` is ``(x, y, z)`` or ``(c, x, y, z)``; ``absolute_offset`` is in
    mag 1. The layer's bounding box is the data's extent times ``mag``.

    Raises:
        LayerExistsError: the name is taken (IndexError).
        InvalidCategoryError: unknown category (RuntimeError).
        InvalidDtypeError / InvalidArgumentError: a dtype, format, mag, offset or
            data shape that cannot work (TypeError / ValueError).
        ConflictingArgumentsError: ``shard_shape`` and ``chunks_per_shard``
            (AttributeError... and ValueError, as the reference).
        UnsupportedLayerError: n-D axes (NotImplementedError).
    """
    ds.session.check_writable()
    array = np.asarray(data)
    parsed_mag = Mag(mag)  # type: ignore[arg-type]
    fmt = parse_data_format(data_format)
    box, channels = _layer_box_and_channels(
        array.shape, axes, absolute_offset, parsed_mag
    )
    resolve_dtype(None, None, array.dtype, channels)
    if shard_shape is not None and chunks_per_shard is not None:
        raise ShardArgumentsError(
            "pass shard_shape or chunks_per_shard, not both "
            f"(got {shard_shape!r} and {chunks_per_shard!r})"
        )
    if layer_name in ds.layers:
        raise LayerExistsError(f"a layer named {layer_name!r} already exists")
    # inside a dry_run / transaction the steps join the caller's recording
    block = contextlib.nullcontext() if ds.session.is_recording else ds.transaction()
    with block:
        layer = ds.add_layer(
            layer_name,
            category,
            dtype=array.dtype,
            num_channels=channels,
            data_format=fmt,
            bounding_box=box,
        )
        view = layer.add_mag(
            parsed_mag,
            chunk_shape=chunk_shape,
            chunks_per_shard=chunks_per_shard,
            shard_shape=shard_shape,
            compress=True,
        )
        view.write(array, absolute_bounding_box=box, allow_unaligned=True)
        if downsample:
            layer.downsample()
    return ds.get_layer(layer_name)


def merge_with_view(
    mag_view: MagView, other: MagView, executor: Executor | None = None
) -> None:
    """Overlay the chunks ``other`` stores on disk onto this mag.

    ``other`` (a volume annotation) must store one chunk per shard, the same
    dtype and the same mag. Every chunk it has on disk replaces this mag's
    voxels there, zeros included; the layer's bounding box grows to cover each
    shard of this mag that receives a chunk.

    Raises:
        ReadOnlyError: this mag is read-only (RuntimeError).
        MergePreconditionError: chunks per shard, dtype or mag differ
            (ValueError and AssertionError, as the reference's asserts).
    """
    mag_view._check_writable()
    session = mag_view.session
    layer_name = mag_view.layer.name
    target = mag_view._layout()
    source = other._layout()
    merge_transform.check_mergeable(
        target, source, mag_view.mag.to_tuple(), other.mag.to_tuple()
    )
    source_path = other.session.mag_path(other.layer.name, other.mag)
    if not is_url(source_path):
        source_path = os.path.abspath(source_path)
    from wkfn.storage.arrays import shard_boxes_on_disk

    chunks = shard_boxes_on_disk(source_path, source.data_format)
    change = merge_transform.plan_merge(
        session.spec,
        layer_name,
        mag_view.mag.to_tuple(),
        target=target,
        source_path=source_path,
        source=source,
        source_chunks=chunks,
        shard_shapes=session.shard_shapes(layer_name),
    )
    session.apply(change, executor=executor, pool="bulk")


__all__ = ["merge_with_view", "write_layer"]
