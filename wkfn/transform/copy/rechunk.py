"""In-place rewrites of mags: rechunking and compression.

Each mag is converted into a temporary array next to it, which then replaces the
original (:class:`ReplacePath`), so a failure never leaves a half-written mag. On
an object store, which has no rename, the new array is written beside the old one
and the properties switch the mag's path to it (:func:`rechunk_mags_switching`).
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from wkfn.errors import InvalidArgumentError
from wkfn.plan.ops import (
    CreateArray,
    DeletePath,
    PlanOp,
    ReplacePath,
)
from wkfn.plan.plan import Stage
from wkfn.spec import lookup
from wkfn.spec.array import ArrayLayout
from wkfn.spec.dataset import DatasetSpec
from wkfn.spec.layer import LayerSpec, MagSpec
from wkfn.spec.names import mag_dir_name
from wkfn.transform.change import Change, make_change
from wkfn.transform.copy.mags import Parts
from wkfn.transform.copy.records import (
    SourceMag,
    Vec3,
    describe_layout,
    mag_box,
    same_storage,
)
from wkfn.transform.copy.regions import region_ops
from wkfn.transform.layout import choose_layout


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


def own_mag(
    spec: DatasetSpec, layer_name: str, mag: Vec3
) -> tuple[LayerSpec, MagSpec, str]:
    """(layer spec, mag spec, mag path) of a mag that lies inside its layer's
    directory (``./<layer>/...``), the only mags a rewrite may replace: a mag
    referenced from elsewhere (another dataset, a bucket) is not this dataset's
    to rewrite.

    Raises:
        InvalidArgumentError: the mag is stored outside its layer directory.
        LayerNotFoundError, MagNotFoundError: see :mod:`wkfn.spec.lookup`.
    """
    layer = lookup.get_layer(spec, layer_name)
    mag_spec = lookup.get_mag(layer, mag)
    path = lookup.resolve_mag_path(layer_name, mag_spec)
    if not path.startswith(f"./{layer_name}/"):
        raise InvalidArgumentError(
            f"mag {path} of layer {layer_name!r} is not stored in this dataset; "
            "copy it first (add_mag_as_copy) to change its storage"
        )
    return layer, mag_spec, path


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
    acc = Parts()
    new = spec
    for item in items:
        if same_storage(item.source.layout, item.target):
            continue
        layer, mag_spec, path = own_mag(new, item.layer, item.source.mag)
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


SWITCH_SUFFIX = "-rewritten"
"""Suffix of the alternate directory a mag is rewritten into on an object store."""


def switch_path(layer: str, name: str, current: str) -> str:
    """Where a rewrite on an object store puts the new array: the default
    ``./<layer>/<mag>`` unless the mag lives there now, then ``<mag>-rewritten``.

    The two alternate, so a rewrite never writes where the current data is.

    >>> switch_path("color", "1", "./color/1")
    './color/1-rewritten'
    >>> switch_path("color", "1", "./color/1-rewritten")
    './color/1'
    """
    default = f"./{layer}/{name}"
    return f"{default}{SWITCH_SUFFIX}" if current == default else default


def rechunk_mags_switching(spec: DatasetSpec, items: Sequence[RechunkItem]) -> Change:
    """Rewrite mags on a store without rename: new array, then switch the path.

    Each mag is written into an array at :func:`switch_path` (a leftover there from
    a killed run is deleted first); the properties, written last in one PUT, then
    name that array as the mag's ``path``; only after that does a final stage
    delete the old array. A reader opening the dataset at any moment gets
    properties that name a complete array: the old one (still all there until the
    properties switched) or the new one (complete before they did).

    Raises:
        InvalidArgumentError: a mag is not stored inside its layer directory.
    """
    acc = Parts()
    new = spec
    clear: list[PlanOp] = []
    cleanup: list[PlanOp] = []
    for item in items:
        if same_storage(item.source.layout, item.target):
            continue
        layer, mag_spec, path = own_mag(new, item.layer, item.source.mag)
        name = mag_dir_name(item.source.mag)
        target = switch_path(item.layer, name, path)
        clear.append(DeletePath(path=target, what="mag"))
        acc.create.append(
            CreateArray(layer=item.layer, mag=name, path=target, layout=item.target)
        )
        source = msgspec.structs.replace(item.source, path=path)
        parts = region_ops(
            layer=item.layer,
            source=source,
            target_path=target,
            target=item.target,
            box=mag_box(layer, item.source.mag),
        )
        acc.add_parts(parts)
        cleanup.append(DeletePath(path=path, what="mag"))
        n_ops = sum(len(p) for p in parts)
        acc.summary.append(
            f"{item.layer}/{name}: {describe_layout(item.source.layout)} -> "
            f"{describe_layout(item.target)} at {target} (path switched), "
            f"{n_ops} region ops"
        )
        new_mag = msgspec.structs.replace(mag_spec, path=target)
        new = lookup.replace_layer(
            new, item.layer, lookup.replace_mag(layer, item.source.mag, new_mag)
        )
    change = make_change(
        spec, new, [("clear", clear), *acc.stages()], summary=acc.summary
    )
    if not cleanup:
        return change
    stages = (*change.plan.stages, Stage(name="cleanup", ops=tuple(cleanup)))
    return msgspec.structs.replace(
        change, plan=msgspec.structs.replace(change.plan, stages=stages)
    )
