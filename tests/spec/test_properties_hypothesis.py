"""Property tests: generated specs round-trip, fingerprint stably and check clean."""

from __future__ import annotations

import json

import msgspec
from hypothesis import HealthCheck, given, settings

from wkfn.spec import (
    DatasetSpec,
    check_dataset,
    decode_properties,
    encode_properties,
    fingerprint,
    from_json_obj,
    to_json_obj,
)
from wkfn.testing.spec_strategies import dataset_specs

SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@SETTINGS
@given(dataset_specs())
def test_encode_decode_round_trip(spec: DatasetSpec) -> None:
    data = encode_properties(spec)
    decoded = decode_properties(data)
    assert decoded == spec
    assert encode_properties(decoded) == data
    assert from_json_obj(to_json_obj(spec)) == spec


@SETTINGS
@given(dataset_specs())
def test_fingerprint_is_stable(spec: DatasetSpec) -> None:
    fp = fingerprint(spec)
    assert len(fp) == 64
    assert fingerprint(decode_properties(encode_properties(spec))) == fp
    # key order of unknown keys does not matter
    reordered = msgspec.structs.replace(
        spec, extras=dict(reversed(list(spec.extras.items())))
    )
    assert fingerprint(reordered) == fp


@SETTINGS
@given(dataset_specs())
def test_generated_specs_check_clean(spec: DatasetSpec) -> None:
    assert check_dataset(spec) == ()
    assert check_dataset(spec, strict=False) == ()


@SETTINGS
@given(dataset_specs())
def test_encoding_is_reference_formatting(spec: DatasetSpec) -> None:
    data = encode_properties(spec)
    obj = json.loads(data)
    assert data == json.dumps(obj, indent=4).encode()
    assert list(obj)[:4] == ["id", "scale", "dataLayers", "version"]
    for layer in obj["dataLayers"]:
        assert list(layer)[:5] == [
            "name",
            "category",
            "boundingBox",
            "dataFormat",
            "mags",
        ]
        assert list(layer)[-2 - len(_extras(spec, layer["name"])) :][:2] == [
            "numChannels",
            "elementClass",
        ]
        assert all("axisOrder" in mag for mag in layer["mags"])
        assert ("axisOrder" in layer["boundingBox"]) == (not layer["mags"])
        assert "extras" not in layer


def _extras(spec: DatasetSpec, name: str) -> dict[str, object]:
    return next(ly.extras for ly in spec.data_layers if ly.name == name)
