"""Layer extras: normalized bbox, coordinate transformations, largest segment id,
adopting zarr arrays as mags and the deprecated mag adders (real files on disk)."""

from __future__ import annotations

import json
import multiprocessing
import os
import warnings
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import wkfn as wk
from wkfn.api import layer_extras
from wkfn.api.chunked import ChunkShapeError
from wkfn.api.layer_extras import (
    AffineCoordinateTransformation,
    ThinPlateSplineCoordinateTransformation,
)
from wkfn.api.view import View
from wkfn.errors import (
    DtypeMismatchError,
    InvalidArgumentError,
    MagExistsError,
    ReadOnlyError,
)
from wkfn.geometry import NDBoundingBox

BOX = wk.BoundingBox((0, 0, 0), (64, 64, 64))


def _props(ds_path: Path) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(
        (ds_path / "datasource-properties.json").read_text()
    )
    return out


def _as_seg(layer: wk.Layer) -> wk.SegmentationLayer:
    assert isinstance(layer, wk.SegmentationLayer)
    return layer


def _largest(layer: wk.SegmentationLayer) -> int | None:
    """The current value (a call, so that type checkers do not narrow it)."""
    return layer.largest_segment_id


def _seg(tmp_path: Path, dtype: str = "uint32", **kwargs: Any) -> wk.SegmentationLayer:
    ds = wk.Dataset(tmp_path / "ds", voxel_size=(1, 1, 1))
    layer = ds.add_layer(
        "seg", "segmentation", dtype=dtype, largest_segment_id=7, **kwargs
    )
    assert isinstance(layer, wk.SegmentationLayer)
    return layer


# ----------------------------------------------------------------- normalized bbox


def test_normalized_bounding_box_has_leading_channel_axis(tmp_path: Path) -> None:
    ds = wk.Dataset(tmp_path / "ds", voxel_size=(1, 1, 1))
    layer = ds.add_layer(
        "c",
        "color",
        num_channels=3,
        bounding_box=wk.BoundingBox((1, 2, 3), (10, 20, 30)),
    )
    box = layer.normalized_bounding_box
    assert isinstance(box, NDBoundingBox)
    assert box == NDBoundingBox((0, 1, 2, 3), (3, 10, 20, 30), ("c", "x", "y", "z"))
    assert box.axes == ("c", "x", "y", "z")
    assert tuple(box.index) == (0, 1, 2, 3)
    empty = ds.add_layer("s", "segmentation", dtype="uint32", largest_segment_id=0)
    assert empty.normalized_bounding_box == NDBoundingBox(
        (0, 0, 0, 0), (1, 0, 0, 0), ("c", "x", "y", "z")
    )


def test_normalized_bounding_box_of_nd_layer(tmp_path: Path) -> None:
    root = tmp_path / "nd"
    root.mkdir()
    props = {
        "id": {"name": "nd", "team": ""},
        "scale": {"factor": [1, 1, 1], "unit": "nanometer"},
        "dataLayers": [
            {
                "name": "c",
                "category": "color",
                "dataFormat": "zarr3",
                "elementClass": "uint8",
                "numChannels": 1,
                "boundingBox": {
                    "topLeft": [1, 2, 3],
                    "width": 10,
                    "height": 20,
                    "depth": 30,
                    "axisOrder": {"c": 0, "x": 2, "y": 3, "z": 4},
                },
                "mags": [],
                "additionalAxes": [{"name": "t", "bounds": [0, 5], "index": 1}],
            }
        ],
    }
    (root / "datasource-properties.json").write_text(json.dumps(props))
    box = wk.Dataset.open(root).get_layer("c").normalized_bounding_box
    assert box.axes == ("c", "t", "x", "y", "z")
    assert tuple(box.topleft) == (0, 0, 1, 2, 3)
    assert tuple(box.size) == (1, 5, 10, 20, 30)
    assert tuple(box.index) == (0, 1, 2, 3, 4)


# ----------------------------------------------------------------- transformations


