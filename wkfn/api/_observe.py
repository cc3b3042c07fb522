"""What the copy planners need to know about source layers and mags, observed once.

The pure planners of :mod:`wkfn.transform.copy` take observed facts as data
(:class:`SourceLayer`, :class:`SourceMag`); this module gathers them through a
:class:`~wkfn.api._session.Session`: specs, resolved paths, layouts and the shards
present on disk. It also turns the reference's loose "layer or path" / "mag view or
path" arguments into references (session, layer name, mag) without importing the
facade classes.
"""

from __future__ import annotations

import os
import posixpath
from pathlib import Path
from typing import Any, NamedTuple, Protocol, runtime_checkable

from wkfn.api._session import Session, open_session
from wkfn.errors import InvalidArgumentError
from wkfn.execute.paths import resolve_path
from wkfn.geometry import Mag
from wkfn.spec import lookup
from wkfn.storage.location import is_url
from wkfn.transform.copy import SourceLayer, SourceMag

Vec3 = tuple[int, int, int]


class LayerRef(NamedTuple):
    """One layer of a dataset: its session and its name."""

    session: Session
    name: str


class MagRef(NamedTuple):
    """One mag of a layer of a dataset."""

    session: Session
    layer: str
    mag: Mag


@runtime_checkable
class _LayerLike(Protocol):
    """What a facade ``Layer`` offers (checked structurally, not by import)."""

    @property
    def session(self) -> Session: ...

    @property
    def name(self) -> str: ...

    def get_mag(self, mag: Any) -> Any: ...


@runtime_checkable
class _MagViewLike(Protocol):
    """What a facade ``MagView`` offers (a ``View`` lacks the disk listing)."""

    @property
    def session(self) -> Session: ...

    @property
    def layer(self) -> Any: ...

    @property
    def mag(self) -> Mag: ...

    def get_bounding_boxes_on_disk(self) -> Any: ...


def layer_ref(value: object) -> LayerRef:
    """A ``Layer`` or a path ``<dataset>/<layer>`` (or ``s3://`` URL / UPath of one)
    as a reference."""
    if not isinstance(value, _LayerLike) and is_url(value):
        url = str(value).rstrip("/")
        session = open_session(posixpath.dirname(url))
        name = posixpath.basename(url)
        lookup.get_layer(session.spec, name)
        return LayerRef(session, name)
    if isinstance(value, str | os.PathLike):
        path = Path(os.fspath(value).rstrip("/") or "/")
        session = open_session(path.parent)
        lookup.get_layer(session.spec, path.name)
        return LayerRef(session, path.name)
    if isinstance(value, _LayerLike):
        return LayerRef(value.session, value.name)
    raise InvalidArgumentError(
        f"expected a Layer or a path <dataset>/<layer>, got {value!r}"
    )


def mag_ref(value: object) -> MagRef:
    """A ``MagView`` or a path ``<dataset>/<layer>/<mag>`` as a reference."""
    if isinstance(value, _MagViewLike):
        return MagRef(value.session, value.layer.name, value.mag)
    if is_url(value):  # s3://bucket/ds/layer/mag (or a UPath of it)
        url = str(value).rstrip("/")
        ref = layer_ref(posixpath.dirname(url))
        mag = Mag(posixpath.basename(url))
        lookup.get_mag(ref.session.layer_spec(ref.name), mag.to_tuple())
        return MagRef(ref.session, ref.name, mag)
    if isinstance(value, str | os.PathLike):
        path = Path(os.fspath(value).rstrip("/"))
        layer = layer_ref(path.parent)
        mag = Mag(path.name)
        lookup.get_mag(layer.session.layer_spec(layer.name), mag.to_tuple())
        return MagRef(layer.session, layer.name, mag)
    raise InvalidArgumentError(f"expected a MagView or a mag path, got {value!r}")


def source_mag(
    session: Session, layer: str, mag: Mag, *, absolute: bool = True
) -> SourceMag:
    """The observed facts of one mag: path, layout and the shards on disk."""
    from wkfn.storage.arrays import shard_boxes_on_disk

    spec = lookup.get_mag(session.layer_spec(layer), mag.to_tuple())
    rel = lookup.resolve_mag_path(layer, spec)
    path = session.mag_path(layer, mag)
    if absolute and not is_url(path):
        path = os.path.abspath(path)
    layout = session.layout(layer, mag)
    present: tuple[tuple[Vec3, Vec3], ...] | None = None
    if not layout.dims:  # n-D arrays: shards are not listed (copied whole)
        try:
            present = tuple(shard_boxes_on_disk(path, layout.data_format))
        except (OSError, ValueError):
            present = None
    return SourceMag(
        mag=mag.to_tuple(),
        path=path if absolute else rel,
        layout=layout,
        present=present,
    )


def source_layer(
    session: Session, layer: str, *, with_mags: bool = True
) -> SourceLayer:
    """The observed facts of one layer (and, by default, of all its mags)."""
    path = session.root
    # a dataset read over HTTP or on a store keeps its URL (copies decode/encode)
    root = str(path) if is_url(path) else os.path.abspath(str(path))
    spec = session.layer_spec(layer)
    mags: tuple[SourceMag, ...] = ()
    if with_mags:
        mags = tuple(source_mag(session, layer, Mag(m.mag)) for m in spec.mags)
    return SourceLayer(
        spec=spec, root=root, path=posixpath.join(root, layer), mags=mags
    )


def ref_mag_paths(
    session: Session, layer: str, target_root: Path | str, make_relative: bool
) -> dict[Vec3, str]:
    """Resolved paths of the layer's mags, absolute or relative to ``target_root``."""
    out: dict[Vec3, str] = {}
    for m in session.layer_spec(layer).mags:
        rel = lookup.resolve_mag_path(layer, m)
        location = session.mag_path(layer, Mag(m.mag))
        if is_url(location):
            out[m.mag] = location  # a URL stays a URL, relative to nothing
            continue
        if is_url(target_root):  # a store cannot point relative to a disk
            out[m.mag] = os.path.realpath(location)
            continue
        base = os.path.realpath(target_root)
        real = os.path.realpath(resolve_path(str(session.root), rel))
        out[m.mag] = os.path.relpath(real, base) if make_relative else real
    return out


def absolute_location(path: str) -> str:
    """A URL as it is; a local path absolute and symlink-free."""
    return path if is_url(path) else os.path.realpath(path)
