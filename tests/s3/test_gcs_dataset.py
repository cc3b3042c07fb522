"""Whole datasets on ``gs://``, end to end, on a real local GCS server.

fake-gcs-server runs on 127.0.0.1 (the ``gcs_server`` fixture, which announces it
as ``STORAGE_EMULATOR_HOST``). Voxels go through tensorstore's ``gcs`` kvstore;
``datasource-properties.json``, the OME group files and listings go through
gcsfs, with anonymous credentials for the emulator. Tested here: create, write,
read and reopen; downsample (equal to the same run on a local copy); copy local →
gs and gs → local; ``wkfn info`` / ``check`` on a ``gs://`` URL in a subprocess;
a missing bucket is a typed error naming the URL (``Dataset``, ``Dataset.open``,
``copy_dataset`` and the CLI).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import wkfn as wk
from wkfn.storage import objects
from wkfn.storage.location import BucketNotFoundError


def _data(shape: tuple[int, int, int] = (70, 50, 40), seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 255, shape, dtype=np.uint8)


def _local(tmp_path: Path, data: np.ndarray) -> wk.Dataset:
    ds = wk.Dataset(tmp_path / "local", voxel_size=(11.2, 11.2, 25))
    layer = ds.add_layer("color", wk.COLOR_CATEGORY, dtype_per_channel="uint8")
    layer.add_mag(1).write(data, absolute_offset=(0, 0, 0), allow_resize=True)
    return ds


def test_create_write_read_reopen_on_gcs(gcs_bucket: str) -> None:
    data = _data()
    url = f"{gcs_bucket}/ds"
    ds = wk.Dataset(url, voxel_size=(11.2, 11.2, 25))
    assert str(ds.path) == url
    layer = ds.add_layer("color", wk.COLOR_CATEGORY, dtype_per_channel="uint8")
    layer.add_mag(1).write(data, absolute_offset=(5, 0, 0), allow_resize=True)
    seg = ds.add_layer(
        "seg",
        wk.SEGMENTATION_CATEGORY,
        dtype_per_channel="uint32",
        data_format="zarr",
        largest_segment_id=9,
    )
    seg.add_mag(1).write(
        (data % 10).astype(np.uint32), absolute_offset=(0, 0, 0), allow_resize=True
    )
    keys = set(objects.iter_keys(url))
    assert {
        "datasource-properties.json",
        "zarr.json",
        "color/zarr.json",
        "color/1/zarr.json",
        "seg/.zattrs",
        "seg/1/.zarray",
    } <= keys
    assert any(k.startswith("color/1/c/0/") for k in keys)
    # properties and OME metadata are plain JSON objects in the bucket
    props = json.loads(objects.read_bytes(f"{url}/datasource-properties.json"))
    assert [la["name"] for la in props["dataLayers"]] == ["color", "seg"]
    assert props["dataLayers"][0]["mags"][0]["path"] == "./color/1"
    group = json.loads(objects.read_bytes(f"{url}/color/zarr.json"))
    assert group["attributes"]["ome"]["multiscales"][0]["datasets"][0]["path"] == "1"

    back = wk.Dataset.open(url)
    color = back.get_layer("color")
    assert color.bounding_box == wk.BoundingBox((5, 0, 0), data.shape)
    np.testing.assert_array_equal(color.get_mag(1).read()[0], data)
    np.testing.assert_array_equal(
        color.get_mag(1).read(absolute_offset=(10, 20, 30), size=(8, 8, 8))[0],
        data[5:13, 20:28, 30:38],
    )
    assert back.get_layer("seg").get_mag(1).info.data_format == wk.DataFormat.Zarr
    np.testing.assert_array_equal(
        back.get_layer("seg").get_mag(1).read()[0], (data % 10).astype(np.uint32)
    )
    # a write through the reopened dataset lands in the bucket
    color.get_mag(1).write(
        np.zeros((8, 8, 8), np.uint8), absolute_offset=(5, 0, 0), allow_unaligned=True
    )
    again = wk.Dataset.open(url).get_layer("color").get_mag(1).read()[0]
    assert not again[:8, :8, :8].any()
    np.testing.assert_array_equal(again[8:], data[8:])


def test_downsample_on_gcs_equals_local(tmp_path: Path, gcs_bucket: str) -> None:
    data = _data(seed=1)
    local = _local(tmp_path, data)
    remote = local.copy_dataset(f"{gcs_bucket}/ds")
    local.get_layer("color").downsample()
    remote.get_layer("color").downsample()
    reopened = wk.Dataset.open(f"{gcs_bucket}/ds").get_layer("color")
    assert sorted(reopened.mags) == sorted(local.get_layer("color").mags)
    assert len(reopened.mags) > 1
    for mag in local.get_layer("color").mags:
        np.testing.assert_array_equal(
            reopened.get_mag(mag).read(), local.get_layer("color").get_mag(mag).read()
        )
    props = json.loads(
        objects.read_bytes(f"{gcs_bucket}/ds/datasource-properties.json")
    )
    assert len(props["dataLayers"][0]["mags"]) == len(reopened.mags)


def test_copy_local_to_gcs_to_local(tmp_path: Path, gcs_bucket: str) -> None:
    data = _data(seed=2)
    local = _local(tmp_path, data)
    remote = local.copy_dataset(f"{gcs_bucket}/copy")
    assert str(remote.path) == f"{gcs_bucket}/copy"
    np.testing.assert_array_equal(remote.get_layer("color").get_mag(1).read()[0], data)
    back = wk.Dataset.open(f"{gcs_bucket}/copy").copy_dataset(tmp_path / "back")
    np.testing.assert_array_equal(back.get_layer("color").get_mag(1).read()[0], data)
    assert (tmp_path / "back" / "color" / "1" / "zarr.json").exists()
    assert (tmp_path / "back" / "datasource-properties.json").exists()
    # gs -> gs, converting the format
    conv = wk.Dataset.open(f"{gcs_bucket}/copy").copy_dataset(
        f"{gcs_bucket}/conv", data_format="zarr", chunk_shape=(16, 16, 16)
    )
    mag = wk.Dataset.open(f"{gcs_bucket}/conv").get_layer("color").get_mag(1)
    assert mag.info.data_format == wk.DataFormat.Zarr
    np.testing.assert_array_equal(mag.read()[0], data)
    assert str(conv.path) == f"{gcs_bucket}/conv"


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wkfn.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=dict(os.environ),  # STORAGE_EMULATOR_HOST: set by the fixture
        timeout=300,
        check=False,
    )


def test_cli_info_and_check_on_gcs(tmp_path: Path, gcs_bucket: str) -> None:
    url = f"{gcs_bucket}/cli"
    _local(tmp_path, _data(seed=3)).copy_dataset(url)
    info = _cli("info", url, cwd=tmp_path)
    assert info.returncode == 0, info.stderr
    assert f"at {url}" in info.stdout
    assert "color" in info.stdout and "mag 1" in info.stdout
    check = _cli("check", url, cwd=tmp_path)
    assert check.returncode == 0, check.stderr
    assert check.stdout.strip().endswith("ok")
    missing = _cli("info", "gs://wkfn-no-such-bucket/ds", cwd=tmp_path)
    assert missing.returncode != 0
    assert "gs://wkfn-no-such-bucket" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_missing_gcs_bucket_is_a_typed_error(tmp_path: Path, gcs_server: str) -> None:
    with pytest.raises(BucketNotFoundError, match="gs://wkfn-no-such-bucket") as e:
        wk.Dataset("gs://wkfn-no-such-bucket/ds", voxel_size=(1, 1, 1))
    assert e.value.url == "gs://wkfn-no-such-bucket/ds"
    with pytest.raises(FileNotFoundError, match="gs://wkfn-no-such-bucket/ds"):
        wk.Dataset.open("gs://wkfn-no-such-bucket/ds")
    local = wk.Dataset(tmp_path / "ds", voxel_size=(1, 1, 1))
    with pytest.raises(BucketNotFoundError, match="gs://wkfn-no-such-bucket"):
        local.copy_dataset("gs://wkfn-no-such-bucket/copy")
