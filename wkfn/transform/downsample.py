"""Pure planners for multi-resolution pyramids (downsampling and upsampling).

The mag ladder, the default coarsest mag and the processing tiles follow the
reference library (webknossos 4.3.3); the storage layout of new mags and the split
into ops are wkfn's own:

* a new mag keeps the source mag's chunk shape and gets a shard no larger than its
  extent needs (and at most half of it per axis, so a stage has several ops);
* one op per target shard (zarr3, wkw) or per bounded block of chunks (zarr v2), so
  no two ops of a stage touch the same file; each op reads only the source region it
  needs and holds a bounded amount of memory (``op.memory_estimate()``);
* one stage per target mag (each reads the previous one), after a stage creating
  the new arrays; the properties are written once, at the end.

Examples:
    >>> mags_to_downsample((1, 1, 1), (4, 4, 4), (11.24, 11.24, 25.0))
    [(2, 2, 1), (4, 4, 2)]
    >>> mags_to_downsample((1, 1, 1), (8, 8, 8), None)
    [(2, 2, 2), (4, 4, 4), (8, 8, 8)]
    >>> default_coarsest_mag((1000, 50, 3))
    (16, 16, 16)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import msgspec

from wkfn.errors import InvalidArgumentError, MagNotFoundError, ReadOnlyError
from wkfn.geometry.grid import ceil_div3, next_pow2
from wkfn.plan.ops import (
    RESAMPLE_PIECE_BYTES,
    CreateArray,
    DownsampleRegion,
    PlanOp,
    UpsampleRegion,
)
from wkfn.spec import lookup
from wkfn.spec.array import ArrayLayout, DataFormatName
from wkfn.spec.dataset import DatasetSpec
from wkfn.spec.layer import LayerSpec, MagSpec
from wkfn.spec.names import mag_dir_name
from wkfn.transform.change import Change, make_change
from wkfn.transform.layer import AXIS_ORDER, is_local_mag, layer_box, layer_dtype
from wkfn.transform.layout import (
    DEFAULT_CHUNK_SHAPE,
    DEFAULT_CHUNKS_PER_SHARD,
    FLAT_CHUNKS_PER_SHARD,
    array_shape,
    choose_layout,
)

Vec3 = tuple[int, int, int]
Step = tuple[Vec3, Vec3]

INTERPOLATION_MODES = ("median", "mode", "nearest", "bilinear", "bicubic", "max", "min")
SAMPLING_MODES = ("anisotropic", "isotropic", "constant_z")
ZOOM_MODES = ("nearest", "bilinear", "bicubic")
#: zarr v2 (unsharded) ops cover blocks of chunks up to this edge (target voxels).
UNSHARDED_OP_EDGE = 128


# --------------------------------------------------------------------------- parsing


def parse_interpolation_mode(mode: str, category: str) -> str:
    """Normalise an interpolation mode name (case-insensitive; ``"default"``)."""
    if not isinstance(mode, str):
        raise InvalidArgumentError(f"interpolation_mode must be a string, got {mode!r}")
    name = mode.lower()
    if name == "default":
        return "mode" if category == "segmentation" else "median"
    if name not in INTERPOLATION_MODES:
        raise InvalidArgumentError(
            f"unknown interpolation_mode {mode!r}; expected 'default' or one of "
            f"{', '.join(INTERPOLATION_MODES)}"
        )
    return name


def parse_sampling_mode(mode: object) -> str:
    """Normalise a sampling mode (enum member or value; ``"auto"`` = anisotropic).

    Like the reference, values are case-sensitive.
    """
    value = getattr(mode, "value", mode)
    if not isinstance(value, str):
        raise InvalidArgumentError(f"sampling_mode must be a string, got {mode!r}")
    name = value
    if name == "auto":
        return "anisotropic"
    if name not in SAMPLING_MODES:
        raise InvalidArgumentError(
            f"unknown sampling_mode {mode!r}; expected one of "
            f"{', '.join(SAMPLING_MODES)} (or 'auto')"
        )
    return name


def _is_pow2(n: int) -> bool:
    return n > 0 and n & (n - 1) == 0


def check_mag(mag: Sequence[int], what: str) -> Vec3:
    """A mag as a tuple of three positive powers of two."""
    if len(mag) != 3 or not all(isinstance(m, int) and _is_pow2(m) for m in mag):
        raise InvalidArgumentError(
            f"{what} must be three positive powers of two, got {tuple(mag)}"
        )
    return (mag[0], mag[1], mag[2])


# --------------------------------------------------------------------------- ladder


def default_coarsest_mag(size: Vec3) -> Vec3:
    """The reference's default: ``max(2**ceil(log2(max(x, y) / 100)), 4)``."""
    longest = max(size[0], size[1])
    if longest <= 0:
        return (4, 4, 4)
    m = max(int(2 ** math.ceil(math.log2(longest / 100))), 4)
    return (m, m, m)


