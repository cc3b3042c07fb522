"""Layer records of ``datasource-properties.json``.

There is one :class:`LayerSpec` for both categories (not a tagged union) because the
key order on disk starts with ``name`` and ``category``; the segmentation-only fields
(``largest_segment_id``, ``mappings``, ``attachments``) stay empty on color layers.
"""

from __future__ import annotations

from typing import Any, Literal

from wkfn.spec.base import Vec3, WkRecord

__all__ = [
    "CATEGORIES",
    "DATA_FORMATS",
    "AdditionalAxisSpec",
    "AttachmentSpec",
    "AttachmentsSpec",
    "BoundingBoxSpec",
    "Category",
    "LayerSpec",
    "MagSpec",
]

Category = Literal["color", "segmentation"]
CATEGORIES: tuple[Category, ...] = ("color", "segmentation")

DATA_FORMATS: tuple[str, ...] = (
    "wkw",
    "zarr",
    "zarr3",
    "n5",
    "neuroglancerPrecomputed",
)
"""Values of ``dataFormat`` (only the first three can be created)."""


class BoundingBoxSpec(WkRecord, frozen=True):
    """``boundingBox`` of a layer in mag-1 voxels.

    Attributes:
        top_left: lower corner (x, y, z).
        width: extent along x.
        height: extent along y.
        depth: extent along z.
        axis_order: written only for a layer without mags (the reference keeps the
            axis order here until the first mag exists); ``None`` is written as
            ``{"c": 0, "x": 1, "y": 2, "z": 3}``. Decoding makes it explicit for
            layers without mags.
        channel_index: like ``axis_order``; written only when not ``None``.
    """

    top_left: Vec3
    width: int
    height: int
    depth: int
    axis_order: dict[str, int] | None = None
    channel_index: int | None = None


class MagSpec(WkRecord, frozen=True):
    """One entry of ``mags``.

    Attributes:
        mag: the magnification (x, y, z), e.g. ``(2, 2, 1)``.
        path: where the array lives, e.g. ``"./color/2-2-1"``; ``None`` means the
            default ``<layer>/<mag dir name>``.
        cube_length: WKW only: shard edge length in voxels (1024 by default).
        axis_order: array index of each axis, always written; ``None`` is written as
            ``{"c": 0, "x": 1, "y": 2, "z": 3}``. Decoding (and the upgrade of legacy
            files) makes it explicit, so set it explicitly in new specs too.
        channel_index: first channel of the layer inside the array, if not 0.
    """

    mag: Vec3
    path: str | None = None
    cube_length: int | None = None
    axis_order: dict[str, int] | None = None
    channel_index: int | None = None


class AdditionalAxisSpec(WkRecord, frozen=True):
    """One extra (non-spatial) axis of an n-D layer, e.g. time.

    Attributes:
        name: axis name, e.g. ``"t"``.
        bounds: ``(min, max_exclusive)``.
        index: position of the axis in the array.
    """

    name: str
    bounds: tuple[int, int]
    index: int


class AttachmentSpec(WkRecord, frozen=True):
    """A file attached to a segmentation layer (mesh, agglomerate, …).

    Attributes:
        name: attachment name.
        path: where it lives (relative ``./…`` or absolute / URL).
        data_format: ``"zarr3"``, ``"hdf5"``, ``"json"`` or
            ``"neuroglancerPrecomputed"``.
    """

    name: str
    path: str
    data_format: str


class AttachmentsSpec(WkRecord, frozen=True):
    """``attachments`` of a segmentation layer (omitted on disk when all empty)."""

    meshes: tuple[AttachmentSpec, ...] = ()
    agglomerates: tuple[AttachmentSpec, ...] = ()
    segment_index: AttachmentSpec | None = None
    segment_statistics: AttachmentSpec | None = None
    cumsum: AttachmentSpec | None = None
    connectomes: tuple[AttachmentSpec, ...] = ()


class LayerSpec(WkRecord, frozen=True):
    """One entry of ``dataLayers``.

    Attributes:
        name: layer name (see :func:`wkfn.spec.names.validate_layer_name`).
        category: ``"color"`` or ``"segmentation"``.
        bounding_box: layer extent in mag-1 voxels.
        data_format: ``"zarr3"``, ``"zarr"``, ``"wkw"`` (or read-only formats).
        mags: the mags in file order.
        default_view_configuration: layer view configuration as a JSON object.
        coordinate_transformations: JSON objects (affine / thin plate spline).
        largest_segment_id: segmentation only; ``None`` when unknown.
        mappings: segmentation only; names of mapping files.
        attachments: segmentation only.
        additional_axes: extra axes of n-D layers.
        num_channels: channels per voxel.
        element_class: whole-voxel type, e.g. ``"uint24"`` for 3 x uint8 (see
            :mod:`wkfn.spec.dtypes`); defaults to ``"uint8"``.
    """

    name: str
    category: Category
    bounding_box: BoundingBoxSpec
    data_format: str
    mags: tuple[MagSpec, ...] = ()
    default_view_configuration: dict[str, Any] | None = None
    coordinate_transformations: tuple[dict[str, Any], ...] = ()
    largest_segment_id: int | None = None
    mappings: tuple[str, ...] = ()
    attachments: AttachmentsSpec | None = None
    additional_axes: tuple[AdditionalAxisSpec, ...] = ()
    num_channels: int = 1
    element_class: str = "uint8"
