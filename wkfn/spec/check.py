"""Cross-field invariants of a :class:`DatasetSpec`, reported as issues.

Every ``check_*`` function returns *all* problems it finds as ``(json_path, message)``
pairs; nothing here raises. :func:`wkfn.spec.codec.decode_properties` runs the
non-strict checks and raises one :class:`~wkfn.errors.PropertiesError` with all of
them.

``strict=True`` (the default) adds the rules wkfn enforces for specs it *creates*:
the dtype must be allowed for the layer category, WKW mags need ``cubeLength`` and
segmentation-only fields must be empty on color layers. Files written by other tools
may break these rules and are still read.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from wkfn.errors import InvalidArgumentError
from wkfn.spec.base import DEFAULT_AXIS_ORDER, Issue
from wkfn.spec.dataset import LENGTH_UNITS, DatasetSpec, VoxelSizeSpec
from wkfn.spec.dtypes import ALLOWED_DTYPES, dtype_per_channel_of
from wkfn.spec.layer import CATEGORIES, DATA_FORMATS, LayerSpec
from wkfn.spec.names import LAYER_NAME_RE

__all__ = [
    "check_dataset",
    "check_layer",
    "check_unique_names",
    "check_voxel_size",
]


def check_dataset(spec: DatasetSpec, *, strict: bool = True) -> tuple[Issue, ...]:
    """Every invariant violation of ``spec``, with its JSON path.

    Example:
        >>> from wkfn.spec import DatasetId, DatasetSpec, VoxelSizeSpec
        >>> scale = VoxelSizeSpec(factor=(0, 1, 1))
        >>> spec = DatasetSpec(id=DatasetId(name="ds"), scale=scale)
        >>> check_dataset(spec)
        (('$.scale.factor', 'voxel size must be finite and positive, got (0, 1, 1)'),)
    """
    issues: list[Issue] = []
    issues += check_voxel_size(spec.scale, "$.scale")
    if spec.version != 1:
        issues.append(("$.version", f"unsupported version {spec.version!r}"))
    for index, layer in enumerate(spec.data_layers):
        issues += check_layer(layer, f"$.dataLayers[{index}]", strict=strict)
    issues += check_unique_names(
        (index, layer.name) for index, layer in enumerate(spec.data_layers)
    )
    return tuple(issues)


def check_voxel_size(scale: VoxelSizeSpec, path: str = "$.scale") -> list[Issue]:
    """Voxel size: three finite positive factors and a known long unit name."""
    issues: list[Issue] = []
    factor = scale.factor
    if len(factor) != 3 or not all(
        isinstance(v, int | float) and math.isfinite(v) and v > 0 for v in factor
    ):
        issues.append(
            (f"{path}.factor", f"voxel size must be finite and positive, got {factor}")
        )
    if scale.unit not in LENGTH_UNITS:
        issues.append((f"{path}.unit", f"unknown length unit {scale.unit!r}"))
    return issues


def check_unique_names(indexed_names: Iterable[tuple[int, str]]) -> list[Issue]:
    """Duplicate layer names, reported at every repetition."""
    issues: list[Issue] = []
    first: dict[str, int] = {}
    for index, name in indexed_names:
        if name in first:
            issues.append(
                (
                    f"$.dataLayers[{index}].name",
                    f"duplicate layer name {name!r} (also $.dataLayers[{first[name]}])",
                )
            )
        else:
            first[name] = index
    return issues


def check_layer(
    layer: LayerSpec, path: str = "$.dataLayers[0]", *, strict: bool = True
) -> list[Issue]:
    """Every invariant violation of one layer; ``path`` is the layer's JSON path."""
    issues: list[Issue] = []
    if not isinstance(layer.name, str) or LAYER_NAME_RE.fullmatch(layer.name) is None:
        issues.append(
            (
                f"{path}.name",
                f"invalid layer name {layer.name!r}: use letters, digits and '_$@-.' "
                "(not starting with '.')",
            )
        )
    if layer.category not in CATEGORIES:
        issues.append((f"{path}.category", f"unknown category {layer.category!r}"))
    if layer.data_format not in DATA_FORMATS:
        issues.append(
            (f"{path}.dataFormat", f"unknown data format {layer.data_format!r}")
        )
    bbox = layer.bounding_box
    for key, value in (
        ("width", bbox.width),
        ("height", bbox.height),
        ("depth", bbox.depth),
    ):
        if value < 0:
            issues.append((f"{path}.boundingBox.{key}", f"must be >= 0, got {value}"))
    if layer.num_channels < 1:
        issues.append(
            (f"{path}.numChannels", f"must be >= 1, got {layer.num_channels}")
        )
    else:
        issues += _check_element_class(layer, path, strict=strict)
    issues += _check_mags(layer, path, strict=strict)
    issues += _check_additional_axes(layer, path)
    if strict and layer.category == "color":
        for key, present in (
            ("largestSegmentId", layer.largest_segment_id is not None),
            ("mappings", bool(layer.mappings)),
            ("attachments", layer.attachments is not None),
        ):
            if present:
                issues.append(
                    (f"{path}.{key}", "only segmentation layers may have this key")
                )
    return issues


