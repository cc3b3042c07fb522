"""Copies and references of single mags (``add_mag_as_copy`` / ``add_mag_as_ref``).

:class:`Parts` gathers the ops of several mag copies stage by stage;
:func:`copy_mag_into` plans one mag copy, as file copy when the layouts allow it and
as region conversion otherwise.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import msgspec

from wkfn.errors import (
    InvalidArgumentError,
    MagExistsError,
    UnsupportedLayerError,
)
from wkfn.plan.ops import (
    CopyRegion,
    CopyTree,
    CreateArray,
    PlanOp,
)
from wkfn.spec import lookup
from wkfn.spec.array import ArrayLayout, NDSelect
from wkfn.spec.dataset import DatasetSpec
from wkfn.spec.layer import LayerSpec, MagSpec
from wkfn.spec.names import mag_dir_name
from wkfn.spec.urls import has_url_scheme
from wkfn.transform.change import Change, make_change
from wkfn.transform.copy.records import (
    AXIS_ORDER,
    DEFAULT_OPTIONS,
    Box,
    CopyOptions,
    SourceMag,
    Vec3,
    describe_layout,
    mag_box,
    same_storage,
    target_layout,
)
from wkfn.transform.copy.regions import region_ops
from wkfn.transform.layer import layer_dtype, spatial_box


class Parts:
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


def copy_mag_into(
    acc: Parts,
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
    topleft, size = spatial_box(sizing_layer)
    layout = target_layout(
        source.layout, options, mag=target_mag, topleft=topleft, size=size
    )
    axis_order = dict(AXIS_ORDER)
    if source.layout.dims:
        if layout.data_format == "wkw":
            raise UnsupportedLayerError(
                f"layer {layer_name!r} has extra axes; wkw stores (c, x, y, z) only"
            )
        layout = msgspec.structs.replace(
            layout, dims=source.layout.dims, extra_shape=source.layout.extra_shape
        )
        axis_order = {d: i for i, d in enumerate(layout.dims) if d in AXIS_ORDER}
    name = mag_dir_name(target_mag)
    path = f"./{layer_name}/{name}"
    src_desc = f"{source.path} ({describe_layout(source.layout)})"
    # files are copied as they are only from a local source (no listing over HTTP)
    if same_storage(source.layout, layout) and not has_url_scheme(source.path):
        acc.create.append(CopyTree(source=source.path, target=path))
        acc.summary.append(f"{layer_name}/{name}: {src_desc} -> {path} (file copy)")
    else:
        acc.create.append(
            CreateArray(layer=layer_name, mag=name, path=path, layout=layout)
        )
        parts = nd_parts(
            sizing_layer,
            source,
            layout,
            region_ops(
                layer=layer_name,
                source=source,
                target_path=path,
                target=layout,
                box=region,
            ),
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
        axis_order=axis_order,
    )


def nd_parts(
    layer: LayerSpec,
    source: SourceMag,
    target: ArrayLayout,
    parts: list[list[CopyRegion]],
) -> list[list[CopyRegion]]:
    """Region copies repeated for every point of the extra axes of an n-D layer
    (``layer``'s bounds); unchanged for 3-D arrays."""
    if not source.layout.dims:
        return parts
    names = [d for d in source.layout.dims if d not in AXIS_ORDER]
    bounds = {a.name: a.bounds for a in layer.additional_axes}
    if sorted(bounds) != sorted(names):
        raise UnsupportedLayerError(
            f"layer {layer.name!r}: the extra axes {sorted(bounds)} do not match the "
            f"array dimensions {list(source.layout.dims)}"
        )
    points = list(itertools.product(*(range(*bounds[n]) for n in names)))
    out: list[list[CopyRegion]] = []
    for part in parts:
        ops: list[CopyRegion] = []
        for at in points:
            src = NDSelect(dims=source.layout.dims, at=at)
            dst = NDSelect(dims=target.dims, at=at)
            ops.extend(
                msgspec.structs.replace(op, source_select=src, target_select=dst)
                for op in part
            )
        out.append(ops)
    return out


def add_mag_as_copy(
    spec: DatasetSpec,
    layer_name: str,
    source: SourceMag,
    source_layer: LayerSpec,
    *,
    mag: Vec3 | None = None,
    options: CopyOptions = DEFAULT_OPTIONS,
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
        layer = extend_box(layer, region, target_mag)
    sizing = layer
    if not any(s > 0 for s in spatial_box(layer)[1]):
        sizing = extend_box(layer, region, target_mag)
    acc = Parts()
    mag_spec = copy_mag_into(
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
        layer = extend_box(layer, mag_box(source_layer, source.mag), target_mag)
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


def extend_box(layer: LayerSpec, region: Box, mag: Vec3) -> LayerSpec:
    """``layer`` with its box grown to cover ``region`` (voxels of ``mag``)."""
    (ro, rs) = region
    if any(s <= 0 for s in rs):
        return layer
    lo = [o * m for o, m in zip(ro, mag)]
    hi = [(o + s) * m for o, s, m in zip(ro, rs, mag)]
    (to, ts) = spatial_box(layer)
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
