"""Copies, references and in-place rewrites of single mags.

``Layer.add_mag_as_copy`` / ``add_mag_as_ref`` / ``compress`` / ``rechunk`` and
``MagView.compress`` / ``rechunk``: plain functions taking the layer (or mag view)
first, bound as methods. Sources are observed through :mod:`wkfn.api._observe`, the
pure planners live in :mod:`wkfn.transform.copy`, and every plan is applied through
the session (region copies on a thread pool unless an executor is given).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from concurrent.futures import Executor
from typing import TYPE_CHECKING, Any

import msgspec

from wkfn.api._observe import absolute_location, mag_ref, source_mag
from wkfn.api._parse import copy_options, mag_tuple, optional_vec3
from wkfn.api._session import Session
from wkfn.errors import (
    InvalidArgumentError,
    ReadOnlyError,
    ShardArgumentsError,
)
from wkfn.execute.copy_tasks import drop_cached_arrays
from wkfn.execute.paths import resolve_path
from wkfn.geometry import Mag
from wkfn.spec import lookup
from wkfn.transform import copy as copy_transform

if TYPE_CHECKING:
    from wkfn.api.layer import Layer
    from wkfn.api.view import MagView

PathLike = str | os.PathLike[str]


# --------------------------------------------------------------------------- Layer


def add_mag_as_copy(
    layer: Layer,
    foreign_mag_view_or_path: Any,
    *,
    mag: object = None,
    extend_layer_bounding_box: bool = True,
    chunk_shape: object = None,
    shard_shape: object = None,
    chunks_per_shard: object = None,
    compress: bool | None = None,
    exists_ok: bool = False,
    executor: Executor | None = None,
    progress_desc: str | None = None,
) -> MagView:
    """Copy a mag (MagView or path ``<ds>/<layer>/<mag>``) into this layer."""
    session = layer.session
    session.check_writable()
    source = mag_ref(foreign_mag_view_or_path)
    target = mag_tuple(mag) if mag is not None else None
    options = copy_options(
        chunk_shape=chunk_shape,
        shard_shape=shard_shape,
        chunks_per_shard=chunks_per_shard,
        compress=compress,
    )
    change = copy_transform.add_mag_as_copy(
        session.spec,
        layer.name,
        source_mag(source.session, source.layer, source.mag),
        source.session.layer_spec(source.layer),
        mag=target,
        options=options,
        extend_layer_bounding_box=extend_layer_bounding_box,
        exists_ok=exists_ok,
    )
    session.apply(change, executor=executor, pool="bulk")
    result = Mag(target or source.mag.to_tuple())
    session.forget_layouts(layer.name, result.to_tuple())
    return layer.get_mag(result)


def add_mag_as_ref(
    layer: Layer,
    foreign_mag_view_or_path: Any,
    *,
    mag: object = None,
    extend_layer_bounding_box: bool = True,
) -> MagView:
    """Register a foreign mag's array (absolute path) as a mag of this layer."""
    session = layer.session
    session.check_writable()
    source = mag_ref(foreign_mag_view_or_path)
    target = mag_tuple(mag) if mag is not None else None
    change = copy_transform.add_mag_as_ref(
        session.spec,
        layer.name,
        source_mag(source.session, source.layer, source.mag),
        source.session.layer_spec(source.layer),
        path=absolute_location(source.session.mag_path(source.layer, source.mag)),
        mag=target,
        extend_layer_bounding_box=extend_layer_bounding_box,
    )
    session.apply(change, pool="bulk")
    result = Mag(target or source.mag.to_tuple())
    session.forget_layouts(layer.name, result.to_tuple())
    return layer.get_mag(result)


def compress_layer(layer: Layer, executor: Executor | None = None) -> None:
    """Compress every uncompressed mag of this layer in place."""
    rechunk(layer.session, compress_items(layer.session, layer.name, None), executor)


def rechunk_layer(
    layer: Layer,
    chunk_shape: object = None,
    shard_shape: object = None,
    compress: bool | None = None,
    executor: Executor | None = None,
    *,
    chunks_per_shard: object = None,
) -> None:
    """Change chunk/shard shapes (and compression) of every local mag in place."""
    items = []
    for m in layer.spec.mags:
        rel = lookup.resolve_mag_path(layer.name, m)
        if rel.startswith(f"./{layer.name}/"):
            items.append(
                rechunk_item(
                    layer.session,
                    layer.name,
                    Mag(m.mag),
                    chunk_shape,
                    shard_shape,
                    chunks_per_shard,
                    compress,
                )
            )
    rechunk(layer.session, items, executor)


