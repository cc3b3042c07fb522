"""Transcoding zarr streaming, as the real datastore serves it.

The real datastore does not hand out its files: for ``/data/v15/zarr/{id}/`` it
describes every layer as an unsharded zarr3 array of 32³ chunks with axes
``c, x, y, z`` (the whole channel range in one chunk), encoded in Fortran order
(a ``transpose`` codec, then ``bytes`` little endian), chunk keys with ``.`` as
separator (``c.0.1.2.3``), covering ``[0, bottom-right)`` of the layer box in the
mag's voxels; the properties it serves list every layer as ``zarr3`` with mag
paths ``./{layer}/{mag}``. This module produces exactly that from the stored
arrays (whatever their format). These array details come from memory of the
server's Zarr streaming controller, not from a document at hand; what proves them
usable is that the reference client reads them (tests/remote).
"""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np

from .rawdata import (
    find_layer,
    layer_mags,
    mag_name,
    mag_of,
    open_stored,
    read_region,
)
from .state import ApiError, DatasetRecord, JsonDict

CHUNK = 32
_DTYPES = {"uint24": "uint8"}


def _bottom_right(layer: JsonDict) -> list[int]:
    box = layer["boundingBox"]
    size = [box["width"], box["height"], box["depth"]]
    return [t + s for t, s in zip(box["topLeft"], size)]


def _element(layer: JsonDict) -> tuple[str, int]:
    element = str(layer["elementClass"])
    channels = int(layer.get("numChannels") or (3 if element == "uint24" else 1))
    return _DTYPES.get(element, element), channels


def transcode_layer(layer: JsonDict) -> None:
    """Describe one layer (in place) as the datastore serves it: zarr3 at
    ``./{layer}/{mag}``."""
    layer["mags"] = layer_mags(layer)
    layer["dataFormat"] = "zarr3"
    for mag in layer["mags"]:
        mag["path"] = f"./{layer['name']}/{mag_name(tuple(mag['mag']))}"
        for key in ("cubeLength", "resolution"):
            mag.pop(key, None)
    layer.pop("wkwResolutions", None)


def properties(record: DatasetRecord) -> JsonDict:
    props = record.properties()
    for layer in props.get("dataLayers", []):
        transcode_layer(layer)
    return props


def always_transcoded(record: DatasetRecord, rel: str) -> bool:
    """Whether ``rel`` lies in a layer whose stored files cannot be served as they
    are (wkw: the real datastore serves such layers only transcoded)."""
    name = rel.split("/", 1)[0]
    return any(
        layer.get("name") == name and layer.get("dataFormat") == "wkw"
        for layer in record.properties().get("dataLayers", [])
    )


def header(layer: JsonDict, mag: tuple[int, int, int]) -> JsonDict:
    dtype, channels = _element(layer)
    extent = [-(-b // m) for b, m in zip(_bottom_right(layer), mag)]
    return {
        "zarr_format": 3,
        "node_type": "array",
        "shape": [channels, *extent],
        "data_type": dtype,
        "chunk_grid": {
            "name": "regular",
            "configuration": {"chunk_shape": [channels, CHUNK, CHUNK, CHUNK]},
        },
        "chunk_key_encoding": {"name": "default", "configuration": {"separator": "."}},
        "fill_value": 0,
        "codecs": [
            {"name": "transpose", "configuration": {"order": [3, 2, 1, 0]}},
            {"name": "bytes", "configuration": {"endian": "little"}},
        ],
        "attributes": {},
        "dimension_names": ["c", "x", "y", "z"],
    }


def serve(record: DatasetRecord, rel: str) -> tuple[bytes, str] | None:
    """(body, content type) for a path below the dataset's zarr root, or None."""
    if rel == "datasource-properties.json":
        return json.dumps(properties(record)).encode(), "application/json"
    m = re.fullmatch(r"([^/]+)/zarr\.json", rel)
    if m:
        find_layer(record, m.group(1))
        group = {"zarr_format": 3, "node_type": "group", "attributes": {}}
        return json.dumps(group).encode(), "application/json"
    m = re.fullmatch(
        r"([^/]+)/([0-9-]+)/(zarr\.json|c\.(\d+)\.(\d+)\.(\d+)\.(\d+))", rel
    )
    if not m:
        return None
    layer = find_layer(record, m.group(1))
    mag = mag_of(m.group(2))
    if not any(tuple(entry["mag"]) == mag for entry in layer_mags(layer)):
        raise ApiError(404, f"mag {m.group(2)} not in layer {m.group(1)}")
    head = header(layer, mag)
    if m.group(3) == "zarr.json":
        return json.dumps(head).encode(), "application/json"
    c, x, y, z = (int(m.group(i)) for i in range(4, 8))
    if c != 0 or any(v * CHUNK >= s for v, s in zip((x, y, z), head["shape"][1:])):
        raise ApiError(404, f"no chunk {rel}")
    arr: Any = open_stored(record, layer, mag)
    data = read_region(arr, [x * CHUNK, y * CHUNK, z * CHUNK], [CHUNK] * 3)
    data = np.asarray(data, dtype=data.dtype.newbyteorder("<"))
    return data.tobytes(order="F"), "application/octet-stream"