def _ratio(mag: Vec3, voxel: Sequence[float]) -> float:
    sizes = [m * v for m, v in zip(mag, voxel)]
    return max(sizes) / min(sizes)


def mags_to_downsample(
    from_mag: Vec3,
    coarsest_mag: Vec3,
    voxel_size: Sequence[float] | None,
    align_mags: Sequence[Vec3] = (),
) -> list[Vec3]:
    """The mags between ``from_mag`` (exclusive) and ``coarsest_mag`` (inclusive).

    ``voxel_size`` None means isotropic steps (each axis doubles, clamped to the
    coarsest mag); otherwise the anisotropic rule: double either all axes or only
    the axes with the smallest physical voxel extent, whichever keeps the voxels
    closer to cubic. A mag of ``align_mags`` (mags of other layers) with twice the
    current ``max_dim`` is preferred, so layers stay aligned.

    Raises:
        InvalidArgumentError: the coarsest mag can not be reached.
    """
    if any(f > c for f, c in zip(from_mag, coarsest_mag)):
        raise InvalidArgumentError(
            f"the coarsest mag {mag_dir_name(coarsest_mag)} is finer than the "
            f"from_mag {mag_dir_name(from_mag)} on some axis"
        )
    mags: list[Vec3] = []
    current = from_mag
    while max(current) < max(coarsest_mag):
        aligned = [m for m in align_mags if max(m) == 2 * max(current)]
        if aligned:
            nxt = aligned[0]
        else:
            if voxel_size is None:
                cand: Vec3 = (current[0] * 2, current[1] * 2, current[2] * 2)
            else:
                sizes = [c * v for c, v in zip(current, voxel_size)]
                smallest = min(sizes)
                all_axes: Vec3 = (current[0] * 2, current[1] * 2, current[2] * 2)
                b = tuple(c * 2 if s == smallest else c for c, s in zip(current, sizes))
                some_axes: Vec3 = (b[0], b[1], b[2])
                if _ratio(all_axes, voxel_size) < _ratio(some_axes, voxel_size):
                    cand = all_axes
                else:
                    cand = some_axes
            nxt = (
                min(cand[0], coarsest_mag[0]),
                min(cand[1], coarsest_mag[1]),
                min(cand[2], coarsest_mag[2]),
            )
            if nxt == current:
                raise InvalidArgumentError(
                    f"The coarsest mag {mag_dir_name(coarsest_mag)} can not be "
                    f"reached from {mag_dir_name(from_mag)}"
                )
            if voxel_size is not None and max(nxt) == max(current):
                current = nxt
                continue
        mags.append(nxt)
        current = nxt
    return mags


def mags_to_upsample(
    from_mag: Vec3,
    finest_mag: Vec3,
    voxel_size: Sequence[float] | None,
    align_mags: Sequence[Vec3] = (),
) -> list[Vec3]:
    """Mags from ``from_mag`` (exclusive) down to ``finest_mag`` (inclusive)."""
    ladder = mags_to_downsample(finest_mag, from_mag, voxel_size, align_mags)
    return [*list(reversed(ladder))[1:], finest_mag]


