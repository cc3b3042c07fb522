"""n-D layers through the facade: create, write, read, views, chunks, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import wkfn as wk
from wkfn.errors import InvalidAxesError, RankMismatchError, UnsupportedLayerError

AXES = ("t", "x", "y", "z")


def _layer(tmp_path: Path, fmt: str = "zarr3") -> tuple[wk.NDBoundingBox, object]:
    ds = wk.Dataset(tmp_path / "ds", voxel_size=(1, 1, 1))
    bb = wk.NDBoundingBox((2, 0, 0, 0), (3, 64, 64, 32), AXES)
    layer = ds.add_layer(
        "color", "color", dtype_per_channel="uint16", bounding_box=bb, data_format=fmt
    )
    return bb, layer


def _data(bb: wk.NDBoundingBox) -> np.ndarray:
    shape = tuple(bb.size)
    return (np.arange(np.prod(shape)) % 60000).astype(np.uint16).reshape(shape)


@pytest.mark.parametrize("fmt", ["zarr3", "zarr"])
def test_write_read_and_sub_boxes(tmp_path: Path, fmt: str) -> None:
    bb, layer = _layer(tmp_path, fmt)
    mag = layer.add_mag(1)  # type: ignore[attr-defined]
    data = _data(bb)
    mag.write(data, absolute_bounding_box=bb)
    assert layer.bounding_box == bb  # type: ignore[attr-defined]
    assert mag.bounding_box == bb
    assert np.array_equal(mag.read(), data)
    sub = bb.with_bounds("t", 3, 1).with_bounds("x", 8, 16)
    assert np.array_equal(mag.read(absolute_bounding_box=sub), data[1:2, 8:24])
    rel = wk.NDBoundingBox((1, 0, 0, 0), (2, 8, 8, 8), AXES)
    assert np.array_equal(mag.read(relative_bounding_box=rel), data[1:3, :8, :8, :8])
    assert np.array_equal(
        mag.read(absolute_offset=(0, 0, 0), size=(8, 8, 4)), data[:, :8, :8, :4]
    )
    props = json.loads((tmp_path / "ds/datasource-properties.json").read_text())
    entry = props["dataLayers"][0]
    assert entry["additionalAxes"] == [{"name": "t", "bounds": [2, 5], "index": 0}]
    assert entry["mags"][0]["axisOrder"] == {"x": 1, "y": 2, "z": 3}
    assert wk.Dataset.open(tmp_path / "ds").get_layer("color").bounding_box == bb


def test_resize_along_t_and_views_chunk_one_index_at_a_time(tmp_path: Path) -> None:
    bb, layer = _layer(tmp_path)
    mag = layer.add_mag(1)  # type: ignore[attr-defined]
    data = _data(bb)
    mag.write(data, absolute_bounding_box=bb)
    mag.write(
        data[:1], absolute_bounding_box=bb.with_bounds("t", 7, 1), allow_resize=True
    )
    assert layer.bounding_box.get_bounds("t") == (2, 8)  # type: ignore[attr-defined]
    whole = mag.read()
    assert whole.shape == (6, 64, 64, 32)
    assert np.array_equal(whole[5], data[0]) and not whole[3:5].any()
    view = mag.get_view(absolute_bounding_box=bb.with_bounds("t", 3, 2))
    chunks = view.chunk((64, 64, 32))
    assert [c.bounding_box.get_bounds("t") for c in chunks] == [(3, 4), (4, 5)]
    assert np.array_equal(chunks[0].read(), data[1:2])

    seen: list[tuple[int, int]] = []

    def visit(args: tuple[wk.View, int]) -> None:
        seen.append(args[0].bounding_box.get_bounds("t"))

    view.for_each_chunk(visit, chunk_shape=(64, 64, 32))
    assert sorted(seen) == [(3, 4), (4, 5)]


def test_bad_input_is_refused_before_writing(tmp_path: Path) -> None:
    bb, layer = _layer(tmp_path)
    mag = layer.add_mag(1)  # type: ignore[attr-defined]
    data = _data(bb)
    before = sorted(p.name for p in (tmp_path / "ds/color/1").rglob("*"))
    with pytest.raises(RankMismatchError, match="rank 3"):
        mag.write(data[0], absolute_bounding_box=bb.with_bounds("t", 2, 1))
    with pytest.raises(RankMismatchError, match="does not match"):
        mag.write(data[:, :8], absolute_bounding_box=bb)
    with pytest.raises(InvalidAxesError, match=r"t range 2\.\.4"):
        mag.write(data[:1], absolute_bounding_box=bb.with_bounds("t", 9, 1))
    with pytest.raises(InvalidAxesError, match="axes"):
        mag.read(
            absolute_bounding_box=wk.NDBoundingBox(
                (0, 0, 0, 0), (1, 1, 1, 1), ("a", "x", "y", "z")
            )
        )
    assert sorted(p.name for p in (tmp_path / "ds/color/1").rglob("*")) == before
    with pytest.raises(UnsupportedLayerError, match="n-D"):
        mag.get_bounding_boxes_on_disk()
    ds = layer.dataset  # type: ignore[attr-defined]
    with pytest.raises(InvalidAxesError, match="named twice"):
        ds.add_layer("dup", "color", bounding_box=_FakeBox())
    with pytest.raises(UnsupportedLayerError, match="wkw"):
        ds.add_layer("w", "color", bounding_box=bb, data_format="wkw")
    with pytest.raises(UnsupportedLayerError, match="one channel"):
        ds.add_layer("c", "color", bounding_box=bb, num_channels=2)
    assert list(ds.layers) == ["color"]


class _FakeBox(wk.NDBoundingBox):
    """A box whose axes repeat (NDBoundingBox itself refuses to build one)."""

    def __init__(self) -> None:
        super().__init__((0, 0, 0, 0), (1, 1, 1, 1), AXES)
        object.__setattr__(self, "axes", ("t", "x", "y", "z", "t"))


def test_dry_run_describes_n_d_regions(tmp_path: Path) -> None:
    bb, layer = _layer(tmp_path)
    mag = layer.add_mag(1)  # type: ignore[attr-defined]
    ds = layer.dataset  # type: ignore[attr-defined]
    with ds.dry_run() as rec:
        mag.write(_data(bb)[:2], absolute_bounding_box=bb.with_bounds("t", 3, 2))
    text = str(rec.plan)
    assert "t=3, x=0..63, y=0..63, z=0..31" in text
    assert "t=4, x=0..63" in text
    assert not mag.read().any()
    rec.apply()
    assert mag.read()[1:].any()


def test_bounding_box_setter_and_reopen(tmp_path: Path) -> None:
    bb, layer = _layer(tmp_path)
    mag = layer.add_mag(1)  # type: ignore[attr-defined]
    data = _data(bb)
    mag.write(data, absolute_bounding_box=bb)
    smaller = bb.with_bounds("t", 3, 1)
    layer.bounding_box = smaller  # type: ignore[attr-defined]
    reopened = wk.Dataset.open(tmp_path / "ds").get_layer("color")
    assert reopened.bounding_box == smaller
    assert np.array_equal(reopened.get_mag(1).read(), data[1:2])
    # other axis order, same box
    reordered = wk.NDBoundingBox((0, 0, 0, 2), (64, 64, 32, 3), ("x", "y", "z", "t"))
    layer.bounding_box = reordered  # type: ignore[attr-defined]
    assert layer.bounding_box == bb  # type: ignore[attr-defined]
    with pytest.raises(InvalidAxesError, match="axes"):
        layer.bounding_box = wk.BoundingBox((0, 0, 0), (8, 8, 8))  # type: ignore[attr-defined]
