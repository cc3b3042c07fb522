"""Pure look-up helpers and check_dataset."""

from __future__ import annotations

import msgspec
import pytest

from wkfn.errors import (
    LayerExistsError,
    LayerNotFoundError,
    MagExistsError,
    MagNotFoundError,
)
from wkfn.spec import (
    DEFAULT_AXIS_ORDER,
    BoundingBoxSpec,
    DatasetId,
    DatasetSpec,
    LayerSpec,
    MagSpec,
    VoxelSizeSpec,
    check_dataset,
    lookup,
)


def _layer(name: str, *mags: tuple[int, int, int], **kw: object) -> LayerSpec:
    return LayerSpec(
        name=name,
        category=kw.pop("category", "color"),  # type: ignore[arg-type]
        bounding_box=BoundingBoxSpec(top_left=(0, 0, 0), width=8, height=8, depth=8),
        data_format=str(kw.pop("data_format", "zarr3")),
        mags=tuple(
            MagSpec(mag=m, path=None, axis_order=dict(DEFAULT_AXIS_ORDER)) for m in mags
        ),
        **kw,  # type: ignore[arg-type]
    )


SPEC = DatasetSpec(
    id=DatasetId(name="ds"),
    scale=VoxelSizeSpec(factor=(1.0, 1.0, 1.0)),
    data_layers=(_layer("color", (1, 1, 1), (2, 2, 1)), _layer("other")),
)


def test_layer_lookup() -> None:
    assert lookup.get_layer(SPEC, "color").name == "color"
    assert lookup.has_layer(SPEC, "other")
    assert not lookup.has_layer(SPEC, "nope")
    with pytest.raises(LayerNotFoundError, match="nope"):
        lookup.get_layer(SPEC, "nope")
    with pytest.raises(IndexError):
        lookup.get_layer(SPEC, "nope")


def test_layer_updates_are_pure() -> None:
    added = lookup.add_layer(SPEC, _layer("new"))
    assert [ly.name for ly in added.data_layers] == ["color", "other", "new"]
    assert len(SPEC.data_layers) == 2
    with pytest.raises(LayerExistsError):
        lookup.add_layer(SPEC, _layer("color"))
    removed = lookup.remove_layer(SPEC, "color")
    assert [ly.name for ly in removed.data_layers] == ["other"]
    with pytest.raises(LayerNotFoundError):
        lookup.remove_layer(SPEC, "nope")
    renamed = lookup.replace_layer(
        SPEC, "other", msgspec.structs.replace(_layer("other"), name="renamed")
    )
    assert [ly.name for ly in renamed.data_layers] == ["color", "renamed"]
    with pytest.raises(LayerExistsError):
        lookup.replace_layer(SPEC, "other", _layer("color"))
    with pytest.raises(LayerNotFoundError):
        lookup.replace_layer(SPEC, "nope", _layer("nope"))


def test_mag_lookup_and_updates() -> None:
    layer = lookup.get_layer(SPEC, "color")
    assert lookup.get_mag(layer, (2, 2, 1)).mag == (2, 2, 1)
    assert lookup.has_mag(layer, [1, 1, 1])
    assert not lookup.has_mag(layer, (4, 4, 4))
    with pytest.raises(MagNotFoundError):
        lookup.get_mag(layer, (4, 4, 4))
    added = lookup.with_mag_added(layer, MagSpec(mag=(4, 4, 2)))
    assert [m.mag for m in added.mags] == [(1, 1, 1), (2, 2, 1), (4, 4, 2)]
    with pytest.raises(MagExistsError):
        lookup.with_mag_added(layer, MagSpec(mag=(1, 1, 1)))
    removed = lookup.with_mag_removed(layer, (1, 1, 1))
    assert [m.mag for m in removed.mags] == [(2, 2, 1)]
    with pytest.raises(MagNotFoundError):
        lookup.with_mag_removed(layer, (8, 8, 8))
    replaced = lookup.replace_mag(layer, (1, 1, 1), MagSpec(mag=(1, 1, 1), path="/abs"))
    assert replaced.mags[0].path == "/abs"
    with pytest.raises(MagExistsError):
        lookup.replace_mag(layer, (1, 1, 1), MagSpec(mag=(2, 2, 1)))


def test_resolve_mag_path() -> None:
    assert lookup.resolve_mag_path("color", MagSpec(mag=(2, 2, 2))) == "./color/2"
    assert lookup.resolve_mag_path("color", MagSpec(mag=(2, 2, 1))) == "./color/2-2-1"
    assert lookup.resolve_mag_path("c", MagSpec(mag=(1, 1, 1), path="s3://b/k")) == (
        "s3://b/k"
    )


def test_check_clean_spec() -> None:
    assert check_dataset(SPEC) == ()


def test_check_reports_every_issue() -> None:
    bad = DatasetSpec(
        id=DatasetId(name="ds"),
        scale=VoxelSizeSpec(factor=(1.0, -1.0, 1.0), unit="parsecs"),
        version=2,
        data_layers=(
            _layer("a/b", (1, 1, 1), (1, 1, 1)),
            _layer("seg", (1, 1, 1), category="segmentation", data_format="wkw"),
            _layer("seg", category="segmentation", element_class="float"),
            _layer("c", num_channels=0, largest_segment_id=3),
            _layer("d", data_format="tiff", element_class="uint24"),
        ),
    )
    issues = check_dataset(bad)
    assert sorted(path for path, _ in issues) == sorted(
        [
            "$.scale.factor",
            "$.scale.unit",
            "$.version",
            "$.dataLayers[0].name",
            "$.dataLayers[0].mags[1].mag",
            "$.dataLayers[1].mags[0].cubeLength",
            "$.dataLayers[2].elementClass",
            "$.dataLayers[2].name",
            "$.dataLayers[3].numChannels",
            "$.dataLayers[3].largestSegmentId",
            "$.dataLayers[4].dataFormat",
            "$.dataLayers[4].elementClass",
        ]
    )
    lenient = {path for path, _ in check_dataset(bad, strict=False)}
    assert "$.dataLayers[1].mags[0].cubeLength" not in lenient
    assert "$.dataLayers[2].elementClass" not in lenient
    assert "$.dataLayers[3].largestSegmentId" not in lenient
