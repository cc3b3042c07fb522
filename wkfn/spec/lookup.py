"""Pure look-up and single-field update helpers on specs.

Layers and mags live in tuples in file order; these helpers find and replace them by
name / mag without mutating anything.

Example:
    >>> from wkfn.spec import BoundingBoxSpec, DatasetId, DatasetSpec, LayerSpec
    >>> from wkfn.spec import VoxelSizeSpec
    >>> bbox = BoundingBoxSpec(top_left=(0, 0, 0), width=0, height=0, depth=0)
    >>> layer = LayerSpec(
    ...     name="color", category="color", bounding_box=bbox, data_format="zarr3"
    ... )
    >>> ds = DatasetSpec(id=DatasetId(name="ds"), scale=VoxelSizeSpec(factor=(1, 1, 1)))
    >>> ds = add_layer(ds, layer)
    >>> get_layer(ds, "color") == layer, has_layer(ds, "other")
    (True, False)
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from wkfn.errors import (
    LayerExistsError,
    LayerNotFoundError,
    MagExistsError,
    MagNotFoundError,
)
from wkfn.spec.base import Vec3
from wkfn.spec.dataset import DatasetSpec
from wkfn.spec.layer import LayerSpec, MagSpec
from wkfn.spec.names import mag_dir_name

__all__ = [
    "add_layer",
    "get_layer",
    "get_mag",
    "has_layer",
    "has_mag",
    "remove_layer",
    "replace_layer",
    "replace_mag",
    "resolve_mag_path",
    "with_mag_added",
    "with_mag_removed",
]


def _mag_key(mag: Sequence[int]) -> tuple[int, ...]:
    return tuple(int(v) for v in mag)


def get_layer(spec: DatasetSpec, name: str) -> LayerSpec:
    """The layer called ``name``.

    Raises:
        LayerNotFoundError: no such layer (an ``IndexError``, like the reference).
    """
    for layer in spec.data_layers:
        if layer.name == name:
            return layer
    names = ", ".join(repr(layer.name) for layer in spec.data_layers) or "none"
    raise LayerNotFoundError(f"layer {name!r} does not exist (layers: {names})")


def has_layer(spec: DatasetSpec, name: str) -> bool:
    """Whether a layer called ``name`` exists."""
    return any(layer.name == name for layer in spec.data_layers)


def replace_layer(spec: DatasetSpec, name: str, new_layer: LayerSpec) -> DatasetSpec:
    """``spec`` with the layer called ``name`` replaced (it may be renamed).

    Raises:
        LayerNotFoundError: no layer called ``name``.
        LayerExistsError: ``new_layer`` is renamed onto another existing layer.
    """
    get_layer(spec, name)
    if new_layer.name != name and has_layer(spec, new_layer.name):
        raise LayerExistsError(f"layer {new_layer.name!r} already exists")
    layers = tuple(new_layer if ly.name == name else ly for ly in spec.data_layers)
    return msgspec.structs.replace(spec, data_layers=layers)


def add_layer(spec: DatasetSpec, layer: LayerSpec) -> DatasetSpec:
    """``spec`` with ``layer`` appended.

    Raises:
        LayerExistsError: a layer with that name exists (an ``IndexError``).
    """
    if has_layer(spec, layer.name):
        raise LayerExistsError(f"layer {layer.name!r} already exists")
    return msgspec.structs.replace(spec, data_layers=(*spec.data_layers, layer))


def remove_layer(spec: DatasetSpec, name: str) -> DatasetSpec:
    """``spec`` without the layer called ``name``.

    Raises:
        LayerNotFoundError: no such layer.
    """
    get_layer(spec, name)
    layers = tuple(ly for ly in spec.data_layers if ly.name != name)
    return msgspec.structs.replace(spec, data_layers=layers)


def get_mag(layer: LayerSpec, mag: Sequence[int]) -> MagSpec:
    """The entry of ``layer.mags`` for ``mag`` (a 3-tuple).

    Raises:
        MagNotFoundError: the layer has no such mag (an ``IndexError``).
    """
    key = _mag_key(mag)
    for mag_spec in layer.mags:
        if _mag_key(mag_spec.mag) == key:
            return mag_spec
    raise MagNotFoundError(f"layer {layer.name!r} has no mag {key}")


def has_mag(layer: LayerSpec, mag: Sequence[int]) -> bool:
    """Whether ``layer`` has ``mag``."""
    key = _mag_key(mag)
    return any(_mag_key(m.mag) == key for m in layer.mags)


def replace_mag(layer: LayerSpec, mag: Sequence[int], new_mag: MagSpec) -> LayerSpec:
    """``layer`` with the entry for ``mag`` replaced by ``new_mag``.

    Raises:
        MagNotFoundError: no such mag.
        MagExistsError: ``new_mag`` changes the mag onto another existing one.
    """
    key = _mag_key(mag)
    get_mag(layer, key)
    new_key = _mag_key(new_mag.mag)
    if new_key != key and has_mag(layer, new_key):
        raise MagExistsError(f"layer {layer.name!r} already has mag {new_key}")
    mags = tuple(new_mag if _mag_key(m.mag) == key else m for m in layer.mags)
    return msgspec.structs.replace(layer, mags=mags)


def with_mag_added(layer: LayerSpec, mag_spec: MagSpec) -> LayerSpec:
    """``layer`` with ``mag_spec`` appended.

    Raises:
        MagExistsError: the mag exists already.
    """
    if has_mag(layer, mag_spec.mag):
        raise MagExistsError(f"layer {layer.name!r} already has mag {mag_spec.mag}")
    return msgspec.structs.replace(layer, mags=(*layer.mags, mag_spec))


def with_mag_removed(layer: LayerSpec, mag: Sequence[int]) -> LayerSpec:
    """``layer`` without the entry for ``mag``.

    Raises:
        MagNotFoundError: no such mag.
    """
    key = _mag_key(mag)
    get_mag(layer, key)
    mags = tuple(m for m in layer.mags if _mag_key(m.mag) != key)
    return msgspec.structs.replace(layer, mags=mags)


def resolve_mag_path(layer_name: str, mag_spec: MagSpec) -> str:
    """The mag's ``path``, or the default ``./<layer>/<mag dir name>`` if missing.

    Example:
        >>> resolve_mag_path("color", MagSpec(mag=(2, 2, 1)))
        './color/2-2-1'
    """
    if mag_spec.path is not None:
        return mag_spec.path
    mag: Vec3 = mag_spec.mag
    return f"./{layer_name}/{mag_dir_name(mag)}"
