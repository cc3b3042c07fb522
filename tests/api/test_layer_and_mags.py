"""Layer, MagView and View behaviour on real files, for every format."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import wkfn as wk
from wkfn.errors import DtypeMismatchError, MagExistsError


def make(tmp_path: Path, data_format: str, **kw: object) -> wk.Dataset:
    ds = wk.Dataset(tmp_path / "ds", voxel_size=(11.24, 11.24, 25))
    ds.add_layer("color", "color", data_format=data_format, **kw)  # type: ignore[arg-type]
    return ds


def test_write_read_roundtrip(
    tmp_path: Path, data_format: str, rng: np.random.Generator
) -> None:
    ds = make(tmp_path, data_format)
    mag = ds.get_layer("color").add_mag(1)
    data = rng.integers(0, 255, (64, 96, 40), dtype=np.uint8)
    mag.write(data, absolute_offset=(32, 0, 64), allow_resize=True)
    layer = wk.Dataset.open(tmp_path / "ds").get_layer("color")
    assert layer.bounding_box == wk.BoundingBox((32, 0, 64), (64, 96, 40))
    got = layer.get_mag(1).read()
    assert got.shape == (1, 64, 96, 40)
    np.testing.assert_array_equal(got[0], data)
    part = layer.get_mag(1).read(absolute_offset=(40, 10, 70), size=(8, 8, 8))
    np.testing.assert_array_equal(part[0], data[8:16, 10:18, 6:14])
    rel = layer.get_mag(1).read(relative_offset=(8, 10, 6), size=(8, 8, 8))
    np.testing.assert_array_equal(rel, part)
    outside = layer.get_mag(1).read(absolute_offset=(2000, 0, 0), size=(4, 4, 4))
    assert outside.shape == (1, 4, 4, 4) and not outside.any()


def test_properties_of_mags(tmp_path: Path, data_format: str) -> None:
    ds = make(tmp_path, data_format)
    ds.get_layer("color").add_mag(1)
    ds.get_layer("color").add_mag("2-2-1")
    p = json.loads((tmp_path / "ds" / "datasource-properties.json").read_text())
    mags = p["dataLayers"][0]["mags"]
    assert [m["mag"] for m in mags] == [[1, 1, 1], [2, 2, 1]]
    assert [m["path"] for m in mags] == ["./color/1", "./color/2-2-1"]
    assert all(m["axisOrder"] == {"c": 0, "x": 1, "y": 2, "z": 3} for m in mags)
    assert ("cubeLength" in mags[0]) == (data_format == "wkw")
    assert (tmp_path / "ds" / "color" / "2-2-1").is_dir()


def test_mag_info_and_defaults(tmp_path: Path, data_format: str) -> None:
    ds = make(tmp_path, data_format)
    info = ds.get_layer("color").add_mag(1).info
    assert info.chunk_shape == wk.Vec3Int(32, 32, 32)
    expected_shard = (32, 32, 32) if data_format == "zarr" else (1024, 1024, 1024)
    assert info.shard_shape == wk.Vec3Int(expected_shard)
    assert info.compression_mode is True
    cps = None if data_format == "zarr" else 4
    raw = ds.get_layer("color").add_mag(
        2, chunk_shape=16, chunks_per_shard=cps, compress=False
    )
    if data_format != "zarr":
        assert raw.info.shard_shape == wk.Vec3Int(64, 64, 64)
    assert raw.info.compression_mode is False


def test_zarr_v2_rejects_sharding(tmp_path: Path) -> None:
    ds = make(tmp_path, "zarr")
    with pytest.raises(ValueError, match="sharding"):
        ds.get_layer("color").add_mag(1, shard_shape=64)


def test_shard_no_larger_than_extent(tmp_path: Path) -> None:
    ds = wk.Dataset(tmp_path / "ds", voxel_size=(1, 1, 1))
    layer = ds.add_layer(
        "c", "color", bounding_box=wk.BoundingBox((0, 0, 0), (100, 60, 20))
    )
    info = layer.add_mag(1).info
    assert info.shard_shape == wk.Vec3Int(128, 64, 32)


def test_get_or_add_and_delete_mag(tmp_path: Path, data_format: str) -> None:
    ds = make(tmp_path, data_format)
    layer = ds.get_layer("color")
    a = layer.get_or_add_mag(1)
    b = layer.get_or_add_mag(1)
    assert a.mag == b.mag
    with pytest.raises(MagExistsError):
        layer.add_mag(1)
    with pytest.raises(IndexError):
        layer.add_mag(1)
    with pytest.raises(ValueError):
        layer.get_or_add_mag(1, chunk_shape=64)
    layer.add_mag(2)
    layer.delete_mag(2)
    assert list(layer.mags) == [wk.Mag(1)]
    assert not (tmp_path / "ds" / "color" / "2").exists()
    with pytest.raises(IndexError):
        layer.get_mag(2)


def test_alignment_rules(tmp_path: Path) -> None:
    ds = make(tmp_path, "zarr3")
    mag = ds.get_layer("color").add_mag(1, chunk_shape=32, shard_shape=64)
    mag.write(np.zeros((128, 128, 128), np.uint8), allow_resize=True)
    with pytest.raises(ValueError, match="aligned"):
        mag.write(np.ones((10, 10, 10), np.uint8), absolute_offset=(5, 5, 5))
    mag.write(
        np.ones((10, 10, 10), np.uint8), absolute_offset=(5, 5, 5), allow_unaligned=True
    )
    got = mag.read(absolute_offset=(0, 0, 0), size=(20, 20, 20))[0]
    assert got[5:15, 5:15, 5:15].all() and got.sum() == 1000
    with pytest.raises(ValueError, match="allow_resize"):
        mag.write(np.ones((64, 64, 64), np.uint8), absolute_offset=(128, 0, 0))


def test_multichannel_and_mag2(
    tmp_path: Path, data_format: str, rng: np.random.Generator
) -> None:
    ds = wk.Dataset(tmp_path / "ds", voxel_size=(1, 1, 1))
    layer = ds.add_layer(
        "rgb",
        "color",
        dtype_per_channel="uint8",
        num_channels=3,
        data_format=data_format,
    )
    data = rng.integers(0, 255, (3, 64, 64, 32), dtype=np.uint8)
    layer.add_mag(1).write(data, allow_resize=True)
    np.testing.assert_array_equal(layer.get_mag(1).read(), data)
    half = data[:, ::2, ::2, ::2]
    m2 = layer.add_mag(2)
    m2.write(half, absolute_offset=(0, 0, 0))
    np.testing.assert_array_equal(m2.read(), half)
    assert m2.bounding_box == wk.BoundingBox((0, 0, 0), (64, 64, 32))
    with pytest.raises(ValueError, match="channels"):
        layer.get_mag(1).write(data[0], allow_resize=True)


def test_dtype_safety(tmp_path: Path) -> None:
    ds = wk.Dataset(tmp_path / "ds", voxel_size=(1, 1, 1))
    mag = ds.add_layer("c", "color").add_mag(1)
    mag.write(np.full((32, 32, 32), 7, np.int64), allow_resize=True)  # fits: accepted
    assert mag.read().dtype == np.uint8 and mag.read().max() == 7
    before = mag.read()
    with pytest.raises(DtypeMismatchError):
        mag.write(np.full((32, 32, 32), 300, np.uint16))
    with pytest.raises(DtypeMismatchError):
        mag.write(np.full((32, 32, 32), -1, np.int16))
    with pytest.raises(ValueError):
        mag.write(np.full((32, 32, 32), 1.5, np.float32))
    np.testing.assert_array_equal(mag.read(), before)


def test_negative_offsets_refused(tmp_path: Path) -> None:
    ds = wk.Dataset(tmp_path / "ds", voxel_size=(1, 1, 1))
    mag = ds.add_layer("c", "color").add_mag(1)
    with pytest.raises(ValueError, match="non-negative"):
        mag.write(
            np.ones((4, 4, 4), np.uint8), absolute_offset=(-4, 0, 0), allow_resize=True
        )
    with pytest.raises(ValueError):
        mag.read(absolute_offset=(-1, 0, 0), size=(2, 2, 2))
    assert ds.get_layer("c").bounding_box.is_empty()


def test_bounding_box_setter_and_rename(tmp_path: Path, data_format: str) -> None:
    ds = make(tmp_path, data_format)
    layer = ds.get_layer("color")
    layer.add_mag(1).write(np.full((32, 32, 32), 5, np.uint8), allow_resize=True)
    layer.bounding_box = wk.BoundingBox((0, 0, 0), (64, 64, 64))
    assert wk.Dataset.open(tmp_path / "ds").get_layer("color").bounding_box.size == (
        64,
        64,
        64,
    )
    layer.name = "renamed"
    assert not (tmp_path / "ds" / "color").exists()
    reopened = wk.Dataset.open(tmp_path / "ds").get_layer("renamed")
    assert (
        reopened.get_mag(1).read(absolute_offset=(0, 0, 0), size=(32, 32, 32)).min()
        == 5
    )
    p = json.loads((tmp_path / "ds" / "datasource-properties.json").read_text())
    assert p["dataLayers"][0]["mags"][0]["path"] == "./renamed/1"


def test_views(tmp_path: Path) -> None:
    ds = wk.Dataset(tmp_path / "ds", voxel_size=(1, 1, 1))
    mag = ds.add_layer("c", "color").add_mag(1, chunk_shape=32, shard_shape=32)
    mag.write(np.zeros((64, 64, 64), np.uint8), allow_resize=True)
    view = mag.get_view(absolute_offset=(32, 32, 32), size=(32, 32, 32))
    view.write(np.full((32, 32, 32), 9, np.uint8))
    assert mag.read()[0, 32:, 32:, 32:].min() == 9
    assert mag.read()[0, :32].max() == 0
    with pytest.raises(ValueError, match="outside"):
        view.write(np.ones((32, 32, 32), np.uint8), relative_offset=(32, 0, 0))
    with pytest.raises(ValueError):
        mag.get_view(absolute_offset=(32, 32, 32), size=(64, 64, 64))
    ro = mag.get_view(absolute_offset=(32, 32, 32), size=(64, 64, 64), read_only=True)
    assert ro.read().shape == (1, 64, 64, 64)
    assert len(mag.chunk((32, 32, 32))) == 8


def test_segmentation_largest_id(tmp_path: Path) -> None:
    ds = wk.Dataset(tmp_path / "ds", voxel_size=(1, 1, 1))
    seg = ds.add_layer("s", "segmentation", dtype="uint32")
    assert isinstance(seg, wk.SegmentationLayer)
    assert seg.largest_segment_id is None
    seg.largest_segment_id = 12.0  # type: ignore[assignment]
    assert wk.Dataset.open(tmp_path / "ds").get_layer("s").largest_segment_id == 12  # type: ignore[attr-defined]


def test_views_on_disk_cover_written_shards_only(tmp_path: Path) -> None:
    ds = wk.Dataset(tmp_path / "ds", voxel_size=(1, 1, 1))
    mag = ds.add_layer("c", "color").add_mag(1, chunk_shape=16, shard_shape=32)
    mag.write(np.ones((1, 128, 32, 32), np.uint8), allow_resize=True)
    # an all-zero (fill value) shard is not stored
    mag.write(np.zeros((1, 32, 32, 32), np.uint8), absolute_offset=(32, 0, 0))
    views = mag.get_views_on_disk()
    assert sorted(v.bounding_box.topleft.x for v in views) == [0, 64, 96]
    assert all(not v.read_only for v in views)
    assert all(v.read_only for v in mag.get_views_on_disk(read_only=True))
    assert sum(int(v.read().sum()) for v in views) == 3 * 32**3
    chunks = mag.chunk((32, 32, 32), read_only=True)
    assert len(chunks) == 4 and all(c.read_only for c in chunks)
