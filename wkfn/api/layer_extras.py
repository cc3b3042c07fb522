"""Less common ``Layer`` / ``SegmentationLayer`` members, mixed into the facade.

* :class:`LayerExtrasMixin`: ``normalized_bounding_box``,
  ``coordinate_transformations``, ``add_mag_from_zarrarray`` and the deprecated mag
  adders (``add_copy_mag``, ``add_symlink_mag``, ``add_remote_mag``,
  ``add_fs_copy_mag``) that scripts written against older reference versions call.
* :class:`SegmentationLayerExtrasMixin`: ``refresh_largest_segment_id``.
* The coordinate transformation values a layer hands out
  (:class:`AffineCoordinateTransformation`,
  :class:`ThinPlateSplineCoordinateTransformation`).

Changes are planned by :mod:`wkfn.transform.layer_extras` and applied like every
other facade change, so they also work inside ``Dataset.dry_run()``.
"""

from __future__ import annotations

import os
import warnings
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from concurrent.futures import Executor
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from wkfn.api.copying import (
    _apply,
    _as_mag_view,
    _deprecated,
    _source_mag,
)
from wkfn.errors import InvalidArgumentError, StorageError
from wkfn.execute.executor import resolve_path
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


# ------------------------------------------------------------------ transformations


def _frozen_array(values: Any, what: str) -> np.ndarray[Any, np.dtype[np.float64]]:
    try:
        arr = np.array(values, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise InvalidArgumentError(f"{what} must be numeric, got {values!r}") from e
    arr.setflags(write=False)
    return arr


def _vec3(values: Any, what: str) -> np.ndarray[Any, np.dtype[np.float64]]:
    arr = _frozen_array(values, what)
    if arr.shape != (3,):
        raise InvalidArgumentError(f"{what} must be three floats, got {values!r}")
    return arr


class CoordinateTransformation(ABC):
    """One transformation placing a layer into its dataset's coordinate space.

    Values are immutable (read-only arrays, no attribute assignment); build a new
    one and assign the tuple to ``Layer.coordinate_transformations`` to change it.
    They only affect how WEBKNOSSOS renders the layer, never the voxel data.
    """

    __slots__ = ()

    @abstractmethod
    def _to_dict(self) -> dict[str, Any]:
        """The JSON object written to ``coordinateTransformations``."""

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __copy__(self) -> CoordinateTransformation:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> CoordinateTransformation:
        return self

    __hash__ = None  # type: ignore[assignment]


class AffineCoordinateTransformation(CoordinateTransformation):
    """An affine transformation as a 4x4 homogeneous matrix (``matrix[row][col]``,
    translation in the last column): a point ``p`` maps to
    ``matrix[:3, :3] @ p + matrix[:3, 3]``.

    Builders (``identity``, ``from_translation``, ``from_scale``) and combinators
    (``chain``, ``translate``, ``scale``) return new values; each combinator applies
    its step *after* the transformation it is called on.
    """

    __slots__ = ("matrix",)
    matrix: np.ndarray[Any, np.dtype[np.float64]]

    def __init__(self, matrix: Any) -> None:
        arr = _frozen_array(matrix, "matrix")
        if arr.shape != (4, 4):
            raise InvalidArgumentError(
                f"The affine matrix must have shape (4, 4), got {arr.shape}."
            )
        object.__setattr__(self, "matrix", arr)

    @classmethod
    def identity(cls) -> AffineCoordinateTransformation:
        """The transformation that changes nothing."""
        return cls(np.eye(4))

    @classmethod
    def from_translation(cls, translation: Any) -> AffineCoordinateTransformation:
        """A pure translation by ``(x, y, z)``."""
        matrix = np.eye(4)
        matrix[:3, 3] = _vec3(translation, "translation")
        return cls(matrix)

    @classmethod
    def from_scale(cls, scale: Any) -> AffineCoordinateTransformation:
        """A pure scaling by ``(x, y, z)`` around the origin."""
        matrix = np.eye(4)
        matrix[:3, :3] = np.diag(_vec3(scale, "scale"))
        return cls(matrix)

    def chain(
        self, other: AffineCoordinateTransformation
    ) -> AffineCoordinateTransformation:
        """This transformation first, then ``other``."""
        if not isinstance(other, AffineCoordinateTransformation):
            raise InvalidArgumentError(
                f"can only chain affine transformations, got {other!r}"
            )
        return AffineCoordinateTransformation(other.matrix @ self.matrix)

    def translate(self, translation: Any) -> AffineCoordinateTransformation:
        """This transformation, then a translation."""
        return self.chain(AffineCoordinateTransformation.from_translation(translation))

    def scale(self, scale: Any) -> AffineCoordinateTransformation:
        """This transformation, then a scaling around the origin."""
        return self.chain(AffineCoordinateTransformation.from_scale(scale))

    def _to_dict(self) -> dict[str, Any]:
        return {"type": "affine", "matrix": self.matrix.tolist()}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AffineCoordinateTransformation):
            return NotImplemented
        return bool(np.array_equal(self.matrix, other.matrix))

    def __repr__(self) -> str:
        return f"AffineCoordinateTransformation(matrix={self.matrix!r})"


