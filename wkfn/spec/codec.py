"""``datasource-properties.json`` bytes ↔ :class:`DatasetSpec`.

Decoding is the one edge where untrusted bytes enter: it upgrades legacy layouts
(:mod:`wkfn.spec.upgrade`), validates every value by hand so that *all* problems are
reported together with their JSON paths, runs the non-strict checks of
:mod:`wkfn.spec.check` and raises a single :class:`~wkfn.errors.PropertiesError`.

Encoding writes exactly what the reference writes (``json.dumps(obj, indent=4)``, keys
in the reference's order, optional keys omitted, floats for voxel sizes, ``axisOrder``
in every mag, ``numChannels`` always, the bigint envelope above 2**53-1) followed by the
unknown keys kept in each record's ``extras``.

Example:
    >>> from wkfn.spec import DatasetId, DatasetSpec, VoxelSizeSpec
    >>> scale = VoxelSizeSpec(factor=(1, 1, 2))
    >>> spec = DatasetSpec(id=DatasetId(name="ds"), scale=scale)
    >>> decode_properties(encode_properties(spec)) == spec
    True
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable
from typing import Any, TypeVar

from wkfn.errors import PropertiesError
from wkfn.spec.base import (
    DEFAULT_AXIS_ORDER,
    JS_MAX_SAFE_INTEGER,
    Issue,
    JsonObject,
)
from wkfn.spec.check import check_layer, check_unique_names, check_voxel_size
from wkfn.spec.dataset import DatasetId, DatasetSpec, VoxelSizeSpec
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

__all__ = [
    "decode_properties",
    "encode_properties",
    "fingerprint",
    "from_json_obj",
    "to_json_obj",
]

T = TypeVar("T")

_BIGINT_KEY = "customJsonEncoding"
_BIGINT_VALUE = "bigint"


# --------------------------------------------------------------------------- decode


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
    reader = _Reader(issues)
    spec = reader.dataset(upgraded)
    if reader.issues or spec is None:
        raise PropertiesError(reader.issues, source)
    return spec


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _show(value: Any) -> str:
    try:
        text = json.dumps(value)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class _Missing:
    pass


_MISSING = _Missing()


class _Reader:
    """Converts the upgraded JSON object, collecting every issue."""

    def __init__(self, issues: list[Issue]) -> None:
        self.issues = list(issues)

    # -- scalars ---------------------------------------------------------------

    def err(self, path: str, message: str) -> None:
        self.issues.append((path, message))

    def obj(self, value: Any, path: str) -> JsonObject | None:
        if isinstance(value, dict):
            return value
        self.err(path, f"expected an object, got {_type_name(value)}: {_show(value)}")
        return None

    def get(self, obj: JsonObject, key: str, path: str, *, required: bool) -> Any:
        if key in obj and obj[key] is not None:
            return obj[key]
        if required:
            if key in obj:
                self.err(f"{path}.{key}", "must not be null")
            else:
                self.err(f"{path}.{key}", "missing required key")
        return _MISSING

    def field(
        self,
        obj: JsonObject,
        key: str,
        path: str,
        convert: Callable[[Any, str], Any],
        *,
        required: bool,
    ) -> Any:
        """``obj[key]`` converted (issues reported at ``path.key``); None if absent."""
        raw = self.get(obj, key, path, required=required)
        return None if raw is _MISSING else convert(raw, f"{path}.{key}")

    def int_(self, value: Any, path: str) -> int | None:
        if _is_int(value):
            return int(value)
        if isinstance(value, float) and value.is_integer():
            return int(value)
        self.err(path, f"expected an integer, got {_show(value)}")
        return None

    def float_(self, value: Any, path: str) -> float | None:
        if isinstance(value, int | float) and not isinstance(value, bool):
            result = float(value)
            if math.isfinite(result):
                return result
        self.err(path, f"expected a finite number, got {_show(value)}")
        return None

    def str_(self, value: Any, path: str) -> str | None:
        if isinstance(value, str):
            return value
        self.err(path, f"expected a string, got {_show(value)}")
        return None

    def bool_(self, value: Any, path: str) -> bool | None:
        if isinstance(value, bool):
            return value
        self.err(path, f"expected a boolean, got {_show(value)}")
        return None

    def ints(self, value: Any, path: str, count: int) -> tuple[int, ...] | None:
        if (
            isinstance(value, list)
            and len(value) == count
            and all(
                _is_int(v) or (isinstance(v, float) and v.is_integer()) for v in value
            )
        ):
            return tuple(int(v) for v in value)
        self.err(path, f"expected {count} integers, got {_show(value)}")
        return None

    def list_(
        self, value: Any, path: str, item: Callable[[Any, str], T | None]
    ) -> tuple[T, ...] | None:
        if not isinstance(value, list):
            self.err(
                path, f"expected an array, got {_type_name(value)}: {_show(value)}"
            )
            return None
        results = [item(v, f"{path}[{i}]") for i, v in enumerate(value)]
        if any(r is None for r in results):
            return None
        return tuple(r for r in results if r is not None)

    def axis_order(self, value: Any, path: str) -> dict[str, int] | None:
        if isinstance(value, dict) and all(
            isinstance(k, str) and _is_int(v) for k, v in value.items()
        ):
            return dict(value)
        self.err(path, f"expected an object of axis name to index, got {_show(value)}")
        return None

    @staticmethod
    def extras(obj: JsonObject, known: tuple[str, ...]) -> dict[str, Any]:
        return {k: v for k, v in obj.items() if k not in known}

    # -- records ---------------------------------------------------------------

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
        if raw_layers is not _MISSING:
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
                self.err("$.dataLayers", f"expected an array, got {_show(raw_layers)}")
        version = self.get(obj, "version", "$", required=True)
        if version is not _MISSING and not _is_int(version):
            self.err("$.version", f"expected an integer, got {_show(version)}")
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
        if raw is _MISSING:
            return None
        return self.obj(raw, f"{path}.defaultViewConfiguration")

    def dataset_id(self, value: Any, path: str) -> DatasetId | None:
        if value is _MISSING:
            return None
        obj = self.obj(value, path)
        if obj is None:
            return None
        name = self.field(obj, "name", path, self.str_, required=True)
        team = self.get(obj, "team", path, required=False)
        if team is _MISSING:
            team = None  # legacy files without team: the reference omits it too
        elif self.str_(team, f"{path}.team") is None:
            return None
        if name is None:
            return None
        return DatasetId(
            name=name, team=team, extras=self.extras(obj, ("name", "team"))
        )

    def scale(self, value: Any, path: str) -> VoxelSizeSpec | None:
        if value is _MISSING:
            return None
        obj = self.obj(value, path)
        if obj is None:
            return None
        raw_factor = self.get(obj, "factor", path, required=True)
        factor = None
        if raw_factor is not _MISSING:
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
                    f"{path}.factor", f"expected 3 numbers, got {_show(raw_factor)}"
                )
        unit = self.get(obj, "unit", path, required=False)
        unit = "nanometer" if unit is _MISSING else self.str_(unit, f"{path}.unit")
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
        if category is not _MISSING and category not in CATEGORIES:
            self.err(
                f"{path}.category",
                f"expected 'color' or 'segmentation', got {_show(category)}",
            )
        bbox = self.field(obj, "boundingBox", path, self.bounding_box, required=True)
        data_format = self.get(obj, "dataFormat", path, required=True)
        if data_format is not _MISSING:
            data_format = self.str_(data_format, f"{path}.dataFormat")
        mags = self.get(obj, "mags", path, required=True)
        if mags is not _MISSING:
            mags = self.list_(mags, f"{path}.mags", self.mag)
        view = self.view_configuration(obj, path)
        transforms: Any = self.get(
            obj, "coordinateTransformations", path, required=False
        )
        if transforms is not _MISSING:
            transforms = self.list_(
                transforms, f"{path}.coordinateTransformations", self.obj
            )
        largest = self.get(obj, "largestSegmentId", path, required=False)
        largest = (
            None
            if largest is _MISSING
            else self.bigint(largest, f"{path}.largestSegmentId")
        )
        mappings: Any = self.get(obj, "mappings", path, required=False)
        if mappings is not _MISSING:
            mappings = self.list_(mappings, f"{path}.mappings", self.str_)
        attachments = self.get(obj, "attachments", path, required=False)
        if attachments is not _MISSING:
            attachments = self.attachments(attachments, f"{path}.attachments")
        axes: Any = self.get(obj, "additionalAxes", path, required=False)
        if axes is not _MISSING:
            axes = self.list_(axes, f"{path}.additionalAxes", self.additional_axis)
        num_channels = self.get(obj, "numChannels", path, required=True)
        if num_channels is not _MISSING:
            num_channels = self.int_(num_channels, f"{path}.numChannels")
        element_class = self.get(obj, "elementClass", path, required=True)
        if element_class is not _MISSING:
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
            coordinate_transformations=() if transforms is _MISSING else transforms,
            largest_segment_id=largest,
            mappings=() if mappings is _MISSING else mappings,
            attachments=None if attachments is _MISSING else attachments,
            additional_axes=() if axes is _MISSING else axes,
            num_channels=num_channels,
            element_class=element_class,
            extras=self.extras(obj, known),
        )

    def bigint(self, value: Any, path: str) -> int | None:
        if _is_int(value):
            return int(value)
        if isinstance(value, dict) and value.get(_BIGINT_KEY) == _BIGINT_VALUE:
            digits = value.get("value")
            if isinstance(digits, str):
                try:
                    return int(digits, 10)
                except ValueError:
                    pass
            self.err(f"{path}.value", f"expected a decimal string, got {_show(digits)}")
            return None
        self.err(path, f"expected an integer or bigint envelope, got {_show(value)}")
        return None

    def bounding_box(self, value: Any, path: str) -> BoundingBoxSpec | None:
        obj = self.obj(value, path)
        if obj is None:
            return None
        n_before = len(self.issues)
        top_left = self.get(obj, "topLeft", path, required=True)
        if top_left is not _MISSING:
            top_left = self.ints(top_left, f"{path}.topLeft", 3)
        sizes: list[int | None] = []
        for key in ("width", "height", "depth"):
            sizes.append(self.field(obj, key, path, self.int_, required=True))
        axis_order = self.get(obj, "axisOrder", path, required=False)
        axis_order = (
            None
            if axis_order is _MISSING
            else self.axis_order(axis_order, f"{path}.axisOrder")
        )
        channel_index = self.get(obj, "channelIndex", path, required=False)
        channel_index = (
            None
            if channel_index is _MISSING
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
        if mag is not _MISSING:
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
        bounds = None if bounds is _MISSING else self.ints(bounds, f"{path}.bounds", 2)
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
            if raw is not _MISSING:
                items = self.list_(raw, f"{path}.{key}", self.attachment)
                lists[key] = items or ()
        singles: dict[str, AttachmentSpec | None] = {}
        for key in ("segmentIndex", "segmentStatistics", "cumsum"):
            raw = self.get(obj, key, path, required=False)
            singles[key] = (
                None if raw is _MISSING else self.attachment(raw, f"{path}.{key}")
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


# --------------------------------------------------------------------------- encode


def _with_extras(out: JsonObject, extras: dict[str, Any]) -> JsonObject:
    for key, value in extras.items():
        if key not in out:
            out[key] = value
    return out


def to_json_obj(spec: DatasetSpec) -> JsonObject:
    """The JSON object the reference would write for ``spec`` (plus ``extras``).

    Example:
        >>> from wkfn.spec import DatasetId, DatasetSpec, VoxelSizeSpec
        >>> scale = VoxelSizeSpec(factor=(1, 1, 2))
        >>> obj = to_json_obj(DatasetSpec(id=DatasetId(name="ds"), scale=scale))
        >>> obj["scale"], obj["version"]
        ({'factor': [1.0, 1.0, 2.0], 'unit': 'nanometer'}, 1)
    """
    out: JsonObject = {
        "id": _with_extras(_id_to_json(spec.id), spec.id.extras),
        "scale": _with_extras(
            {"factor": [float(v) for v in spec.scale.factor], "unit": spec.scale.unit},
            spec.scale.extras,
        ),
        "dataLayers": [_layer_to_json(layer) for layer in spec.data_layers],
        "version": spec.version,
    }
    if spec.default_view_configuration is not None:
        out["defaultViewConfiguration"] = spec.default_view_configuration
    return _with_extras(out, spec.extras)


def _id_to_json(ds_id: DatasetId) -> JsonObject:
    out: JsonObject = {"name": ds_id.name}
    if ds_id.team is not None:
        out["team"] = ds_id.team
    return out


def _layer_to_json(layer: LayerSpec) -> JsonObject:
    bbox = layer.bounding_box
    bbox_out: JsonObject = {
        "topLeft": list(bbox.top_left),
        "width": bbox.width,
        "height": bbox.height,
        "depth": bbox.depth,
    }
    if not layer.mags:
        # the reference keeps axisOrder/channelIndex in the bbox only without mags
        bbox_out["axisOrder"] = dict(bbox.axis_order or DEFAULT_AXIS_ORDER)
        if bbox.channel_index is not None:
            bbox_out["channelIndex"] = bbox.channel_index
    out: JsonObject = {
        "name": layer.name,
        "category": layer.category,
        "boundingBox": _with_extras(bbox_out, bbox.extras),
        "dataFormat": layer.data_format,
        "mags": [_mag_to_json(mag) for mag in layer.mags],
    }
    if layer.default_view_configuration is not None:
        out["defaultViewConfiguration"] = layer.default_view_configuration
    if layer.coordinate_transformations:
        out["coordinateTransformations"] = list(layer.coordinate_transformations)
    if layer.largest_segment_id is not None:
        out["largestSegmentId"] = _bigint_to_json(layer.largest_segment_id)
    if layer.mappings:
        out["mappings"] = list(layer.mappings)
    if layer.attachments is not None:
        attachments = _attachments_to_json(layer.attachments)
        if attachments:
            out["attachments"] = attachments
    if layer.additional_axes:
        out["additionalAxes"] = [
            _with_extras(
                {"name": a.name, "bounds": list(a.bounds), "index": a.index}, a.extras
            )
            for a in layer.additional_axes
        ]
    out["numChannels"] = layer.num_channels
    out["elementClass"] = layer.element_class
    return _with_extras(out, layer.extras)


def _bigint_to_json(value: int) -> Any:
    if value > JS_MAX_SAFE_INTEGER:
        return {_BIGINT_KEY: _BIGINT_VALUE, "value": str(value)}
    return value


def _mag_to_json(mag: MagSpec) -> JsonObject:
    out: JsonObject = {"mag": list(mag.mag)}
    if mag.path is not None:
        out["path"] = mag.path
    if mag.cube_length is not None:
        out["cubeLength"] = mag.cube_length
    out["axisOrder"] = dict(mag.axis_order or DEFAULT_AXIS_ORDER)
    if mag.channel_index is not None:
        out["channelIndex"] = mag.channel_index
    return _with_extras(out, mag.extras)


def _attachment_to_json(att: AttachmentSpec) -> JsonObject:
    return _with_extras(
        {"name": att.name, "path": att.path, "dataFormat": att.data_format}, att.extras
    )


def _attachments_to_json(atts: AttachmentsSpec) -> JsonObject:
    out: JsonObject = {}
    if atts.meshes:
        out["meshes"] = [_attachment_to_json(a) for a in atts.meshes]
    if atts.agglomerates:
        out["agglomerates"] = [_attachment_to_json(a) for a in atts.agglomerates]
    if atts.segment_index is not None:
        out["segmentIndex"] = _attachment_to_json(atts.segment_index)
    if atts.segment_statistics is not None:
        out["segmentStatistics"] = _attachment_to_json(atts.segment_statistics)
    if atts.cumsum is not None:
        out["cumsum"] = _attachment_to_json(atts.cumsum)
    if atts.connectomes:
        out["connectomes"] = [_attachment_to_json(a) for a in atts.connectomes]
    return _with_extras(out, atts.extras)


def encode_properties(spec: DatasetSpec) -> bytes:
    """Serialise ``spec`` exactly as the reference writes it (``indent=4``, ASCII).

    The file has no trailing newline, like the reference's.
    """
    return json.dumps(to_json_obj(spec), indent=4).encode("ascii")


def fingerprint(spec: DatasetSpec) -> str:
    """SHA-256 hex digest of a canonical compact encoding of ``spec``.

    Equal specs have equal fingerprints; key order inside ``extras`` and view
    configurations does not matter.

    Example:
        >>> from wkfn.spec import DatasetId, DatasetSpec, VoxelSizeSpec
        >>> scale = VoxelSizeSpec(factor=(1, 1, 1))
        >>> len(fingerprint(DatasetSpec(id=DatasetId(name="ds"), scale=scale)))
        64
    """
    canonical = json.dumps(
        to_json_obj(spec), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
