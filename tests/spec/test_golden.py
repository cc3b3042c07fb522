"""Golden corpus: properties files written by the reference library (``ref_*``),
legacy layouts (``legacy_*`` with the reference's own re-save in
``*.upgraded.json``) and hand-written files with unknown keys (``hand_*``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wkfn.spec import (
    check_dataset,
    decode_properties,
    encode_properties,
    fingerprint,
    from_json_obj,
    to_json_obj,
)

GOLDEN = Path(__file__).parent.parent / "golden" / "properties"
FILES = sorted(
    p for p in GOLDEN.glob("*.json") if not p.name.endswith(".upgraded.json")
)
VERBATIM = [p for p in FILES if not p.name.startswith("legacy_")]
LEGACY = [p for p in FILES if p.name.startswith("legacy_")]


def _ids(paths: list[Path]) -> list[str]:
    return [p.stem for p in paths]


def test_corpus_is_complete() -> None:
    assert len([p for p in FILES if p.name.startswith("ref_")]) >= 10
    assert LEGACY
    for path in LEGACY:
        assert path.with_name(path.stem + ".upgraded.json").exists()


@pytest.mark.parametrize("path", VERBATIM, ids=_ids(VERBATIM))
def test_modern_file_reencodes_byte_for_byte(path: Path) -> None:
    data = path.read_bytes()
    spec = decode_properties(data, source=str(path))
    assert encode_properties(spec) == data
    assert check_dataset(spec, strict=False) == ()


@pytest.mark.parametrize("path", LEGACY, ids=_ids(LEGACY))
def test_legacy_file_upgrades_like_the_reference(path: Path) -> None:
    spec = decode_properties(path.read_bytes(), source=str(path))
    expected = path.with_name(path.stem + ".upgraded.json").read_bytes()
    encoded = encode_properties(spec)
    assert encoded == expected
    again = decode_properties(encoded)
    assert again == spec
    assert encode_properties(again) == encoded


@pytest.mark.parametrize("path", FILES, ids=_ids(FILES))
def test_json_obj_round_trip_and_fingerprint(path: Path) -> None:
    spec = decode_properties(path.read_text(encoding="utf-8"))
    assert from_json_obj(to_json_obj(spec)) == spec
    assert fingerprint(spec) == fingerprint(decode_properties(encode_properties(spec)))


def test_reference_facts_decoded() -> None:
    zarr3 = decode_properties((GOLDEN / "ref_zarr3_color_3mags.json").read_bytes())
    layer = zarr3.data_layers[0]
    assert [m.mag for m in layer.mags] == [(1, 1, 1), (2, 2, 1), (4, 4, 2)]
    assert layer.mags[1].path == "./color/2-2-1"
    assert zarr3.scale.factor == (11.24, 11.24, 25.0)

    bigint = decode_properties((GOLDEN / "ref_bigint.json").read_bytes())
    ids = {ly.name: ly.largest_segment_id for ly in bigint.data_layers}
    assert ids == {
        "seg": 2**60,
        "seg_small": 2**53 - 1,
        "seg_edge": 2**53,
        "seg_none": None,
        "seg_max": 2**64 - 1,
    }

    rgb = decode_properties((GOLDEN / "ref_zarr2_rgb_uint24.json").read_bytes())
    assert (rgb.data_layers[0].element_class, rgb.data_layers[0].num_channels) == (
        "uint24",
        3,
    )

    micro = decode_properties((GOLDEN / "ref_micrometer.json").read_bytes())
    assert micro.scale.unit == "micrometer"

    nd = decode_properties((GOLDEN / "ref_nd_additional_axes.json").read_bytes())
    axis = nd.data_layers[0].additional_axes[0]
    assert (axis.name, axis.bounds, axis.index) == ("t", (0, 5), 0)

    wkw = decode_properties(
        (GOLDEN / "ref_wkw_segmentation_mappings_rewritten.json").read_bytes()
    )
    seg = wkw.data_layers[0]
    assert seg.mappings == ("agglomerate_view_5", "agglomerate_view_10")
    assert all(m.cube_length == 1024 for m in seg.mags)
    assert seg.coordinate_transformations[0]["type"] == "affine"


def test_legacy_upgrades_decoded() -> None:
    spec = decode_properties((GOLDEN / "legacy_wkw_resolutions.json").read_bytes())
    assert spec.version == 1
    assert spec.scale.unit == "nanometer"
    assert spec.scale.factor == (2.0, 2.0, 2.5)
    color = spec.data_layers[0]
    assert [m.mag for m in color.mags] == [(1, 1, 1), (2, 2, 2), (4, 4, 2)]
    assert [m.cube_length for m in color.mags] == [1024, 1024, 1024]
    assert all(layer.num_channels == 1 for layer in spec.data_layers)
    micro = decode_properties((GOLDEN / "legacy_short_unit_micro.json").read_bytes())
    assert micro.scale.unit == "micrometer"
    nm = decode_properties((GOLDEN / "legacy_short_unit_nm.json").read_bytes())
    assert nm.scale.unit == "nanometer"


def test_unknown_keys_survive_at_every_level() -> None:
    path = GOLDEN / "hand_unknown_keys.json"
    spec = decode_properties(path.read_bytes())
    assert spec.extras["folderId"] == "65a0"
    assert spec.id.extras == {"owner": "someone"}
    assert spec.scale.extras == {"origin": "server"}
    color, seg = spec.data_layers
    assert color.extras["adminViewConfiguration"] == {"alpha": 10}
    assert color.bounding_box.extras == {"isVisible": True}
    assert color.mags[0].extras == {"credentialId": "abc", "dimensionSeparator": "/"}
    assert seg.attachments is not None
    assert seg.attachments.extras == {"futureAttachment": []}
    assert seg.additional_axes[0].extras == {"unit": "s"}
    assert spec.default_view_configuration == {
        "zoom": 1.5,
        "someFutureSetting": {"x": [1, 2]},
    }
    obj = json.loads(encode_properties(spec))
    assert "extras" not in json.dumps(obj)
    assert list(obj)[-3:] == ["folderId", "isUsable", "nested"]
    assert list(obj["dataLayers"][0])[-2:] == [
        "adminViewConfiguration",
        "wkwResolutionsComment",
    ]