class ThinPlateSplineCoordinateTransformation(CoordinateTransformation):
    """A non-linear warp: landmark ``source[i]`` maps onto ``target[i]``, with a
    thin plate spline in between. Both are ``(N, 3)`` arrays of equal length."""

    __slots__ = ("source", "target")
    source: np.ndarray[Any, np.dtype[np.float64]]
    target: np.ndarray[Any, np.dtype[np.float64]]

    def __init__(self, source: Any, target: Any) -> None:
        src = _frozen_array(source, "source")
        dst = _frozen_array(target, "target")
        for arr in (src, dst):
            if arr.ndim != 2 or arr.shape[1] != 3:
                raise InvalidArgumentError(
                    f"The correspondences must have shape (N, 3), got {arr.shape}."
                )
        if len(src) != len(dst):
            raise InvalidArgumentError(
                "The source and target correspondences must have the same length, "
                f"got {len(src)} and {len(dst)}."
            )
        object.__setattr__(self, "source", src)
        object.__setattr__(self, "target", dst)

    @classmethod
    def from_pairs(
        cls, pairs: Iterable[tuple[Any, Any]]
    ) -> ThinPlateSplineCoordinateTransformation:
        """Build from ``(source, target)`` landmark pairs."""
        items = list(pairs)
        return cls(
            np.reshape([p[0] for p in items], (-1, 3)),
            np.reshape([p[1] for p in items], (-1, 3)),
        )

    @property
    def pairs(self) -> list[tuple[Any, Any]]:
        """The correspondences as ``(source, target)`` pairs."""
        return list(zip(self.source, self.target))

    def _to_dict(self) -> dict[str, Any]:
        return {
            "type": "thin_plate_spline",
            "correspondences": {
                "source": self.source.tolist(),
                "target": self.target.tolist(),
            },
        }

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ThinPlateSplineCoordinateTransformation):
            return NotImplemented
        return bool(
            np.array_equal(self.source, other.source)
            and np.array_equal(self.target, other.target)
        )

    def __repr__(self) -> str:
        return (
            f"ThinPlateSplineCoordinateTransformation(source={self.source!r}, "
            f"target={self.target!r})"
        )


class _OpaqueCoordinateTransformation(CoordinateTransformation):
    """A transformation type wkfn does not model; kept verbatim so it round-trips."""

    __slots__ = ("raw",)
    raw: dict[str, Any]

    def __init__(self, raw: dict[str, Any]) -> None:
        object.__setattr__(self, "raw", dict(raw))

    def _to_dict(self) -> dict[str, Any]:
        return dict(self.raw)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _OpaqueCoordinateTransformation):
            return NotImplemented
        return self.raw == other.raw

    def __repr__(self) -> str:
        return f"CoordinateTransformation({self.raw!r})"


def transformation_from_json(obj: dict[str, Any]) -> CoordinateTransformation:
    """The value for one ``coordinateTransformations`` entry."""
    kind = obj.get("type")
    if kind == "affine" and "matrix" in obj:
        return AffineCoordinateTransformation(obj["matrix"])
    corr = obj.get("correspondences")
    if kind == "thin_plate_spline" and isinstance(corr, dict):
        return ThinPlateSplineCoordinateTransformation(
            corr.get("source", []), corr.get("target", [])
        )
    return _OpaqueCoordinateTransformation(obj)


# --------------------------------------------------------------------------- helpers


def _me(obj: object) -> Layer:
    """The mixins are only ever bases of ``Layer``."""
    return cast("Layer", obj)


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


