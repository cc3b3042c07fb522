"""``Layer`` and ``SegmentationLayer``: one named layer of a dataset and its mags.

A layer object holds its dataset and its *name* only; every property is read from the
session's current spec, so objects never go stale after other calls change the spec.
The class owns the layer's properties and its mags (add / get / delete); the other
methods are one-line bindings of plain functions from the module of their concept:
:mod:`wkfn.api.resample` (pyramids), :mod:`wkfn.api.mag_copy` (mag copies, references,
rechunking), :mod:`wkfn.api.layer_extras` (transformations, zarr adoption, deprecated
adders) and :mod:`wkfn.api.attachments`.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import numpy as np

from wkfn.api import layer_export, layer_extras, mag_copy, parity, resample
from wkfn.api._parse import legacy_shapes
from wkfn.api._parse import optional_vec3 as _vec_or_none
from wkfn.api._session import Session
from wkfn.api.attachments import Attachments
from wkfn.api.enums import DataFormat
from wkfn.api.view import MagView
from wkfn.errors import InvalidArgumentError, ReadOnlyError
from wkfn.geometry import BoundingBox, Mag
from wkfn.spec import lookup
from wkfn.spec.layer import LayerSpec
from wkfn.spec.view_config import LayerViewConfiguration
from wkfn.transform import dataset as ds_transform
from wkfn.transform import layer as layer_transform
from wkfn.transform import nd_data, nd_layer

if TYPE_CHECKING:
    from wkfn.api.dataset import Dataset

Vec3 = tuple[int, int, int]


class Layer:
    """A color layer (base class of :class:`SegmentationLayer`)."""

    def __init__(self, dataset: Dataset, name: str) -> None:
        self._dataset = dataset
        self._name = name

    # ------------------------------------------------------------------ spec access
    @property
    def session(self) -> Session:
        """The effect boundary of the layer's dataset."""
        return self._dataset.session

    @property
    def spec(self) -> LayerSpec:
        """The layer's current (immutable) spec."""
        return lookup.get_layer(self.session.spec, self._name)

    @property
    def dataset(self) -> Dataset:
        """The dataset this layer belongs to."""
        return self._dataset

    @property
    def name(self) -> str:
        """Layer name; assigning renames the layer directory and mag paths."""
        return self._name

    @name.setter
    def name(self, new_name: str) -> None:
        if new_name == self._name:
            return
        self.session.check_writable()
        change = ds_transform.rename_layer(self.session.spec, self._name, new_name)
        self.session.apply(change)
        self.session.forget_layouts(self._name)
        self._name = new_name

    @property
    def path(self) -> Any:
        """Directory of the layer."""
        return self._dataset.path / self._name

    @property
    def category(self) -> str:
        """``"color"`` or ``"segmentation"``."""
        return self.spec.category

    @property
    def dtype_per_channel(self) -> np.dtype[Any]:
        """numpy dtype of one channel."""
        return np.dtype(layer_transform.layer_dtype(self.spec))

    @property
    def dtype(self) -> np.dtype[Any]:
        """Alias of :attr:`dtype_per_channel` (newer reference name)."""
        return self.dtype_per_channel

    @property
    def dtype_per_layer(self) -> str:
        """Element class of a whole voxel, e.g. ``"uint24"`` for RGB."""
        return self.spec.element_class

    @property
    def num_channels(self) -> int:
        """Channels per voxel."""
        return self.spec.num_channels

    @property
    def data_format(self) -> DataFormat:
        """Storage format of the layer's mags."""
        return DataFormat(self.spec.data_format)

    @property
    def read_only(self) -> bool:
        """True if the dataset was opened read-only."""
        return self._dataset.read_only

    @property
    def bounding_box(self) -> BoundingBox:
        """Mag-1 box of the layer's data (an ``NDBoundingBox`` for n-D layers)."""
        spec = self.spec
        if spec.additional_axes:
            return nd_layer.layer_nd_box(spec)  # type: ignore[return-value]
        topleft, size = layer_transform.spatial_box(spec)
        return BoundingBox(topleft, size)

    @bounding_box.setter
    def bounding_box(self, bbox: BoundingBox) -> None:
        self.session.check_writable()
        if self.spec.additional_axes:
            self.session.apply(
                nd_data.set_nd_bounding_box(self.session.spec, self._name, bbox)
            )
            return
        change = layer_transform.set_bounding_box(
            self.session.spec,
            self._name,
            bbox.topleft.to_tuple(),
            bbox.size.to_tuple(),
            self.session.shard_shapes(self._name),
        )
        self.session.apply(change)

    @property
    def default_view_configuration(self) -> LayerViewConfiguration | None:
        """How WEBKNOSSOS shows the layer initially."""
        raw = self.spec.default_view_configuration
        return None if raw is None else LayerViewConfiguration.from_json(raw)

    @default_view_configuration.setter
    def default_view_configuration(self, config: LayerViewConfiguration | None) -> None:
        self.session.check_writable()
        change = ds_transform.set_layer_view_configuration(
            self.session.spec,
            self._name,
            None if config is None else config.to_json(),
        )
        self.session.apply(change)

    # ------------------------------------------------------------------ mags
    @property
    def mags(self) -> dict[Mag, MagView]:
        """Mag → MagView, in properties order."""
        return {Mag(m.mag): MagView(self, Mag(m.mag)) for m in self.spec.mags}

    def get_mag(self, mag: object) -> MagView:
        """The MagView of an existing mag (IndexError/MagNotFoundError otherwise)."""
        parsed = Mag(mag)  # type: ignore[arg-type]
        lookup.get_mag(self.spec, parsed.to_tuple())
        return MagView(self, parsed)

    def get_finest_mag(self) -> MagView:
        """The mag with the smallest ``max_dim``."""
        mags = list(self.mags)
        if not mags:
            raise IndexError(f"layer {self._name!r} has no mags")
        return MagView(self, min(mags))

    def get_best_mag(self) -> MagView:
        """Deprecated alias of :meth:`get_finest_mag`."""
        warnings.warn(
            "get_best_mag is deprecated, use get_finest_mag",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.get_finest_mag()

    def add_mag(
        self,
        mag: object,
        chunk_shape: object = None,
        chunks_per_shard: object = None,
        compress: bool = True,
        *,
        shard_shape: object = None,
        chunk_size: object = None,
        block_len: int | None = None,
        file_len: int | None = None,
    ) -> MagView:
        """Create a new, empty mag array sized to the layer's bounding box.

        ``chunk_size`` / ``block_len`` / ``file_len`` are deprecated spellings of
        ``chunk_shape`` / ``chunk_shape`` / ``chunks_per_shard``.
        """
        self.session.check_writable()
        chunk_shape, chunks_per_shard = legacy_shapes(
            chunk_shape, chunks_per_shard, chunk_size, block_len, file_len
        )
        parsed = Mag(mag)  # type: ignore[arg-type]
        change, layout = layer_transform.add_mag(
            self.session.spec,
            self._name,
            parsed.to_tuple(),
            chunk_shape=_vec_or_none(chunk_shape, "chunk_shape"),
            shard_shape=_vec_or_none(shard_shape, "shard_shape"),
            chunks_per_shard=_vec_or_none(chunks_per_shard, "chunks_per_shard"),
            compress=bool(compress),
        )
        self.session.apply(change)
        self.session.remember_layout(self._name, parsed.to_tuple(), layout)
        return MagView(self, parsed)

    def get_or_add_mag(
        self,
        mag: object,
        chunk_shape: object = None,
        chunks_per_shard: object = None,
        compress: bool | None = None,
        *,
        shard_shape: object = None,
    ) -> MagView:
        """The existing mag (checking any explicitly given layout) or a new one."""
        parsed = Mag(mag)  # type: ignore[arg-type]
        if lookup.has_mag(self.spec, parsed.to_tuple()):
            view = MagView(self, parsed)
            info = view.info
            checks = [
                (
                    "chunk_shape",
                    _vec_or_none(chunk_shape, "chunk_shape"),
                    info.chunk_shape,
                ),
                (
                    "shard_shape",
                    _vec_or_none(shard_shape, "shard_shape"),
                    info.shard_shape,
                ),
                (
                    "chunks_per_shard",
                    _vec_or_none(chunks_per_shard, "chunks_per_shard"),
                    info.chunks_per_shard,
                ),
                ("compress", compress, info.compression_mode),
            ]
            for label, wanted, actual in checks:
                if wanted is not None and wanted != actual:
                    raise InvalidArgumentError(
                        f"mag {parsed} exists with {label}={actual}, asked for {wanted}"
                    )
            return view
        return self.add_mag(
            parsed,
            chunk_shape=chunk_shape,
            chunks_per_shard=chunks_per_shard,
            compress=True if compress is None else compress,
            shard_shape=shard_shape,
        )

    def delete_mag(self, mag: object) -> None:
        """Remove a mag and its files."""
        self.session.check_writable()
        parsed = Mag(mag)  # type: ignore[arg-type]
        change = layer_transform.delete_mag(
            self.session.spec, self._name, parsed.to_tuple()
        )
        self.session.apply(change)
        self.session.forget_layouts(self._name, parsed.to_tuple())

    # ------------------------------------------------------------------ bound verbs
    downsample = resample.downsample
    downsample_mag = resample.downsample_mag
    downsample_mag_list = resample.downsample_mag_list
    redownsample = resample.redownsample
    upsample = resample.upsample
    add_mag_as_copy = mag_copy.add_mag_as_copy
    add_mag_as_ref = mag_copy.add_mag_as_ref
    compress = mag_copy.compress_layer
    rechunk = mag_copy.rechunk_layer
    normalized_bounding_box = property(layer_extras.normalized_bounding_box)
    coordinate_transformations = property(
        layer_extras.coordinate_transformations,
        layer_extras.set_coordinate_transformations,
    )
    add_mag_from_zarrarray = layer_extras.add_mag_from_zarrarray
    add_copy_mag = layer_extras.add_copy_mag
    add_symlink_mag = layer_extras.add_symlink_mag
    add_remote_mag = layer_extras.add_remote_mag
    add_fs_copy_mag = layer_extras.add_fs_copy_mag
    resolved_path = property(parity.resolved_path)
    is_mag_view_foreign = parity.is_mag_view_foreign
    export = property(layer_export.export)

    def __repr__(self) -> str:
        return (
            f"Layer({self._name!r}, dtype_per_channel={self.dtype_per_channel}, "
            f"num_channels={self.num_channels})"
        )


class SegmentationLayer(Layer):
    """A segmentation layer: adds ``largest_segment_id``, ``mappings`` and
    ``attachments``."""

    refresh_largest_segment_id = layer_extras.refresh_largest_segment_id

    @property
    def attachments(self) -> Attachments:
        """Access, add and remove the attachments of this layer.

        Example::

            mesh = MeshAttachment.from_path_and_name(
                mesh_path, "meshfile", data_format="zarr3"
            )
            layer.attachments.add_attachment_as_ref(mesh)
            layer.attachments.meshes[0].path
            layer.attachments.delete_attachment(layer.attachments.meshes[0])
        """
        return Attachments(self.session, self._name)

    @property
    def largest_segment_id(self) -> int | None:
        """Largest segment id present, if known."""
        return self.spec.largest_segment_id

    @largest_segment_id.setter
    def largest_segment_id(self, value: int | float | None) -> None:
        self.session.check_writable()
        if isinstance(value, float):
            if not value.is_integer():
                raise InvalidArgumentError(
                    f"largest_segment_id must be integral, got {value!r}"
                )
            value = int(value)
        change = layer_transform.set_largest_segment_id(
            self.session.spec, self._name, value
        )
        self.session.apply(change)

    @property
    def mappings(self) -> tuple[str, ...]:
        """Names of the layer's mappings."""
        return self.spec.mappings


def layer_class(category: str) -> type[Layer]:
    """The facade class for a category."""
    return SegmentationLayer if category == "segmentation" else Layer


__all__ = ["Layer", "ReadOnlyError", "SegmentationLayer", "layer_class"]
