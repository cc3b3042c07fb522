"""Copying and recompressing n-D layers: copy_dataset (file copy and format
change), add_layer_as_copy, compress; the extra axes and voxels survive."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import wkfn as wk
from wkfn.errors import UnsupportedLayerError

BB = wk.NDBoundingBox((2, 0, 0, 0), (3, 64, 32, 32), ("t", "x", "y", "z"))


def _source(tmp_path: Path, compress: bool = True) -> tuple[wk.Dataset, np.ndarray]:
    ds = wk.Dataset(tmp_path / "src", voxel_size=(1, 1, 1))
    layer = ds.add_layer("nd", "color", dtype_per_channel="uint16", bounding_box=BB)
    data = np.random.default_rng(5).integers(0, 900, tuple(BB.size)).astype(np.uint16)
    layer.add_mag(1, compress=compress).write(data, absolute_bounding_box=BB)
    layer.downsample(coarsest_mag=wk.Mag(2))
    return ds, data


@pytest.mark.parametrize("fmt", [None, "zarr"])
def test_copy_dataset_keeps_extra_axes(tmp_path: Path, fmt: str | None) -> None:
    ds, data = _source(tmp_path)
    kwargs = {} if fmt is None else {"data_format": fmt}
    copy = ds.copy_dataset(tmp_path / "copy", **kwargs)
    layer = copy.get_layer("nd")
    assert layer.bounding_box == BB
    assert layer.data_format == (fmt or "zarr3")
    assert np.array_equal(layer.get_mag(1).read(), data)
    assert np.array_equal(layer.get_mag(2).read(), ds.get_layer("nd").get_mag(2).read())
    props = json.loads((tmp_path / "copy/datasource-properties.json").read_text())
    assert props["dataLayers"][0]["additionalAxes"][0]["bounds"] == [2, 5]
    with pytest.raises(UnsupportedLayerError, match="wkw"):
        ds.copy_dataset(tmp_path / "wkw", data_format="wkw")


def test_add_layer_as_copy_and_compress(tmp_path: Path) -> None:
    ds, data = _source(tmp_path, compress=False)
    other = wk.Dataset(tmp_path / "other", voxel_size=(1, 1, 1))
    copied = other.add_layer_as_copy(ds.get_layer("nd"), "copied")
    assert copied.bounding_box == BB
    assert np.array_equal(copied.get_mag(1).read(), data)
    mag = ds.get_layer("nd").get_mag(1)
    assert not mag.info.compression_mode
    ds.compress()
    mag = wk.Dataset.open(tmp_path / "src").get_layer("nd").get_mag(1)
    assert mag.info.compression_mode
    assert np.array_equal(mag.read(), data)
