"""Datasets in a bucket of a real local S3 server (moto, started by the fixture):
create, write, read, open, copy in every direction, downsample, compress."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import wkfn as wk
from wkfn.storage import objects, store_access


def _data(shape: tuple[int, int, int] = (100, 80, 70), seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 255, shape, dtype=np.uint8)


def _local(tmp_path: Path, data: np.ndarray) -> wk.Dataset:
    ds = wk.Dataset(tmp_path / "local", voxel_size=(11.2, 11.2, 25))
    layer = ds.add_layer("color", wk.COLOR_CATEGORY, dtype_per_channel="uint8")
    layer.add_mag(1).write(data, absolute_offset=(0, 0, 0), allow_resize=True)
    return ds


def test_create_write_read_zarr3_in_bucket(bucket: str) -> None:
    data = _data()
    ds = wk.Dataset(f"{bucket}/ds", voxel_size=(11.2, 11.2, 25))
    assert str(ds.path) == f"{bucket}/ds"
    layer = ds.add_layer("color", wk.COLOR_CATEGORY, dtype_per_channel="uint8")
    layer.add_mag(1).write(data, absolute_offset=(5, 0, 0), allow_resize=True)
    keys = set(objects.iter_keys(f"{bucket}/ds"))
    assert {
        "datasource-properties.json",
        "zarr.json",
        "color/zarr.json",
        "color/1/zarr.json",
    } <= keys
    assert any(k.startswith("color/1/c/0/") for k in keys)
    back = wk.Dataset.open(f"{bucket}/ds")
    mag = back.get_layer("color").get_mag(1)
    assert back.get_layer("color").bounding_box == wk.BoundingBox((5, 0, 0), data.shape)
    np.testing.assert_array_equal(mag.read()[0], data)
    np.testing.assert_array_equal(
        mag.read(absolute_offset=(10, 20, 30), size=(8, 8, 8))[0],
        data[5:13, 20:28, 30:38],
    )
    # properties and OME metadata are plain JSON objects in the bucket
    props = json.loads(objects.read_bytes(f"{bucket}/ds/datasource-properties.json"))
    assert props["dataLayers"][0]["mags"][0]["path"] == "./color/1"
    group = json.loads(objects.read_bytes(f"{bucket}/ds/color/zarr.json"))
    assert group["attributes"]["ome"]["multiscales"][0]["datasets"][0]["path"] == "1"


def test_zarr2_and_upath_with_storage_options(
    bucket: str, s3_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from upath import UPath

    # endpoint and keys given only as storage options, none in the environment
    for name in ("S3_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    store_access.reset_caches()
    path = UPath(
        f"{bucket}/ds2",
        endpoint_url=s3_env["S3_ENDPOINT_URL"],
        key=s3_env["AWS_ACCESS_KEY_ID"],
        secret=s3_env["AWS_SECRET_ACCESS_KEY"],
    )
    data = _data((40, 30, 20), seed=3)
    ds = wk.Dataset(path, voxel_size=(1, 1, 1))
    layer = ds.add_layer(
        "seg",
        wk.SEGMENTATION_CATEGORY,
        dtype_per_channel="uint8",
        data_format="zarr",
        largest_segment_id=255,
    )
    layer.add_mag(1).write(data, absolute_offset=(0, 0, 0), allow_resize=True)
    back = wk.Dataset.open(path)
    np.testing.assert_array_equal(back.get_layer("seg").get_mag(1).read()[0], data)
    assert ".zarray" in "\n".join(objects.iter_keys(f"{bucket}/ds2/seg/1"))
    # the tensorstore spec names a credentials file, never the secret itself
    spec = store_access.kvstore_spec(f"{bucket}/ds2/seg/1")
    assert s3_env["AWS_SECRET_ACCESS_KEY"] not in json.dumps(spec)
    assert spec["aws_credentials"]["type"] == "profile"


def test_copy_local_to_s3_to_local(tmp_path: Path, bucket: str) -> None:
    data = _data()
    local = _local(tmp_path, data)
    remote_ds = local.copy_dataset(f"{bucket}/copy")
    assert str(remote_ds.path) == f"{bucket}/copy"
    np.testing.assert_array_equal(
        remote_ds.get_layer("color").get_mag(1).read()[0], data
    )
    back = wk.Dataset.open(f"{bucket}/copy").copy_dataset(tmp_path / "back")
    np.testing.assert_array_equal(back.get_layer("color").get_mag(1).read()[0], data)
    assert (tmp_path / "back" / "color" / "1" / "zarr.json").exists()


def test_copy_s3_to_s3_converting(tmp_path: Path, bucket: str) -> None:
    data = _data()
    _local(tmp_path, data).copy_dataset(f"{bucket}/a")
    out = wk.Dataset.open(f"{bucket}/a").copy_dataset(
        f"{bucket}/b", data_format="zarr", chunk_shape=(16, 16, 16)
    )
    mag = out.get_layer("color").get_mag(1)
    assert mag.info.data_format == wk.DataFormat.Zarr
    np.testing.assert_array_equal(mag.read()[0], data)


def test_downsample_and_compress_in_bucket_equal_local(
    tmp_path: Path, bucket: str
) -> None:
    data = _data()
    local = _local(tmp_path, data)
    remote_ds = local.copy_dataset(f"{bucket}/ds")
    local.get_layer("color").downsample()
    remote_ds.get_layer("color").downsample()
    reopened = wk.Dataset.open(f"{bucket}/ds").get_layer("color")
    assert sorted(reopened.mags) == sorted(local.get_layer("color").mags)
    for mag in local.get_layer("color").mags:
        np.testing.assert_array_equal(
            reopened.get_mag(mag).read(), local.get_layer("color").get_mag(mag).read()
        )
    # compress an uncompressed mag in place
    ds = wk.Dataset(f"{bucket}/raw", voxel_size=(1, 1, 1))
    mag1 = ds.add_layer("color", "color").add_mag(1, compress=False)
    mag1.write(data, absolute_offset=(0, 0, 0), allow_resize=True)
    assert not mag1.info.compression_mode
    mag1.compress()
    again = wk.Dataset.open(f"{bucket}/raw").get_layer("color").get_mag(1)
    assert again.info.compression_mode
    np.testing.assert_array_equal(again.read()[0], data)
    assert not [k for k in objects.list_dir(f"{bucket}/raw/color") if k.startswith(".")]


def test_layers_as_copy_and_ref_across_stores(tmp_path: Path, bucket: str) -> None:
    data = _data()
    local = _local(tmp_path, data)
    ds = wk.Dataset(f"{bucket}/mixed", voxel_size=(11.2, 11.2, 25))
    ds.add_layer_as_copy(local.get_layer("color"), new_layer_name="copied")
    source = local.copy_dataset(f"{bucket}/src")
    ref = ds.add_layer_as_ref(source.get_layer("color"), new_layer_name="ref")
    assert ref.get_mag(1).read_only
    reopened = wk.Dataset.open(f"{bucket}/mixed")
    for name in ("copied", "ref"):
        np.testing.assert_array_equal(
            reopened.get_layer(name).get_mag(1).read()[0], data
        )
    props = json.loads(objects.read_bytes(f"{bucket}/mixed/datasource-properties.json"))
    ref_layer = next(la for la in props["dataLayers"] if la["name"] == "ref")
    assert ref_layer["mags"][0]["path"] == f"{bucket}/src/color/1"
    # a local dataset may reference mags in the bucket (read-only)
    local.add_layer_as_ref(f"{bucket}/src/color", new_layer_name="from_s3")
    np.testing.assert_array_equal(
        wk.Dataset.open(tmp_path / "local").get_layer("from_s3").get_mag(1).read()[0],
        data,
    )


def test_wkw_is_refused_before_anything_is_written(bucket: str) -> None:
    ds = wk.Dataset(f"{bucket}/w", voxel_size=(1, 1, 1))
    before = objects.read_bytes(f"{bucket}/w/datasource-properties.json")
    with pytest.raises(wk.errors.StorageError, match="wkw needs a local filesystem"):
        ds.add_layer("color", "color", data_format="wkw")
    assert objects.read_bytes(f"{bucket}/w/datasource-properties.json") == before
    assert sorted(objects.iter_keys(f"{bucket}/w")) == ["datasource-properties.json"]


def test_from_images_into_bucket_and_mag_as_ref_by_url(
    tmp_path: Path, bucket: str
) -> None:
    tifffile = pytest.importorskip("tifffile")
    (tmp_path / "slices").mkdir()
    for z in range(8):
        tifffile.imwrite(
            tmp_path / "slices" / f"{z}.tif", np.full((32, 48), z, np.uint8)
        )
    ds = wk.Dataset.from_images(
        tmp_path / "slices", f"{bucket}/imported", voxel_size=(1, 1, 1)
    )
    (name,) = ds.layers
    data = ds.get_layer(name).get_mag(1).read()
    assert data.shape == (1, 48, 32, 8) and int(data[0, 0, 0, 7]) == 7
    other = wk.Dataset(f"{bucket}/other", voxel_size=(1, 1, 1))
    other.add_layer("color", "color").add_mag_as_ref(f"{bucket}/imported/{name}/1")
    view = wk.Dataset.open(f"{bucket}/other").get_layer("color").get_mag(1)
    assert str(view.path) == f"{bucket}/imported/{name}/1"
    assert view.read_only
    np.testing.assert_array_equal(view.read(), data)
