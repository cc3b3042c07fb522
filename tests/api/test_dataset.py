"""Dataset-level behaviour of the facade, on real files."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

import wkfn as wk
from wkfn.errors import (
    ConflictingArgumentsError,
    DatasetExistsError,
    DatasetNotFoundError,
    InvalidCategoryError,
    InvalidLayerNameError,
    LayerExistsError,
    MismatchError,
    PropertiesError,
    ReadOnlyError,
)


def props(path: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((path / "datasource-properties.json").read_text())


def test_create_writes_properties(tmp_path: Path) -> None:
    ds = wk.Dataset(tmp_path / "ds", voxel_size=(11.24, 11.24, 25))
    p = props(tmp_path / "ds")
    assert p["id"] == {"name": "ds", "team": ""}
    assert p["scale"] == {"factor": [11.24, 11.24, 25.0], "unit": "nanometer"}
    assert p["dataLayers"] == []
    assert p["version"] == 1
    assert ds.name == "ds"
    assert ds.voxel_size == (11.24, 11.24, 25.0)


def test_create_with_unit(tmp_path: Path) -> None:
    ds = wk.Dataset(
        tmp_path / "ds",
        voxel_size_with_unit=wk.VoxelSize((4, 4, 35), wk.LengthUnit.MICROMETER),
    )
    assert props(tmp_path / "ds")["scale"]["unit"] == "micrometer"
    assert ds.voxel_size == pytest.approx((4000.0, 4000.0, 35000.0))
    assert ds.voxel_size_with_unit.unit == wk.LengthUnit.MICROMETER


def test_exist_ok_semantics(tmp_path: Path) -> None:
    path = tmp_path / "ds"
    wk.Dataset(path, voxel_size=(1, 1, 1), name="a")
    with pytest.raises(RuntimeError):
        wk.Dataset(path, voxel_size=(1, 1, 1), exist_ok=False)
    with pytest.raises(DatasetExistsError):
        wk.Dataset(path, voxel_size=(1, 1, 1), exist_ok=False)
    with pytest.warns(DeprecationWarning):
        ds = wk.Dataset(path, voxel_size=(1, 1, 1))
    assert ds.name == "a"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        wk.Dataset(path, voxel_size=(1, 1, 1), exist_ok=True)
    with pytest.raises(AssertionError):
        wk.Dataset(path, voxel_size=(2, 1, 1), exist_ok=True)
    with pytest.raises(MismatchError):
        wk.Dataset(path, voxel_size=(1, 1, 1), name="b", exist_ok=True)


def test_creation_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="voxel_size"):
        wk.Dataset(tmp_path / "a")
    for bad in [(0, 1, 1), (-1, 1, 1), (1, 1), (1, float("nan"), 1)]:
        with pytest.raises(ValueError, match="voxel size"):
            wk.Dataset(tmp_path / "b", voxel_size=bad)  # type: ignore[arg-type]
        assert not (tmp_path / "b").exists()
    with pytest.raises(DatasetNotFoundError):
        wk.Dataset(tmp_path / "c", voxel_size=(1, 1, 1), read_only=True)
    (tmp_path / "file").write_text("x")
    with pytest.raises(NotADirectoryError):
        wk.Dataset(tmp_path / "file", voxel_size=(1, 1, 1))
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    with pytest.raises(RuntimeError):
        wk.Dataset(tmp_path / "full", voxel_size=(1, 1, 1))


def test_open_missing_and_malformed(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        wk.Dataset.open(tmp_path / "nope")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "datasource-properties.json").write_text(
        json.dumps(
            {
                "id": {"name": "x"},
                "scale": {"factor": [1, 1]},
                "dataLayers": [
                    {"name": "a", "category": "weird", "elementClass": "uint8"}
                ],
            }
        )
    )
    with pytest.raises(PropertiesError) as info:
        wk.Dataset.open(bad)
    assert isinstance(info.value, ValueError)
    text = str(info.value)
    assert "$.scale.factor" in text
    assert "$.dataLayers[0]" in text


def test_name_and_view_config_persist(tmp_path: Path) -> None:
    ds = wk.Dataset(tmp_path / "ds", voxel_size=(1, 1, 1))
    ds.name = "renamed"
    ds.default_view_configuration = wk.DatasetViewConfiguration(zoom=2.5)
    again = wk.Dataset.open(tmp_path / "ds")
    assert again.name == "renamed"
    assert again.default_view_configuration is not None
    assert again.default_view_configuration.zoom == 2.5
    assert props(tmp_path / "ds")["defaultViewConfiguration"] == {"zoom": 2.5}


def test_scale_deprecated(tmp_path: Path) -> None:
    with pytest.warns(DeprecationWarning):
        ds = wk.Dataset(tmp_path / "ds", scale=(2, 2, 2))
    with pytest.warns(DeprecationWarning):
        assert ds.scale == (2.0, 2.0, 2.0)


def test_create_and_get_or_create_deprecated(tmp_path: Path) -> None:
    with pytest.warns(DeprecationWarning):
        ds = wk.Dataset.create(tmp_path / "ds", voxel_size=(1, 1, 1))
    with pytest.warns(DeprecationWarning):
        again = wk.Dataset.get_or_create(tmp_path / "ds", voxel_size=(1, 1, 1))
    assert ds == again


def test_add_layer_variants(tmp_path: Path) -> None:
    ds = wk.Dataset(tmp_path / "ds", voxel_size=(1, 1, 1))
    color = ds.add_layer("color", wk.COLOR_CATEGORY)
    assert color.dtype_per_channel == np.uint8 and color.num_channels == 1
    rgb = ds.add_layer("rgb", "color", dtype_per_layer="uint24")
    assert rgb.num_channels == 3 and rgb.dtype_per_channel == np.uint8
    two = ds.add_layer("two", "color", dtype_per_channel=np.uint16, num_channels=2)
    assert two.dtype_per_layer == "uint32"
    seg = ds.add_layer(
        "seg",
        wk.SEGMENTATION_CATEGORY,
        dtype="uint64",
        largest_segment_id=2**60,
        mappings=["agglomerate_view_5"],
        data_format="wkw",
    )
    assert isinstance(seg, wk.SegmentationLayer)
    assert seg.largest_segment_id == 2**60
    p = props(tmp_path / "ds")
    by_name = {lay["name"]: lay for lay in p["dataLayers"]}
    assert by_name["rgb"]["elementClass"] == "uint24"
    assert by_name["seg"]["largestSegmentId"] == {
        "customJsonEncoding": "bigint",
        "value": str(2**60),
    }
    assert by_name["seg"]["mappings"] == ["agglomerate_view_5"]
    assert by_name["seg"]["dataFormat"] == "wkw"
    reopened = wk.Dataset.open(tmp_path / "ds")
    assert list(reopened.layers) == ["color", "rgb", "two", "seg"]
    assert [lay.name for lay in reopened.get_segmentation_layers()] == ["seg"]
    assert [lay.name for lay in reopened.get_color_layers()] == ["color", "rgb", "two"]
    # no directories are created by add_layer
    assert not (tmp_path / "ds" / "color").exists()


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"layer_name": "../x"}, InvalidLayerNameError),
        ({"layer_name": "a/b"}, InvalidLayerNameError),
        ({"layer_name": ""}, InvalidLayerNameError),
        ({"layer_name": "/abs"}, InvalidLayerNameError),
        ({"layer_name": ".hidden"}, InvalidLayerNameError),
        ({"category": "colour"}, InvalidCategoryError),
        ({"category": "colour"}, RuntimeError),
        ({"dtype_per_layer": "uint8", "dtype_per_channel": "uint8"}, AttributeError),
        (
            {"dtype_per_layer": "uint8", "dtype_per_channel": "uint8"},
            ConflictingArgumentsError,
        ),
        ({"dtype_per_channel": "complex64"}, ValueError),
        ({"dtype_per_channel": "not-a-dtype"}, ValueError),
        ({"dtype_per_channel": "uint64"}, ValueError),  # not allowed for color
        ({"num_channels": 0}, ValueError),
        ({"data_format": "n6"}, ValueError),
    ],
)
def test_add_layer_errors_write_nothing(
    tmp_path: Path,
    kwargs: dict,
    error: type[Exception],  # type: ignore[type-arg]
) -> None:
    ds = wk.Dataset(tmp_path / "ds", voxel_size=(1, 1, 1))
    before = (tmp_path / "ds" / "datasource-properties.json").read_bytes()
    args = {"layer_name": "ok", "category": "color"} | kwargs
    with pytest.raises(error):
        ds.add_layer(**args)
    assert (tmp_path / "ds" / "datasource-properties.json").read_bytes() == before
    assert sorted(p.name for p in (tmp_path / "ds").iterdir()) == [
        "datasource-properties.json"
    ]
    assert ds.layers == {}


def test_duplicate_layer(tmp_path: Path) -> None:
    ds = wk.Dataset(tmp_path / "ds", voxel_size=(1, 1, 1))
    ds.add_layer("a", "color")
    with pytest.raises(IndexError):
        ds.add_layer("a", "color")
    with pytest.raises(LayerExistsError):
        ds.add_layer("a", "segmentation")
    with pytest.raises(IndexError):
        ds.get_layer("b")


def test_get_or_add_layer(tmp_path: Path) -> None:
    ds = wk.Dataset(tmp_path / "ds", voxel_size=(1, 1, 1))
    a = ds.get_or_add_layer("a", "color", dtype_per_channel="uint16")
    b = ds.get_or_add_layer("a", "color", dtype_per_channel="uint16")
    assert a.name == b.name and len(ds.layers) == 1
    with pytest.raises(AssertionError):
        ds.get_or_add_layer("a", "color", dtype_per_channel="uint8")
    with pytest.raises(AssertionError):
        ds.get_or_add_layer("a", "segmentation")


def test_add_layer_like_and_delete(tmp_path: Path) -> None:
    ds = wk.Dataset(tmp_path / "ds", voxel_size=(1, 1, 1))
    seg = ds.add_layer("seg", "segmentation", dtype="uint32", largest_segment_id=7)
    seg.add_mag(1).write(np.ones((32, 32, 32), np.uint32), allow_resize=True)
    like = ds.add_layer_like(seg, "seg2")
    assert isinstance(like, wk.SegmentationLayer)
    assert like.largest_segment_id == 7
    assert like.bounding_box == seg.bounding_box
    assert like.mags == {}
    assert (tmp_path / "ds" / "seg" / "1").is_dir()
    ds.delete_layer("seg")
    assert not (tmp_path / "ds" / "seg").exists()
    assert list(wk.Dataset.open(tmp_path / "ds").layers) == ["seg2"]


def test_calculate_bounding_box(tmp_path: Path) -> None:
    ds = wk.Dataset(tmp_path / "ds", voxel_size=(1, 1, 1))
    assert ds.calculate_bounding_box().is_empty()
    ds.add_layer("a", "color", bounding_box=wk.BoundingBox((10, 10, 10), (10, 10, 10)))
    ds.add_layer("b", "color", bounding_box=wk.BoundingBox((0, 0, 0), (5, 5, 5)))
    assert ds.calculate_bounding_box() == wk.BoundingBox((0, 0, 0), (20, 20, 20))


def test_read_only(tmp_path: Path) -> None:
    ds = wk.Dataset(tmp_path / "ds", voxel_size=(1, 1, 1))
    ds.add_layer("a", "color").add_mag(1).write(
        np.full((32, 32, 32), 3, np.uint8), allow_resize=True
    )
    ro = wk.Dataset.open(tmp_path / "ds", read_only=True)
    assert ro.read_only
    with pytest.raises(RuntimeError, match="read-only"):
        ro.add_layer("b", "color")
    with pytest.raises(ReadOnlyError):
        ro.name = "x"
    with pytest.raises(ReadOnlyError):
        ro.get_layer("a").get_mag(1).write(np.zeros((32, 32, 32), np.uint8))
    with pytest.raises(ReadOnlyError):
        ro.get_layer("a").add_mag(2)
    with pytest.raises(ReadOnlyError):
        ro.delete_layer("a")
    assert ro.get_layer("a").get_mag(1).read().max() == 3


def test_deprecated_single_layer_getters(tmp_path: Path) -> None:
    ds = wk.Dataset(tmp_path / "ds", voxel_size=(1, 1, 1))
    ds.add_layer("c", "color")
    ds.add_layer("s", "segmentation", dtype="uint32")
    with pytest.warns(DeprecationWarning):
        assert ds.get_color_layer().name == "c"
    with pytest.warns(DeprecationWarning):
        assert ds.get_segmentation_layer().name == "s"
