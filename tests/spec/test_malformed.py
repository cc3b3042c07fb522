"""Malformed properties raise one PropertiesError listing every issue with its path."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from wkfn.errors import PropertiesError
from wkfn.spec import decode_properties, from_json_obj, upgrade_properties

GOLDEN = Path(__file__).parent.parent / "golden" / "properties"
BASE: dict[str, Any] = json.loads((GOLDEN / "ref_zarr3_color_3mags.json").read_bytes())
SEG: dict[str, Any] = json.loads((GOLDEN / "ref_bigint.json").read_bytes())

L0 = "$.dataLayers[0]"


def _layer(obj: dict[str, Any], index: int = 0) -> dict[str, Any]:
    layer: dict[str, Any] = obj["dataLayers"][index]
    return layer


def _set(path: list[Any], value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(obj: dict[str, Any]) -> None:
        target: Any = obj
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return mutate


def _del(path: list[Any]) -> Callable[[dict[str, Any]], None]:
    def mutate(obj: dict[str, Any]) -> None:
        target: Any = obj
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return mutate


def _all(*fns: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    def mutate(obj: dict[str, Any]) -> None:
        for fn in fns:
            fn(obj)

    return mutate


def _dup_layer(obj: dict[str, Any]) -> None:
    obj["dataLayers"].append(copy.deepcopy(obj["dataLayers"][0]))


def _dup_mag(obj: dict[str, Any]) -> None:
    _layer(obj)["mags"].append(copy.deepcopy(_layer(obj)["mags"][0]))


DL = "dataLayers"
CASES: list[tuple[str, Callable[[dict[str, Any]], None], list[str]]] = [
    ("mag of 2 ints", _set([DL, 0, "mags", 1, "mag"], [1, 1]), [f"{L0}.mags[1].mag"]),
    ("mag not a list", _set([DL, 0, "mags", 0, "mag"], "2-2-1"), [f"{L0}.mags[0].mag"]),
    ("mag zero", _set([DL, 0, "mags", 2, "mag"], [0, 1, 1]), [f"{L0}.mags[2].mag"]),
    ("mag floats", _set([DL, 0, "mags", 0, "mag"], [1.5, 1, 1]), [f"{L0}.mags[0].mag"]),
    ("duplicate mag", _dup_mag, [f"{L0}.mags[3].mag"]),
    ("mag missing", _del([DL, 0, "mags", 0, "mag"]), [f"{L0}.mags[0].mag"]),
    ("mag entry not object", _set([DL, 0, "mags", 0], 1), [f"{L0}.mags[0]"]),
    ("mags not a list", _set([DL, 0, "mags"], {}), [f"{L0}.mags"]),
    ("path not str", _set([DL, 0, "mags", 0, "path"], 5), [f"{L0}.mags[0].path"]),
    (
        "axisOrder bad",
        _set([DL, 0, "mags", 0, "axisOrder"], {"x": "1"}),
        [f"{L0}.mags[0].axisOrder"],
    ),
    (
        "axisOrder differs",
        _set([DL, 0, "mags", 1, "axisOrder"], {"c": 0, "x": 3, "y": 2, "z": 1}),
        [f"{L0}.mags[1].axisOrder"],
    ),
    ("unknown category", _set([DL, 0, "category"], "tracing"), [f"{L0}.category"]),
    (
        "bad elementClass",
        _set([DL, 0, "elementClass"], "uint7"),
        [f"{L0}.elementClass"],
    ),
    (
        "uint24 one channel",
        _set([DL, 0, "elementClass"], "uint24"),
        [f"{L0}.elementClass"],
    ),
    ("elementClass int", _set([DL, 0, "elementClass"], 8), [f"{L0}.elementClass"]),
    ("numChannels 0", _set([DL, 0, "numChannels"], 0), [f"{L0}.numChannels"]),
    ("numChannels str", _set([DL, 0, "numChannels"], "1"), [f"{L0}.numChannels"]),
    ("duplicate layer names", _dup_layer, ["$.dataLayers[1].name"]),
    ("invalid layer name", _set([DL, 0, "name"], "../evil"), [f"{L0}.name"]),
    ("layer name not str", _set([DL, 0, "name"], 3), [f"{L0}.name"]),
    ("missing name", _del([DL, 0, "name"]), [f"{L0}.name"]),
    ("missing boundingBox", _del([DL, 0, "boundingBox"]), [f"{L0}.boundingBox"]),
    ("missing elementClass", _del([DL, 0, "elementClass"]), [f"{L0}.elementClass"]),
    (
        "topLeft short",
        _set([DL, 0, "boundingBox", "topLeft"], [0, 0]),
        [f"{L0}.boundingBox.topLeft"],
    ),
    (
        "negative width",
        _set([DL, 0, "boundingBox", "width"], -1),
        [f"{L0}.boundingBox.width"],
    ),
    (
        "height null",
        _set([DL, 0, "boundingBox", "height"], None),
        [f"{L0}.boundingBox.height"],
    ),
    ("unknown dataFormat", _set([DL, 0, "dataFormat"], "tiff"), [f"{L0}.dataFormat"]),
    ("layer not object", _set([DL, 0], "color"), [L0]),
    ("dataLayers not list", _set([DL], {}), ["$.dataLayers"]),
    ("version 2", _set(["version"], 2), ["$.version"]),
    ("version str", _set(["version"], "1"), ["$.version"]),
    ("missing id", _del(["id"]), ["$.id"]),
    ("id name int", _set(["id", "name"], 1), ["$.id.name"]),
    ("scale factor 2", _set(["scale", "factor"], [1, 1]), ["$.scale.factor"]),
    ("scale factor str", _set(["scale", "factor"], [1, "a", 1]), ["$.scale.factor[1]"]),
    ("scale factor zero", _set(["scale", "factor"], [1, 0, 1]), ["$.scale.factor"]),
    ("scale unknown unit", _set(["scale", "unit"], "lightyear"), ["$.scale.unit"]),
    ("scale not object", _set(["scale"], "nm"), ["$.scale"]),
    (
        "view configuration not object",
        _set(["defaultViewConfiguration"], [1]),
        ["$.defaultViewConfiguration"],
    ),
    (
        "largestSegmentId str",
        _set([DL, 0, "largestSegmentId"], "12"),
        [f"{L0}.largestSegmentId"],
    ),
    (
        "bigint envelope bad value",
        _set(
            [DL, 0, "largestSegmentId"], {"customJsonEncoding": "bigint", "value": "x"}
        ),
        [f"{L0}.largestSegmentId.value"],
    ),
    ("mappings not str", _set([DL, 0, "mappings"], ["a", 1]), [f"{L0}.mappings[1]"]),
    (
        "additional axis bounds",
        _set([DL, 0, "additionalAxes"], [{"name": "t", "bounds": [0], "index": 0}]),
        [f"{L0}.additionalAxes[0].bounds"],
    ),
    (
        "attachment missing path",
        _set([DL, 0, "attachments"], {"meshes": [{"name": "m", "dataFormat": "hdf5"}]}),
        [f"{L0}.attachments.meshes[0].path"],
    ),
    (
        "transformations not objects",
        _set([DL, 0, "coordinateTransformations"], [1]),
        [f"{L0}.coordinateTransformations[0]"],
    ),
    (
        "many problems at once",
        _all(
            _del([DL, 0, "dataFormat"]),
            _set(["scale", "factor"], [1, "a", 1]),
            _set([DL, 0, "mags", 0, "path"], 5),
            _set([DL, 0, "mags", 1, "mag"], [1, 1]),
            _set(["version"], 3),
            _dup_layer,
        ),
        [
            "$.version",
            "$.scale.factor[1]",
            f"{L0}.dataFormat",
            f"{L0}.mags[0].path",
            f"{L0}.mags[1].mag",
            "$.dataLayers[1].dataFormat",
            "$.dataLayers[1].mags[0].path",
            "$.dataLayers[1].mags[1].mag",
            "$.dataLayers[1].name",
        ],
    ),
]


@pytest.mark.parametrize(
    ("mutate", "paths"), [(m, p) for _, m, p in CASES], ids=[c[0] for c in CASES]
)
def test_malformed_reports_exact_paths(
    mutate: Callable[[dict[str, Any]], None], paths: list[str]
) -> None:
    obj = copy.deepcopy(BASE)
    mutate(obj)
    with pytest.raises(PropertiesError) as info:
        decode_properties(json.dumps(obj).encode(), source="mem://ds")
    assert sorted(path for path, _ in info.value.issues) == sorted(paths)
    assert info.value.source == "mem://ds"
    assert all(message for _, message in info.value.issues)


@pytest.mark.parametrize(
    "data",
    [b"", b"{not json", b"[]", b"null", b"42", b'{"id": NaN}', b"\xff\xfe\x00"],
    ids=["empty", "syntax", "array", "null", "number", "nan", "bad-encoding"],
)
def test_not_a_json_object(data: bytes) -> None:
    with pytest.raises(PropertiesError) as info:
        decode_properties(data)
    assert [path for path, _ in info.value.issues] == ["$"]


def test_error_is_a_value_error_with_readable_message() -> None:
    obj = copy.deepcopy(BASE)
    _layer(obj)["mags"][1]["mag"] = [1, 1]
    with pytest.raises(ValueError, match=r"\$\.dataLayers\[0\]\.mags\[1\]\.mag"):
        decode_properties(json.dumps(obj), source="x/datasource-properties.json")


def test_from_json_obj_and_upgrade_raise_properties_error() -> None:
    with pytest.raises(PropertiesError):
        from_json_obj({"id": 1})
    with pytest.raises(PropertiesError) as info:
        upgrade_properties({"version": 7})
    assert info.value.issues[0][0] == "$.version"


def test_segmentation_bigint_int_form_accepted() -> None:
    obj = copy.deepcopy(SEG)
    _layer(obj)["largestSegmentId"] = 2**60
    spec = decode_properties(json.dumps(obj))
    assert spec.data_layers[0].largest_segment_id == 2**60


def test_color_layer_with_uint64_is_read() -> None:
    obj = copy.deepcopy(BASE)
    _layer(obj)["elementClass"] = "uint64"
    spec = decode_properties(json.dumps(obj))
    assert spec.data_layers[0].element_class == "uint64"
