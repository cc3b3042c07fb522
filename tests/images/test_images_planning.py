"""Pure planning of image imports (no files)."""

from __future__ import annotations

import pytest

from wkfn.errors import UnsupportedImageDataError
from wkfn.plan.ops import ImportImages
from wkfn.transform import dataset as ds_transform
from wkfn.transform.images import (
    ConversionLayerMapping as M,
)
from wkfn.transform.images import (
    ImageFileInfo,
    check_uniform,
    clean_layer_name,
    group_files,
    layer_name_for,
    plan_layer_import,
    plan_layers,
    z_batches,
)


def test_enum_names_and_values_match_reference() -> None:
    assert {m.name: m.value for m in M} == {
        "INSPECT_SINGLE_FILE": "inspect_single_file",
        "INSPECT_EVERY_FILE": "inspect_every_file",
        "ENFORCE_LAYER_PER_FILE": "enforce_layer_per_file",
        "ENFORCE_SINGLE_LAYER": "enforce_single_layer",
        "ENFORCE_LAYER_PER_FOLDER": "enforce_layer_per_folder",
        "ENFORCE_LAYER_PER_TOPLEVEL_FOLDER": "enforce_layer_per_toplevel_folder",
    }


@pytest.mark.parametrize(
    ("strategy", "has_z", "expected"),
    [
        (M.ENFORCE_LAYER_PER_FILE, False, ["a.tif", "top1_sub1_b.tif"]),
        (M.ENFORCE_SINGLE_LAYER, False, ["input", "input"]),
        (M.ENFORCE_LAYER_PER_FOLDER, False, ["input", "top1_sub1"]),
        (M.ENFORCE_LAYER_PER_TOPLEVEL_FOLDER, False, ["input", "top1"]),
        (M.INSPECT_SINGLE_FILE, False, ["input", "top1_sub1"]),
        (M.INSPECT_SINGLE_FILE, True, ["a.tif", "top1/sub1/b.tif"]),
    ],
)
def test_layer_names(strategy: M, has_z: bool, expected: list[str]) -> None:
    got = [
        layer_name_for(strategy, rel, "input", has_z)
        for rel in ("a.tif", "top1/sub1/b.tif")
    ]
    assert got == expected


def test_nested_folders_stay_separate() -> None:
    rels = ["top1/sub1/a.png", "top1/sub1/b.png", "top2/sub1/a.png"]
    groups = group_files(
        rels, lambda r: layer_name_for(M.INSPECT_SINGLE_FILE, r, "in", False)
    )
    assert groups == {
        "top1_sub1": ["top1/sub1/a.png", "top1/sub1/b.png"],
        "top2_sub1": ["top2/sub1/a.png"],
    }


def test_layer_name_renames_or_prefixes() -> None:
    one = group_files(["a.tif"], lambda r: "x", "mine")
    assert list(one) == ["mine"]
    two = group_files(["a/x.tif", "b/y.tif"], lambda r: r.split("/")[0], "mine")
    assert list(two) == ["mine_a", "mine_b"]


def test_clean_layer_name() -> None:
    assert clean_layer_name("..sub/vol (1).tif") == "subvol1.tif"
    with pytest.raises(UnsupportedImageDataError, match="layer name"):
        group_files(["x"], lambda r: "///")


def info(**kw: object) -> ImageFileInfo:
    base: dict[str, object] = {
        "path": "/in/a.tif",
        "reader": "tiff",
        "width": 60,
        "height": 40,
    }
    base.update(kw)
    return ImageFileInfo(**base)  # type: ignore[arg-type]


def test_check_uniform_names_the_odd_file() -> None:
    with pytest.raises(UnsupportedImageDataError, match=r"b\.tif"):
        check_uniform([info(), info(path="/in/b.tif", width=61)])
    with pytest.raises(UnsupportedImageDataError, match="dtype"):
        check_uniform([info(), info(path="/in/b.tif", dtype="uint16")])


def test_channel_rules() -> None:
    rgb = info(channels=3, rgb=True)
    assert [
        lay.channels
        for lay in plan_layers(
            rgb,
            "c",
            dtype=None,
            channel=None,
            allow_multiple_layers=True,
            truncate_rgba_to_rgb=True,
        )
    ] == [(0, 1, 2)]
    rgba = info(channels=4, rgb=True)
    kw = {"dtype": None, "channel": None, "allow_multiple_layers": True}
    assert len(plan_layers(rgba, "c", truncate_rgba_to_rgb=True, **kw)) == 1  # type: ignore[arg-type]
    split = plan_layers(rgba, "c", truncate_rgba_to_rgb=False, **kw)  # type: ignore[arg-type]
    assert [lay.name for lay in split] == [f"c__channel{i}" for i in range(4)]
    assert split[0].color == (255, 0, 0)
    two = info(channels=2, dtype="uint16")
    with pytest.raises(UnsupportedImageDataError, match="allow_multiple_layers"):
        plan_layers(
            two,
            "c",
            dtype=None,
            channel=None,
            allow_multiple_layers=False,
            truncate_rgba_to_rgb=True,
        )
    pinned = plan_layers(
        two,
        "c",
        dtype=None,
        channel=1,
        allow_multiple_layers=False,
        truncate_rgba_to_rgb=True,
    )
    assert pinned[0].channels == (1,)
    with pytest.raises(UnsupportedImageDataError, match="channel 5"):
        plan_layers(
            two,
            "c",
            dtype=None,
            channel=5,
            allow_multiple_layers=False,
            truncate_rgba_to_rgb=True,
        )


def test_z_batches_are_aligned() -> None:
    assert z_batches(0, 70, 32) == [(0, 32), (32, 64), (64, 70)]
    assert z_batches(40, 30, 32) == [(40, 64), (64, 70)]


def test_plan_is_data_with_layout_and_batches() -> None:
    spec = ds_transform.create_dataset(name="d", voxel_size=(1, 1, 1)).spec
    files = [info(path=f"/in/img_{i}.tif") for i in range(70)]
    (layer,) = plan_layers(
        files[0],
        "color",
        dtype=None,
        channel=None,
        allow_multiple_layers=False,
        truncate_rgba_to_rgb=True,
    )
    change = plan_layer_import(
        spec,
        layer,
        files,
        category="color",
        data_format="zarr3",
        mag=(1, 1, 1),
        topleft=(0, 0, 0),
        chunk_shape=None,
        shard_shape=None,
        chunks_per_shard=None,
        compress=True,
        swap_xy=False,
        flip_x=False,
        flip_y=False,
        flip_z=True,
        timepoint=0,
        batch_size=None,
    )
    text = str(change.plan)
    assert "shard 4096x4096x32" in text
    assert "img_69.tif..img_38.tif" in text  # flip_z reverses the order
    imports = [op for op in change.plan.ops if isinstance(op, ImportImages)]
    assert [op.size for op in imports] == [(60, 40, 32), (60, 40, 32), (60, 40, 6)]
    layer_spec = change.spec.data_layers[0]
    assert (layer_spec.bounding_box.width, layer_spec.bounding_box.height) == (60, 40)
    with pytest.raises(UnsupportedImageDataError, match="batch_size"):
        plan_layer_import(
            spec,
            layer,
            files,
            category="color",
            data_format="zarr3",
            mag=(1, 1, 1),
            topleft=(0, 0, 0),
            chunk_shape=None,
            shard_shape=None,
            chunks_per_shard=None,
            compress=True,
            swap_xy=False,
            flip_x=False,
            flip_y=False,
            flip_z=False,
            timepoint=0,
            batch_size=48,
        )