# --------------------------------------------------------------------------- MagView


def compress_mag(
    view: MagView,
    target_path: PathLike | None = None,
    executor: Executor | None = None,
) -> None:
    """Compress this mag in place (no-op if compressed already)."""
    if target_path is not None:
        raise InvalidArgumentError(
            "compress(target_path=...) is not supported; use "
            "Layer.add_mag_as_copy(..., compress=True) on the target layer"
        )
    if view.read_only:
        raise ReadOnlyError(f"cannot compress {view}: it is read-only")
    session = view.session
    rechunk(session, compress_items(session, view.layer.name, [view.mag]), executor)


def rechunk_mag(
    view: MagView,
    chunk_shape: object = None,
    shard_shape: object = None,
    compress: bool | None = None,
    target_path: PathLike | None = None,
    executor: Executor | None = None,
    *,
    chunks_per_shard: object = None,
) -> None:
    """Change this mag's chunk/shard shape (and compression) in place."""
    if target_path is not None:
        raise InvalidArgumentError(
            "rechunk(target_path=...) is not supported; use "
            "Layer.add_mag_as_copy(...) on the target layer"
        )
    item = rechunk_item(
        view.session,
        view.layer.name,
        view.mag,
        chunk_shape,
        shard_shape,
        chunks_per_shard,
        compress,
    )
    rechunk(view.session, [item], executor)


# --------------------------------------------------------------------------- shared


def compress_items(
    session: Session, layer: str, mags: Iterable[Mag] | None
) -> list[copy_transform.RechunkItem]:
    """Rewrite jobs for the uncompressed local mags of a layer (all, or ``mags``)."""
    spec = session.layer_spec(layer)
    chosen = [Mag(m.mag) for m in spec.mags] if mags is None else list(mags)
    items = []
    for mag in chosen:
        mag_spec = lookup.get_mag(spec, mag.to_tuple())
        rel = lookup.resolve_mag_path(layer, mag_spec)
        if not rel.startswith(f"./{layer}/"):
            continue  # foreign mags are not ours to rewrite
        layout = session.layout(layer, mag)
        if layout.compress:
            continue
        src = source_mag(session, layer, mag, absolute=False)
        items.append(
            copy_transform.RechunkItem(
                layer=layer,
                source=src,
                target=msgspec.structs.replace(layout, compress=True),
            )
        )
    return items


def rechunk_item(
    session: Session,
    layer: str,
    mag: Mag,
    chunk_shape: object,
    shard_shape: object,
    chunks_per_shard: object,
    compress: bool | None,
) -> copy_transform.RechunkItem:
    """The rewrite job of one mag into a new chunk/shard layout."""
    if shard_shape is not None and chunks_per_shard is not None:
        raise ShardArgumentsError(
            "give either shard_shape or chunks_per_shard, not both"
        )
    src = source_mag(session, layer, mag, absolute=False)
    target = copy_transform.rechunk_layout(
        src.layout,
        chunk_shape=optional_vec3(chunk_shape, "chunk_shape"),
        shard_shape=optional_vec3(shard_shape, "shard_shape"),
        chunks_per_shard=optional_vec3(chunks_per_shard, "chunks_per_shard"),
        compress=compress,
    )
    return copy_transform.RechunkItem(layer=layer, source=src, target=target)


def rechunk(
    session: Session,
    items: list[copy_transform.RechunkItem],
    executor: Executor | None,
) -> None:
    """Rewrite mags in place (one plan), then drop the stale layouts and handles."""
    session.check_writable()
    if not items:
        return
    # a fixed token, not a random one: the same call after a crash plans the same
    # temporary arrays (``.rechunk-wkfn-<mag>``) and resumes them, also when some
    # mags were already swapped in (see wkfn.execute.resumable)
    if session.on_object_store:  # no rename there: write beside, switch the path
        change = copy_transform.rechunk_mags_switching(session.spec, items)
    else:
        change = copy_transform.rechunk_mags(session.spec, items, token="wkfn")
    session.apply(change, executor=executor, pool="bulk")
    for item in items:
        session.forget_layouts(item.layer, item.source.mag)
    if not session.is_recording:
        root = session.local_root()
        drop_cached_arrays(*(resolve_path(root, item.source.path) for item in items))
        if session.on_object_store:  # the mags now live at switched paths
            drop_cached_arrays(
                *(session.mag_path(i.layer, Mag(i.source.mag)) for i in items)
            )