def sampling_ladder(
    from_mag: Vec3,
    coarsest_mag: Vec3,
    sampling_mode: str,
    voxel_size: Sequence[float],
    align_mags: Sequence[Vec3] = (),
) -> list[Vec3]:
    """The ladder for a parsed sampling mode (constant_z keeps z of ``from_mag``)."""
    if sampling_mode == "anisotropic":
        return mags_to_downsample(from_mag, coarsest_mag, voxel_size, align_mags)
    if sampling_mode == "constant_z":
        coarsest_mag = (coarsest_mag[0], coarsest_mag[1], from_mag[2])
    return mags_to_downsample(from_mag, coarsest_mag, None, align_mags)


def check_distinct_max_dims(mags: Sequence[Vec3]) -> None:
    """Two mags with the same ``max_dim`` confuse WEBKNOSSOS: refuse them."""
    seen: dict[int, Vec3] = {}
    for m in mags:
        if max(m) in seen and seen[max(m)] != m:
            raise InvalidArgumentError(
                f"mags {mag_dir_name(seen[max(m)])} and {mag_dir_name(m)} have the "
                "same max_dim, which WEBKNOSSOS cannot display; pass "
                "force_sampling_scheme=True to create them anyway"
            )
        seen[max(m)] = m


# --------------------------------------------------------------------------- layout


def reference_shard_shape(
    data_format: str,
    layer_size: Vec3,
    chunk_shape: Vec3 | None,
    shard_shape: Vec3 | None,
) -> Vec3:
    """The shard the reference would give a new mag (it decides the tile shape)."""
    chunk = chunk_shape or DEFAULT_CHUNK_SHAPE
    if shard_shape is not None:
        return shard_shape
    if data_format == "zarr":
        return chunk
    cps = DEFAULT_CHUNKS_PER_SHARD
    if data_format == "zarr3" and layer_size[2] <= chunk[2]:
        cps = FLAT_CHUNKS_PER_SHARD
    return (chunk[0] * cps[0], chunk[1] * cps[1], chunk[2] * cps[2])


