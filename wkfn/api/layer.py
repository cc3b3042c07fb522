"""``Layer`` and ``SegmentationLayer``: one named layer of a dataset and its mags.

A layer object holds its dataset and its *name* only; every property is read from the
dataset's current spec, so objects never go stale after other calls change the spec.
"""

from __future__ import annotations

import os
import warnings
from typing import TYPE_CHECKING, Any

import numpy as np

from wkfn.api._parse import optional_vec3 as _vec_or_none
from wkfn.api.attachments import SegmentationAttachmentsMixin
from wkfn.api.copying import LayerCopyMixin
from wkfn.api.enums import DataFormat
from wkfn.api.layer_extras import LayerExtrasMixin, SegmentationLayerExtrasMixin
from wkfn.api.resample import LayerResampleMixin
from wkfn.api.view import MagView
from wkfn.errors import ConflictingArgumentsError, InvalidArgumentError, ReadOnlyError
from wkfn.execute.executor import resolve_path
from wkfn.geometry import BoundingBox, Mag
from wkfn.spec import lookup
from wkfn.spec.array import ArrayLayout
from wkfn.spec.layer import LayerSpec
from wkfn.spec.view_config import LayerViewConfiguration
from wkfn.storage import remote
from wkfn.transform import dataset as ds_transform
from wkfn.transform import layer as layer_transform

if TYPE_CHECKING:
    from wkfn.api.dataset import Dataset

Vec3 = tuple[int, int, int]


class Layer(LayerResampleMixin, LayerCopyMixin, LayerExtrasMixin):
    """A color layer (base class of :class:`SegmentationLayer`)."""

    def __init__(self, dataset: Dataset, name: str) -> None:
        self._dataset = dataset
        self._name = name

    # ------------------------------------------------------------------ spec access
    @property
    def _spec(self) -> LayerSpec:
        return lookup.get_layer(self._dataset._spec, self._name)

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
        self._dataset._check_writable()
        change = ds_transform.rename_layer(self._dataset._spec, self._name, new_name)
        self._dataset._apply(change)
        self._dataset._forget_layouts(self._name)
        self._name = new_name

    @property
    def path(self) -> Any:
        """Directory of the layer."""
        return self._dataset.path / self._name

    @property
    def category(self) -> str:
        """``"color"`` or ``"segmentation"``."""
        return self._spec.category

    @property
    def dtype_per_channel(self) -> np.dtype[Any]:
        """numpy dtype of one channel."""
        return np.dtype(layer_transform.layer_dtype(self._spec))

    @property
    def dtype(self) -> np.dtype[Any]:
        """Alias of :attr:`dtype_per_channel` (newer reference name)."""
        return self.dtype_per_channel

    @property
    def dtype_per_layer(self) -> str:
        """Element class of a whole voxel, e.g. ``"uint24"`` for RGB."""
        return self._spec.element_class

    @property
    def num_channels(self) -> int:
        """Channels per voxel."""
        return self._spec.num_channels

    @property
    def data_format(self) -> DataFormat:
        """Storage format of the layer's mags."""
        return DataFormat(self._spec.data_format)

    @property
    def read_only(self) -> bool:
        """True if the dataset was opened read-only."""
        return self._dataset.read_only

    @property
    def bounding_box(self) -> BoundingBox:
        """Mag-1 box of the layer's data."""
        topleft, size = layer_transform.spatial_box(self._spec)
        return BoundingBox(topleft, size)

    @bounding_box.setter
    def bounding_box(self, bbox: BoundingBox) -> None:
        self._dataset._check_writable()
        change = layer_transform.set_bounding_box(
            self._dataset._spec,
            self._name,
            bbox.topleft.to_tuple(),
            bbox.size.to_tuple(),
            self._shard_shapes(),
        )
        self._dataset._apply(change)

    @property
    def default_view_configuration(self) -> LayerViewConfiguration | None:
        """How WEBKNOSSOS shows the layer initially."""
        raw = self._spec.default_view_configuration
        return None if raw is None else LayerViewConfiguration.from_json(raw)

    @default_view_configuration.setter
    def default_view_configuration(self, config: LayerViewConfiguration | None) -> None:
        self._dataset._check_writable()
        change = ds_transform.set_layer_view_configuration(
            self._dataset._spec,
            self._name,
            None if config is None else config.to_json(),
        )
        self._dataset._apply(change)

    # ------------------------------------------------------------------ mags
    @property
    def mags(self) -> dict[Mag, MagView]:
        """Mag → MagView, in properties order."""
        return {Mag(m.mag): MagView(self, Mag(m.mag)) for m in self._spec.mags}

    def get_mag(self, mag: object) -> MagView:
        """The MagView of an existing mag (IndexError/MagNotFoundError otherwise)."""
        parsed = Mag(mag)  # type: ignore[arg-type]
        lookup.get_mag(self._spec, parsed.to_tuple())
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
        self._dataset._check_writable()
        chunk_shape, chunks_per_shard = _legacy_shapes(
            chunk_shape, chunks_per_shard, chunk_size, block_len, file_len
        )
        parsed = Mag(mag)  # type: ignore[arg-type]
        change, layout = layer_transform.add_mag(
            self._dataset._spec,
            self._name,
            parsed.to_tuple(),
            chunk_shape=_vec_or_none(chunk_shape, "chunk_shape"),
            shard_shape=_vec_or_none(shard_shape, "shard_shape"),
            chunks_per_shard=_vec_or_none(chunks_per_shard, "chunks_per_shard"),
            compress=bool(compress),
        )
        self._dataset._apply(change)
        self._dataset._layouts[(self._name, parsed.to_tuple())] = layout
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
        if lookup.has_mag(self._spec, parsed.to_tuple()):
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
        self._dataset._check_writable()
        parsed = Mag(mag)  # type: ignore[arg-type]
        change = layer_transform.delete_mag(
            self._dataset._spec, self._name, parsed.to_tuple()
        )
        self._dataset._apply(change)
        self._dataset._layouts.pop((self._name, parsed.to_tuple()), None)

    # ------------------------------------------------------------------ storage
    def _mag_path(self, mag: Mag) -> str:
        """Local path of the mag array, or its URL in a dataset read over HTTP."""
        mag_spec = lookup.get_mag(self._spec, mag.to_tuple())
        stored = lookup.resolve_mag_path(self._name, mag_spec)
        root = self._dataset.path
        if isinstance(root, remote.UrlPath):
            return remote.join(root, stored)
        return resolve_path(root, stored)

    def _mag_is_foreign(self, mag: Mag) -> bool:
        """True if the mag's files belong to another dataset (a reference)."""
        mag_spec = lookup.get_mag(self._spec, mag.to_tuple())
        return not layer_transform.is_local_mag(self._spec, mag_spec)

    def _layout(self, mag: Mag) -> ArrayLayout:
        key = (self._name, mag.to_tuple())
        cached = self._dataset._layouts.get(key)
        if cached is None:
            from wkfn.storage.arrays import read_layout

            layer_transform.require_spatial(self._spec)
            cached = read_layout(self._mag_path(mag), self._spec.data_format)
            self._dataset._layouts[key] = cached
        return cached

    def _shard_shapes(self) -> dict[Vec3, Vec3]:
        shapes: dict[Vec3, Vec3] = {}
        for m in self._spec.mags:
            try:
                shapes[m.mag] = self._layout(Mag(m.mag)).shard_shape
            except (OSError, ValueError):
                continue
        return shapes

    def _read(self, mag: Mag, offset: Vec3, shape: Vec3) -> np.ndarray:
        layer_transform.require_spatial(self._spec)
        path = self._mag_path(mag)
        if "://" not in path and not os.path.exists(path):
            return np.zeros((self.num_channels, *shape), dtype=self.dtype_per_channel)
        from wkfn.storage.arrays import open_array

        return open_array(path, self._spec.data_format).read(offset, shape)

    def __repr__(self) -> str:
        return (
            f"Layer({self._name!r}, dtype_per_channel={self.dtype_per_channel}, "
            f"num_channels={self.num_channels})"
        )


