"""Schema drift, view configuration conversion and the docstring examples."""

from __future__ import annotations

import doctest
import importlib
import json
from pathlib import Path

import pytest

from wkfn.schemas import write_schemas
from wkfn.spec import (
    DatasetViewConfiguration,
    LayerViewConfiguration,
    decode_properties,
    to_json_obj,
)
from wkfn.spec.schema import properties_schema, render_schema

ROOT = Path(__file__).parent.parent.parent
GOLDEN = ROOT / "tests" / "golden" / "properties"
SCHEMA = ROOT / "specs" / "datasource-properties.schema.json"


def test_committed_schema_is_current() -> None:
    assert SCHEMA.read_text(encoding="utf-8") == render_schema(), (
        "regenerate with: python -m wkfn.spec.schema "
        "specs/datasource-properties.schema.json"
    )


def test_schema_hides_extras_and_allows_unknown_keys(tmp_path: Path) -> None:
    schema = properties_schema()
    assert "extras" not in json.dumps(schema)
    for name in ("DatasetSpec", "LayerSpec", "MagSpec", "BoundingBoxSpec"):
        assert schema["$defs"][name]["additionalProperties"] is True
    layer = schema["$defs"]["LayerSpec"]
    assert list(layer["properties"])[:4] == [
        "name",
        "category",
        "boundingBox",
        "dataFormat",
    ]
    assert layer["properties"]["category"]["enum"] == ["color", "segmentation"]
    write_schemas(tmp_path)
    written = tmp_path / "datasource-properties.schema.json"
    assert written.read_text(encoding="utf-8") == render_schema()


def test_reference_files_validate_against_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = properties_schema()
    for path in sorted(GOLDEN.glob("*.json")):
        jsonschema.validate(to_json_obj(decode_properties(path.read_bytes())), schema)


def test_layer_view_configuration_round_trip() -> None:
    config = LayerViewConfiguration(
        color=(255, 0, 0),
        alpha=80,
        intensity_range=(0, 200),
        min=0.0,
        is_inverted=True,
        mapping={"name": "agg", "type": "HDF5"},
    )
    obj = config.to_json()
    assert obj == {
        "color": [255, 0, 0],
        "alpha": 80,
        "intensityRange": [0, 200],
        "min": 0.0,
        "isInverted": True,
        "mapping": {"name": "agg", "type": "HDF5"},
    }
    assert LayerViewConfiguration.from_json(obj) == config


def test_dataset_view_configuration_reads_reference_output() -> None:
    spec = decode_properties((GOLDEN / "ref_view_configuration.json").read_bytes())
    raw = spec.default_view_configuration
    assert raw is not None
    config = DatasetViewConfiguration.from_json(raw)
    assert config.four_bit is False
    assert config.loading_strategy == "PROGRESSIVE_QUALITY"
    assert config.position == (10, 20, 30)
    assert config.color_layer_order == ("color",)
    assert config.layers == {"color": LayerViewConfiguration(alpha=50)}
    assert config.natively_rendered_layer_name == "color"
    out = config.to_json()
    assert out["layers"] == {"color": {"alpha": 50}}
    assert DatasetViewConfiguration.from_json(out) == config
    layer_raw = spec.data_layers[0].default_view_configuration
    assert layer_raw is not None
    layer = LayerViewConfiguration.from_json(layer_raw)
    assert (layer.color, layer.intensity_range, layer.is_in_edit_mode) == (
        (255, 0, 0),
        (0, 200),
        False,
    )
    assert layer.to_json() == layer_raw


def test_view_configuration_keeps_unknown_keys() -> None:
    obj = {"zoom": 2.0, "futureKey": [1], "layers": {"a": {"alpha": 1, "newKey": 2}}}
    config = DatasetViewConfiguration.from_json(obj)
    assert config.extras == {"futureKey": [1]}
    assert config.to_json() == obj


MODULES = [
    "wkfn.spec.base",
    "wkfn.spec.check",
    "wkfn.spec.codec",
    "wkfn.spec.dataset",
    "wkfn.spec.dtypes",
    "wkfn.spec.lookup",
    "wkfn.spec.names",
    "wkfn.spec.schema",
    "wkfn.spec.upgrade",
    "wkfn.spec.view_config",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
