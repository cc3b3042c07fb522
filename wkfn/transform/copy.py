"""Dataset-to-dataset transforms: copy, convert, rechunk, compress, link, reference.

Everything here is pure. What the planners need to know about storage (the layout of
each source array, which of its shards exist) is observed by the caller and passed in
as :class:`SourceMag` / :class:`SourceLayer` records; paths of sources in *other*
datasets are absolute, paths inside the target dataset are ``./<layer>/<mag>``.

Copies between identical layouts are file copies (:class:`CopyTree`); everything else
is decoded and re-encoded in bounded blocks (:class:`CopyRegion`), each block covering
whole target shards (several stages when one shard is larger than the block budget),
so no two ops of a stage ever write the same shard.
"""

from __future__ import annotations

import itertools
import posixpath
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import msgspec

from wkfn.errors import (
    InvalidArgumentError,
    LayerExistsError,
    MagExistsError,
)
from wkfn.geometry.grid import next_pow2
from wkfn.plan.ops import (
    CopyRegion,
    CopyTree,
    CreateArray,
    LinkPath,
    PlanOp,
    ReplacePath,
)
from wkfn.spec import lookup
from wkfn.spec.array import ArrayLayout, DataFormatName
from wkfn.spec.dataset import DatasetId, DatasetSpec, VoxelSizeSpec
from wkfn.spec.dtypes import element_class_of
from wkfn.spec.layer import AttachmentSpec, AttachmentsSpec, LayerSpec, MagSpec
from wkfn.spec.names import mag_dir_name, validate_layer_name
from wkfn.transform.attachments import AttachmentKind, copy_target
from wkfn.transform.change import Change, make_change
from wkfn.transform.layer import layer_box, layer_dtype
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


# --------------------------------------------------------------------------- records


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


_DEFAULT_OPTIONS = CopyOptions()

# --------------------------------------------------------------------------- helpers


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


def _is_pow2(n: int) -> bool:
    return n > 0 and n & (n - 1) == 0


def mag_box(layer: LayerSpec, mag: Vec3) -> Box:
    """The layer box in voxels of ``mag`` (aligned outward), as (offset, size)."""
    topleft, size = layer_box(layer)
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
            not all(_is_pow2(s) for s in cand)
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


def _nbytes(shape: Sequence[int], layout: ArrayLayout) -> int:
    import numpy as np  # numpy only for the itemsize

    return (
        shape[0]
        * shape[1]
        * shape[2]
        * layout.num_channels
        * np.dtype(layout.dtype).itemsize
    )