class SegmentationLayer(
    SegmentationAttachmentsMixin, SegmentationLayerExtrasMixin, Layer
):
    """A segmentation layer: adds ``largest_segment_id`` and ``mappings``."""

    @property
    def largest_segment_id(self) -> int | None:
        """Largest segment id present, if known."""
        return self._spec.largest_segment_id

    @largest_segment_id.setter
    def largest_segment_id(self, value: int | float | None) -> None:
        self._dataset._check_writable()
        if isinstance(value, float):
            if not value.is_integer():
                raise InvalidArgumentError(
                    f"largest_segment_id must be integral, got {value!r}"
                )
            value = int(value)
        change = layer_transform.set_largest_segment_id(
            self._dataset._spec, self._name, value
        )
        self._dataset._apply(change)

    @property
    def mappings(self) -> tuple[str, ...]:
        """Names of the layer's mappings."""
        return self._spec.mappings


def _legacy_shapes(
    chunk_shape: object,
    chunks_per_shard: object,
    chunk_size: object,
    block_len: int | None,
    file_len: int | None,
) -> tuple[object, object]:
    for old, new, value in (
        ("chunk_size", "chunk_shape", chunk_size),
        ("block_len", "chunk_shape", block_len),
        ("file_len", "chunks_per_shard", file_len),
    ):
        if value is not None:
            warnings.warn(
                f"{old} is deprecated, use {new}", DeprecationWarning, stacklevel=3
            )
    if chunk_size is not None or block_len is not None:
        if chunk_shape is not None:
            raise ConflictingArgumentsError("give chunk_shape or its deprecated alias")
        chunk_shape = chunk_size if chunk_size is not None else block_len
    if file_len is not None:
        if chunks_per_shard is not None:
            raise ConflictingArgumentsError(
                "give chunks_per_shard or its deprecated alias file_len"
            )
        chunks_per_shard = file_len
    return chunk_shape, chunks_per_shard


def layer_class(category: str) -> type[Layer]:
    """The facade class for a category."""
    return SegmentationLayer if category == "segmentation" else Layer


__all__ = ["Layer", "ReadOnlyError", "SegmentationLayer", "layer_class"]