def test_coordinate_transformations_round_trip(tmp_path: Path) -> None:
    ds = wk.Dataset(tmp_path / "ds", voxel_size=(1, 1, 1))
    layer = ds.add_layer("c", "color")
    assert layer.coordinate_transformations == ()
    affine = AffineCoordinateTransformation.identity().translate((5, 0, 0))
    tps = ThinPlateSplineCoordinateTransformation(
        [[0, 0, 0], [1, 1, 1]], [[1, 1, 1], [2, 2, 2]]
    )
    layer.coordinate_transformations = [affine, tps]
    written = _props(tmp_path / "ds")["dataLayers"][0]["coordinateTransformations"]
    assert written[0] == {
        "type": "affine",
        "matrix": [
            [1.0, 0.0, 0.0, 5.0],
            [0.0, 1.0, 0.0, 0.0],
            [0.0, 0.0, 1.0, 0.0],
            [0.0, 0.0, 0.0, 1.0],
        ],
    }
    assert written[1]["type"] == "thin_plate_spline"
    assert written[1]["correspondences"]["target"] == [[1, 1, 1], [2, 2, 2]]
    reopened = wk.Dataset.open(tmp_path / "ds").get_layer("c")
    got = reopened.coordinate_transformations
    assert isinstance(got, tuple)
    assert got == (affine, tps)
    assert isinstance(got[0], AffineCoordinateTransformation)
    assert isinstance(got[1], ThinPlateSplineCoordinateTransformation)
    assert not got[0].matrix.flags.writeable
    assert got[1].pairs[1][1].tolist() == [2, 2, 2]
    layer.coordinate_transformations = None
    assert layer.coordinate_transformations == ()
    assert "coordinateTransformations" not in _props(tmp_path / "ds")["dataLayers"][0]


def test_coordinate_transformation_values_are_checked(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="shape"):
        AffineCoordinateTransformation(np.eye(3))
    with pytest.raises(ValueError, match="same length"):
        ThinPlateSplineCoordinateTransformation([[0, 0, 0]], [[1, 1, 1], [2, 2, 2]])
    affine = AffineCoordinateTransformation.from_scale((1, 2, 3))
    with pytest.raises(AttributeError):
        affine.matrix = np.eye(4)
    moved = AffineCoordinateTransformation.from_translation((1, 2, 3)).scale((2, 2, 2))
    np.testing.assert_array_equal(moved.matrix[:3, 3], [2, 4, 6])
    ds = wk.Dataset(tmp_path / "ds", voxel_size=(1, 1, 1))
    layer = ds.add_layer("c", "color")
    with pytest.raises(TypeError):
        layer.coordinate_transformations = [{"type": "affine"}]  # type: ignore[list-item]
    ro = wk.Dataset.open(tmp_path / "ds", read_only=True).get_layer("c")
    with pytest.raises(RuntimeError):
        ro.coordinate_transformations = [affine]
    assert (
        wk.Dataset.open(tmp_path / "ds").get_layer("c").coordinate_transformations == ()
    )


# ----------------------------------------------------------------- largest segment id


def _write_seg(layer: wk.SegmentationLayer, data: np.ndarray) -> None:
    layer.bounding_box = wk.BoundingBox((0, 0, 0), data.shape[-3:])
    layer.add_mag(1).write(data, absolute_offset=(0, 0, 0))


def test_refresh_largest_segment_id(tmp_path: Path) -> None:
    layer = _seg(tmp_path)
    data = np.zeros((64, 64, 64), "uint32")
    data[5, 6, 7] = 12345
    data[40, 50, 60] = 99
    _write_seg(layer, data)
    layer.add_mag(2)  # empty coarser mag: only the finest one counts
    layer.refresh_largest_segment_id()
    assert layer.largest_segment_id == 12345
    assert _props(tmp_path / "ds")["dataLayers"][0]["largestSegmentId"] == 12345
    reopened = _as_seg(wk.Dataset.open(tmp_path / "ds").get_layer("seg"))
    assert reopened.largest_segment_id == 12345


