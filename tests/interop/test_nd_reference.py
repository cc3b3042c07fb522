"""n-D layers (additional axes) both ways with the reference: an n-D layer written by
``webknossos`` is read by wkfn voxel for voxel, one written by wkfn is read by the
reference and by independent readers (tensorstore, zarr-python)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import wkfn as wk

WRITE_ND = """
ds = wk.Dataset(P["path"], voxel_size=(1, 1, 1))
bb = wk.NDBoundingBox(topleft=(1, 0, 0, 0), size=(3, 32, 32, 16),
                      axes=("t", "x", "y", "z"))
mag = ds.add_layer("nd", "color", dtype_per_channel="uint16",
                   bounding_box=bb, data_format=P["fmt"]).add_mag(1)
data = (np.arange(3 * 32 * 32 * 16) % 65000).astype(np.uint16).reshape(3, 32, 32, 16)
mag.write(data, absolute_bounding_box=bb)
b5 = wk.NDBoundingBox(topleft=(0, 0, 0, 0, 0), size=(16, 8, 2, 3, 8),
                      axes=("x", "y", "t", "a", "z"))
m5 = ds.add_layer("five", "color", bounding_box=b5).add_mag(1)  # zarr3: v2 is 4-D max
m5.write((np.arange(16 * 8 * 2 * 3 * 8) % 251).astype(np.uint8).reshape(16, 8, 2, 3, 8),
         absolute_bounding_box=b5)
plain = ds.add_layer("plain", "color").add_mag(1)
plain.write(np.full((1, 32, 32, 32), 7, np.uint8), absolute_offset=(0, 0, 0),
            allow_resize=True)
print(json.dumps("ok"))
"""

READ_ND = """
ds = wk.Dataset.open(P["path"])
layer = ds.get_layer("nd")
bb = layer.bounding_box
part = layer.get_mag(1).read(absolute_bounding_box=bb.with_bounds("t", 3, 2))
full = layer.get_mag(1).read()
m2 = layer.get_mag(2).read()
print(json.dumps({
    "mag2": hashlib.sha256(np.ascontiguousarray(m2).tobytes()).hexdigest(),
    "mag2_shape": list(m2.shape),
    "axes": list(bb.axes), "topleft": list(bb.topleft), "size": list(bb.size),
    "full": hashlib.sha256(np.ascontiguousarray(full).tobytes()).hexdigest(),
    "shape": list(full.shape), "part_sum": int(part.astype(np.int64).sum()),
    "part_shape": list(part.shape),
}))
"""


def _expected_nd() -> np.ndarray:
    return (
        (np.arange(3 * 32 * 32 * 16) % 65000).astype(np.uint16).reshape(3, 32, 32, 16)
    )


@pytest.mark.parametrize("fmt", ["zarr3", "zarr"])
def test_reference_nd_layers_read_voxel_for_voxel(
    ref: Any, tmp_path: Path, fmt: str
) -> None:
    path = tmp_path / "nd"
    ref(WRITE_ND, path=str(path), fmt=fmt)
    ds = wk.Dataset.open(path)
    layer = ds.get_layer("nd")
    bb = layer.bounding_box
    assert isinstance(bb, wk.NDBoundingBox)
    assert bb == wk.NDBoundingBox((1, 0, 0, 0), (3, 32, 32, 16), ("t", "x", "y", "z"))
    mag = layer.get_mag(1)
    expected = _expected_nd()
    assert np.array_equal(mag.read(), expected)
    # sub-boxes of the extra axis, and the 3-D offset form (t spans the layer)
    assert np.array_equal(
        mag.read(absolute_bounding_box=bb.with_bounds("t", 2, 2)), expected[1:3]
    )
    assert np.array_equal(
        mag.read(absolute_offset=(4, 0, 8), size=(8, 8, 8)),
        expected[:, 4:12, 0:8, 8:16],
    )
    # a box in another axis order returns data in that order
    zyxt = wk.NDBoundingBox((0, 0, 0, 1), (16, 32, 32, 3), ("z", "y", "x", "t"))
    assert np.array_equal(
        mag.read(absolute_bounding_box=zyxt), np.transpose(expected, (3, 2, 1, 0))
    )
    five = ds.get_layer("five")
    b5 = five.bounding_box
    assert b5.axes == ("x", "y", "t", "a", "z")
    d5 = (np.arange(16 * 8 * 2 * 3 * 8) % 251).astype(np.uint8).reshape(16, 8, 2, 3, 8)
    assert np.array_equal(five.get_mag(1).read(), d5)
    assert np.array_equal(
        five.get_mag(1).read(absolute_bounding_box=b5.with_bounds("a", 1, 1)),
        d5[:, :, :, 1:2],
    )
    assert ds.get_layer("plain").get_mag(1).read().max() == 7


@pytest.mark.parametrize("fmt", ["zarr3", "zarr"])
def test_wkfn_nd_layers_are_read_by_the_reference(
    ref: Any, tmp_path: Path, fmt: str
) -> None:
    path = tmp_path / "mine"
    ds = wk.Dataset(path, voxel_size=(1, 1, 1))
    bb = wk.NDBoundingBox((1, 0, 0, 0), (3, 32, 32, 16), ("t", "x", "y", "z"))
    layer = ds.add_layer(
        "nd", "color", dtype_per_channel="uint16", bounding_box=bb, data_format=fmt
    )
    mag = layer.add_mag(1)
    expected = _expected_nd()
    mag.write(expected, absolute_bounding_box=bb)
    layer.downsample(coarsest_mag=wk.Mag(2))
    mine2 = layer.get_mag(2).read()
    got = ref(READ_ND, path=str(path))
    assert got["axes"] == ["t", "x", "y", "z"]
    assert got["topleft"] == [1, 0, 0, 0] and got["size"] == [3, 32, 32, 16]
    assert got["shape"] == [3, 32, 32, 16]
    import hashlib

    assert got["full"] == hashlib.sha256(expected.tobytes()).hexdigest()
    assert got["mag2_shape"] == [3, 16, 16, 8]
    assert (
        got["mag2"] == hashlib.sha256(np.ascontiguousarray(mine2).tobytes()).hexdigest()
    )
    assert got["part_shape"] == [2, 32, 32, 16]
    assert got["part_sum"] == int(expected[2:4].astype(np.int64).sum())

    # independent readers: tensorstore and zarr-python see a (t, x, y, z) array
    import tensorstore as ts

    driver = "zarr3" if fmt == "zarr3" else "zarr"
    store = ts.open(
        {"driver": driver, "kvstore": {"driver": "file", "path": str(path / "nd/1")}}
    ).result()
    arr = np.asarray(store.read().result())
    assert arr.shape[0] == 4  # t extent = upper bound of the t range
    assert np.array_equal(arr[1:4, :32, :32, :16], expected)
    zarr = pytest.importorskip("zarr")
    zarr_arr = zarr.open_array(str(path / "nd/1"), mode="r")
    assert np.array_equal(np.asarray(zarr_arr[1:4, :32, :32, :16]), expected)
    if fmt == "zarr3":
        meta = json.loads((path / "nd/1/zarr.json").read_text())
        assert meta["dimension_names"] == ["t", "x", "y", "z"]
        group = json.loads((path / "nd/zarr.json").read_text())
        axes = group["attributes"]["ome"]["multiscales"][0]["axes"]
        assert [a["name"] for a in axes] == ["t", "x", "y", "z"]
        assert axes[0]["type"] == "time"
