""":class:`DatasetSpec` -> ``datasource-properties.json`` bytes, and fingerprints.

Encoding writes exactly what the reference writes (``json.dumps(obj, indent=4)``, keys
in the reference's order, optional keys omitted, floats for voxel sizes, ``axisOrder``
in every mag, ``numChannels`` always, the bigint envelope above 2**53-1) followed by the
unknown keys kept in each record's ``extras``. :func:`fingerprint` hashes that encoding,
so two specs with the same file content have the same fingerprint.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from wkfn.spec.base import (
    DEFAULT_AXIS_ORDER,
    JS_MAX_SAFE_INTEGER,
    JsonObject,
)
from wkfn.spec.dataset import DatasetId, DatasetSpec
from wkfn.spec.json_reader import BIGINT_KEY, BIGINT_VALUE
from wkfn.spec.layer import (
    AttachmentSpec,
    AttachmentsSpec,
    LayerSpec,
    MagSpec,
)


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
        return {BIGINT_KEY: BIGINT_VALUE, "value": str(value)}
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
