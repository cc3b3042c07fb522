"""Pure planners for multi-resolution pyramids (downsampling and upsampling).

:func:`plan_downsample` and :func:`plan_upsample` turn a chain of mag steps into a
plan: one stage creating the new arrays, then one stage per target mag (each reads the
previous one), the properties written once at the end. Each op reads only the source
region it needs and holds a bounded amount of memory (``op.memory_estimate()``).
The ladder lives in :mod:`wkfn.transform.pyramid`, layouts and op tiling in
:mod:`wkfn.transform.resample_layout`; both are re-exported here.

Examples:
    >>> mags_to_downsample((1, 1, 1), (8, 8, 8), None)
    [(2, 2, 2), (4, 4, 4), (8, 8, 8)]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TypeVar

import msgspec

from wkfn.errors import (
    InvalidArgumentError,
    ReadOnlyError,
    SourceMagNotFoundError,
)
from wkfn.geometry.nd_check import extra_points
from wkfn.plan.ops import (
    RESAMPLE_PIECE_BYTES,
    CreateArray,
    DownsampleRegion,
    PlanOp,
    UpsampleRegion,
)
from wkfn.spec import lookup
from wkfn.spec.array import ArrayLayout, DataFormatName, NDSelect
from wkfn.spec.dataset import DatasetSpec
from wkfn.spec.layer import LayerSpec, MagSpec
from wkfn.spec.names import mag_dir_name
from wkfn.transform import nd_layer
from wkfn.transform.change import Change, make_change
from wkfn.transform.layer import AXIS_ORDER, is_local_mag, layer_dtype, spatial_box
from wkfn.transform.pyramid import (
    INTERPOLATION_MODES,
    SAMPLING_MODES,
    Step,
    Vec3,
    check_distinct_max_dims,
    check_mag,
    default_coarsest_mag,
    mags_to_downsample,
    mags_to_upsample,
    parse_interpolation_mode,
    parse_sampling_mode,
    sampling_ladder,
)
from wkfn.transform.resample_layout import (
    downsampled_layout,
    job_shape,
    mag_box,
    op_regions,
    reference_shard_shape,
    tile_shape,
)


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
    order = dict(AXIS_ORDER)
    if layout.dims:
        order = {d: i for i, d in enumerate(layout.dims) if d in AXIS_ORDER}
    return MagSpec(
        mag=mag,
        path=f"./{layer.name}/{mag_dir_name(mag)}",
        cube_length=layout.shard_shape[0] if layout.data_format == "wkw" else None,
        axis_order=order,
    )


def _checked_box(layer: LayerSpec) -> tuple[Vec3, Vec3]:
    """The x/y/z box of a layer (n-D layers resample x, y, z only)."""
    if layer.additional_axes and layer.data_format == "wkw":
        raise InvalidArgumentError(f"layer {layer.name!r}: n-D layers cannot be wkw")
    return spatial_box(layer)


def _new_mag_layout(
    layer: LayerSpec,
    target: Vec3,
    source: ArrayLayout,
    compress: bool,
    chunk_shape: Vec3 | None,
    shard_shape: Vec3 | None,
) -> ArrayLayout:
    """The layout of a new mag resampled from a mag of layout ``source``; an n-D
    layer's new mag keeps the dimensions of its other arrays."""
    layout = downsampled_layout(
        layer,
        target,
        source,
        compress=compress,
        chunk_shape=chunk_shape,
        shard_shape=shard_shape,
    )
    if not layer.additional_axes:
        return layout
    dims = nd_layer.array_dims(layer)
    bounds = {a.name: a.bounds for a in layer.additional_axes}
    return msgspec.structs.replace(
        layout,
        dims=dims,
        extra_shape=tuple(bounds[d][1] for d in dims if d in bounds),
    )


_Resample = TypeVar("_Resample", DownsampleRegion, UpsampleRegion)


def per_extra_point(
    layer: LayerSpec, source: Vec3, ops: list[_Resample]
) -> list[_Resample]:
    """3-D resampling ops repeated for every point of the layer's extra axes (the
    extra axes are never resampled); unchanged for 3-D layers."""
    if not layer.additional_axes:
        return ops
    box = nd_layer.layer_nd_box(layer)
    names = [a for a in box.axes if a not in ("x", "y", "z")]
    src_spec = lookup.get_mag(layer, source)
    out: list[_Resample] = []
    for values in extra_points(box):
        point = dict(zip(names, values))
        src = nd_layer.select(layer, src_spec, point)
        dst = NDSelect(dims=nd_layer.array_dims(layer), at=src.at)
        for op in ops:
            out.append(
                msgspec.structs.replace(op, source_select=src, target_select=dst)
            )
    return out


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
        raise SourceMagNotFoundError(
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
    topleft, size = _checked_box(layer)
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
            layout = _new_mag_layout(
                layer, target, known[source], compress, chunk_shape, shard_shape
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
        down = [
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
        ops: list[PlanOp] = list(per_extra_point(new_layer, source, down))
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
    topleft, size = _checked_box(layer)
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
        layout = _new_mag_layout(
            layer, target, known[source], compress, chunk_shape, shard_shape
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
        up = [
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
        up_ops: list[PlanOp] = list(per_extra_point(new_layer, source, up))
        stages.append((f"upsample {layer_name} {mag_dir_name(target)}", up_ops))
        counts.append((target, len(up_ops)))
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
