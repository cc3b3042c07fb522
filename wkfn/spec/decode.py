"""``datasource-properties.json`` bytes -> :class:`DatasetSpec`: the untrusted edge.

Decoding upgrades legacy layouts (:mod:`wkfn.spec.upgrade`), validates every value by
hand so that *all* problems are reported together with their JSON paths, runs the
non-strict checks of :mod:`wkfn.spec.check` and raises a single
:class:`~wkfn.errors.PropertiesError`. Unknown keys are kept in each record's
``extras``.
"""

from __future__ import annotations

import json
from typing import Any

from wkfn.errors import PropertiesError
from wkfn.spec.base import (
    JsonObject,
)
from wkfn.spec.check import check_layer, check_unique_names, check_voxel_size
from wkfn.spec.dataset import DatasetId, DatasetSpec, VoxelSizeSpec
from wkfn.spec.json_reader import MISSING, JsonReader, is_int, shown
from wkfn.spec.layer import (
    CATEGORIES,
    AdditionalAxisSpec,
    AttachmentSpec,
    AttachmentsSpec,
    BoundingBoxSpec,
    LayerSpec,
    MagSpec,
)
from wkfn.spec.upgrade import upgrade_with_issues


def decode_properties(data: bytes | str, *, source: str = "") -> DatasetSpec:
    """Parse and validate a ``datasource-properties.json``.

    Args:
        data: the file content.
        source: where it came from (a path or URL), used in error messages.

    Raises:
        PropertiesError: listing every problem with its JSON path.
    """
    try:
        obj = json.loads(data, parse_constant=_reject_constant)
    except RecursionError:
        raise PropertiesError(
            [("$", f"invalid JSON: nested deeper than {MAX_JSON_DEPTH} levels")], source
        ) from None
    except (ValueError, TypeError) as exc:
        raise PropertiesError([("$", f"invalid JSON: {exc}")], source) from None
    return from_json_obj(obj, source=source)


MAX_JSON_DEPTH = 64
"""Deepest nesting a properties file may have (real ones have < 10 levels).

A file nested thousands of levels deep would otherwise surface as a RecursionError
from the JSON parser, the validator or a later re-encode."""


