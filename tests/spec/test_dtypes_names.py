"""Element class table, dtype parsing and layer/mag names."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from wkfn.errors import InvalidArgumentError, InvalidLayerNameError
from wkfn.spec import dtype_per_channel_of, element_class_of, parse_dtype
from wkfn.spec.dtypes import (
    ALLOWED_DTYPES,
    allowed_dtypes,
    is_element_class,
    validate_dtype_for_category,
)
from wkfn.spec.names import long_mag_name, mag_dir_name, validate_layer_name

ELEMENT_CLASSES = [
    ("uint8", 1, "uint8"),
    ("uint8", 3, "uint24"),
    ("uint8", 2, "uint16"),
    ("uint16", 1, "uint16"),
    ("uint16", 2, "uint32"),
    ("uint16", 4, "uint64"),
    ("uint32", 1, "uint32"),
    ("uint64", 1, "uint64"),
    ("int8", 1, "int8"),
    ("int8", 3, "int24"),
    ("int16", 1, "int16"),
    ("int32", 1, "int32"),
    ("int64", 1, "int64"),
    ("float32", 1, "float"),
    ("float64", 1, "double"),
    ("float32", 2, "double"),
    ("float32", 3, "float96"),
]


@pytest.mark.parametrize(("dtype", "channels", "element_class"), ELEMENT_CLASSES)
def test_element_class_table(dtype: str, channels: int, element_class: str) -> None:
    assert element_class_of(dtype, channels) == element_class
    assert dtype_per_channel_of(element_class, channels) == dtype
    assert is_element_class(element_class, channels)


@pytest.mark.parametrize(
    ("element_class", "channels"),
    [
        ("uint24", 1),
        ("uint24", 2),
        ("uint7", 1),
        ("float", 3),
        ("bool", 1),
        ("", 1),
        ("uint8", 0),
        ("uint8", 16),
        ("complex", 1),
    ],
)
def test_bad_element_class(element_class: str, channels: int) -> None:
    with pytest.raises(InvalidArgumentError):
        dtype_per_channel_of(element_class, channels)
    assert not is_element_class(element_class, channels)


@pytest.mark.parametrize(
    ("value", "name"),
    [
        ("uint8", "uint8"),
        (np.uint16, "uint16"),
        (np.dtype("int32"), "int32"),
        ("<f4", "float32"),
        (float, "float64"),
        ("i8", "int64"),
        (np.dtype(">u2"), "uint16"),
    ],
)
def test_parse_dtype(value: Any, name: str) -> None:
    assert parse_dtype(value) == name


@pytest.mark.parametrize(
    "value", ["nope", "bool", bool, "complex64", object, "U3", 3.5]
)
def test_parse_dtype_rejects(value: Any) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        parse_dtype(value)
    assert repr(value) in str(info.value)


def test_allowed_dtypes() -> None:
    assert ALLOWED_DTYPES["color"] == (
        "uint8",
        "uint16",
        "uint32",
        "int8",
        "int16",
        "int32",
        "float32",
    )
    assert "uint64" in allowed_dtypes("segmentation")
    assert "float32" not in allowed_dtypes("segmentation")
    assert allowed_dtypes("tracing") == ()
    assert validate_dtype_for_category(np.uint64, "segmentation") == "uint64"
    with pytest.raises(InvalidArgumentError, match="uint64"):
        validate_dtype_for_category("uint64", "color")
    with pytest.raises(InvalidArgumentError, match="tracing"):
        validate_dtype_for_category("uint8", "tracing")


@pytest.mark.parametrize(
    "name",
    [
        "color",
        "segmentation",
        "a",
        "0",
        "my-layer_2",
        "a.b",
        "x..y",
        "$a@b",
        "a.",
        "A-",
    ],
)
def test_valid_layer_names(name: str) -> None:
    assert validate_layer_name(name) == name


@pytest.mark.parametrize(
    "name",
    [
        "",
        ".",
        "..",
        "../x",
        "./x",
        ".hidden",
        "a/b",
        "a\\b",
        "/abs",
        "C:\\x",
        "a b",
        "ä",
        "a\n",
        "a\x00",
        "name:1",
        None,
        3,
        b"color",
        ("a",),
    ],
)
def test_invalid_layer_names(name: Any) -> None:
    with pytest.raises(InvalidLayerNameError) as info:
        validate_layer_name(name)
    assert repr(name) in str(info.value)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("mag", "short", "long"),
    [
        ((1, 1, 1), "1", "1-1-1"),
        ((2, 2, 1), "2-2-1", "2-2-1"),
        ((16, 16, 16), "16", "16-16-16"),
    ],
)
def test_mag_names(mag: tuple[int, int, int], short: str, long: str) -> None:
    assert mag_dir_name(mag) == short
    assert long_mag_name(mag) == long


@pytest.mark.parametrize("mag", [(0, 1, 1), (1, 1), (1, 1, 1, 1), (-2, 2, 2)])
def test_bad_mag_names(mag: Any) -> None:
    with pytest.raises(InvalidArgumentError):
        mag_dir_name(mag)
