"""Every way a properties file can be broken ends in PropertiesError, nothing else.

Deep nesting (which used to surface as RecursionError), random byte mutations of a
real reference-written file and structural mutations (a value replaced by any JSON
value) are decoded; each must give a spec or a PropertiesError.
"""

from __future__ import annotations

import contextlib
import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wkfn.errors import PropertiesError
from wkfn.spec import decode_properties
from wkfn.spec.decode import MAX_JSON_DEPTH, json_depth

GOLDEN = Path(__file__).parent.parent / "golden" / "properties"
RAW = (GOLDEN / "ref_zarr3_color_3mags.json").read_bytes()
BASE: dict[str, Any] = json.loads(RAW)


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 5_000, 200_000])
def test_deep_nesting_is_a_properties_error(depth: int) -> None:
    obj = copy.deepcopy(BASE)
    obj["dataLayers"][0]["x"] = "@"
    text = json.dumps(obj).replace('"@"', "[" * depth + "]" * depth)
    with pytest.raises(PropertiesError, match="nested deeper"):
        decode_properties(text, source="deep.json")


def test_moderate_nesting_in_unknown_keys_survives() -> None:
    obj = copy.deepcopy(BASE)
    nested: Any = 1
    for _ in range(20):
        nested = {"k": [nested]}
    obj["extra"] = nested
    spec = decode_properties(json.dumps(obj))
    assert spec.data_layers[0].name == BASE["dataLayers"][0]["name"]


def test_json_depth_is_iterative() -> None:
    deep: Any = []
    for _ in range(50_000):
        deep = [deep]
    assert json_depth(deep) == MAX_JSON_DEPTH + 1  # stops counting early


def _decode_or_properties_error(data: bytes | str) -> None:
    """A spec or a PropertiesError; any other exception fails the test."""
    with contextlib.suppress(PropertiesError):
        decode_properties(data, source="fuzz.json")


@settings(max_examples=300)
@given(st.data())
def test_byte_mutations(data: st.DataObject) -> None:
    raw = bytearray(RAW)
    for _ in range(data.draw(st.integers(1, 8))):
        i = data.draw(st.integers(0, len(raw) - 1))
        raw[i] = data.draw(st.integers(0, 255))
    _decode_or_properties_error(bytes(raw))


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def _paths(obj: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(obj, dict):
        for k, v in obj.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out += _paths(v, (*prefix, i))
    return out


PATHS = [p for p in _paths(BASE) if p]


@settings(max_examples=400)
@given(st.sampled_from(PATHS), JSON_VALUES)
def test_structural_mutations(path: tuple[Any, ...], value: Any) -> None:
    obj = copy.deepcopy(BASE)
    target: Any = obj
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    _decode_or_properties_error(json.dumps(obj))