def test_refresh_largest_segment_id_edge_values(tmp_path: Path) -> None:
    ds = wk.Dataset(tmp_path / "ds", voxel_size=(1, 1, 1))
    zeros = _as_seg(
        ds.add_layer("z", "segmentation", dtype="uint16", largest_segment_id=7)
    )
    _write_seg(zeros, np.zeros((8, 8, 8), "uint16"))
    zeros.refresh_largest_segment_id()
    assert zeros.largest_segment_id == 0  # as the reference: 0, not None
    negative = _as_seg(
        ds.add_layer("n", "segmentation", dtype="int16", largest_segment_id=7)
    )
    _write_seg(negative, np.full((8, 8, 8), -3, "int16"))
    negative.refresh_largest_segment_id()
    assert negative.largest_segment_id == 0
    big = _as_seg(
        ds.add_layer("u", "segmentation", dtype="uint64", largest_segment_id=0)
    )
    _write_seg(big, np.full((8, 8, 8), 2**64 - 1, "uint64"))
    big.refresh_largest_segment_id()
    assert big.largest_segment_id == 2**64 - 1
    two = _as_seg(
        ds.add_layer(
            "m", "segmentation", dtype="uint8", num_channels=2, largest_segment_id=0
        )
    )
    pair = np.zeros((2, 8, 8, 8), "uint8")
    pair[1, 1, 1, 1] = 200
    _write_seg(two, pair)
    two.refresh_largest_segment_id()
    assert two.largest_segment_id == 200


def test_refresh_largest_segment_id_without_data_is_none(tmp_path: Path) -> None:
    layer = _seg(tmp_path, bounding_box=BOX)
    layer.refresh_largest_segment_id()  # no mags
    assert layer.largest_segment_id is None
    layer.largest_segment_id = 7
    layer.bounding_box = wk.BoundingBox((0, 0, 0), (0, 0, 0))
    layer.add_mag(1)
    layer.refresh_largest_segment_id()  # empty bounding box
    assert _largest(layer) is None
    assert "largestSegmentId" not in _props(tmp_path / "ds")["dataLayers"][0]


def test_refresh_largest_segment_id_errors(tmp_path: Path) -> None:
    layer = _seg(tmp_path)
    data = np.zeros((64, 64, 64), "uint32")
    data[1, 2, 3] = 5
    _write_seg(layer, data)
    with pytest.raises(ChunkShapeError):
        layer.refresh_largest_segment_id(chunk_shape=(16, 16, 16))
    ro = _as_seg(wk.Dataset.open(tmp_path / "ds", read_only=True).get_layer("seg"))
    with pytest.raises(ReadOnlyError):
        ro.refresh_largest_segment_id()
    assert issubclass(ReadOnlyError, RuntimeError)
    assert layer.largest_segment_id == 7


def test_refresh_largest_segment_id_reads_bounded_slabs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    layer = _seg(tmp_path)
    data = np.zeros((64, 64, 64), "uint32")
    data[63, 63, 63] = 4242
    _write_seg(layer, data)
    read_sizes: list[int] = []
    original = View.read

    def spy(self: View, *args: Any, **kwargs: Any) -> np.ndarray:
        out = original(self, *args, **kwargs)
        read_sizes.append(out.nbytes)
        return out

    monkeypatch.setattr(View, "read", spy)
    monkeypatch.setattr(layer_extras, "SLAB_BYTES", 64 * 64 * 4 * 8)
    layer.refresh_largest_segment_id()
    assert layer.largest_segment_id == 4242
    assert len(read_sizes) == 8
    assert max(read_sizes) <= 64 * 64 * 4 * 8 < data.nbytes


