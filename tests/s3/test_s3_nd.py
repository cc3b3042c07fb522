"""n-D layers (extra axes such as time) read from object storage and over HTTP.

A t, x, y, z layer written locally by wkfn is put into a bucket of the local S3
server (and served by :class:`~wkfn.visual.server.DatasetServer`); wkfn opens it
there and reads it voxel for voxel, whole and at sub-boxes of the extra axis. Writes
to an n-D array at a URL are refused with :class:`UnsupportedLayerError`: resizing
an n-D array takes the local metadata lock.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import wkfn as wk
from wkfn.errors import ReadOnlyError, UnsupportedLayerError
from wkfn.storage import store_access
from wkfn.visual.server import DatasetServer

SIZE = (3, 40, 24, 16)


def _local_nd(tmp_path: Path) -> tuple[Path, np.ndarray]:
    path = tmp_path / "nd"
    ds = wk.Dataset(path, voxel_size=(1, 1, 1))
    box = wk.NDBoundingBox(
        topleft=(0, 0, 0, 0), size=SIZE, axes=("t", "x", "y", "z"), index=(0, 1, 2, 3)
    )
    data = (np.arange(np.prod(SIZE), dtype=np.uint32) % 251).astype(np.uint8)
    data = data.reshape(SIZE)
    ds.add_layer("movie", "color", bounding_box=box).add_mag(1).write(
        data, absolute_bounding_box=box
    )
    return path, data


def _check_reads(ds: wk.Dataset, data: np.ndarray) -> None:
    layer = ds.get_layer("movie")
    mag = layer.get_mag(1)
    assert np.array_equal(mag.read(), data)
    box = layer.bounding_box.with_bounds("t", 1, 2).with_bounds("x", 8, 20)
    assert np.array_equal(mag.read(absolute_bounding_box=box), data[1:3, 8:28])


def test_nd_layer_is_read_from_a_bucket(bucket: str, tmp_path: Path) -> None:
    path, data = _local_nd(tmp_path)
    url = f"{bucket}/nd"
    fs = store_access.filesystem(url)  # fsspec's s3fs, at the test server
    fs.put(str(path), url.removeprefix("s3://"), recursive=True)
    ds = wk.Dataset.open(url)
    _check_reads(ds, data)
    mag = ds.get_layer("movie").get_mag(1)
    with pytest.raises(UnsupportedLayerError, match="local disks only"):
        mag.write(
            data[:1],
            absolute_bounding_box=ds.get_layer("movie").bounding_box.with_bounds(
                "t", 0, 1
            ),
        )
    # nothing was written: the bucket still reads the original voxels
    assert np.array_equal(
        wk.Dataset.open(url).get_layer("movie").get_mag(1).read(), data
    )


def test_nd_layer_is_read_over_http(tmp_path: Path) -> None:
    path, data = _local_nd(tmp_path)
    with DatasetServer(path, port=0) as server:
        ds = wk.Dataset.open(server.url)
        _check_reads(ds, data)
        box = ds.get_layer("movie").bounding_box.with_bounds("t", 0, 1)
        with pytest.raises((ReadOnlyError, UnsupportedLayerError)):
            ds.get_layer("movie").get_mag(1).write(data[:1], absolute_bounding_box=box)
