"""``View`` and ``MagView``: reading and writing voxels of one mag of a layer.

Reads go straight to the storage driver (they change no spec). Writes are planned by
the pure ``transform.data.write_region`` and applied through the dataset, so a write
inside ``Dataset.dry_run()`` is recorded instead of executed.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import numpy as np

from wkfn.api import (
    chunked,
    mag_copy,
    nd_view,
    parity,
    parity_verbs,
    slice_reader,
    slices,
)
from wkfn.api._location import read_box, write_box
from wkfn.api._session import Session
from wkfn.api.array_info import ArrayInfo
from wkfn.api.coerce import coerce_dtype
from wkfn.errors import (
    AssertedValueError,
    InvalidArgumentError,
    ReadOnlyError,
    UnsupportedLayerError,
)
from wkfn.geometry import BoundingBox, Mag, Vec3Int
from wkfn.plan.ops import PayloadRef
from wkfn.spec.array import ArrayLayout
from wkfn.transform import data as data_transform
from wkfn.transform import nd_data
from wkfn.visual.sections import view_preview

if TYPE_CHECKING:
    from wkfn.api.layer import Layer


class View:
    """A box of one mag of a layer. All public coordinates are Mag-1 voxels."""

    def __init__(
        self,
        layer: Layer,
        mag: Mag,
        bounding_box: BoundingBox | None,
        *,
        read_only: bool = False,
    ) -> None:
        self._layer = layer
        self._mag = mag
        self._bbox = bounding_box
        self._read_only = read_only

    # ------------------------------------------------------------------ properties
    @property
    def session(self) -> Session:
        """The effect boundary of the view's dataset."""
        return self._layer.session

    @property
    def layer(self) -> Layer:
        """The layer this view belongs to."""
        return self._layer

    @property
    def mag(self) -> Mag:
        """The mag of this view."""
        return self._mag

    @property
    def bounding_box(self) -> BoundingBox:
        """Mag-1 box of this view."""
        assert self._bbox is not None
        return self._bbox

    @property
    def read_only(self) -> bool:
        """True if writes through this view are refused."""
        return (
            self._read_only
            or self._layer.read_only
            or self.session.mag_is_foreign(self._layer.name, self._mag)
        )

    @property
    def info(self) -> ArrayInfo:
        """Chunk, shard and compression facts of the underlying array."""
        layout = self.session.layout(self._layer.name, self._mag)
        return ArrayInfo(
            data_format=layout.data_format,
            num_channels=layout.num_channels,
            voxel_type=np.dtype(layout.dtype),
            chunk_shape=Vec3Int(layout.chunk_shape),
            shard_shape=Vec3Int(layout.shard_shape),
            compression_mode=layout.compress,
            bounding_box=self.bounding_box,
        )

    def _layout(self) -> ArrayLayout:
        return self.session.layout(self._layer.name, self._mag)

    # ------------------------------------------------------------------ reading
    def read(
        self,
        size: object = None,
        *,
        relative_offset: object = None,
        absolute_offset: object = None,
        relative_bounding_box: BoundingBox | None = None,
        absolute_bounding_box: BoundingBox | None = None,
    ) -> np.ndarray:
        """Voxels as ``(c, x, y, z)``; regions without data read as zeros. n-D
        layers return one dimension per box axis (no channel dimension), in the
        order of the given box (the layer's order otherwise).

        Without arguments the whole view is read. Offsets need a ``size``; all
        coordinates are Mag-1.
        """
        box = self._region(
            size,
            relative_offset=relative_offset,
            absolute_offset=absolute_offset,
            relative_bounding_box=relative_bounding_box,
            absolute_bounding_box=absolute_bounding_box,
        )
        if self._is_nd():
            return nd_view.nd_read(self, box)
        return self._read_box(box)

    def _region(self, size: object, **where: Any) -> Any:
        """The box one addressing form (size and offset, or a box) names, in Mag-1:
        an n-D box for n-D layers, a 3-D one otherwise."""
        if self._is_nd():
            return nd_view.resolve_box(
                self.bounding_box, size=size, mag=self._mag.to_vec3_int(), **where
            )
        return read_box(self.bounding_box, self._mag, size, **where)

    def _is_nd(self) -> bool:
        return bool(self._layer.spec.additional_axes)

    def read_cxyz(self, *args: Any, **kwargs: Any) -> np.ndarray:
        """Same as :meth:`read` (always ``(c, x, y, z)``)."""
        return self.read(*args, **kwargs)

    def read_xyz(self, *args: Any, **kwargs: Any) -> np.ndarray:
        """Deprecated: read a single-channel view as ``(x, y, z)``."""
        import warnings

        warnings.warn(
            "read_xyz is deprecated, use read()", DeprecationWarning, stacklevel=2
        )
        data: np.ndarray = self.read(*args, **kwargs)[0]
        return data

    def _read_box(self, box: BoundingBox) -> np.ndarray:
        mag = self._mag.to_vec3_int()
        aligned = box.align_with_mag(self._mag, ceil=True)
        if aligned != box:
            raise InvalidArgumentError(
                f"read region {box} is not aligned with mag {self._mag}"
            )
        offset = box.topleft // mag
        shape = box.size // mag
        return self.session.read(
            self._layer.name, self._mag, offset.to_tuple(), shape.to_tuple()
        )

    # ------------------------------------------------------------------ writing
    def _check_writable(self) -> None:
        if self.read_only:
            raise ReadOnlyError(
                f"cannot write to {self._layer.name}/{self._mag}: the view is read-only"
            )

    def _prepare(self, data: np.ndarray) -> np.ndarray:
        data = np.asarray(data)
        layer = self._layer
        if data.ndim == 3:
            if layer.num_channels != 1:
                raise InvalidArgumentError(
                    f"layer {layer.name!r} has {layer.num_channels} channels; pass "
                    f"data as (c, x, y, z), got shape {data.shape}"
                )
            data = data[np.newaxis]
        elif data.ndim != 4:
            raise AssertedValueError(
                f"data must be (x, y, z) or (c, x, y, z), got shape {data.shape}"
            )
        if data.shape[0] != layer.num_channels:
            raise InvalidArgumentError(
                f"data has {data.shape[0]} channels, layer {layer.name!r} has "
                f"{layer.num_channels}"
            )
        return coerce_dtype(data, layer.dtype_per_channel)

    def write(
        self,
        data: np.ndarray,
        *,
        allow_unaligned: bool = False,
        relative_offset: object = None,
        absolute_offset: object = None,
        relative_bounding_box: BoundingBox | None = None,
        absolute_bounding_box: BoundingBox | None = None,
    ) -> None:
        """Write voxels inside this view (no resizing; see ``MagView.write``)."""
        self._write(
            data,
            allow_resize=False,
            allow_unaligned=allow_unaligned,
            relative_offset=relative_offset,
            absolute_offset=absolute_offset,
            relative_bounding_box=relative_bounding_box,
            absolute_bounding_box=absolute_bounding_box,
            must_be_inside=True,
        )

    def _write(
        self,
        data: np.ndarray,
        *,
        allow_resize: bool,
        allow_unaligned: bool,
        relative_offset: object,
        absolute_offset: object,
        relative_bounding_box: BoundingBox | None,
        absolute_bounding_box: BoundingBox | None,
        must_be_inside: bool,
    ) -> None:
        self._check_writable()
        if self._is_nd():
            nd_view.nd_write(
                self,
                coerce_dtype(np.asarray(data), self._layer.dtype_per_channel),
                allow_resize=allow_resize,
                allow_unaligned=allow_unaligned,
                must_be_inside=must_be_inside,
                relative_offset=relative_offset,
                absolute_offset=absolute_offset,
                relative_bounding_box=relative_bounding_box,
                absolute_bounding_box=absolute_bounding_box,
            )
            return
        prepared = self._prepare(data)
        box = write_box(
            self.bounding_box,
            self._mag,
            (prepared.shape[1], prepared.shape[2], prepared.shape[3]),
            relative_offset=relative_offset,
            absolute_offset=absolute_offset,
            relative_bounding_box=relative_bounding_box,
            absolute_bounding_box=absolute_bounding_box,
        )
        if must_be_inside and not self.bounding_box.contains_bbox(box):
            raise InvalidArgumentError(
                f"the write region {box} is outside the view {self.bounding_box}"
            )
        if prepared.size == 0:
            return
        layer = self._layer
        key = uuid.uuid4().hex
        ref = PayloadRef(
            key=key, shape=tuple(prepared.shape), dtype=str(prepared.dtype)
        )
        change = data_transform.write_region(
            self.session.spec,
            layer.name,
            self._mag.to_tuple(),
            offset=box.topleft.to_tuple(),
            size=box.size.to_tuple(),
            payload=ref,
            allow_resize=allow_resize,
            allow_unaligned=allow_unaligned,
            shard_shapes=self.session.shard_shapes(layer.name),
        )
        self.session.apply(change, {key: prepared})

    def get_view(
        self,
        size: object = None,
        *,
        relative_offset: object = None,
        absolute_offset: object = None,
        relative_bounding_box: BoundingBox | None = None,
        absolute_bounding_box: BoundingBox | None = None,
        read_only: bool | None = None,
    ) -> View:
        """A sub-view; writable sub-views must lie inside this view."""
        box: Any = self._region(
            size,
            relative_offset=relative_offset,
            absolute_offset=absolute_offset,
            relative_bounding_box=relative_bounding_box,
            absolute_bounding_box=absolute_bounding_box,
        )
        if self._is_nd():
            box = nd_data.conform(self.bounding_box, box)
        ro = self.read_only if read_only is None else (read_only or self.read_only)
        if not ro and not self.bounding_box.contains_bbox(box):
            raise InvalidArgumentError(
                f"a writable view {box} must lie inside its parent {self.bounding_box}"
            )
        return View(self._layer, self._mag, box, read_only=ro)

    def chunk(
        self,
        chunk_shape: object,
        chunk_border_alignments: object = None,
        *,
        read_only: bool | None = None,
    ) -> list[View]:
        """Sub-views tiling this view (Mag-1 chunk shape).

        ``read_only`` can only make the sub-views stricter than this view.
        """
        shape = Vec3Int.from_vec_or_int(chunk_shape)  # type: ignore[arg-type]
        align = (
            None
            if chunk_border_alignments is None
            else Vec3Int.from_vec_or_int(chunk_border_alignments)  # type: ignore[arg-type]
        )
        ro = self.read_only or bool(read_only)
        return [
            View(self._layer, self._mag, box, read_only=ro)
            for box in self.bounding_box.chunk(shape, align)
        ]

    # ------------------------------------------------------------------ bound verbs
    for_each_chunk = chunked.for_each_chunk
    map_chunk = chunked.map_chunk
    for_zipped_chunks = chunked.for_zipped_chunks
    content_is_equal = chunked.content_is_equal
    get_buffered_slice_writer = slices.get_buffered_slice_writer
    get_buffered_slice_reader = slice_reader.get_buffered_slice_reader
    get_dtype = parity.get_dtype
    data_format = property(parity.data_format)
    num_channels = property(parity.num_channels)
    write_cxyz = parity.write_cxyz

    def preview(
        self, axis: str = "z", index: int | None = None, *, png: bool = False
    ) -> Any:
        """Picture of this view's section normal to ``axis`` at Mag-1 ``index``
        (default: the middle): ``(rows, cols, 3)`` uint8 RGB (x right, y down for
        ``"z"``), or PNG bytes with ``png=True``. See :mod:`wkfn.visual.preview`."""
        return view_preview(self, axis, index, png=png)

    def __repr__(self) -> str:
        return (
            f"View({self._layer.name!r}, mag={self._mag}, "
            f"bounding_box={self.bounding_box})"
        )


