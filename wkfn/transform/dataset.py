"""Dataset-level transforms: create, rename, voxel size, view config, layers."""

from __future__ import annotations

from typing import Any

import msgspec

from wkfn.errors import (
    InvalidArgumentError,
    InvalidCategoryError,
    LayerExistsError,
    LayerRenameError,
    UnsupportedLayerError,
)
from wkfn.geometry.nd_bbox import NDBoundingBox
from wkfn.plan.ops import DeletePath, MovePath
from wkfn.spec import lookup
from wkfn.spec.dataset import DatasetId, DatasetSpec, VoxelSizeSpec
from wkfn.spec.dtypes import allowed_dtypes, element_class_of
from wkfn.spec.layer import (
    AdditionalAxisSpec,
    AttachmentSpec,
    AttachmentsSpec,
    BoundingBoxSpec,
    LayerSpec,
)
from wkfn.spec.names import validate_layer_name
from wkfn.transform import nd_layer
from wkfn.transform.change import Change, make_change

Vec3 = tuple[int, int, int]
CATEGORIES = ("color", "segmentation")
WRITABLE_FORMATS = ("zarr3", "zarr", "wkw")


def _check_voxel_size(factor: tuple[float, float, float]) -> None:
    if len(factor) != 3 or not all(
        isinstance(f, int | float) and f > 0 and f != float("inf") for f in factor
    ):
        raise InvalidArgumentError(
            f"voxel size must be three positive finite numbers, got {factor!r}"
        )


def create_dataset(
    *, name: str, voxel_size: tuple[float, float, float], unit: str = "nanometer"
) -> Change:
    """A new, empty dataset (the plan writes its properties file)."""
    _check_voxel_size(voxel_size)
    spec = DatasetSpec(
        id=DatasetId(name=name, team=""),
        scale=VoxelSizeSpec(
            factor=(float(voxel_size[0]), float(voxel_size[1]), float(voxel_size[2])),
            unit=unit,
        ),
        data_layers=(),
    )
    return make_change(None, spec, summary=(f"create dataset {name!r}",))


def set_name(spec: DatasetSpec, name: str) -> Change:
    """Rename the dataset (``id.name``); no directory moves."""
    if not isinstance(name, str) or not name:
        raise InvalidArgumentError(
            f"dataset name must be a non-empty str, got {name!r}"
        )
    new = msgspec.structs.replace(spec, id=msgspec.structs.replace(spec.id, name=name))
    return make_change(spec, new, summary=(f"name -> {name!r}",))


def set_voxel_size(
    spec: DatasetSpec, voxel_size: tuple[float, float, float], unit: str
) -> Change:
    """Change the voxel size (metadata only)."""
    _check_voxel_size(voxel_size)
    scale = msgspec.structs.replace(
        spec.scale,
        factor=(float(voxel_size[0]), float(voxel_size[1]), float(voxel_size[2])),
        unit=unit,
    )
    new = msgspec.structs.replace(spec, scale=scale)
    return make_change(spec, new, summary=(f"voxel size -> {voxel_size} {unit}",))


def set_default_view_configuration(
    spec: DatasetSpec, config: dict[str, Any] | None
) -> Change:
    """Replace the dataset's default view configuration (JSON object, camelCase)."""
    new = msgspec.structs.replace(spec, default_view_configuration=config)
    return make_change(spec, new, summary=("defaultViewConfiguration",))