def test_refresh_largest_segment_id_in_spawned_processes(tmp_path: Path) -> None:
    layer = _seg(tmp_path, data_format="zarr3")
    layer.bounding_box = wk.BoundingBox((0, 0, 0), (64, 64, 64))
    mag = layer.add_mag(1, chunk_shape=8, shard_shape=32)
    data = np.zeros((64, 64, 64), "uint32")
    data[50, 3, 40] = 777
    data[2, 2, 2] = 5
    mag.write(data, absolute_offset=(0, 0, 0))
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(2, mp_context=ctx) as pool:
        layer.refresh_largest_segment_id(chunk_shape=(32, 32, 32), executor=pool)
    assert layer.largest_segment_id == 777


# ----------------------------------------------------------------- zarr arrays


def _tensorstore_zarr3(path: Path, data: np.ndarray) -> None:
    import tensorstore as ts

    store = ts.open(
        {
            "driver": "zarr3",
            "kvstore": {"driver": "file", "path": str(path)},
            "metadata": {
                "shape": list(data.shape),
                "data_type": str(data.dtype),
                "chunk_grid": {
                    "name": "regular",
                    "configuration": {"chunk_shape": [1, 16, 16, 16]},
                },
            },
            "create": True,
        }
    ).result()
    store.write(data).result()


def _zarr_python_v2(path: Path, data: np.ndarray) -> None:
    import zarr

    arr = zarr.open_array(
        str(path),
        mode="w",
        shape=data.shape,
        dtype=data.dtype,
        chunks=(1, 16, 16, 16),
        zarr_format=2,
    )
    arr[...] = data


def _volume(channels: int = 1, dtype: str = "uint8") -> np.ndarray:
    rng = np.random.default_rng(3)
    return rng.integers(1, 200, size=(channels, 40, 24, 16)).astype(dtype)


def test_add_mag_from_tensorstore_zarr3_array(tmp_path: Path) -> None:
    source = tmp_path / "array"
    data = _volume()
    _tensorstore_zarr3(source, data)
    ds = wk.Dataset(tmp_path / "ds", voxel_size=(1, 1, 1))
    layer = ds.add_layer("c", "color", data_format="zarr3")
    view = layer.add_mag_from_zarrarray(2, source)
    assert view.mag == wk.Mag(2)
    assert layer.bounding_box == wk.BoundingBox((0, 0, 0), (80, 48, 32))
    np.testing.assert_array_equal(view.read(), data)
    assert (tmp_path / "ds" / "c" / "2" / "zarr.json").exists()
    assert source.exists()  # copied, not moved
    mags = _props(tmp_path / "ds")["dataLayers"][0]["mags"]
    assert [(m["mag"], m["path"]) for m in mags] == [([2, 2, 2], "./c/2")]
    reopened = wk.Dataset.open(tmp_path / "ds").get_layer("c")
    np.testing.assert_array_equal(reopened.get_mag(2).read(), data)


def test_add_mag_from_zarr_python_v2_array_moved(tmp_path: Path) -> None:
    source = tmp_path / "array.zarr"
    data = _volume(channels=2, dtype="uint16")
    _zarr_python_v2(source, data)
    ds = wk.Dataset(tmp_path / "ds", voxel_size=(1, 1, 1))
    layer = ds.add_layer(
        "c",
        "color",
        data_format="zarr",
        num_channels=2,
        dtype="uint16",
        bounding_box=wk.BoundingBox((0, 0, 0), (8, 8, 8)),
    )
    view = layer.add_mag_from_zarrarray(1, source, move=True)
    assert not source.exists()
    assert layer.bounding_box == wk.BoundingBox((0, 0, 0), (40, 24, 16))
    np.testing.assert_array_equal(view.read(), data)


def test_add_mag_from_zarrarray_without_extending(tmp_path: Path) -> None:
    source = tmp_path / "array"
    data = _volume()
    _tensorstore_zarr3(source, data)
    ds = wk.Dataset(tmp_path / "ds", voxel_size=(1, 1, 1))
    small = wk.BoundingBox((0, 0, 0), (16, 16, 16))
    layer = ds.add_layer("c", "color", bounding_box=small)
    view = layer.add_mag_from_zarrarray(1, source, extend_layer_bounding_box=False)
    assert layer.bounding_box == small
    np.testing.assert_array_equal(view.read(), data[:, :16, :16, :16])