def _check_element_class(layer: LayerSpec, path: str, *, strict: bool) -> list[Issue]:
    try:
        dtype = dtype_per_channel_of(layer.element_class, layer.num_channels)
    except InvalidArgumentError as exc:
        return [(f"{path}.elementClass", str(exc))]
    allowed = ALLOWED_DTYPES.get(layer.category, ())
    if strict and layer.category in ALLOWED_DTYPES and dtype not in allowed:
        return [
            (
                f"{path}.elementClass",
                f"dtype {dtype} is not allowed for {layer.category} layers "
                f"(allowed: {', '.join(allowed)})",
            )
        ]
    return []


def _check_mags(layer: LayerSpec, path: str, *, strict: bool) -> list[Issue]:
    issues: list[Issue] = []
    seen: dict[tuple[int, ...], int] = {}
    first_order = None
    for index, mag_spec in enumerate(layer.mags):
        mpath = f"{path}.mags[{index}]"
        mag = tuple(mag_spec.mag)
        if len(mag) != 3 or not all(v >= 1 for v in mag):
            issues.append((f"{mpath}.mag", f"expected 3 positive integers, got {mag}"))
        elif mag in seen:
            issues.append(
                (f"{mpath}.mag", f"duplicate mag {mag} (also {path}.mags[{seen[mag]}])")
            )
        else:
            seen[mag] = index
        if mag_spec.cube_length is not None and mag_spec.cube_length < 1:
            issues.append(
                (f"{mpath}.cubeLength", f"must be >= 1, got {mag_spec.cube_length}")
            )
        if strict and layer.data_format == "wkw" and mag_spec.cube_length is None:
            issues.append((f"{mpath}.cubeLength", "WKW mags need a cubeLength"))
        order = mag_spec.axis_order or DEFAULT_AXIS_ORDER
        if first_order is None:
            first_order = order
        elif order != first_order:
            issues.append(
                (f"{mpath}.axisOrder", "axisOrder must be the same for all mags")
            )
    return issues


def _check_additional_axes(layer: LayerSpec, path: str) -> list[Issue]:
    issues: list[Issue] = []
    names: set[str] = set()
    for index, axis in enumerate(layer.additional_axes):
        apath = f"{path}.additionalAxes[{index}]"
        if axis.name in ("c", "x", "y", "z") or axis.name in names or not axis.name:
            issues.append((f"{apath}.name", f"invalid or duplicate axis {axis.name!r}"))
        names.add(axis.name)
        low, high = axis.bounds
        if low > high:
            issues.append((f"{apath}.bounds", f"min > max in {list(axis.bounds)}"))
        if axis.index < 0:
            issues.append((f"{apath}.index", f"must be >= 0, got {axis.index}"))
    return issues