def add_layer(
    spec: DatasetSpec,
    *,
    name: str,
    category: str,
    dtype_per_channel: str,
    num_channels: int = 1,
    data_format: str = "zarr3",
    bounding_box: tuple[Vec3, Vec3] | None = None,
    largest_segment_id: int | None = None,
    mappings: tuple[str, ...] = (),
    nd_box: NDBoundingBox | None = None,
) -> Change:
    """Add an empty layer (no mags, no directories).

    ``nd_box`` makes an n-D layer (extra axes such as ``t``; then ``bounding_box``
    is ignored): its arrays get one dimension per box axis, in box order.

    Raises:
        InvalidLayerNameError, LayerExistsError, InvalidCategoryError,
        InvalidArgumentError (dtype, channels, format, bounding box),
        InvalidAxesError (n-D box axes), UnsupportedLayerError (n-D in wkw, or
        with several channels, which the reference refuses too).
    """
    validate_layer_name(name)
    if lookup.has_layer(spec, name):
        raise LayerExistsError(f"layer {name!r} already exists in the dataset")
    if category not in CATEGORIES:
        raise InvalidCategoryError(
            f"category must be 'color' or 'segmentation', got {category!r}"
        )
    if dtype_per_channel not in allowed_dtypes(category):
        raise InvalidArgumentError(
            f"dtype {dtype_per_channel!r} is not allowed for {category} layers "
            f"(allowed: {', '.join(allowed_dtypes(category))})"
        )
    if not isinstance(num_channels, int) or num_channels < 1:
        raise InvalidArgumentError(f"num_channels must be >= 1, got {num_channels!r}")
    if data_format not in WRITABLE_FORMATS:
        raise InvalidArgumentError(
            f"data_format must be one of {WRITABLE_FORMATS}, got {data_format!r}"
        )
    if largest_segment_id is not None and category != "segmentation":
        raise InvalidArgumentError("largest_segment_id is only valid for segmentation")
    topleft, size = bounding_box or ((0, 0, 0), (0, 0, 0))
    if any(t < 0 for t in topleft) or any(s < 0 for s in size):
        raise InvalidArgumentError(
            "bounding box must have non-negative topleft and size, "
            f"got {topleft}, {size}"
        )
    bbox = BoundingBoxSpec(
        top_left=topleft, width=size[0], height=size[1], depth=size[2]
    )
    extras: tuple[AdditionalAxisSpec, ...] = ()
    if nd_box is not None and nd_box.axes != ("x", "y", "z"):
        if data_format == "wkw":
            raise UnsupportedLayerError(
                f"layer {name!r}: wkw stores (c, x, y, z) arrays only; an n-D layer "
                f"with axes {nd_box.axes} needs data_format 'zarr3' or 'zarr'"
            )
        if num_channels != 1:
            raise UnsupportedLayerError(
                f"layer {name!r}: n-D layers have one channel (got {num_channels}); "
                "store channels as an extra axis instead"
            )
        bbox, extras, _ = nd_layer.layer_parts(nd_box)
    layer = LayerSpec(
        name=name,
        category=category,  # type: ignore[arg-type]
        bounding_box=bbox,
        data_format=data_format,
        mags=(),
        largest_segment_id=largest_segment_id,
        mappings=tuple(mappings),
        additional_axes=extras,
        num_channels=num_channels,
        element_class=element_class_of(dtype_per_channel, num_channels),
    )
    new = lookup.add_layer(spec, layer)
    return make_change(spec, new, summary=(f"+ layer {name} ({category})",))


def delete_layer(spec: DatasetSpec, name: str) -> Change:
    """Remove a layer and its directory (a symlinked layer loses only the link)."""
    lookup.get_layer(spec, name)
    new = lookup.remove_layer(spec, name)
    return make_change(
        spec,
        new,
        [("delete", [DeletePath(path=f"./{name}", what="layer")])],
        summary=(f"- layer {name}",),
    )


def rename_layer(spec: DatasetSpec, old: str, new_name: str) -> Change:
    """Rename a layer: its directory moves and local mag paths follow."""
    validate_layer_name(new_name)
    layer = lookup.get_layer(spec, old)
    if lookup.has_layer(spec, new_name):
        raise LayerRenameError(
            f"cannot rename layer {old!r} to {new_name!r}: that name already exists"
        )
    prefix = f"./{old}/"
    mags = tuple(
        msgspec.structs.replace(m, path=f"./{new_name}/{m.path[len(prefix) :]}")
        if m.path is not None and m.path.startswith(prefix)
        else m
        for m in layer.mags
    )
    renamed = msgspec.structs.replace(
        layer,
        name=new_name,
        mags=mags,
        attachments=_moved_attachments(layer.attachments, prefix, f"./{new_name}/"),
    )
    new = lookup.replace_layer(spec, old, renamed)
    return make_change(
        spec,
        new,
        [("move", [MovePath(source=f"./{old}", target=f"./{new_name}")])],
        summary=(f"~ layer {old} -> {new_name}",),
    )


def _moved_attachments(
    attachments: AttachmentsSpec | None, old_prefix: str, new_prefix: str
) -> AttachmentsSpec | None:
    """Attachments whose files live in the moved layer directory follow it."""
    from wkfn.transform.attachments import map_attachments

    def move(_kind: str, item: AttachmentSpec) -> AttachmentSpec:
        if not item.path.startswith(old_prefix):
            return item
        path = new_prefix + item.path[len(old_prefix) :]
        return msgspec.structs.replace(item, path=path)

    return None if attachments is None else map_attachments(attachments, move)


def set_layer_view_configuration(
    spec: DatasetSpec, name: str, config: dict[str, Any] | None
) -> Change:
    """Replace one layer's default view configuration."""
    layer = lookup.get_layer(spec, name)
    new_layer = msgspec.structs.replace(layer, default_view_configuration=config)
    new = lookup.replace_layer(spec, name, new_layer)
    return make_change(spec, new, summary=(f"{name}.defaultViewConfiguration",))


__all__ = [
    "add_layer",
    "create_dataset",
    "delete_layer",
    "rename_layer",
    "set_default_view_configuration",
    "set_layer_view_configuration",
    "set_name",
    "set_voxel_size",
]