def _untouched(ds_path: Path, before: str, source: Path) -> None:
    assert (ds_path / "datasource-properties.json").read_text() == before
    assert sorted(os.listdir(ds_path / "c")) in ([], ["zarr.json"], ["1", "zarr.json"])
    assert source.exists()


@pytest.mark.parametrize(
    ("layer_kwargs", "error"),
    [
        ({"dtype": "uint16"}, DtypeMismatchError),
        ({"num_channels": 3}, DtypeMismatchError),
        ({"data_format": "zarr"}, InvalidArgumentError),  # v3 array, v2 layer
        ({"data_format": "wkw"}, InvalidArgumentError),
    ],
)
def test_add_mag_from_zarrarray_refuses_before_writing(
    tmp_path: Path, layer_kwargs: dict[str, Any], error: type[Exception]
) -> None:
    source = tmp_path / "array"
    _tensorstore_zarr3(source, _volume())
    ds = wk.Dataset(tmp_path / "ds", voxel_size=(1, 1, 1))
    layer = ds.add_layer("c", "color", **layer_kwargs)
    (tmp_path / "ds" / "c").mkdir(exist_ok=True)
    before = (tmp_path / "ds" / "datasource-properties.json").read_text()
    with pytest.raises(error):
        layer.add_mag_from_zarrarray(4, source, move=True)
    assert issubclass(error, ValueError)
    _untouched(tmp_path / "ds", before, source)
    assert not (tmp_path / "ds" / "c" / "4").exists()
    assert layer.mags == {}


def test_add_mag_from_zarrarray_other_errors(tmp_path: Path) -> None:
    source = tmp_path / "array"
    _tensorstore_zarr3(source, _volume())
    v2 = tmp_path / "v2"
    _zarr_python_v2(v2, _volume())
    ds = wk.Dataset(tmp_path / "ds", voxel_size=(1, 1, 1))
    layer = ds.add_layer("c", "color", data_format="zarr3")
    layer.add_mag(1)
    before = (tmp_path / "ds" / "datasource-properties.json").read_text()
    with pytest.raises(IndexError):
        layer.add_mag_from_zarrarray(1, source)
    with pytest.raises(InvalidArgumentError, match="zarr"):
        layer.add_mag_from_zarrarray(2, v2)  # zarr v2 array into a zarr3 layer
    with pytest.raises(ValueError, match="valid Zarr Array"):
        layer.add_mag_from_zarrarray(2, tmp_path / "missing")
    (tmp_path / "ds" / "c" / "8").mkdir()  # unregistered directory in the way
    with pytest.raises(MagExistsError):
        layer.add_mag_from_zarrarray(8, source)
    ro = wk.Dataset.open(tmp_path / "ds", read_only=True).get_layer("c")
    with pytest.raises(ReadOnlyError):
        ro.add_mag_from_zarrarray(2, source)
    assert (tmp_path / "ds" / "datasource-properties.json").read_text() == before
    assert sorted(os.listdir(tmp_path / "ds" / "c")) == ["1", "8", "zarr.json"]


# ----------------------------------------------------------------- deprecated adders


