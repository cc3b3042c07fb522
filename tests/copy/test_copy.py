"""Copy, convert, link, reference and compress: on real files."""

from __future__ import annotations

import json
import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from copy_helpers import FORMATS, assert_same_data, make_dataset, pattern

import wkfn as wk
from wkfn.errors import (
    DatasetExistsError,
    ExecutionError,
    InvalidLayerNameError,
    LayerExistsError,
)
from wkfn.execute.inline import InlineExecutor
from wkfn.plan.ops import CopyRegion, CopyTree, CreateArray, LinkPath, ReplacePath


def props(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((path / "datasource-properties.json").read_text())
    return data


def tree(path: Path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*") if p.is_file())


# --------------------------------------------------------------- conversions


@pytest.mark.parametrize("target", FORMATS)
def test_copy_dataset_every_direction(
    tmp_path: Path, data_format: str, target: str
) -> None:
    src = make_dataset(tmp_path / "src", data_format)
    copy = src.copy_dataset(tmp_path / "copy", data_format=target)
    assert_same_data(src, copy)
    reopened = wk.Dataset.open(tmp_path / "copy")
    assert_same_data(src, reopened)
    for layer in reopened.layers.values():
        assert layer.data_format.value == target
        for view in layer.mags.values():
            info = view.info
            assert info.data_format == target
            if target == "zarr":
                assert info.shard_shape == info.chunk_shape
    assert reopened.voxel_size == src.voxel_size
    assert reopened.get_layer("seg").largest_segment_id == 7  # type: ignore[attr-defined]


def test_zarr2_without_chunks_per_shard(tmp_path: Path) -> None:
    src = make_dataset(tmp_path / "src", "zarr3", with_seg=False, mag2=False)
    copy = src.copy_dataset(tmp_path / "copy", data_format="zarr", chunk_shape=32)
    info = copy.get_layer("color").get_mag(1).info
    assert (info.chunk_shape, info.shard_shape) == ((32,) * 3, (32,) * 3)
    assert_same_data(src, copy)
    # the reference's spelling works too
    copy2 = src.copy_dataset(
        tmp_path / "copy2", data_format="zarr", chunk_shape=32, shard_shape=32
    )
    assert_same_data(src, copy2)
    copy3 = src.copy_dataset(
        tmp_path / "copy3", data_format="zarr", chunk_shape=32, chunks_per_shard=1
    )
    assert_same_data(src, copy3)


def test_rechunk_and_compression_on_copy(tmp_path: Path) -> None:
    src = make_dataset(tmp_path / "src", "zarr3", with_seg=False)
    copy = src.copy_dataset(
        tmp_path / "copy", chunk_shape=8, shard_shape=64, compress=False
    )
    info = copy.get_layer("color").get_mag(1).info
    assert info.chunk_shape == (8, 8, 8)
    assert info.shard_shape == (64, 64, 64)
    assert info.compression_mode is False
    assert_same_data(src, copy)
    back = copy.copy_dataset(tmp_path / "back", compress=True)
    assert back.get_layer("color").get_mag(1).info.compression_mode is True
    assert_same_data(src, back)


def test_deprecated_spellings_warn(tmp_path: Path) -> None:
    src = make_dataset(tmp_path / "src", "wkw", with_seg=False, mag2=False)
    with pytest.warns(DeprecationWarning):
        copy = src.copy_dataset(tmp_path / "a", block_len=8, file_len=4)
    info = copy.get_layer("color").get_mag(1).info
    assert (info.chunk_shape, info.shard_shape) == ((8,) * 3, (32,) * 3)
    with pytest.warns(DeprecationWarning):
        src.copy_dataset(tmp_path / "b", chunk_size=16)
    with pytest.warns(DeprecationWarning):
        src.copy_dataset(tmp_path / "c", args=object())


def test_voxel_size_layers_to_ignore_exists(tmp_path: Path) -> None:
    src = make_dataset(tmp_path / "src", "zarr3")
    copy = src.copy_dataset(
        tmp_path / "copy", voxel_size=(1, 2, 3), layers_to_ignore=["seg"]
    )
    assert copy.voxel_size == (1, 2, 3)
    assert set(copy.layers) == {"color"}
    with pytest.raises(DatasetExistsError):
        src.copy_dataset(tmp_path / "copy")
    again = src.copy_dataset(tmp_path / "copy", exists_ok=True)
    assert set(again.layers) == {"color", "seg"}
    assert_same_data(src, wk.Dataset.open(tmp_path / "copy"))


# --------------------------------------------------------------- plans


def test_identical_layout_is_a_file_copy(tmp_path: Path) -> None:
    src = make_dataset(tmp_path / "src", "zarr3")
    change = src.plan_copy_dataset(tmp_path / "copy")
    ops = change.plan.ops
    assert not any(isinstance(op, CopyRegion) for op in ops)
    assert sum(isinstance(op, CopyTree) for op in ops) == 3
    wk.apply(change.plan, tmp_path / "copy")
    assert_same_data(src, wk.Dataset.open(tmp_path / "copy"))


def test_print_plan_shows_sources_targets_and_counts(tmp_path: Path) -> None:
    src = make_dataset(tmp_path / "src", "zarr3")
    change = src.plan_copy_dataset(tmp_path / "copy", data_format="wkw")
    text = str(change.plan)
    src_mag = os.path.abspath(tmp_path / "src" / "color" / "1")
    assert f"color/1: {src_mag} (zarr3 chunk 16³ shard 32³ zstd)" in text
    assert "-> ./color/1 (wkw chunk 16³ shard 32³ lz4hc)" in text
    n = sum(
        isinstance(op, CopyRegion) and op.target_path == "./color/1"
        for op in change.plan.ops
    )
    assert f"{n} region op" in text
    assert "+ array color/2 wkw uint8" in text
    assert "~ copy seg/1 zarr3 -> wkw" in text
    # nothing was written
    assert not (tmp_path / "copy").exists()
    # the plan is data: it survives a JSON round trip and runs later
    from wkfn.plan.plan import decode_plan, encode_plan

    plan = decode_plan(encode_plan(change.plan))
    wk.apply(plan, tmp_path / "copy")
    assert_same_data(src, wk.Dataset.open(tmp_path / "copy"))


def test_region_ops_are_bounded() -> None:
    from wkfn.spec.array import ArrayLayout
    from wkfn.transform.copy import MAX_BLOCK_BYTES, SourceMag, region_ops

    big = ArrayLayout(
        data_format="zarr3",
        dtype="uint64",
        num_channels=1,
        chunk_shape=(32, 32, 32),
        shard_shape=(1024, 1024, 1024),
        compress=True,
    )
    target = ArrayLayout(
        data_format="zarr3",
        dtype="uint64",
        num_channels=1,
        chunk_shape=(32, 32, 32),
        shard_shape=(512, 512, 512),
        compress=False,
    )
    src = SourceMag(mag=(1, 1, 1), path="/x", layout=big)
    parts = region_ops(
        layer="l",
        source=src,
        target_path="./l/1",
        target=target,
        box=((0, 0, 0), (2048, 1024, 1024)),
    )
    ops = [op for part in parts for op in part]
    assert all(op.memory_estimate() <= MAX_BLOCK_BYTES for op in ops)
    covered = sum(int(np.prod(op.size)) for op in ops)
    assert covered == 2048 * 1024 * 1024
    # no two ops of one part (stage) touch the same target shard
    for part in parts:
        shards = [tuple(o // 512 for o in op.offset) for op in part]
        assert len(shards) == len(set(shards))
    # only shards present on disk are copied
    sparse = SourceMag(
        mag=(1, 1, 1),
        path="/x",
        layout=big,
        present=(((1024, 0, 0), (1024, 1024, 1024)),),
    )
    parts = region_ops(
        layer="l",
        source=sparse,
        target_path="./l/1",
        target=target,
        box=((0, 0, 0), (2048, 1024, 1024)),
    )
    assert all(op.offset[0] >= 1024 for part in parts for op in part)


# --------------------------------------------------------------- layers


def test_add_layer_as_copy_and_alias(tmp_path: Path) -> None:
    src = make_dataset(tmp_path / "src", "wkw")
    dst = wk.Dataset(tmp_path / "dst", voxel_size=(11.2, 11.2, 25))
    layer = dst.add_layer_as_copy(
        src.get_layer("color"), "copied", data_format="zarr3", compress=False
    )
    assert layer.data_format.value == "zarr3"
    for mag, view in src.get_layer("color").mags.items():
        np.testing.assert_array_equal(layer.get_mag(mag).read(), view.read())
        assert not layer.get_mag(mag).info.compression_mode
    with pytest.raises(LayerExistsError):
        dst.add_layer_as_copy(src.get_layer("color"), "copied")
    with pytest.warns(DeprecationWarning):
        seg = dst.add_copy_layer(str(tmp_path / "src" / "seg"))
    assert seg.category == "segmentation"
    assert seg.largest_segment_id == 7  # type: ignore[attr-defined]
    # exists_ok adds missing mags only
    dst.get_layer("copied").delete_mag(2)
    dst.add_layer_as_copy(src.get_layer("color"), "copied", exists_ok=True)
    np.testing.assert_array_equal(
        dst.get_layer("copied").get_mag(2).read(),
        src.get_layer("color").get_mag(2).read(),
    )
    assert_props_only_local(tmp_path / "dst")


def assert_props_only_local(path: Path) -> None:
    for layer in props(path)["dataLayers"]:
        for mag in layer["mags"]:
            assert mag["path"].startswith(f"./{layer['name']}/"), mag


def test_add_fs_copy_layer_with_new_name_reads_its_own_files(tmp_path: Path) -> None:
    src = make_dataset(tmp_path / "src", "zarr3", with_seg=False)
    dst = wk.Dataset(tmp_path / "dst", voxel_size=(11.2, 11.2, 25))
    # the target has its own "color" layer with other data
    own = dst.add_layer("color", "color").add_mag(1)
    own.write(np.full((32, 32, 32), 99, np.uint8), allow_resize=True)
    with pytest.warns(DeprecationWarning):
        copied = dst.add_fs_copy_layer(src.get_layer("color"), "color2")
    for mag, view in src.get_layer("color").mags.items():
        np.testing.assert_array_equal(copied.get_mag(mag).read(), view.read())
    assert_props_only_local(tmp_path / "dst")
    # files are the source's files, byte for byte
    assert tree(tmp_path / "dst" / "color2") == tree(tmp_path / "src" / "color")
    # deleting the source does not affect the copy
    src.delete_layer("color")
    reopened = wk.Dataset.open(tmp_path / "dst")
    assert reopened.get_layer("color2").get_mag(1).read().any()
    np.testing.assert_array_equal(
        reopened.get_layer("color")
        .get_mag(1)
        .read(absolute_offset=(0, 0, 0), size=(32,) * 3),
        99,
    )


@pytest.mark.parametrize("relative", [False, True])
def test_add_symlink_layer(tmp_path: Path, relative: bool) -> None:
    src = make_dataset(tmp_path / "src", "wkw", with_seg=False)
    dst = wk.Dataset(tmp_path / "dst", voxel_size=(11.2, 11.2, 25))
    dst.add_layer("color", "color").add_mag(1).write(
        np.full((32, 32, 32), 99, np.uint8), allow_resize=True
    )
    with pytest.warns(DeprecationWarning):
        linked = dst.add_symlink_layer(
            src.get_layer("color"), make_relative=relative, new_layer_name="linked"
        )
    link = tmp_path / "dst" / "linked"
    assert link.is_symlink()
    assert os.path.isabs(os.readlink(link)) is not relative
    for mag, view in src.get_layer("color").mags.items():
        np.testing.assert_array_equal(linked.get_mag(mag).read(), view.read())
    mag_paths = [m["path"] for m in props(tmp_path / "dst")["dataLayers"][1]["mags"]]
    assert all(os.path.isabs(p) is not relative for p in mag_paths)
    # reading from another working directory (the reference resolves against cwd)
    os.chdir(tmp_path / "src" / "color")
    reopened = wk.Dataset.open(tmp_path / "dst")
    np.testing.assert_array_equal(
        reopened.get_layer("linked").get_mag(1).read(),
        src.get_layer("color").get_mag(1).read(),
    )
    # the reference's 4.3.3 argument order (new_layer_name second) works too
    with pytest.warns(DeprecationWarning):
        dst.add_symlink_layer(src.get_layer("color"), "again")
    assert "again" in wk.Dataset.open(tmp_path / "dst").layers


def test_shallow_copy_dataset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = make_dataset(tmp_path / "src", "zarr3")
    shallow = src.shallow_copy_dataset(
        tmp_path / "shallow", name="other", layers_to_ignore=["seg"]
    )
    assert shallow.name == "other"
    assert set(shallow.layers) == {"color"}
    assert not (tmp_path / "shallow" / "color").exists()
    for mag, view in src.get_layer("color").mags.items():
        np.testing.assert_array_equal(
            shallow.get_layer("color").get_mag(mag).read(), view.read()
        )
    rel = src.shallow_copy_dataset(tmp_path / "rel", make_relative=True)
    paths = [
        m["path"] for lay in props(tmp_path / "rel")["dataLayers"] for m in lay["mags"]
    ]
    assert all(p.startswith("../src/") for p in paths)
    monkeypatch.chdir(tmp_path / "src")
    assert_same_data(src, wk.Dataset.open(tmp_path / "rel"))
    assert_same_data(src, rel)


def test_add_layer_as_ref_and_mag_ops(tmp_path: Path) -> None:
    src = make_dataset(tmp_path / "src", "zarr3", with_seg=False)
    dst = wk.Dataset(tmp_path / "dst", voxel_size=(11.2, 11.2, 25))
    ref = dst.add_layer_as_ref(src.get_layer("color"), "ref")
    np.testing.assert_array_equal(
        ref.get_mag(1).read(), src.get_layer("color").get_mag(1).read()
    )
    layer = dst.add_layer("c", "color", data_format="wkw")
    view = layer.add_mag_as_copy(src.get_layer("color").get_mag(2))
    assert layer.bounding_box == src.get_layer("color").bounding_box
    np.testing.assert_array_equal(view.read(), src.get_layer("color").get_mag(2).read())
    assert view.info.data_format == "wkw"
    layer2 = dst.add_layer("d", "color")
    v2 = layer2.add_mag_as_ref(tmp_path / "src" / "color" / "1")
    np.testing.assert_array_equal(v2.read(), src.get_layer("color").get_mag(1).read())


def test_add_layer_for_existing_files(tmp_path: Path, data_format: str) -> None:
    other = wk.Dataset(tmp_path / "other", voxel_size=(1, 1, 1))
    layer = other.add_layer(
        "x",
        "color",
        dtype_per_channel="uint16",
        num_channels=2,
        data_format=data_format,
    )
    data = np.zeros((2, 64, 64, 64), np.uint16)
    data[:, 5:40, 7:33, 20:21] = 3
    layer.add_mag(1).write(data, allow_resize=True)
    layer.add_mag(2).write(data[:, ::2, ::2, ::2], allow_resize=True)
    ds = wk.Dataset(tmp_path / "ds", voxel_size=(1, 1, 1))
    os.rename(tmp_path / "other" / "x", tmp_path / "ds" / "found")
    found = ds.add_layer_for_existing_files("found", "color")
    assert found.data_format.value == data_format
    assert found.dtype_per_channel == np.uint16
    assert found.num_channels == 2
    assert set(found.mags) == {wk.Mag(1), wk.Mag(2)}
    assert found.bounding_box == wk.BoundingBox((5, 7, 20), (35, 26, 1))
    np.testing.assert_array_equal(found.get_mag(1).read(), data[:, 5:40, 7:33, 20:21])
    box = wk.BoundingBox((0, 0, 0), (64, 64, 64))
    again = wk.Dataset(tmp_path / "ds2", voxel_size=(1, 1, 1))
    os.rename(tmp_path / "ds" / "found", tmp_path / "ds2" / "seg")
    seg = again.add_layer_for_existing_files(
        "seg", "segmentation", bounding_box=box, largest_segment_id=3
    )
    assert seg.bounding_box == box
    assert seg.largest_segment_id == 3  # type: ignore[attr-defined]


# --------------------------------------------------------------- in place


@pytest.mark.parametrize("fmt", FORMATS)
def test_compress_in_place(tmp_path: Path, fmt: str) -> None:
    ds = make_dataset(tmp_path / "ds", fmt, compress=False)
    before = {
        (n, m): v.read() for n, lay in ds.layers.items() for m, v in lay.mags.items()
    }
    with ds.dry_run() as rec:
        ds.compress()
    ops = rec.plan.ops
    assert sum(isinstance(op, ReplacePath) for op in ops) == 3
    assert all(
        not v.info.compression_mode
        for lay in ds.layers.values()
        for v in lay.mags.values()
    )
    ds.get_layer("color").get_mag(1).compress()
    assert ds.get_layer("color").get_mag(1).info.compression_mode
    ds.get_layer("color").compress()
    ds.compress()
    reopened = wk.Dataset.open(tmp_path / "ds")
    for (n, m), data in before.items():
        view = reopened.get_layer(n).get_mag(m)
        assert view.info.compression_mode
        np.testing.assert_array_equal(view.read(), data)
    # idempotent: nothing left to do, no temp dirs left behind
    with reopened.dry_run() as rec2:
        reopened.compress()
    assert rec2.plan.is_empty()
    leftovers = [p for p in (tmp_path / "ds").rglob(".*") if p.is_dir()]
    assert leftovers == []


def test_rechunk_in_place(tmp_path: Path) -> None:
    ds = make_dataset(tmp_path / "ds", "zarr3", with_seg=False)
    before = ds.get_layer("color").get_mag(1).read()
    ds.get_layer("color").get_mag(1).rechunk(chunk_shape=8, shard_shape=64)
    info = ds.get_layer("color").get_mag(1).info
    assert (info.chunk_shape, info.shard_shape) == ((8,) * 3, (64,) * 3)
    np.testing.assert_array_equal(ds.get_layer("color").get_mag(1).read(), before)
    ds.get_layer("color").rechunk(chunk_shape=32, compress=False)
    for view in wk.Dataset.open(tmp_path / "ds").get_layer("color").mags.values():
        assert view.info.chunk_shape == (32, 32, 32)
        assert not view.info.compression_mode
    np.testing.assert_array_equal(ds.get_layer("color").get_mag(1).read(), before)


def test_wkw_rechunk_updates_cube_length(tmp_path: Path) -> None:
    ds = make_dataset(tmp_path / "ds", "wkw", with_seg=False, mag2=False)
    before = ds.get_layer("color").get_mag(1).read()
    ds.get_layer("color").get_mag(1).rechunk(chunk_shape=16, shard_shape=64)
    assert props(tmp_path / "ds")["dataLayers"][0]["mags"][0]["cubeLength"] == 64
    np.testing.assert_array_equal(
        wk.Dataset.open(tmp_path / "ds").get_layer("color").get_mag(1).read(), before
    )


def test_replace_is_never_missing(tmp_path: Path) -> None:
    """While a mag is swapped, every stat of it finds a complete array."""
    import threading

    ds = make_dataset(tmp_path / "ds", "zarr3", compress=False, with_seg=False)
    meta = tmp_path / "ds" / "color" / "1" / "zarr.json"
    stop = threading.Event()
    missing: list[int] = []

    def watch() -> None:
        while not stop.is_set():
            if not meta.exists():
                missing.append(1)

    t = threading.Thread(target=watch)
    t.start()
    try:
        for _ in range(3):
            ds.get_layer("color").get_mag(1).rechunk(compress=True)
            ds.get_layer("color").get_mag(1).rechunk(compress=False)
    finally:
        stop.set()
        t.join()
    assert missing == []


# --------------------------------------------------------------- reference bugs


def test_relative_copy_reopens_from_another_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = make_dataset(tmp_path / "src", "zarr3")
    monkeypatch.chdir(tmp_path)
    src_rel = wk.Dataset.open("src")
    src_rel.copy_dataset("out/copy", data_format="wkw")
    src_rel.copy_dataset("out/same")
    with pytest.warns(DeprecationWarning):
        wk.Dataset("out/links", voxel_size=(1, 1, 1)).add_symlink_layer(
            "src/color", make_relative=True
        )
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    assert_same_data(src, wk.Dataset.open(tmp_path / "out" / "copy"))
    assert_same_data(src, wk.Dataset.open(tmp_path / "out" / "same"))
    assert_same_data(src, wk.Dataset.open("../out/same"))
    links = wk.Dataset.open(tmp_path / "out" / "links")
    np.testing.assert_array_equal(
        links.get_layer("color").get_mag(1).read(),
        src.get_layer("color").get_mag(1).read(),
    )


@pytest.mark.parametrize("bad", ["../evil", "a/b", ".hidden", "..", ""])
def test_escaping_layer_names_are_refused_before_any_file(
    tmp_path: Path, bad: str
) -> None:
    src = make_dataset(tmp_path / "src", "zarr3", with_seg=False, mag2=False)
    dst = wk.Dataset(tmp_path / "w" / "dst", voxel_size=(1, 1, 1))
    before = tree(tmp_path)
    calls = [
        lambda: dst.add_layer_as_copy(src.get_layer("color"), bad),
        lambda: dst.add_layer_as_copy(src.get_layer("color"), bad, data_format="wkw"),
        lambda: dst.add_fs_copy_layer(src.get_layer("color"), bad),
        lambda: dst.add_symlink_layer(src.get_layer("color"), new_layer_name=bad),
        lambda: dst.add_layer_as_ref(src.get_layer("color"), bad),
        lambda: dst.add_layer_for_existing_files(bad, "color"),
    ]
    for call in calls:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            with pytest.raises((InvalidLayerNameError, ValueError)):
                call()
        assert tree(tmp_path) == before
        assert not (tmp_path / "evil").exists()


def test_copy_dataset_refuses_escaping_source_names(tmp_path: Path) -> None:
    import msgspec

    src = make_dataset(tmp_path / "src", "zarr3", with_seg=False, mag2=False)
    layer = msgspec.structs.replace(src.spec.data_layers[0], name="../evil")
    src.session.spec = msgspec.structs.replace(src.spec, data_layers=(layer,))
    with pytest.raises(InvalidLayerNameError):
        src.copy_dataset(tmp_path / "out" / "copy")
    assert not (tmp_path / "out").exists()
    assert not (tmp_path / "evil").exists()


def _fail_after(n: int, monkeypatch: pytest.MonkeyPatch) -> None:
    from wkfn.execute import copy_tasks, dispatch

    count = {"n": 0}

    def failing(root: str, op: CopyRegion) -> int:
        count["n"] += 1
        if count["n"] > n:
            raise OSError("disk full (injected)")
        return copy_tasks.run_copy_region(root, op)

    monkeypatch.setattr(dispatch, "run_copy_region", failing)


def test_failed_copy_dataset_leaves_no_target(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = make_dataset(tmp_path / "src", "zarr3")
    before = {p: (tmp_path / "src" / p).read_bytes() for p in tree(tmp_path / "src")}
    _fail_after(2, monkeypatch)
    with pytest.raises(ExecutionError, match="injected"):
        src.copy_dataset(
            tmp_path / "copy", data_format="wkw", executor=InlineExecutor()
        )
    assert not (tmp_path / "copy").exists()
    after = {p: (tmp_path / "src" / p).read_bytes() for p in tree(tmp_path / "src")}
    assert after == before


def test_failed_layer_copy_keeps_target_openable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = make_dataset(tmp_path / "src", "zarr3")
    dst = src.copy_dataset(tmp_path / "dst", layers_to_ignore=["seg"])
    props_before = (tmp_path / "dst" / "datasource-properties.json").read_bytes()
    files_before = sorted(os.listdir(tmp_path / "dst"))
    _fail_after(1, monkeypatch)  # the first block is copied, the second fails
    with pytest.raises(ExecutionError):
        dst.add_layer_as_copy(
            src.get_layer("color"), "c2", data_format="zarr", executor=InlineExecutor()
        )
    with pytest.raises(ExecutionError):
        dst.add_layer_as_copy(src.get_layer("seg"), data_format="wkw")
    assert (
        tmp_path / "dst" / "datasource-properties.json"
    ).read_bytes() == props_before
    assert sorted(os.listdir(tmp_path / "dst")) == files_before
    reopened = wk.Dataset.open(tmp_path / "dst")
    assert set(reopened.layers) == {"color"}
    assert_props_only_local(tmp_path / "dst")
    for view in reopened.get_layer("color").mags.values():
        view.read()


def test_failed_compress_leaves_source_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ds = make_dataset(tmp_path / "ds", "zarr3", compress=False)
    before = {p: (tmp_path / "ds" / p).read_bytes() for p in tree(tmp_path / "ds")}
    _fail_after(1, monkeypatch)
    with pytest.raises(ExecutionError):
        ds.compress(executor=InlineExecutor())
    after = {p: (tmp_path / "ds" / p).read_bytes() for p in tree(tmp_path / "ds")}
    assert after == before
    assert not ds.get_layer("color").get_mag(1).info.compression_mode


# --------------------------------------------------------------- dry runs and executors


def test_dry_run_on_target_then_apply(tmp_path: Path) -> None:
    src = make_dataset(tmp_path / "src", "wkw")
    dst = wk.Dataset(tmp_path / "dst", voxel_size=(11.2, 11.2, 25))
    files_before = sorted(os.listdir(tmp_path / "dst"))
    with dst.dry_run() as rec:
        dst.add_layer_as_copy(src.get_layer("color"), data_format="zarr3")
    text = str(rec.plan)
    assert "+ array color/1 zarr3" in text and "~ copy color/1 wkw -> zarr3" in text
    assert sorted(os.listdir(tmp_path / "dst")) == files_before
    assert "color" not in wk.Dataset.open(tmp_path / "dst").layers
    rec.apply()
    np.testing.assert_array_equal(
        wk.Dataset.open(tmp_path / "dst").get_layer("color").get_mag(1).read(),
        src.get_layer("color").get_mag(1).read(),
    )


def test_copy_dataset_inside_source_dry_run_is_refused(tmp_path: Path) -> None:
    src = make_dataset(tmp_path / "src", "zarr3", with_seg=False)
    with src.dry_run(), pytest.raises(ValueError, match="plan_copy_dataset"):
        src.copy_dataset(tmp_path / "copy")
    assert not (tmp_path / "copy").exists()


@pytest.mark.parametrize("kind", ["inline", "threads"])
def test_executors(tmp_path: Path, kind: str) -> None:
    src = make_dataset(tmp_path / "src", "zarr3")
    pool: Any = InlineExecutor() if kind == "inline" else ThreadPoolExecutor(3)
    copy = src.copy_dataset(tmp_path / "copy", data_format="zarr", executor=pool)
    assert_same_data(src, copy)
    copy.compress(executor=pool)
    assert_same_data(src, wk.Dataset.open(tmp_path / "copy"))


def test_dask_local_cluster(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    src = make_dataset(tmp_path / "src", "wkw")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        pool = client.get_executor()
        copy = src.copy_dataset(tmp_path / "copy", data_format="zarr3", executor=pool)
        copy.get_layer("color").rechunk(compress=False, executor=pool)
    assert_same_data(src, wk.Dataset.open(tmp_path / "copy"))


def test_plan_op_kinds(tmp_path: Path) -> None:
    src = make_dataset(tmp_path / "src", "zarr3", with_seg=False)
    dst = wk.Dataset(tmp_path / "dst", voxel_size=(1, 1, 1))
    with dst.dry_run() as rec, pytest.warns(DeprecationWarning):
        dst.add_symlink_layer(src.get_layer("color"))
    assert [type(op) for op in rec.plan.ops][:1] == [LinkPath]
    change = src.plan_copy_dataset(tmp_path / "c", data_format="wkw")
    kinds = {type(op) for op in change.plan.ops}
    assert {CreateArray, CopyRegion} <= kinds
    assert pattern((2, 2, 2)).shape == (2, 2, 2)