def json_depth(obj: Any) -> int:
    """Nesting depth of a decoded JSON value (a scalar is 0), without recursion.

    >>> json_depth({"a": [1, {"b": []}]}), json_depth(3)
    (4, 0)
    """
    deepest = 0
    stack: list[tuple[Any, int]] = [(obj, 0)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        deepest = max(deepest, depth + 1)
        if deepest > MAX_JSON_DEPTH:
            return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest


def from_json_obj(obj: Any, *, source: str = "") -> DatasetSpec:
    """Upgrade, validate and convert a decoded JSON object into a :class:`DatasetSpec`.

    Raises:
        PropertiesError: listing every problem with its JSON path; every failure to
            decode (too deep, a value of an unexpected shape) is reported this way.
    """
    if json_depth(obj) > MAX_JSON_DEPTH:
        raise PropertiesError(
            [("$", f"nested deeper than {MAX_JSON_DEPTH} levels")], source
        )
    try:
        return _from_json_obj(obj, source)
    except PropertiesError:
        raise
    except (
        RecursionError,
        ValueError,
        TypeError,
        KeyError,
        IndexError,
        AttributeError,
        OverflowError,
    ) as exc:
        raise PropertiesError(
            [("$", f"cannot decode: {type(exc).__name__}: {exc}")], source
        ) from None


def _from_json_obj(obj: Any, source: str) -> DatasetSpec:
    upgraded, issues = upgrade_with_issues(obj)
    reader = PropertiesReader(issues)
    spec = reader.dataset(upgraded)
    if reader.issues or spec is None:
        raise PropertiesError(reader.issues, source)
    return spec


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


class PropertiesReader(JsonReader):
    """Converts the upgraded JSON object into spec records, collecting every issue."""

    def dataset(self, value: Any) -> DatasetSpec | None:
        obj = self.obj(value, "$")
        if obj is None:
            return None
        n_before = len(self.issues)
        ds_id = self.dataset_id(self.get(obj, "id", "$", required=True), "$.id")
        scale = self.scale(self.get(obj, "scale", "$", required=True), "$.scale")
        layers: list[LayerSpec] = []
        raw_layers = self.get(obj, "dataLayers", "$", required=True)
        names: list[tuple[int, str]] = []
        if raw_layers is not MISSING:
            if isinstance(raw_layers, list):
                for index, raw in enumerate(raw_layers):
                    lpath = f"$.dataLayers[{index}]"
                    if isinstance(raw, dict) and isinstance(raw.get("name"), str):
                        names.append((index, raw["name"]))
                    layer = self.layer(raw, lpath)
                    if layer is not None:
                        self.issues += check_layer(layer, lpath, strict=False)
                        layers.append(layer)
                self.issues += check_unique_names(names)
            else:
                self.err("$.dataLayers", f"expected an array, got {shown(raw_layers)}")
        version = self.get(obj, "version", "$", required=True)
        if version is not MISSING and not is_int(version):
            self.err("$.version", f"expected an integer, got {shown(version)}")
        view = self.view_configuration(obj, "$")
        if scale is not None:
            self.issues += check_voxel_size(scale, "$.scale")
        if len(self.issues) > n_before or ds_id is None or scale is None:
            return None
        known = ("id", "scale", "dataLayers", "version", "defaultViewConfiguration")
        return DatasetSpec(
            id=ds_id,
            scale=scale,
            data_layers=tuple(layers),
            version=int(version),
            default_view_configuration=view,
            extras=self.extras(obj, known),
        )

    def view_configuration(self, obj: JsonObject, path: str) -> JsonObject | None:
        raw = self.get(obj, "defaultViewConfiguration", path, required=False)
        if raw is MISSING:
            return None
        return self.obj(raw, f"{path}.defaultViewConfiguration")

    def dataset_id(self, value: Any, path: str) -> DatasetId | None:
        if value is MISSING:
            return None
        obj = self.obj(value, path)
        if obj is None:
            return None
        name = self.field(obj, "name", path, self.str_, required=True)
        team = self.get(obj, "team", path, required=False)
        if team is MISSING:
            team = None  # legacy files without team: the reference omits it too
        elif self.str_(team, f"{path}.team") is None:
            return None
        if name is None:
            return None
        return DatasetId(
            name=name, team=team, extras=self.extras(obj, ("name", "team"))
        )

    def scale(self, value: Any, path: str) -> VoxelSizeSpec | None:
        if value is MISSING:
            return None
        obj = self.obj(value, path)
        if obj is None:
            return None
        raw_factor = self.get(obj, "factor", path, required=True)
        factor = None
        if raw_factor is not MISSING:
            if isinstance(raw_factor, list) and len(raw_factor) == 3:
                parts = [
                    self.float_(v, f"{path}.factor[{i}]")
                    for i, v in enumerate(raw_factor)
                ]
                if all(p is not None for p in parts):
                    factor = (
                        float(parts[0] or 0),
                        float(parts[1] or 0),
                        float(parts[2] or 0),
                    )
            else:
                self.err(
                    f"{path}.factor",
                    f"expected 3 numbers, got {shown(raw_factor)}",
                )
        unit = self.get(obj, "unit", path, required=False)
        unit = "nanometer" if unit is MISSING else self.str_(unit, f"{path}.unit")
        if factor is None or unit is None:
            return None
        return VoxelSizeSpec(
            factor=factor, unit=unit, extras=self.extras(obj, ("factor", "unit"))
        )

    def layer(self, value: Any, path: str) -> LayerSpec | None:
        obj = self.obj(value, path)
        if obj is None:
            return None
        n_before = len(self.issues)
        name = self.field(obj, "name", path, self.str_, required=True)
        category = self.get(obj, "category", path, required=True)
        if category is not MISSING and category not in CATEGORIES:
            self.err(
                f"{path}.category",
                f"expected 'color' or 'segmentation', got {shown(category)}",
            )
        bbox = self.field(obj, "boundingBox", path, self.bounding_box, required=True)
        data_format = self.get(obj, "dataFormat", path, required=True)
        if data_format is not MISSING:
            data_format = self.str_(data_format, f"{path}.dataFormat")
        mags = self.get(obj, "mags", path, required=True)
        if mags is not MISSING:
            mags = self.list_(mags, f"{path}.mags", self.mag)
        view = self.view_configuration(obj, path)
        transforms: Any = self.get(
            obj, "coordinateTransformations", path, required=False
        )
        if transforms is not MISSING:
            transforms = self.list_(
                transforms, f"{path}.coordinateTransformations", self.obj
            )
        largest = self.get(obj, "largestSegmentId", path, required=False)
        largest = (
            None
            if largest is MISSING
            else self.bigint(largest, f"{path}.largestSegmentId")
        )
        mappings: Any = self.get(obj, "mappings", path, required=False)
        if mappings is not MISSING:
            mappings = self.list_(mappings, f"{path}.mappings", self.str_)
        attachments = self.get(obj, "attachments", path, required=False)
        if attachments is not MISSING:
            attachments = self.attachments(attachments, f"{path}.attachments")
        axes: Any = self.get(obj, "additionalAxes", path, required=False)
        if axes is not MISSING:
            axes = self.list_(axes, f"{path}.additionalAxes", self.additional_axis)
        num_channels = self.get(obj, "numChannels", path, required=True)
        if num_channels is not MISSING:
            num_channels = self.int_(num_channels, f"{path}.numChannels")
        element_class = self.get(obj, "elementClass", path, required=True)
        if element_class is not MISSING:
            element_class = self.str_(element_class, f"{path}.elementClass")
        if len(self.issues) > n_before:
            return None
        assert name is not None and bbox is not None and isinstance(mags, tuple)
        known = (
            "name",
            "category",
            "boundingBox",
            "dataFormat",
            "mags",
            "defaultViewConfiguration",
            "coordinateTransformations",
            "largestSegmentId",
            "mappings",
            "attachments",
            "additionalAxes",
            "numChannels",
            "elementClass",
        )
        return LayerSpec(
            name=name,
            category=category,
            bounding_box=bbox,
            data_format=data_format,
            mags=mags,
            default_view_configuration=view,
            coordinate_transformations=() if transforms is MISSING else transforms,
            largest_segment_id=largest,
            mappings=() if mappings is MISSING else mappings,
            attachments=None if attachments is MISSING else attachments,
            additional_axes=() if axes is MISSING else axes,
            num_channels=num_channels,
            element_class=element_class,
            extras=self.extras(obj, known),
        )

    def bounding_box(self, value: Any, path: str) -> BoundingBoxSpec | None:
        obj = self.obj(value, path)
        if obj is None:
            return None
        n_before = len(self.issues)
        top_left = self.get(obj, "topLeft", path, required=True)
        if top_left is not MISSING:
            top_left = self.ints(top_left, f"{path}.topLeft", 3)
        sizes: list[int | None] = []
        for key in ("width", "height", "depth"):
            sizes.append(self.field(obj, key, path, self.int_, required=True))
        axis_order = self.get(obj, "axisOrder", path, required=False)
        axis_order = (
            None
            if axis_order is MISSING
            else self.axis_order(axis_order, f"{path}.axisOrder")
        )
        channel_index = self.get(obj, "channelIndex", path, required=False)
        channel_index = (
            None
            if channel_index is MISSING
            else self.int_(channel_index, f"{path}.channelIndex")
        )
        if len(self.issues) > n_before:
            return None
        known = ("topLeft", "width", "height", "depth", "axisOrder", "channelIndex")
        return BoundingBoxSpec(
            top_left=top_left,
            width=sizes[0] or 0,
            height=sizes[1] or 0,
            depth=sizes[2] or 0,
            axis_order=axis_order,
            channel_index=channel_index,
            extras=self.extras(obj, known),
        )

    def mag(self, value: Any, path: str) -> MagSpec | None:
        obj = self.obj(value, path)
        if obj is None:
            return None
        n_before = len(self.issues)
        mag = self.get(obj, "mag", path, required=True)
        if mag is not MISSING:
            mag = self.ints(mag, f"{path}.mag", 3)
        mag_path = self.field(obj, "path", path, self.str_, required=False)
        cube = self.field(obj, "cubeLength", path, self.int_, required=False)
        order = self.field(obj, "axisOrder", path, self.axis_order, required=False)
        channel = self.field(obj, "channelIndex", path, self.int_, required=False)
        if len(self.issues) > n_before:
            return None
        known = ("mag", "path", "cubeLength", "axisOrder", "channelIndex")
        return MagSpec(
            mag=mag,
            path=mag_path,
            cube_length=cube,
            axis_order=order,
            channel_index=channel,
            extras=self.extras(obj, known),
        )

    def additional_axis(self, value: Any, path: str) -> AdditionalAxisSpec | None:
        obj = self.obj(value, path)
        if obj is None:
            return None
        n_before = len(self.issues)
        name = self.field(obj, "name", path, self.str_, required=True)
        bounds = self.get(obj, "bounds", path, required=True)
        bounds = None if bounds is MISSING else self.ints(bounds, f"{path}.bounds", 2)
        index = self.field(obj, "index", path, self.int_, required=True)
        if (
            len(self.issues) > n_before
            or name is None
            or bounds is None
            or index is None
        ):
            return None
        return AdditionalAxisSpec(
            name=name,
            bounds=(bounds[0], bounds[1]),
            index=index,
            extras=self.extras(obj, ("name", "bounds", "index")),
        )

    def attachment(self, value: Any, path: str) -> AttachmentSpec | None:
        obj = self.obj(value, path)
        if obj is None:
            return None
        fields: list[str | None] = []
        for key in ("name", "path", "dataFormat"):
            fields.append(self.field(obj, key, path, self.str_, required=True))
        name, att_path, data_format = fields
        if name is None or att_path is None or data_format is None:
            return None
        return AttachmentSpec(
            name=name,
            path=att_path,
            data_format=data_format,
            extras=self.extras(obj, ("name", "path", "dataFormat")),
        )

    def attachments(self, value: Any, path: str) -> AttachmentsSpec | None:
        obj = self.obj(value, path)
        if obj is None:
            return None
        n_before = len(self.issues)
        lists: dict[str, tuple[AttachmentSpec, ...]] = {}
        for key in ("meshes", "agglomerates", "connectomes"):
            raw = self.get(obj, key, path, required=False)
            if raw is not MISSING:
                items = self.list_(raw, f"{path}.{key}", self.attachment)
                lists[key] = items or ()
        singles: dict[str, AttachmentSpec | None] = {}
        for key in ("segmentIndex", "segmentStatistics", "cumsum"):
            raw = self.get(obj, key, path, required=False)
            singles[key] = (
                None if raw is MISSING else self.attachment(raw, f"{path}.{key}")
            )
        if len(self.issues) > n_before:
            return None
        known = (
            "meshes",
            "agglomerates",
            "segmentIndex",
            "segmentStatistics",
            "cumsum",
            "connectomes",
        )
        return AttachmentsSpec(
            meshes=lists.get("meshes", ()),
            agglomerates=lists.get("agglomerates", ()),
            segment_index=singles["segmentIndex"],
            segment_statistics=singles["segmentStatistics"],
            cumsum=singles["cumsum"],
            connectomes=lists.get("connectomes", ()),
            extras=self.extras(obj, known),
        )
