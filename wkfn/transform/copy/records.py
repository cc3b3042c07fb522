"""What copy planners take and decide first: observed sources, options, target layouts.

:class:`SourceMag` / :class:`SourceLayer` are the facts the caller observed on disk
(paths, layouts, shards present); :class:`CopyOptions` the caller's wishes;
:func:`target_layout` merges both into the layout of a new array, and
:func:`same_storage` decides whether its files can simply be copied.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from wkfn.errors import InvalidArgumentError
from wkfn.geometry.grid import is_pow2, next_pow2
from wkfn.spec.array import ArrayLayout, DataFormatName
from wkfn.spec.layer import LayerSpec
from wkfn.transform.layer import spatial_box
from wkfn.transform.layout import array_shape, choose_layout

Vec3 = tuple[int, int, int]


Box = tuple[Vec3, Vec3]


AXIS_ORDER = {"c": 0, "x": 1, "y": 2, "z": 3}


WRITABLE: tuple[str, ...] = ("zarr3", "zarr", "wkw")


#: Upper bound of the voxel bytes one CopyRegion holds (unless a single compressed
#: wkw file is larger: those can only be written whole).
MAX_BLOCK_BYTES = 64 * 1024 * 1024


#: Blocks are grown (in whole shards) up to about this size to keep op counts low.
GROW_BLOCK_BYTES = 16 * 1024 * 1024


_CODEC = {
    ("zarr3", True): "zstd",
    ("zarr3", False): "raw",
    ("zarr", True): "zstd",
    ("zarr", False): "raw",
    ("wkw", True): "lz4hc",
    ("wkw", False): "raw",
}


class SourceMag(msgspec.Struct, frozen=True, kw_only=True):
    """One source mag array as observed on disk.

    Attributes:
        mag: the magnification.
        path: the array directory (absolute for other datasets, ``./layer/mag``
            inside the dataset being changed).
        layout: the layout read from the array's metadata.
        present: ``(offset, size)`` boxes (mag voxels) of the shards that exist on
            disk, or ``None`` when unknown (then the whole layer box is copied).
    """

    mag: Vec3
    path: str
    layout: ArrayLayout
    present: tuple[Box, ...] | None = None


class SourceLayer(msgspec.Struct, frozen=True, kw_only=True):
    """A layer to copy or reference, with its mags as observed on disk.

    Attributes:
        spec: the layer's properties record.
        root: the (absolute) directory of the dataset it belongs to.
        path: the (absolute) layer directory.
        mags: its mags, in properties order.
    """

    spec: LayerSpec
    root: str
    path: str
    mags: tuple[SourceMag, ...]


class CopyOptions(msgspec.Struct, frozen=True, kw_only=True):
    """Storage choices of a copy; ``None`` keeps the source's (or the default)."""

    data_format: DataFormatName | None = None
    chunk_shape: Vec3 | None = None
    shard_shape: Vec3 | None = None
    chunks_per_shard: Vec3 | None = None
    compress: bool | None = None


DEFAULT_OPTIONS = CopyOptions()


def _fmt3(v: Sequence[int]) -> str:
    if v[0] == v[1] == v[2]:
        return f"{v[0]}³"
    return "x".join(str(i) for i in v)


def describe_layout(layout: ArrayLayout) -> str:
    """``zarr3 chunk 32³ shard 256³ zstd`` — a layout in one phrase."""
    shard = (
        "" if layout.data_format == "zarr" else f" shard {_fmt3(layout.shard_shape)}"
    )
    codec = _CODEC[(layout.data_format, layout.compress)]
    return f"{layout.data_format} chunk {_fmt3(layout.chunk_shape)}{shard} {codec}"


def same_storage(a: ArrayLayout, b: ArrayLayout) -> bool:
    """True if files of ``a`` can be copied as they are to get ``b``."""
    return (
        a.data_format == b.data_format
        and a.dtype == b.dtype
        and a.num_channels == b.num_channels
        and a.chunk_shape == b.chunk_shape
        and a.shard_shape == b.shard_shape
        and a.compress == b.compress
    )


def mag_box(layer: LayerSpec, mag: Vec3) -> Box:
    """The layer box in voxels of ``mag`` (aligned outward), as (offset, size)."""
    topleft, size = spatial_box(layer)
    if any(s <= 0 for s in size):
        return (0, 0, 0), (0, 0, 0)
    lo = tuple(t // m for t, m in zip(topleft, mag))
    hi = tuple(-(-(t + s) // m) for t, s, m in zip(topleft, size, mag))
    return (lo[0], lo[1], lo[2]), (hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2])


def target_layout(
    source: ArrayLayout,
    options: CopyOptions,
    *,
    mag: Vec3,
    topleft: Vec3,
    size: Vec3,
) -> ArrayLayout:
    """Layout of a copy of ``source``: the options where given, else the source's.

    zarr v2 targets always get ``shard == chunk`` (no ``chunks_per_shard=1`` needed);
    a source shard that the target format cannot use is replaced by the default.
    """
    fmt: DataFormatName = options.data_format or source.data_format
    if fmt not in WRITABLE:
        raise InvalidArgumentError(f"cannot write data format {fmt!r}")
    chunk = options.chunk_shape
    if chunk is None:
        chunk = source.chunk_shape
        if fmt == "wkw" and len(set(chunk)) != 1:
            chunk = (32, 32, 32)
    shard = options.shard_shape
    cps = options.chunks_per_shard
    if fmt == "zarr":
        if cps is not None and cps == (1, 1, 1):
            cps = None
        if shard is None and cps is None:
            shard = chunk
    elif shard is None and cps is None:
        cand: Vec3 | None = None
        if source.data_format != "zarr":
            cand = source.shard_shape
            if options.chunk_shape is not None and any(
                c % k for c, k in zip(cand, chunk)
            ):
                src_cps = tuple(
                    s // c for s, c in zip(source.shard_shape, source.chunk_shape)
                )
                cand = (
                    chunk[0] * src_cps[0],
                    chunk[1] * src_cps[1],
                    chunk[2] * src_cps[2],
                )
        if cand is not None and (
            not all(is_pow2(s) for s in cand)
            or any(s % c for s, c in zip(cand, chunk))
            or (fmt == "wkw" and len(set(cand)) != 1)
        ):
            cand = None
        if cand is None and fmt == "wkw" and all(s > 0 for s in size):
            extent = max(-(-(t + s) // m) for t, s, m in zip(topleft, size, mag))
            files = min(32, max(1, next_pow2(-(-extent // chunk[0]))))
            cand = (chunk[0] * files, chunk[0] * files, chunk[0] * files)
        shard = cand
    layout = choose_layout(
        data_format=fmt,
        dtype=source.dtype,
        num_channels=source.num_channels,
        mag=mag,
        chunk_shape=chunk,
        shard_shape=shard,
        chunks_per_shard=cps,
        compress=source.compress if options.compress is None else options.compress,
        layer_extent=size if all(s > 0 for s in size) else None,
        bbox_topleft=topleft,
    )
    return msgspec.structs.replace(
        layout, shape=array_shape(topleft, size, mag, layout.shard_shape)
    )