def _block_shape(
    source: ArrayLayout, target: ArrayLayout, extent: Vec3
) -> tuple[Vec3, Vec3]:
    """(block, part): blocks of whole target shards; parts split one big shard.

    ``block`` is a multiple of the target shard (and of the source shard where both
    are powers of two), at most :data:`MAX_BLOCK_BYTES` unless one target shard is
    larger; ``part`` is the piece of a shard one op writes when a shard alone is too
    large (equal to ``block`` otherwise).
    """
    tshard = target.shard_shape
    sshard = source.shard_shape
    block = [
        max(t, s) if _is_pow2(t) and _is_pow2(s) else t for t, s in zip(tshard, sshard)
    ]
    # shrink towards one target shard while too large
    while _nbytes(block, target) > MAX_BLOCK_BYTES:
        axis = max(range(3), key=lambda a: (block[a] // tshard[a], block[a]))
        if block[axis] // 2 < tshard[axis] or block[axis] % (2 * tshard[axis]):
            break
        block[axis] //= 2
    # grow (in whole shards) while small and still inside the extent
    while _nbytes(block, target) * 2 <= GROW_BLOCK_BYTES:
        candidates = [a for a in range(3) if block[a] < next_pow2(max(extent[a], 1))]
        if not candidates:
            break
        axis = min(candidates, key=lambda a: (block[a], -a))
        block[axis] *= 2
    part = list(block)
    whole_file_only = target.data_format == "wkw" and target.compress
    if not whole_file_only:
        chunk = target.chunk_shape
        while _nbytes(part, target) > MAX_BLOCK_BYTES:
            axis = max(range(3), key=lambda a: (part[a] // chunk[a], -a))
            if part[axis] // 2 < chunk[axis] or part[axis] % (2 * chunk[axis]):
                break
            part[axis] //= 2
    return (block[0], block[1], block[2]), (part[0], part[1], part[2])


def _grid(lo: Vec3, hi: Vec3, step: Vec3) -> Iterator[Vec3]:
    ranges = [
        range((lo[a] // step[a]) * step[a], hi[a], step[a]) if hi[a] > lo[a] else ()
        for a in range(3)
    ]
    for z in ranges[2]:
        for y in ranges[1]:
            for x in ranges[0]:
                yield (x, y, z)


def _intersect(a_off: Vec3, a_size: Vec3, lo: Vec3, hi: Vec3) -> Box | None:
    start = tuple(max(a_off[i], lo[i]) for i in range(3))
    stop = tuple(min(a_off[i] + a_size[i], hi[i]) for i in range(3))
    if any(stop[i] <= start[i] for i in range(3)):
        return None
    return (
        (start[0], start[1], start[2]),
        (stop[0] - start[0], stop[1] - start[1], stop[2] - start[2]),
    )


def region_ops(
    *,
    layer: str,
    source: SourceMag,
    target_path: str,
    target: ArrayLayout,
    box: Box,
) -> list[list[CopyRegion]]:
    """The decode/encode ops copying ``box`` (mag voxels) of ``source``, by part.

    Only blocks overlapping a shard present on disk are copied (all blocks when the
    source's shards are unknown). Ops of one part never share a target shard; parts
    must run in separate stages.
    """
    offset, size = box
    if any(s <= 0 for s in size):
        return []
    lo = offset
    hi = (offset[0] + size[0], offset[1] + size[1], offset[2] + size[2])
    block, part = _block_shape(source.layout, target, hi)
    present: set[Vec3] | None = None
    sshard = source.layout.shard_shape
    if source.present is not None:
        present = {
            (o[0] // sshard[0], o[1] // sshard[1], o[2] // sshard[2])
            for o, _ in source.present
        }
    n_parts = (block[0] // part[0]) * (block[1] // part[1]) * (block[2] // part[2])
    parts: list[list[CopyRegion]] = [[] for _ in range(n_parts)]
    name = mag_dir_name(source.mag)
    for b in _grid(lo, hi, block):
        clipped = _intersect(b, block, lo, hi)
        if clipped is None:
            continue
        if present is not None and not _any_present(clipped, sshard, present):
            continue
        for k, p in enumerate(_grid(b, _add(b, block), part)):
            piece = _intersect(p, part, clipped[0], _add(*clipped))
            if piece is None:
                continue
            if present is not None and not _any_present(piece, sshard, present):
                continue
            parts[k].append(
                CopyRegion(
                    layer=layer,
                    mag=name,
                    source_path=source.path,
                    source_format=source.layout.data_format,
                    target_path=target_path,
                    target_format=target.data_format,
                    offset=piece[0],
                    size=piece[1],
                    dtype=target.dtype,
                    num_channels=target.num_channels,
                )
            )
    return [p for p in parts if p]


def _add(a: Vec3, b: Vec3) -> Vec3:
    return (a[0] + b[0], a[1] + b[1], a[2] + b[2])


def _any_present(box: Box, shard: Vec3, present: set[Vec3]) -> bool:
    (ox, oy, oz), (sx, sy, sz) = box
    xs = range(ox // shard[0], (ox + sx - 1) // shard[0] + 1)
    ys = range(oy // shard[1], (oy + sy - 1) // shard[1] + 1)
    zs = range(oz // shard[2], (oz + sz - 1) // shard[2] + 1)
    return any((x, y, z) in present for x, y, z in itertools.product(xs, ys, zs))


class _Parts:
    """Ops of several mags/layers, merged stage by stage (create, copy parts)."""

    def __init__(self) -> None:
        self.create: list[PlanOp] = []
        self.parts: list[list[PlanOp]] = []
        self.replace: list[PlanOp] = []
        self.summary: list[str] = []

    def add_parts(self, parts: Sequence[Sequence[PlanOp]]) -> None:
        for k, ops in enumerate(parts):
            if k == len(self.parts):
                self.parts.append([])
            self.parts[k].extend(ops)

    def stages(self) -> list[tuple[str, Sequence[PlanOp]]]:
        out: list[tuple[str, Sequence[PlanOp]]] = [("create", self.create)]
        for k, ops in enumerate(self.parts):
            out.append(("copy" if k == 0 else f"copy part {k + 1}", ops))
        out.append(("replace", self.replace))
        return out


def _copy_mag_into(
    acc: _Parts,
    *,
    layer_name: str,
    source: SourceMag,
    target_mag: Vec3,
    region: Box,
    sizing_layer: LayerSpec,
    options: CopyOptions,
) -> MagSpec:
    """Plan one mag copy into ``./<layer_name>/<mag>``; returns the new mag entry.

    ``region`` (source mag voxels) keeps its voxel coordinates in the target;
    ``sizing_layer``'s box sizes the new array.
    """
    topleft, size = layer_box(sizing_layer)
    layout = target_layout(
        source.layout, options, mag=target_mag, topleft=topleft, size=size
    )
    name = mag_dir_name(target_mag)
    path = f"./{layer_name}/{name}"
    src_desc = f"{source.path} ({describe_layout(source.layout)})"
    # files are copied as they are only from a local source (no listing over HTTP)
    if same_storage(source.layout, layout) and "://" not in source.path:
        acc.create.append(CopyTree(source=source.path, target=path))
        acc.summary.append(f"{layer_name}/{name}: {src_desc} -> {path} (file copy)")
    else:
        acc.create.append(
            CreateArray(layer=layer_name, mag=name, path=path, layout=layout)
        )
        parts = region_ops(
            layer=layer_name, source=source, target_path=path, target=layout, box=region
        )
        acc.add_parts(parts)
        n_ops = sum(len(p) for p in parts)
        acc.summary.append(
            f"{layer_name}/{name}: {src_desc} -> {path} ({describe_layout(layout)}), "
            f"{n_ops} region op{'s' if n_ops != 1 else ''}"
        )
    return MagSpec(
        mag=target_mag,
        path=path,
        cube_length=layout.shard_shape[0] if layout.data_format == "wkw" else None,
        axis_order=dict(AXIS_ORDER),
    )


def _check_new_name(spec: DatasetSpec | None, name: str, exists_ok: bool) -> None:
    validate_layer_name(name)
    if spec is not None and lookup.has_layer(spec, name) and not exists_ok:
        raise LayerExistsError(f"layer {name!r} already exists in the dataset")


def _map_attachments(
    source: SourceLayer,
    inside: Callable[[str, str], str] | None,
    outside: Callable[[AttachmentKind, AttachmentSpec, str], str] | None = None,
) -> AttachmentsSpec | None:
    """Attachment paths for a new layer.

    Attachments inside the source layer directory get ``inside(absolute, relative)``;
    other local ones ``outside(kind, attachment, absolute)``. ``None`` (and any URL):
    referenced by absolute path.
    """
    from wkfn.transform.attachments import map_attachments

    att = source.spec.attachments
    if att is None:
        return None
    prefix = source.path.rstrip("/") + "/"

    def one(kind: AttachmentKind, a: AttachmentSpec) -> AttachmentSpec:
        if "://" in a.path:
            return a
        if "://" in source.root:  # a dataset read over HTTP: reference the URL
            url = source.root.rstrip("/") + "/" + a.path.removeprefix("./")
            return (
                a if posixpath.isabs(a.path) else msgspec.structs.replace(a, path=url)
            )
        absolute = (
            a.path
            if posixpath.isabs(a.path)
            else posixpath.normpath(posixpath.join(source.root, a.path))
        )
        if absolute.startswith(prefix):
            if inside is not None:
                path = inside(absolute, absolute[len(prefix) :])
                return msgspec.structs.replace(a, path=path)
        elif outside is not None:
            return msgspec.structs.replace(a, path=outside(kind, a, absolute))
        return msgspec.structs.replace(a, path=absolute)

    return map_attachments(att, one)


def _plan_layer_copy(
    acc: _Parts,
    source: SourceLayer,
    new_name: str,
    options: CopyOptions,
    existing: LayerSpec | None = None,
    with_attachments: bool = True,
) -> LayerSpec:
    fmt = options.data_format or source.spec.data_format
    if fmt not in WRITABLE:
        raise InvalidArgumentError(
            f"layer {source.spec.name!r} is stored as {source.spec.data_format!r}; "
            "pass data_format='zarr3', 'zarr' or 'wkw' to convert it"
        )
    mags: list[MagSpec] = list(existing.mags) if existing is not None else []
    for src in source.mags:
        if existing is not None and lookup.has_mag(existing, src.mag):
            continue
        if existing is not None and existing.data_format != fmt:
            options = msgspec.structs.replace(
                options,
                data_format=existing.data_format,
            )
        mags.append(
            _copy_mag_into(
                acc,
                layer_name=new_name,
                source=src,
                target_mag=src.mag,
                region=mag_box(source.spec, src.mag),
                sizing_layer=source.spec,
                options=options,
            )
        )
    if existing is not None:
        return msgspec.structs.replace(existing, mags=tuple(mags))
    attachments = None
    if with_attachments:

        def copy_inside(absolute: str, rel: str) -> str:
            target = f"./{new_name}/{rel}"
            acc.create.append(CopyTree(source=absolute, target=target))
            return target

        def copy_outside(kind: AttachmentKind, a: AttachmentSpec, absolute: str) -> str:
            # like add_attachment_as_copy: into the new layer's kind folder
            target = copy_target(new_name, kind, a.name, a.data_format)
            acc.create.append(CopyTree(source=absolute, target=target))
            return target

        attachments = _map_attachments(source, copy_inside, copy_outside)
    return msgspec.structs.replace(
        source.spec,
        name=new_name,
        data_format=fmt,
        mags=tuple(mags),
        attachments=attachments,
    )


# --------------------------------------------------------------------------- layers


def add_layer_as_copy(
    spec: DatasetSpec,
    source: SourceLayer,
    *,
    new_name: str | None = None,
    options: CopyOptions = _DEFAULT_OPTIONS,
    exists_ok: bool = False,
    with_attachments: bool = True,
) -> Change:
    """Copy a layer (all its mags) into the dataset, converting where asked.

    With ``exists_ok`` an existing layer of that name gets the mags it lacks.

    Raises:
        InvalidLayerNameError: the name is not a single safe path component.
        LayerExistsError: the layer exists (and not ``exists_ok``).
    """
    name = source.spec.name if new_name is None else new_name
    _check_new_name(spec, name, exists_ok)
    acc = _Parts()
    existing = lookup.get_layer(spec, name) if lookup.has_layer(spec, name) else None
    layer = _plan_layer_copy(acc, source, name, options, existing, with_attachments)
    if existing is not None:
        new = lookup.replace_layer(spec, name, layer)
    else:
        new = lookup.add_layer(spec, layer)
    return make_change(spec, new, acc.stages(), summary=acc.summary or (f"+ {name}",))


def add_mag_as_copy(
    spec: DatasetSpec,
    layer_name: str,
    source: SourceMag,
    source_layer: LayerSpec,
    *,
    mag: Vec3 | None = None,
    options: CopyOptions = _DEFAULT_OPTIONS,
    extend_layer_bounding_box: bool = True,
    exists_ok: bool = False,
) -> Change:
    """Copy one mag (of any layer) into ``layer_name``, registered as ``mag``.

    Voxels keep their coordinates; with another ``mag`` they are only relabelled.
    """
    layer = lookup.get_layer(spec, layer_name)
    target_mag = mag or source.mag
    if lookup.has_mag(layer, target_mag):
        if exists_ok:
            return make_change(spec, spec)
        raise MagExistsError(f"mag {target_mag} already exists in layer {layer_name!r}")
    if source.layout.dtype != layer_dtype(layer) or (
        source.layout.num_channels != layer.num_channels
    ):
        raise InvalidArgumentError(
            f"mag {source.path} stores {source.layout.num_channels} x "
            f"{source.layout.dtype}, layer {layer_name!r} stores "
            f"{layer.num_channels} x {layer_dtype(layer)}"
        )
    options = msgspec.structs.replace(
        options,
        data_format=layer.data_format,
    )
    region = mag_box(source_layer, source.mag)
    if extend_layer_bounding_box:
        layer = _extend_box(layer, region, target_mag)
    sizing = layer
    if not any(s > 0 for s in layer_box(layer)[1]):
        sizing = _extend_box(layer, region, target_mag)
    acc = _Parts()
    mag_spec = _copy_mag_into(
        acc,
        layer_name=layer_name,
        source=source,
        target_mag=target_mag,
        region=region,
        sizing_layer=sizing,
        options=options,
    )
    new = lookup.replace_layer(spec, layer_name, lookup.with_mag_added(layer, mag_spec))
    return make_change(spec, new, acc.stages(), summary=acc.summary)


def add_mag_as_ref(
    spec: DatasetSpec,
    layer_name: str,
    source: SourceMag,
    source_layer: LayerSpec,
    *,
    path: str,
    mag: Vec3 | None = None,
    extend_layer_bounding_box: bool = True,
) -> Change:
    """Register a foreign array (at ``path``, as the caller records it) as a mag."""
    layer = lookup.get_layer(spec, layer_name)
    target_mag = mag or source.mag
    if lookup.has_mag(layer, target_mag):
        raise MagExistsError(f"mag {target_mag} already exists in layer {layer_name!r}")
    if source.layout.data_format != layer.data_format:
        raise InvalidArgumentError(
            f"mag {source.path} is {source.layout.data_format}, layer "
            f"{layer_name!r} is {layer.data_format}"
        )
    if extend_layer_bounding_box:
        layer = _extend_box(layer, mag_box(source_layer, source.mag), target_mag)
    mag_spec = MagSpec(
        mag=target_mag,
        path=path,
        cube_length=source.layout.shard_shape[0]
        if source.layout.data_format == "wkw"
        else None,
        axis_order=dict(AXIS_ORDER),
    )
    new = lookup.replace_layer(spec, layer_name, lookup.with_mag_added(layer, mag_spec))
    return make_change(spec, new, summary=(f"{layer_name} +mag ref {path}",))


def _extend_box(layer: LayerSpec, region: Box, mag: Vec3) -> LayerSpec:
    """``layer`` with its box grown to cover ``region`` (voxels of ``mag``)."""
    (ro, rs) = region
    if any(s <= 0 for s in rs):
        return layer
    lo = [o * m for o, m in zip(ro, mag)]
    hi = [(o + s) * m for o, s, m in zip(ro, rs, mag)]
    (to, ts) = layer_box(layer)
    if all(s > 0 for s in ts):
        lo = [min(a, b) for a, b in zip(lo, to)]
        hi = [max(a, b + s) for a, b, s in zip(hi, to, ts)]
    return msgspec.structs.replace(
        layer,
        bounding_box=msgspec.structs.replace(
            layer.bounding_box,
            top_left=(lo[0], lo[1], lo[2]),
            width=hi[0] - lo[0],
            height=hi[1] - lo[1],
            depth=hi[2] - lo[2],
        ),
    )


def add_fs_copy_layer(
    spec: DatasetSpec, source: SourceLayer, *, new_name: str | None = None
) -> Change:
    """Copy a layer's files as they are; mag and attachment paths point at the copy.

    The layer directory is copied once; mags stored outside it are copied into
    ``./<new_name>/<mag>`` so the new layer never reads another layer's files.
    """
    name = source.spec.name if new_name is None else new_name
    _check_new_name(spec, name, False)
    prefix = source.path.rstrip("/") + "/"
    ops: list[PlanOp] = [CopyTree(source=source.path, target=f"./{name}")]
    mags = []
    for m in source.mags:
        if m.path.startswith(prefix) and "/" not in m.path[len(prefix) :].strip("/"):
            rel = m.path[len(prefix) :].strip("/")
        else:
            rel = mag_dir_name(m.mag)
            ops.append(CopyTree(source=m.path, target=f"./{name}/{rel}"))
        mags.append(
            MagSpec(
                mag=m.mag,
                path=f"./{name}/{rel}",
                cube_length=m.layout.shard_shape[0]
                if m.layout.data_format == "wkw"
                else None,
                axis_order=dict(AXIS_ORDER),
            )
        )
    attachments = _map_attachments(source, lambda _a, rel: f"./{name}/{rel}")
    layer = msgspec.structs.replace(
        source.spec, name=name, mags=tuple(mags), attachments=attachments
    )
    new = lookup.add_layer(spec, layer)
    return make_change(
        spec,
        new,
        [("copy files", ops)],
        summary=(f"+ {name}: files of {source.path} -> ./{name}",),
    )


def _ref_layer(source: SourceLayer, name: str, mag_paths: dict[Vec3, str]) -> LayerSpec:
    mags = tuple(
        MagSpec(
            mag=m.mag,
            path=mag_paths[m.mag],
            cube_length=m.layout.shard_shape[0]
            if m.layout.data_format == "wkw"
            else None,
            axis_order=dict(AXIS_ORDER),
        )
        for m in source.mags
    )
    return msgspec.structs.replace(
        source.spec,
        name=name,
        mags=mags,
        attachments=_map_attachments(source, None),
    )


def add_symlink_layer(
    spec: DatasetSpec,
    source: SourceLayer,
    *,
    new_name: str | None = None,
    make_relative: bool = False,
    mag_paths: dict[Vec3, str],
) -> Change:
    """Link ``./<new_name>`` to the source layer directory.

    ``mag_paths`` are the mag paths to record (the resolved source mags, absolute or
    relative to the dataset directory, as computed by the caller), so the layer
    reads the linked data whatever it is called and never another layer's files.
    """
    name = source.spec.name if new_name is None else new_name
    _check_new_name(spec, name, False)
    layer = _ref_layer(source, name, mag_paths)
    new = lookup.add_layer(spec, layer)
    op = LinkPath(source=source.path, target=f"./{name}", relative=make_relative)
    return make_change(
        spec, new, [("link", [op])], summary=(f"+ {name}: link to {source.path}",)
    )


def add_layer_as_ref(
    spec: DatasetSpec,
    source: SourceLayer,
    *,
    new_name: str | None = None,
    mag_paths: dict[Vec3, str],
) -> Change:
    """A layer whose mags reference the source arrays (no files are created)."""
    name = source.spec.name if new_name is None else new_name
    _check_new_name(spec, name, False)
    layer = _ref_layer(source, name, mag_paths)
    new = lookup.add_layer(spec, layer)
    return make_change(spec, new, summary=(f"+ {name}: reference to {source.path}",))


# --------------------------------------------------------------------------- datasets


def new_dataset_spec(
    source: DatasetSpec,
    *,
    name: str,
    voxel_size: tuple[float, float, float] | None,
    unit: str | None,
) -> DatasetSpec:
    """An empty dataset with the source's voxel size and view configuration."""
    scale = source.scale
    if voxel_size is not None:
        scale = VoxelSizeSpec(
            factor=(float(voxel_size[0]), float(voxel_size[1]), float(voxel_size[2])),
            unit=unit or "nanometer",
        )
    return DatasetSpec(
        id=DatasetId(name=name, team=""),
        scale=scale,
        data_layers=(),
        default_view_configuration=source.default_view_configuration,
    )


def copy_dataset(
    source: DatasetSpec,
    layers: Sequence[SourceLayer],
    *,
    name: str,
    voxel_size: tuple[float, float, float] | None = None,
    unit: str | None = None,
    options: CopyOptions = _DEFAULT_OPTIONS,
    base: DatasetSpec | None = None,
) -> Change:
    """A whole new dataset holding copies of ``layers`` (one plan, base ``""``).

    All arrays are created in the first stage, all blocks copied in the next
    stage(s), the properties written last: a failed run leaves no properties file
    that points at missing arrays.
    """
    for src in layers:
        validate_layer_name(src.spec.name)
    new = base or new_dataset_spec(source, name=name, voxel_size=voxel_size, unit=unit)
    acc = _Parts()
    for src in layers:
        if lookup.has_layer(new, src.spec.name):
            raise LayerExistsError(f"layer {src.spec.name!r} already exists")
        layer = _plan_layer_copy(acc, src, src.spec.name, options)
        new = lookup.add_layer(new, layer)
    return make_change(
        base, new, acc.stages(), summary=acc.summary or ("copy dataset",)
    )


def shallow_copy_dataset(
    source: DatasetSpec,
    layers: Sequence[SourceLayer],
    *,
    name: str,
    mag_paths: dict[str, dict[Vec3, str]],
) -> Change:
    """A new dataset whose layers reference the source's mags (no data files)."""
    for src in layers:
        validate_layer_name(src.spec.name)
    new = new_dataset_spec(source, name=name, voxel_size=None, unit=None)
    for src in layers:
        new = lookup.add_layer(
            new, _ref_layer(src, src.spec.name, mag_paths[src.spec.name])
        )
    return make_change(None, new, summary=(f"shallow copy of {source.id.name!r}",))


# --------------------------------------------------------------------------- in place


class RechunkItem(msgspec.Struct, frozen=True, kw_only=True):
    """One mag to rewrite in place: its current array and the wanted layout."""

    layer: str
    source: SourceMag
    target: ArrayLayout


def rechunk_layout(
    source: ArrayLayout,
    *,
    chunk_shape: Vec3 | None = None,
    shard_shape: Vec3 | None = None,
    chunks_per_shard: Vec3 | None = None,
    compress: bool | None = None,
) -> ArrayLayout:
    """``source`` with new chunk/shard shapes or compression (same format)."""
    chunk = chunk_shape or source.chunk_shape
    if shard_shape is None and chunks_per_shard is None:
        if source.data_format == "zarr":
            shard_shape = chunk
        elif chunk_shape is None:
            shard_shape = source.shard_shape
        else:
            cps = tuple(s // c for s, c in zip(source.shard_shape, source.chunk_shape))
            shard_shape = (chunk[0] * cps[0], chunk[1] * cps[1], chunk[2] * cps[2])
    layout = choose_layout(
        data_format=source.data_format,
        dtype=source.dtype,
        num_channels=source.num_channels,
        mag=(1, 1, 1),
        chunk_shape=chunk,
        shard_shape=shard_shape,
        chunks_per_shard=chunks_per_shard,
        compress=source.compress if compress is None else compress,
    )
    shape = tuple(
        -(-s // u) * u if s else 0 for s, u in zip(source.shape, layout.shard_shape)
    )
    return msgspec.structs.replace(layout, shape=(shape[0], shape[1], shape[2]))


def rechunk_mags(
    spec: DatasetSpec, items: Sequence[RechunkItem], *, token: str
) -> Change:
    """Rewrite mags in place: build each into a temporary sibling, then swap it in.

    The new array is complete before :class:`ReplacePath` exchanges it with the old
    one (atomically where the OS allows), so readers never see a missing or
    half-written mag. Mags whose layout already matches are skipped.

    Raises:
        InvalidArgumentError: a mag is not stored inside its layer directory.
    """
    acc = _Parts()
    new = spec
    for item in items:
        if same_storage(item.source.layout, item.target):
            continue
        layer = lookup.get_layer(new, item.layer)
        mag_spec = lookup.get_mag(layer, item.source.mag)
        path = lookup.resolve_mag_path(item.layer, mag_spec)
        if not path.startswith(f"./{item.layer}/"):
            raise InvalidArgumentError(
                f"mag {path} of layer {item.layer!r} is not stored in this dataset; "
                "copy it first (add_mag_as_copy) to change its storage"
            )
        name = mag_dir_name(item.source.mag)
        tmp = f"./{item.layer}/.rechunk-{token}-{name}"
        acc.create.append(
            CreateArray(layer=item.layer, mag=name, path=tmp, layout=item.target)
        )
        region = mag_box(layer, item.source.mag)
        source = msgspec.structs.replace(item.source, path=path)
        parts = region_ops(
            layer=item.layer,
            source=source,
            target_path=tmp,
            target=item.target,
            box=region,
        )
        acc.add_parts(parts)
        acc.replace.append(ReplacePath(source=tmp, target=path))
        n_ops = sum(len(p) for p in parts)
        acc.summary.append(
            f"{item.layer}/{name}: {describe_layout(item.source.layout)} -> "
            f"{describe_layout(item.target)} in place, {n_ops} region ops"
        )
        if item.target.data_format == "wkw":
            new_mag = msgspec.structs.replace(
                mag_spec, cube_length=item.target.shard_shape[0]
            )
            new = lookup.replace_layer(
                new, item.layer, lookup.replace_mag(layer, item.source.mag, new_mag)
            )
    return make_change(spec, new, acc.stages(), summary=acc.summary)


# --------------------------------------------------------------------------- existing


def add_layer_for_existing_files(
    spec: DatasetSpec,
    *,
    name: str,
    category: str,
    data_format: str,
    dtype_per_channel: str,
    num_channels: int,
    mags: Sequence[tuple[Vec3, str, ArrayLayout]],
    bounding_box: Box,
    largest_segment_id: int | None = None,
    mappings: tuple[str, ...] = (),
) -> Change:
    """Register arrays already under ``./<name>/`` as a new layer (no data ops).

    ``mags`` are ``(mag, directory name, layout)`` as found on disk.
    """
    from wkfn.transform.dataset import add_layer

    change = add_layer(
        spec,
        name=name,
        category=category,
        dtype_per_channel=dtype_per_channel,
        num_channels=num_channels,
        data_format=data_format,
        bounding_box=bounding_box,
        largest_segment_id=largest_segment_id,
        mappings=mappings,
    )
    layer = lookup.get_layer(change.spec, name)
    mag_specs = tuple(
        MagSpec(
            mag=mag,
            path=f"./{name}/{dirname}",
            cube_length=layout.shard_shape[0] if data_format == "wkw" else None,
            axis_order=dict(AXIS_ORDER),
        )
        for mag, dirname, layout in mags
    )
    layer = msgspec.structs.replace(
        layer,
        mags=mag_specs,
        element_class=element_class_of(dtype_per_channel, num_channels),
    )
    new = lookup.replace_layer(change.spec, name, layer)
    return make_change(spec, new, summary=(f"+ layer {name} (existing files)",))


def summarize(change: Change) -> Any:
    """Counts of ops by type (for reports and tests)."""
    counts: dict[str, int] = {}
    for op in change.plan.ops:
        key = type(op).__name__
        counts[key] = counts.get(key, 0) + 1
    return counts


__all__ = [
    "CopyOptions",
    "RechunkItem",
    "SourceLayer",
    "SourceMag",
    "add_fs_copy_layer",
    "add_layer_as_copy",
    "add_layer_as_ref",
    "add_layer_for_existing_files",
    "add_mag_as_copy",
    "add_mag_as_ref",
    "add_symlink_layer",
    "copy_dataset",
    "describe_layout",
    "mag_box",
    "rechunk_layout",
    "rechunk_mags",
    "region_ops",
    "same_storage",
    "shallow_copy_dataset",
    "summarize",
    "target_layout",
]