class MagView(View):
    """The whole of one mag: its box is the layer box aligned outward to the mag."""

    compress = mag_copy.compress_mag
    rechunk = mag_copy.rechunk_mag
    is_foreign = property(parity.is_foreign)
    merge_with_view = parity_verbs.merge_with_view

    def __init__(self, layer: Layer, mag: Mag) -> None:
        super().__init__(layer, mag, None)

    @property
    def bounding_box(self) -> BoundingBox:
        """Layer bounding box aligned (outward) with this mag, in Mag-1 voxels."""
        return self._layer.bounding_box.align_with_mag(self._mag, ceil=True)

    @property
    def name(self) -> str:
        """Directory name of the mag (``"1"``, ``"2-2-1"``)."""
        return self._mag.to_layer_name()

    @property
    def path(self) -> Any:
        """Path of the mag array (a ``UrlPath`` for datasets read over HTTP)."""
        from pathlib import Path

        from wkfn.storage import location as where
        from wkfn.storage.remote import UrlPath, is_url

        location = self.session.mag_path(self._layer.name, self._mag)
        if where.is_url(location) and not is_url(location):
            from wkfn.storage.store_access import to_upath

            return to_upath(location)  # s3:// or gs://: a UPath, as the reference
        return UrlPath(location) if is_url(location) else Path(location)

    def write(
        self,
        data: np.ndarray,
        *,
        allow_resize: bool = False,
        allow_unaligned: bool = False,
        relative_offset: object = None,
        absolute_offset: object = None,
        relative_bounding_box: BoundingBox | None = None,
        absolute_bounding_box: BoundingBox | None = None,
    ) -> None:
        """Write voxels; ``allow_resize`` grows the layer bounding box to fit.

        Data is ``(x, y, z)`` for single-channel layers or ``(c, x, y, z)``. Data of
        another dtype is converted only if every value fits (else DtypeMismatchError).
        Writes must cover whole shards (except where clipped by the layer box) unless
        ``allow_unaligned=True``.
        """
        self._write(
            data,
            allow_resize=allow_resize,
            allow_unaligned=allow_unaligned,
            relative_offset=relative_offset,
            absolute_offset=absolute_offset,
            relative_bounding_box=relative_bounding_box,
            absolute_bounding_box=absolute_bounding_box,
            must_be_inside=False,
        )

    def write_cxyz(self, data: np.ndarray, **kwargs: Any) -> None:
        """Same as :meth:`write` with data always ``(c, x, y, z)``."""
        self.write(
            np.asarray(data).reshape((-1, *np.asarray(data).shape[-3:])), **kwargs
        )

    def get_zarr_array(self) -> Any:
        """The tensorstore handle of a zarr/zarr3 mag (ValueError for wkw)."""
        layout = self._layout()
        if layout.data_format == "wkw":
            raise InvalidArgumentError("get_zarr_array is not available for wkw mags")
        from wkfn.storage.arrays import open_array

        handle = open_array(
            self.session.mag_path(self._layer.name, self._mag), layout.data_format
        )
        return getattr(handle, "store", handle)

    def get_bounding_boxes_on_disk(self) -> list[BoundingBox]:
        """Mag-1 boxes of the shards that exist on disk."""
        from wkfn.storage.arrays import shard_boxes_on_disk

        if self._is_nd():
            raise UnsupportedLayerError(
                f"layer {self._layer.name!r} is n-D: its shards are not listed"
            )
        mag = self._mag.to_vec3_int()
        layout = self._layout()
        return [
            BoundingBox(Vec3Int(off) * mag, Vec3Int(size) * mag)
            for off, size in shard_boxes_on_disk(
                self.session.mag_path(self._layer.name, self._mag), layout.data_format
            )
        ]

    def get_views_on_disk(self, read_only: bool | None = None) -> list[View]:
        """One view per shard stored on disk (to process only written data)."""
        ro = self.read_only or bool(read_only)
        return [
            View(self._layer, self._mag, box, read_only=ro)
            for box in self.get_bounding_boxes_on_disk()
        ]

    def __repr__(self) -> str:
        return f"MagView(name={self.name!r}, layer={self._layer.name!r})"
