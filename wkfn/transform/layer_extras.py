"""Pure planners behind the less common ``Layer`` methods.

* :func:`add_mag_from_array` registers an existing zarr / zarr3 array (observed on
  disk by the caller) as a new mag: its files are copied or moved into
  ``./<layer>/<mag>``, so the dataset owns them afterwards.
* :func:`add_symlink_mag` links ``./<layer>/<mag>`` to a foreign mag (the deprecated
  predecessor of references).
* :func:`set_coordinate_transformations` replaces a layer's transformations.

Every check happens here, before a single op runs: a refused call leaves the
dataset and the source array untouched.
"""

from __future__ import annotations

from typing import Any

import msgspec

from wkfn.errors import DtypeMismatchError, InvalidArgumentError, MagExistsError
from wkfn.plan.ops import CopyTree, LinkPath, MovePath, PlanOp
from wkfn.spec import lookup
from wkfn.spec.dataset import DatasetSpec
from wkfn.spec.layer import LayerSpec, MagSpec
from wkfn.spec.names import mag_dir_name
from wkfn.transform.change import Change, make_change
from wkfn.transform.copy import AXIS_ORDER, SourceMag, add_mag_as_ref, extend_box
from wkfn.transform.layer import layer_dtype

Vec3 = tuple[int, int, int]

#: Formats whose arrays can be adopted as they are by :func:`add_mag_from_array`.
ZARR_FORMATS: tuple[str, ...] = ("zarr3", "zarr")


def _check_compatible(layer: LayerSpec, source: SourceMag) -> None:
    """Refuse an array whose format, dtype or channel count differs from the layer's.

    Raises:
        InvalidArgumentError: the layer is not zarr/zarr3, or the array has another
            format than the layer (a zarr v2 array in a zarr3 layer or vice versa).
        DtypeMismatchError: dtype or channel count differ.
    """
    if layer.data_format not in ZARR_FORMATS:
        raise InvalidArgumentError(
            f"layer {layer.name!r} is stored as {layer.data_format}; only zarr and "
            "zarr3 layers can adopt a zarr array"
        )
    if source.layout.data_format != layer.data_format:
        raise InvalidArgumentError(
            f"{source.path} is a {source.layout.data_format} array, layer "
            f"{layer.name!r} is stored as {layer.data_format}"
        )
    if (
        source.layout.dtype != layer_dtype(layer)
        or source.layout.num_channels != layer.num_channels
    ):
        raise DtypeMismatchError(
            f"{source.path} stores {source.layout.num_channels} x "
            f"{source.layout.dtype}, layer {layer.name!r} stores "
            f"{layer.num_channels} x {layer_dtype(layer)}"
        )


def add_mag_from_array(
    spec: DatasetSpec,
    layer_name: str,
    mag: Vec3,
    source: SourceMag,
    *,
    move: bool = False,
    extend_layer_bounding_box: bool = True,
    target_exists: bool = False,
) -> Change:
    """Adopt the array at ``source.path`` as mag ``mag`` of ``layer_name``.

    The array's files are copied (or, with ``move``, moved) unchanged to
    ``./<layer>/<mag dir>``; its voxel ``(0, 0, 0)`` stays at Mag-1 ``(0, 0, 0)``.
    With ``extend_layer_bounding_box`` the layer box grows to cover the array's
    shape (``shape * mag`` in Mag-1).

    Args:
        source: the array as observed on disk (``source.mag`` is ignored).
        target_exists: whether ``./<layer>/<mag dir>`` exists on disk already
            (observed by the caller); such a directory is never overwritten.

    Raises:
        MagExistsError: the layer has the mag, or its directory exists.
        InvalidArgumentError / DtypeMismatchError: see :func:`_check_compatible`.
    """
    layer = lookup.get_layer(spec, layer_name)
    if lookup.has_mag(layer, mag):
        raise MagExistsError(f"mag {mag} already exists in layer {layer_name!r}")
    _check_compatible(layer, source)
    target = f"./{layer_name}/{mag_dir_name(mag)}"
    if target_exists:
        raise MagExistsError(
            f"cannot add mag {mag} to layer {layer_name!r}: {target} exists on disk"
        )
    if extend_layer_bounding_box:
        layer = extend_box(layer, ((0, 0, 0), source.layout.shape), mag)
    mag_spec = MagSpec(mag=mag, path=target, axis_order=dict(AXIS_ORDER))
    new = lookup.replace_layer(spec, layer_name, lookup.with_mag_added(layer, mag_spec))
    op: PlanOp
    if move:
        op = MovePath(source=source.path, target=target)
    else:
        op = CopyTree(source=source.path, target=target)
    verb = "move" if move else "copy"
    return make_change(
        spec,
        new,
        [(f"{verb} array", [op])],
        summary=(f"{layer_name} +mag {mag_dir_name(mag)} ({verb} of {source.path})",),
    )


def add_symlink_mag(
    spec: DatasetSpec,
    layer_name: str,
    source: SourceMag,
    source_layer: LayerSpec,
    *,
    path: str,
    make_relative: bool = False,
    extend_layer_bounding_box: bool = True,
) -> Change:
    """Link ``./<layer>/<mag dir>`` to a foreign mag and record it at ``path``.

    ``path`` is the resolved foreign array as the caller wants it recorded
    (absolute, or relative to the dataset directory); the link is made relative to
    the layer directory with ``make_relative``. Checks as in
    :func:`wkfn.transform.copy.add_mag_as_ref`.
    """
    ref = add_mag_as_ref(
        spec,
        layer_name,
        source,
        source_layer,
        path=path,
        extend_layer_bounding_box=extend_layer_bounding_box,
    )
    link = LinkPath(
        source=source.path,
        target=f"./{layer_name}/{mag_dir_name(source.mag)}",
        relative=make_relative,
    )
    return make_change(
        spec,
        ref.spec,
        [("link", [link])],
        summary=(f"{layer_name} +mag link {link.target} -> {source.path}",),
    )


def set_coordinate_transformations(
    spec: DatasetSpec, layer_name: str, transforms: tuple[dict[str, Any], ...]
) -> Change:
    """Replace a layer's ``coordinateTransformations`` (JSON objects, in order)."""
    layer = lookup.get_layer(spec, layer_name)
    new_layer = msgspec.structs.replace(layer, coordinate_transformations=transforms)
    new = lookup.replace_layer(spec, layer_name, new_layer)
    return make_change(spec, new, summary=(f"{layer_name}.coordinateTransformations",))


__all__ = [
    "ZARR_FORMATS",
    "add_mag_from_array",
    "add_symlink_mag",
    "set_coordinate_transformations",
]