def tile_shape(factors: Vec3, target_shard: Vec3, buffer_shape: Vec3 | None) -> Vec3:
    """Reference processing tile (target voxels): ``min(clamp(1024 // f), shard)``."""
    if buffer_shape is not None:
        return buffer_shape
    t = [min(max(1024 // f, 1), 512, s) for f, s in zip(factors, target_shard)]
    return (t[0], t[1], t[2])


def job_shape(target_shard: Vec3) -> Vec3:
    """Reference job grid: the shard with its smallest axis doubled to >= 1024³."""
    j = list(target_shard)
    while j[0] * j[1] * j[2] < 1024**3:
        i = j.index(min(j))
        j[i] *= 2
    return (j[0], j[1], j[2])


def downsampled_layout(
    layer: LayerSpec,
    mag: Vec3,
    source: ArrayLayout,
    *,
    compress: bool,
    chunk_shape: Vec3 | None = None,
    shard_shape: Vec3 | None = None,
) -> ArrayLayout:
    """Layout of a new mag computed from ``source`` (same format, its chunk shape)."""
    topleft, size = layer_box(layer)
    chunk = chunk_shape or source.chunk_shape
    layout = choose_layout(
        data_format=source.data_format,
        dtype=source.dtype,
        num_channels=source.num_channels,
        mag=mag,
        chunk_shape=chunk,
        shard_shape=shard_shape,
        compress=compress,
        layer_extent=size if all(s > 0 for s in size) else None,
        bbox_topleft=topleft,
    )
    if shard_shape is None and layout.data_format == "zarr3":
        # at most half the extent per axis (but >= chunk): several ops per stage
        bottom = (topleft[0] + size[0], topleft[1] + size[1], topleft[2] + size[2])
        extent = ceil_div3(bottom, mag)
        shard = tuple(
            min(s, max(c, next_pow2(max(1, (e + 1) // 2))))
            for s, c, e in zip(layout.shard_shape, layout.chunk_shape, extent)
        )
        layout = msgspec.structs.replace(
            layout, shard_shape=(shard[0], shard[1], shard[2])
        )
    return msgspec.structs.replace(
        layout, shape=array_shape(topleft, size, mag, layout.shard_shape)
    )


# --------------------------------------------------------------------------- regions


def mag_box(topleft: Vec3, size: Vec3, mag: Vec3) -> tuple[Vec3, Vec3]:
    """(offset, size) in mag voxels of a Mag-1 box, outward aligned (ceil)."""
    lo = (topleft[0] // mag[0], topleft[1] // mag[1], topleft[2] // mag[2])
    bottom = (topleft[0] + size[0], topleft[1] + size[1], topleft[2] + size[2])
    hi = ceil_div3(bottom, mag)
    return lo, (hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2])


def op_regions(
    offset: Vec3, size: Vec3, layout: ArrayLayout
) -> list[tuple[Vec3, Vec3]]:
    """Split a target box into per-op regions: shards, or chunk blocks for zarr v2."""
    if layout.data_format == "zarr":
        cell = tuple(max(c, (UNSHARDED_OP_EDGE // c) * c) for c in layout.chunk_shape)
        unit: Vec3 = (cell[0], cell[1], cell[2])
    else:
        unit = layout.shard_shape
    axes: list[list[tuple[int, int]]] = []
    for a in range(3):
        parts = []
        x = offset[a]
        end = offset[a] + size[a]
        while x < end:
            nxt = min(end, (x // unit[a] + 1) * unit[a])
            parts.append((x, nxt - x))
            x = nxt
        axes.append(parts)
    return [
        ((x0, y0, z0), (sx, sy, sz))
        for z0, sz in axes[2]
        for y0, sy in axes[1]
        for x0, sx in axes[0]
    ]


# --------------------------------------------------------------------------- planners


def _mag_path(layer: LayerSpec, mag: Vec3) -> str:
    if lookup.has_mag(layer, mag):
        return lookup.resolve_mag_path(layer.name, lookup.get_mag(layer, mag))
    return f"./{layer.name}/{mag_dir_name(mag)}"


def _format(layer: LayerSpec) -> DataFormatName:
    fmt = layer.data_format
    if fmt not in ("zarr3", "zarr", "wkw"):
        raise InvalidArgumentError(
            f"cannot write mags of layer {layer.name!r} stored as {fmt!r}"
        )
    return fmt  # type: ignore[return-value]


def _new_mag_spec(layer: LayerSpec, mag: Vec3, layout: ArrayLayout) -> MagSpec:
    return MagSpec(
        mag=mag,
        path=f"./{layer.name}/{mag_dir_name(mag)}",
        cube_length=layout.shard_shape[0] if layout.data_format == "wkw" else None,
        axis_order=dict(AXIS_ORDER),
    )


def _add_target_mag(
    layer: LayerSpec, mag: Vec3, layout: ArrayLayout
) -> tuple[CreateArray, LayerSpec]:
    """The op creating a new resampled mag's array, and the layer listing that mag."""
    create = CreateArray(
        layer=layer.name,
        mag=mag_dir_name(mag),
        path=f"./{layer.name}/{mag_dir_name(mag)}",
        layout=layout,
    )
    return create, lookup.with_mag_added(layer, _new_mag_spec(layer, mag, layout))


def _summary(
    layer: str, created: list[Vec3], counts: list[tuple[Vec3, int]], verb: str
) -> list[str]:
    out = []
    for mag, n in counts:
        what = "+mag" if mag in created else "rewrite mag"
        out.append(f"{layer} {what} {mag_dir_name(mag)} ({n} {verb} ops)")
    return out


def _checked_step(
    step: Step, known: Mapping[Vec3, ArrayLayout], layer_name: str, verb: str
) -> tuple[Vec3, Vec3]:
    """A ``(source, target)`` step with valid mags whose source exists (or is made
    by an earlier step).

    Raises:
        MagNotFoundError: the source mag is unknown.
    """
    source = check_mag(step[0], "from_mag")
    target = check_mag(step[1], "target mag")
    if source not in known:
        raise MagNotFoundError(
            f"Failed to {verb} data. The from_mag ({mag_dir_name(source)}) "
            f"does not exist in layer {layer_name!r}"
        )
    return source, target


def plan_downsample(
    spec: DatasetSpec,
    layer_name: str,
    steps: Sequence[Step],
    layouts: Mapping[Vec3, ArrayLayout],
    *,
    interpolation: str,
    compress: bool = True,
    chunk_shape: Vec3 | None = None,
    shard_shape: Vec3 | None = None,
    buffer_shape: Vec3 | None = None,
    allow_overwrite: bool = False,
    only_setup: bool = False,
) -> Change:
    """Plan the downsampling ``steps`` ``(source mag, target mag)`` of one layer.

    Args:
        layouts: observed layouts of the layer's existing mags (at least every
            source mag that already exists and every existing target).
        interpolation: a parsed mode (see :func:`parse_interpolation_mode`).
        only_setup: create the new mags (empty) without computing them.

    Raises:
        MagNotFoundError: a source mag neither exists nor is made by an earlier step.
        InvalidArgumentError: a target finer than its source on some axis, an
            existing target without ``allow_overwrite``, an unknown mode.
    """
    if interpolation not in INTERPOLATION_MODES:
        raise InvalidArgumentError(f"unknown interpolation mode {interpolation!r}")
    layer = lookup.get_layer(spec, layer_name)
    fmt = _format(layer)
    topleft, size = layer_box(layer)
    dtype = layer_dtype(layer)
    known: dict[Vec3, ArrayLayout] = dict(layouts)
    new_layer = layer
    creates: list[PlanOp] = []
    created: list[Vec3] = []
    stages: list[tuple[str, list[PlanOp]]] = []
    counts: list[tuple[Vec3, int]] = []
    for step in steps:
        source, target = _checked_step(step, known, layer_name, "downsample")
        if any(t < s for s, t in zip(source, target)):
            raise InvalidArgumentError(
                f"Failed to downsample data. The from_mag ({mag_dir_name(source)}) "
                f"is greater than the target_mag ({mag_dir_name(target)})"
            )
        exists = lookup.has_mag(layer, target)
        if target in created or (exists and not allow_overwrite):
            raise InvalidArgumentError(
                f"The target mag {mag_dir_name(target)} already exists in layer "
                f"{layer_name!r}. Pass allow_overwrite=True to overwrite it."
            )
        if exists:
            target_spec = lookup.get_mag(new_layer, target)
            if not is_local_mag(new_layer, target_spec):
                raise ReadOnlyError(
                    f"cannot overwrite mag {mag_dir_name(target)} of layer "
                    f"{layer_name!r}: its files belong to another dataset "
                    f"({target_spec.path})"
                )
            layout = known[target]
            ref_shard = layout.shard_shape
        else:
            layout = downsampled_layout(
                layer,
                target,
                known[source],
                compress=compress,
                chunk_shape=chunk_shape,
                shard_shape=shard_shape,
            )
            ref_shard = reference_shard_shape(fmt, size, chunk_shape, shard_shape)
            create, new_layer = _add_target_mag(new_layer, target, layout)
            creates.append(create)
            created.append(target)
        known[target] = layout
        if only_setup or not all(s > 0 for s in size):
            continue
        factors: Vec3 = (
            target[0] // source[0],
            target[1] // source[1],
            target[2] // source[2],
        )
        valid_offset, valid_size = mag_box(topleft, size, source)
        t_offset, t_size = mag_box(topleft, size, target)
        tile = tile_shape(factors, ref_shard, buffer_shape)
        source_path = _mag_path(new_layer, source)
        target_path = _mag_path(new_layer, target)
        ops: list[PlanOp] = [
            DownsampleRegion(
                layer=layer_name,
                source_path=source_path,
                source_format=fmt,
                source_mag=source,
                target_path=target_path,
                target_format=fmt,
                target_mag=target,
                offset=off,
                size=sz,
                valid_offset=valid_offset,
                valid_size=valid_size,
                interpolation=interpolation,
                dtype=dtype,
                num_channels=layer.num_channels,
                tile_shape=tile,
                job_shape=job_shape(ref_shard),
                fresh=not exists,
            )
            for off, sz in op_regions(t_offset, t_size, layout)
        ]
        stages.append((f"downsample {layer_name} {mag_dir_name(target)}", ops))
        counts.append((target, len(ops)))
    new = lookup.replace_layer(spec, layer_name, new_layer)
    summary = _summary(layer_name, created, counts, "downsample")
    if only_setup:
        summary = [f"{layer_name} +mag {mag_dir_name(m)} (empty)" for m in created]
    return make_change(
        spec,
        new,
        [("create", creates), *stages],
        summary=summary,
        write_properties=True if (created or counts) else None,
    )


def plan_upsample(
    spec: DatasetSpec,
    layer_name: str,
    steps: Sequence[Step],
    layouts: Mapping[Vec3, ArrayLayout],
    *,
    compress: bool = True,
    chunk_shape: Vec3 | None = None,
    shard_shape: Vec3 | None = None,
) -> Change:
    """Plan upsampling ``steps`` ``(source mag, finer target mag)`` of one layer.

    Each target covers the layer box aligned to its source mag (like the
    reference), voxels replicated.

    Raises:
        MagNotFoundError: a source mag is missing.
        InvalidArgumentError: a target coarser than its source, or already existing.
    """
    layer = lookup.get_layer(spec, layer_name)
    fmt = _format(layer)
    topleft, size = layer_box(layer)
    dtype = layer_dtype(layer)
    known: dict[Vec3, ArrayLayout] = dict(layouts)
    new_layer = layer
    creates: list[PlanOp] = []
    created: list[Vec3] = []
    stages: list[tuple[str, list[PlanOp]]] = []
    counts: list[tuple[Vec3, int]] = []
    for step in steps:
        source, target = _checked_step(step, known, layer_name, "upsample")
        if any(t > s for s, t in zip(source, target)):
            raise InvalidArgumentError(
                f"Failed to upsample data. The target mag ({mag_dir_name(target)}) "
                f"is coarser than the from_mag ({mag_dir_name(source)})"
            )
        if lookup.has_mag(layer, target) or target in created:
            raise InvalidArgumentError(
                f"cannot upsample to mag {mag_dir_name(target)}: it already exists "
                f"in layer {layer_name!r}"
            )
        layout = downsampled_layout(
            layer,
            target,
            known[source],
            compress=compress,
            chunk_shape=chunk_shape,
            shard_shape=shard_shape,
        )
        create, new_layer = _add_target_mag(new_layer, target, layout)
        creates.append(create)
        created.append(target)
        known[target] = layout
        if not all(s > 0 for s in size):
            continue
        factors = (
            source[0] // target[0],
            source[1] // target[1],
            source[2] // target[2],
        )
        s_off, s_size = mag_box(topleft, size, source)
        t_off: Vec3 = (
            s_off[0] * factors[0],
            s_off[1] * factors[1],
            s_off[2] * factors[2],
        )
        t_size: Vec3 = (
            s_size[0] * factors[0],
            s_size[1] * factors[1],
            s_size[2] * factors[2],
        )
        ops: list[PlanOp] = [
            UpsampleRegion(
                layer=layer_name,
                source_path=_mag_path(new_layer, source),
                source_format=fmt,
                source_mag=source,
                target_path=_mag_path(new_layer, target),
                target_format=fmt,
                target_mag=target,
                offset=off,
                size=sz,
                dtype=dtype,
                num_channels=layer.num_channels,
                fresh=True,
            )
            for off, sz in op_regions(t_off, t_size, layout)
        ]
        stages.append((f"upsample {layer_name} {mag_dir_name(target)}", ops))
        counts.append((target, len(ops)))
    new = lookup.replace_layer(spec, layer_name, new_layer)
    return make_change(
        spec,
        new,
        [("create", creates), *stages],
        summary=_summary(layer_name, created, counts, "upsample"),
    )


__all__ = [
    "INTERPOLATION_MODES",
    "RESAMPLE_PIECE_BYTES",
    "SAMPLING_MODES",
    "check_distinct_max_dims",
    "default_coarsest_mag",
    "downsampled_layout",
    "job_shape",
    "mag_box",
    "mags_to_downsample",
    "mags_to_upsample",
    "op_regions",
    "parse_interpolation_mode",
    "parse_sampling_mode",
    "plan_downsample",
    "plan_upsample",
    "reference_shard_shape",
    "sampling_ladder",
    "tile_shape",
]
