"""Less common ``Layer`` / ``SegmentationLayer`` members, bound by the classes.

* ``normalized_bounding_box``, ``coordinate_transformations`` (values in
  :mod:`wkfn.api.coordinate_transformations`, re-exported here),
  ``add_mag_from_zarrarray`` and the deprecated mag adders (``add_copy_mag``,
  ``add_symlink_mag``, ``add_remote_mag``, ``add_fs_copy_mag``) that scripts written
  against older reference versions call.
* ``refresh_largest_segment_id`` of segmentation layers.

Changes are planned by :mod:`wkfn.transform.layer_extras` and applied like every
other facade change, so they also work inside ``Dataset.dry_run()``.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from concurrent.futures import Executor
from typing import TYPE_CHECKING, Any

from wkfn.api._observe import mag_ref, source_mag
from wkfn.api._parse import deprecated
from wkfn.api.coordinate_transformations import (
    AffineCoordinateTransformation,
    CoordinateTransformation,
    ThinPlateSplineCoordinateTransformation,
    transformation_from_json,
)
from wkfn.errors import InvalidArgumentError, StorageError
from wkfn.execute.paths import resolve_path
from wkfn.geometry import BoundingBox, Mag, NDBoundingBox
from wkfn.spec.names import mag_dir_name
from wkfn.transform import layer_extras as extras_transform
from wkfn.transform.copy import SourceMag
from wkfn.transform.layer import spatial_box

if TYPE_CHECKING:
    from wkfn.api.layer import Layer, SegmentationLayer
    from wkfn.api.view import MagView, View

PathLike = str | os.PathLike[str]

#: Bytes one read of :func:`_chunk_max` holds at most (a chunk is read in z-slabs).
SLAB_BYTES = 64 * 1024 * 1024


# --------------------------------------------------------------------------- helpers


def _observe_zarr_array(path: str, preferred: str) -> SourceMag:
    """The layout of the zarr (v2 or v3) array at ``path``, the layer's format first.

    Raises:
        InvalidArgumentError: no readable 4-d ``(c, x, y, z)`` zarr array there.
    """
    from wkfn.storage.arrays import read_layout

    order = [preferred] if preferred in extras_transform.ZARR_FORMATS else []
    order += [f for f in extras_transform.ZARR_FORMATS if f not in order]
    problems = []
    for fmt in order:
        try:
            layout = read_layout(path, fmt)
        except StorageError as e:
            problems.append(str(e))
            continue
        return SourceMag(mag=(1, 1, 1), path=path, layout=layout)
    raise InvalidArgumentError(
        f"The given path does not lead to a valid Zarr Array: {path} "
        f"({'; '.join(problems)})"
    )


def _chunk_max(view: View) -> int | None:
    """Largest voxel value in ``view`` (``None`` if it is empty), read in z-slabs
    of at most :data:`SLAB_BYTES` so a big chunk never sits in memory whole."""
    box = view.bounding_box
    if box.is_empty():
        return None
    mag = view.mag.to_vec3_int()
    size_mag = box.in_mag(view.mag).size
    layer = view.layer
    plane = size_mag.x * size_mag.y * layer.num_channels * layer.dtype.itemsize
    step = max(1, SLAB_BYTES // max(1, plane)) * mag.z
    best: int | None = None
    top, bottom = box.topleft.z, box.bottomright.z
    for z in range(top, bottom, step):
        slab = BoundingBox(
            (box.topleft.x, box.topleft.y, z),
            (box.size.x, box.size.y, min(step, bottom - z)),
        )
        data = view.read(absolute_bounding_box=slab)
        if data.size:
            value = int(data.max())
            best = value if best is None else max(best, value)
    return best


# --------------------------------------------------------------------------- Layer


def normalized_bounding_box(layer: Layer) -> NDBoundingBox:
    """The layer box with a leading ``c`` axis (``0 .. num_channels``).

    Extra axes of n-D layers are included; axes are ordered (and indexed) by
    their position in the array.
    """
    spec = layer.spec
    top, size = spatial_box(spec)
    order = spec.bounding_box.axis_order or {}
    entries: list[tuple[int, str, int, int]] = [
        (order.get("c", 0), "c", 0, layer.num_channels)
    ]
    for i, axis in enumerate("xyz"):
        entries.append((order.get(axis, i + 1), axis, top[i], size[i]))
    for extra in spec.additional_axes:
        lo, hi = extra.bounds
        entries.append((extra.index, extra.name, lo, hi - lo))
    entries.sort(key=lambda e: e[0])
    return NDBoundingBox(
        topleft=[e[2] for e in entries],
        size=[e[3] for e in entries],
        axes=[e[1] for e in entries],
        index=[e[0] for e in entries],
    )


def coordinate_transformations(layer: Layer) -> tuple[CoordinateTransformation, ...]:
    """Transformations placing the layer in the dataset space (applied in
    order; empty if there are none)."""
    return tuple(
        transformation_from_json(t) for t in layer.spec.coordinate_transformations
    )


def set_coordinate_transformations(
    layer: Layer, value: Sequence[CoordinateTransformation] | None
) -> None:
    layer.session.check_writable()
    items = tuple(value or ())
    for item in items:
        if not isinstance(item, CoordinateTransformation):
            raise TypeError(f"expected CoordinateTransformation values, got {item!r}")
    change = extras_transform.set_coordinate_transformations(
        layer.session.spec, layer.name, tuple(t.to_dict() for t in items)
    )
    layer.session.apply(change)


def add_mag_from_zarrarray(
    layer: Layer,
    mag: object,
    path: PathLike,
    *,
    move: bool = False,
    extend_layer_bounding_box: bool = True,
) -> MagView:
    """Adopt an existing zarr array (v2 for ``zarr`` layers, v3 for ``zarr3``)
    as mag ``mag``: its files are copied (or moved, with ``move``) unchanged to
    ``<layer>/<mag>``.

    The array must be 4-d ``(c, x, y, z)`` with the layer's dtype and channel
    count; voxel ``(0, 0, 0)`` is Mag-1 ``(0, 0, 0)``. With
    ``extend_layer_bounding_box`` the layer box grows to cover the array.

    Raises:
        ReadOnlyError: the dataset is read-only.
        MagExistsError: the mag (or its directory) exists (an ``IndexError``).
        InvalidArgumentError: no zarr array at ``path``, another zarr version
            than the layer's, or a wkw layer (a ``ValueError``).
        DtypeMismatchError: dtype or channel count differ (a ``ValueError``).
    """
    session = layer.session
    session.check_writable()
    parsed = Mag(mag)  # type: ignore[arg-type]
    source = os.path.abspath(os.fspath(path))
    observed = _observe_zarr_array(source, layer.spec.data_format)
    target = resolve_path(
        session.local_root(), f"./{layer.name}/{mag_dir_name(parsed.to_tuple())}"
    )
    change = extras_transform.add_mag_from_array(
        session.spec,
        layer.name,
        parsed.to_tuple(),
        observed,
        move=move,
        extend_layer_bounding_box=extend_layer_bounding_box,
        target_exists=os.path.lexists(target),
    )
    session.apply(change)
    session.forget_layouts(layer.name, parsed.to_tuple())
    return layer.get_mag(parsed)


# ------------------------------------------------------------------ deprecated
def add_copy_mag(
    layer: Layer,
    foreign_mag_view_or_path: Any,
    *,
    extend_layer_bounding_box: bool = True,
    chunk_shape: object = None,
    shard_shape: object = None,
    chunks_per_shard: object = None,
    compress: bool | None = None,
    exists_ok: bool = False,
    executor: Executor | None = None,
    progress_desc: str | None = None,
) -> MagView:
    """Deprecated alias of ``add_mag_as_copy``."""
    deprecated("add_copy_mag", "add_mag_as_copy")
    return layer.add_mag_as_copy(
        foreign_mag_view_or_path,
        extend_layer_bounding_box=extend_layer_bounding_box,
        chunk_shape=chunk_shape,
        shard_shape=shard_shape,
        chunks_per_shard=chunks_per_shard,
        compress=compress,
        exists_ok=exists_ok,
        executor=executor,
        progress_desc=progress_desc,
    )


def add_symlink_mag(
    layer: Layer,
    foreign_mag_view_or_path: Any,
    *,
    make_relative: bool = False,
    extend_layer_bounding_box: bool = True,
) -> MagView:
    """Deprecated: link ``<layer>/<mag>`` to a foreign mag (use
    ``add_mag_as_ref``).

    The properties record the resolved foreign array (absolute, or relative to
    this dataset with ``make_relative``); the link is relative to the layer
    directory with ``make_relative``. Local file systems only.
    """
    warnings.warn(
        "Using symlinks is deprecated and will be removed in a future version. "
        "Use `add_mag_as_ref` instead, which adds the mag as a reference to "
        "this layer.",
        DeprecationWarning,
        stacklevel=2,
    )
    session = layer.session
    session.check_writable()
    view = mag_ref(foreign_mag_view_or_path)
    real = os.path.realpath(view.session.mag_path(view.layer, view.mag))
    recorded = (
        os.path.relpath(real, os.path.realpath(session.local_root()))
        if make_relative
        else real
    )
    change = extras_transform.add_symlink_mag(
        session.spec,
        layer.name,
        source_mag(view.session, view.layer, view.mag),
        view.session.layer_spec(view.layer),
        path=recorded,
        make_relative=make_relative,
        extend_layer_bounding_box=extend_layer_bounding_box,
    )
    session.apply(change)
    session.forget_layouts(layer.name, view.mag.to_tuple())
    return layer.get_mag(view.mag)


def add_remote_mag(
    layer: Layer,
    foreign_mag_view_or_path: Any,
    *,
    extend_layer_bounding_box: bool = True,
) -> MagView:
    """Deprecated alias of ``add_mag_as_ref``."""
    deprecated("add_remote_mag", "add_mag_as_ref")
    return layer.add_mag_as_ref(
        foreign_mag_view_or_path,
        extend_layer_bounding_box=extend_layer_bounding_box,
    )


def add_fs_copy_mag(
    layer: Layer,
    foreign_mag_view_or_path: Any,
    *,
    extend_layer_bounding_box: bool = True,
    exists_ok: bool = False,
) -> MagView:
    """Deprecated: ``add_mag_as_copy`` copies files as they are by itself when
    the layouts allow it."""
    warnings.warn(
        "[DEPRECATION] Direct use of `Layer.add_fs_copy_mag` is deprecated, "
        "please use `Layer.add_mag_as_copy` instead, which automatically uses "
        "file-based copy if available.",
        DeprecationWarning,
        stacklevel=2,
    )
    return layer.add_mag_as_copy(
        foreign_mag_view_or_path,
        extend_layer_bounding_box=extend_layer_bounding_box,
        exists_ok=exists_ok,
    )


# ------------------------------------------------------------------ segmentation


def refresh_largest_segment_id(
    layer: SegmentationLayer,
    *,
    chunk_shape: object = None,
    executor: Executor | None = None,
) -> None:
    """Set (and save) ``largest_segment_id`` to the largest voxel value of the
    finest mag.

    The mag is scanned chunk by chunk with ``map_chunk`` (``chunk_shape`` in
    Mag-1, one shard by default; ``executor`` runs the chunks). Like the
    reference, the result is ``None`` when there is nothing to scan (no mags
    or an empty bounding box) and never below 0 otherwise.

    Raises:
        ReadOnlyError: the dataset is read-only (checked before scanning).
        ChunkShapeError: ``chunk_shape`` is not a multiple of the shard shape.
    """
    layer.session.check_writable()
    largest: int | None = None
    if layer.spec.mags:
        results = layer.get_finest_mag().map_chunk(
            _chunk_max, chunk_shape=chunk_shape, executor=executor
        )
        if results:
            largest = max([0, *(r for r in results if r is not None)])
    layer.largest_segment_id = largest


__all__ = [
    "AffineCoordinateTransformation",
    "CoordinateTransformation",
    "ThinPlateSplineCoordinateTransformation",
    "add_copy_mag",
    "add_fs_copy_mag",
    "add_mag_from_zarrarray",
    "add_remote_mag",
    "add_symlink_mag",
    "coordinate_transformations",
    "normalized_bounding_box",
    "refresh_largest_segment_id",
    "set_coordinate_transformations",
    "transformation_from_json",
]