class LayerExtrasMixin:
    """``normalized_bounding_box``, ``coordinate_transformations``,
    ``add_mag_from_zarrarray`` and the deprecated mag adders of ``Layer``."""

    @property
    def normalized_bounding_box(self) -> NDBoundingBox:
        """The layer box with a leading ``c`` axis (``0 .. num_channels``).

        Extra axes of n-D layers are included; axes are ordered (and indexed) by
        their position in the array.
        """
        me = _me(self)
        spec = me._spec
        top, size = spatial_box(spec)
        order = spec.bounding_box.axis_order or {}
        entries: list[tuple[int, str, int, int]] = [
            (order.get("c", 0), "c", 0, me.num_channels)
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

    @property
    def coordinate_transformations(self) -> tuple[CoordinateTransformation, ...]:
        """Transformations placing the layer in the dataset space (applied in
        order; empty if there are none)."""
        return tuple(
            transformation_from_json(t)
            for t in _me(self)._spec.coordinate_transformations
        )

    @coordinate_transformations.setter
    def coordinate_transformations(
        self, value: Sequence[CoordinateTransformation] | None
    ) -> None:
        me = _me(self)
        me._dataset._check_writable()
        items = tuple(value or ())
        for item in items:
            if not isinstance(item, CoordinateTransformation):
                raise TypeError(
                    f"expected CoordinateTransformation values, got {item!r}"
                )
        change = extras_transform.set_coordinate_transformations(
            me._dataset._spec, me.name, tuple(t._to_dict() for t in items)
        )
        me._dataset._apply(change)

    def add_mag_from_zarrarray(
        self,
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
        from wkfn.api.view import MagView

        me = _me(self)
        ds = me._dataset
        ds._check_writable()
        parsed = Mag(mag)  # type: ignore[arg-type]
        source = os.path.abspath(os.fspath(path))
        observed = _observe_zarr_array(source, me._spec.data_format)
        target = resolve_path(ds.path, f"./{me.name}/{mag_dir_name(parsed.to_tuple())}")
        change = extras_transform.add_mag_from_array(
            ds._spec,
            me.name,
            parsed.to_tuple(),
            observed,
            move=move,
            extend_layer_bounding_box=extend_layer_bounding_box,
            target_exists=os.path.lexists(target),
        )
        _apply(ds, change)
        ds._layouts.pop((me.name, parsed.to_tuple()), None)
        return MagView(me, parsed)

    # ------------------------------------------------------------------ deprecated
    def add_copy_mag(
        self,
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
        _deprecated("add_copy_mag", "add_mag_as_copy")
        return _me(self).add_mag_as_copy(
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
        self,
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
        from wkfn.api.view import MagView

        warnings.warn(
            "Using symlinks is deprecated and will be removed in a future version. "
            "Use `add_mag_as_ref` instead, which adds the mag as a reference to "
            "this layer.",
            DeprecationWarning,
            stacklevel=2,
        )
        me = _me(self)
        ds = me._dataset
        ds._check_writable()
        view = _as_mag_view(foreign_mag_view_or_path)
        real = os.path.realpath(view.layer._mag_path(view.mag))
        recorded = (
            os.path.relpath(real, os.path.realpath(ds.path)) if make_relative else real
        )
        change = extras_transform.add_symlink_mag(
            ds._spec,
            me.name,
            _source_mag(view.layer, view.mag),
            view.layer._spec,
            path=recorded,
            make_relative=make_relative,
            extend_layer_bounding_box=extend_layer_bounding_box,
        )
        _apply(ds, change)
        ds._layouts.pop((me.name, view.mag.to_tuple()), None)
        return MagView(me, view.mag)

    def add_remote_mag(
        self,
        foreign_mag_view_or_path: Any,
        *,
        extend_layer_bounding_box: bool = True,
    ) -> MagView:
        """Deprecated alias of ``add_mag_as_ref``."""
        _deprecated("add_remote_mag", "add_mag_as_ref")
        return _me(self).add_mag_as_ref(
            foreign_mag_view_or_path,
            extend_layer_bounding_box=extend_layer_bounding_box,
        )

    def add_fs_copy_mag(
        self,
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
        return _me(self).add_mag_as_copy(
            foreign_mag_view_or_path,
            extend_layer_bounding_box=extend_layer_bounding_box,
            exists_ok=exists_ok,
        )


# ------------------------------------------------------------------ segmentation


class SegmentationLayerExtrasMixin:
    """``refresh_largest_segment_id`` of ``SegmentationLayer``."""

    def refresh_largest_segment_id(
        self,
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
        me = cast("SegmentationLayer", self)
        me._dataset._check_writable()
        largest: int | None = None
        if me._spec.mags:
            results = me.get_finest_mag().map_chunk(
                _chunk_max, chunk_shape=chunk_shape, executor=executor
            )
            if results:
                largest = max([0, *(r for r in results if r is not None)])
        me.largest_segment_id = largest


__all__ = [
    "AffineCoordinateTransformation",
    "CoordinateTransformation",
    "LayerExtrasMixin",
    "SegmentationLayerExtrasMixin",
    "ThinPlateSplineCoordinateTransformation",
    "transformation_from_json",
]