def _source_dataset(tmp_path: Path) -> wk.Layer:
    src = wk.Dataset(tmp_path / "src", voxel_size=(1, 1, 1))
    layer = src.add_layer(
        "c", "color", bounding_box=wk.BoundingBox((0, 0, 0), (32,) * 3)
    )
    layer.add_mag(1).write(np.full((32, 32, 32), 7, "uint8"), absolute_offset=(0, 0, 0))
    for m in (2, 4, 8):
        layer.add_mag(m).write(
            np.full((32 // m,) * 3, m, "uint8"), absolute_offset=(0, 0, 0)
        )
    return layer


def _warned(call: Callable[[], Any], *needles: str) -> Any:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = call()
    messages = [str(w.message) for w in caught if w.category is DeprecationWarning]
    assert messages, "no DeprecationWarning"
    assert all(n in messages[0] for n in needles), messages
    return result


def test_deprecated_mag_adders(tmp_path: Path) -> None:
    src = _source_dataset(tmp_path)
    ds = wk.Dataset(tmp_path / "ds", voxel_size=(1, 1, 1))
    layer = ds.add_layer("c", "color")
    copied = _warned(
        lambda: layer.add_copy_mag(tmp_path / "src" / "c" / "1"), "add_mag_as_copy"
    )
    linked = _warned(
        lambda: layer.add_symlink_mag(src.get_mag(2), make_relative=True),
        "add_mag_as_ref",
    )
    remote = _warned(lambda: layer.add_remote_mag(src.get_mag(4)), "add_mag_as_ref")
    fs_copied = _warned(
        lambda: layer.add_fs_copy_mag(src.get_mag(8)), "add_mag_as_copy"
    )
    for view, value in ((copied, 7), (linked, 2), (remote, 4), (fs_copied, 8)):
        assert int(view.read().max()) == value
    assert layer.bounding_box == wk.BoundingBox((0, 0, 0), (32, 32, 32))
    link = tmp_path / "ds" / "c" / "2"
    assert link.is_symlink()
    assert os.readlink(link) == os.path.join("..", "..", "src", "c", "2")
    assert (tmp_path / "ds" / "c" / "1").is_dir()
    assert not (tmp_path / "ds" / "c" / "1").is_symlink()
    assert not (tmp_path / "ds" / "c" / "4").exists()
    paths = {
        tuple(m["mag"]): m["path"]
        for m in _props(tmp_path / "ds")["dataLayers"][0]["mags"]
    }
    assert paths == {
        (1, 1, 1): "./c/1",
        (2, 2, 2): os.path.join("..", "src", "c", "2"),
        (4, 4, 4): os.path.realpath(tmp_path / "src" / "c" / "4"),
        (8, 8, 8): "./c/8",
    }
    reopened = wk.Dataset.open(tmp_path / "ds").get_layer("c")
    assert int(reopened.get_mag(2).read().max()) == 2
    with pytest.raises(IndexError):
        _warned(lambda: layer.add_symlink_mag(src.get_mag(2)), "add_mag_as_ref")


# ----------------------------------------------------------------- reference


def test_reference_reads_what_the_extras_wrote(
    tmp_path: Path, ref: Callable[..., Any]
) -> None:
    source = tmp_path / "array"
    data = _volume(dtype="uint32")
    _tensorstore_zarr3(source, data)
    ds = wk.Dataset(tmp_path / "ds", voxel_size=(1, 1, 1))
    layer = ds.add_layer("seg", "segmentation", dtype="uint32", largest_segment_id=0)
    assert isinstance(layer, wk.SegmentationLayer)
    layer.add_mag_from_zarrarray(1, source)
    layer.refresh_largest_segment_id()
    layer.coordinate_transformations = [
        AffineCoordinateTransformation.from_translation((1, 2, 3))
    ]
    got = ref(
        """
        layer = wk.Dataset.open(P["path"]).get_layer("seg")
        before = layer.largest_segment_id
        layer.refresh_largest_segment_id()
        nb = layer.normalized_bounding_box
        print(json.dumps({
            "largest": [before, layer.largest_segment_id],
            "sum": int(layer.get_mag(1).read().sum()),
            "nbox": [list(nb.axes), list(nb.topleft), list(nb.size)],
            "matrix": layer.coordinate_transformations[0].matrix.tolist(),
        }))
        """,
        path=str(tmp_path / "ds"),
    )
    mine = layer.normalized_bounding_box
    assert got["largest"] == [int(data.max())] * 2
    assert got["sum"] == int(data.sum())
    assert got["nbox"] == [list(mine.axes), list(mine.topleft), list(mine.size)]
    assert got["matrix"] == layer.coordinate_transformations[0]._to_dict()["matrix"]
