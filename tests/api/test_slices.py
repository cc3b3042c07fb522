"""Buffered slice writer and reader (``View.get_buffered_slice_writer/reader``)."""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import wkfn as wk
from wkfn.api.slices import SliceAlignmentError
from wkfn.errors import InvalidArgumentError, ReadOnlyError


def make_mag(
    tmp_path: Path,
    data_format: str = "zarr3",
    *,
    size: tuple[int, int, int] = (100, 100, 100),
    num_channels: int = 1,
    dtype: str = "uint8",
    chunk: int = 32,
    shard: int = 64,
    mag: int = 1,
) -> wk.MagView:
    """A layer with a preset bounding box and one empty mag."""
    ds = wk.Dataset(tmp_path / "ds", voxel_size=(1, 1, 1))
    layer = ds.add_layer(
        "color",
        "color",
        data_format=data_format,
        num_channels=num_channels,
        dtype_per_channel=dtype,
    )
    if data_format == "zarr":
        shard = chunk
    view = layer.add_mag(mag, chunk_shape=chunk, shard_shape=shard)
    layer.bounding_box = wk.BoundingBox((0, 0, 0), size)
    return view


def slice_value(i: int, shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    """A slice whose voxels differ per slice, position and channel."""
    grid = np.indices(shape).astype(np.uint64)
    weights = np.array([101, 7, 3][-len(shape) :], dtype=np.uint64)
    flat = (grid * weights.reshape((-1,) + (1,) * len(shape))).sum(axis=0)
    out: np.ndarray = ((flat + 13 * i + seed) % 250 + 1).astype(np.uint8)
    return out


class WriteSpy:
    """Wraps ``view.write`` and records the data shape and offset of every call."""

    def __init__(self, view: wk.View) -> None:
        self.calls: list[tuple[tuple[int, ...], tuple[int, int, int]]] = []
        self._write = view.write
        view.write = self  # type: ignore[method-assign]

    def __call__(self, data: np.ndarray, **kwargs: Any) -> None:
        self.calls.append((tuple(data.shape), tuple(kwargs["absolute_offset"])))
        self._write(data, **kwargs)


# --------------------------------------------------------------------- writer


def test_writer_along_z_writes_each_full_buffer_once(
    tmp_path: Path, data_format: str
) -> None:
    # the last buffer is clipped by the layer box, so every write is shard-aligned
    mag = make_mag(tmp_path, data_format, size=(100, 80, 70))
    depth = mag.info.shard_shape.z
    spy = WriteSpy(mag)
    sent = [slice_value(i, (100, 80)) for i in range(70)]
    with mag.get_buffered_slice_writer() as writer:
        for s in sent:
            writer.send(s)
        full = [(0, 0, z) for z in range(0, 64, depth)]
        assert [c[1] for c in spy.calls] == full
    assert spy.calls == [((1, 100, 80, depth), o) for o in full] + [
        ((1, 100, 80, 6), (0, 0, 64))
    ]
    got = wk.Dataset.open(tmp_path / "ds").get_layer("color").get_mag(1).read()
    np.testing.assert_array_equal(got[0], np.stack(sent, axis=-1))


@pytest.mark.parametrize(
    ("dimension", "other"), [("x", ("y", "z")), ("y", ("x", "z")), ("z", ("x", "y"))]
)
def test_writer_slice_axes(
    tmp_path: Path, dimension: str, other: tuple[str, str]
) -> None:
    size = {"x": 40, "y": 50, "z": 60}
    mag = make_mag(tmp_path, size=(40, 50, 60))
    shape = (size[other[0]], size[other[1]])
    sent = [slice_value(i, shape) for i in range(size[dimension])]
    with mag.get_buffered_slice_writer(
        buffer_size=32, dimension=dimension, allow_unaligned=True
    ) as writer:
        for s in sent:
            writer.send(s)
    axis = "xyz".index(dimension)
    expected = np.stack(sent, axis=axis)
    np.testing.assert_array_equal(mag.read()[0], expected)


def test_writer_multichannel_and_channel_errors(tmp_path: Path) -> None:
    mag = make_mag(tmp_path, size=(64, 64, 40), num_channels=3)
    sent = [slice_value(i, (3, 64, 64)) for i in range(40)]
    with mag.get_buffered_slice_writer() as writer:
        with pytest.raises(InvalidArgumentError, match="channel"):
            writer.send(np.zeros((64, 64), np.uint8))
        with pytest.raises(InvalidArgumentError, match="channel"):
            writer.send(np.zeros((2, 64, 64), np.uint8))
        with pytest.raises(InvalidArgumentError, match="2D"):
            writer.send(np.zeros((1, 3, 64, 64), np.uint8))
        for s in sent:
            writer.send(s)
    got = mag.read()
    assert got.shape == (3, 64, 64, 40)
    np.testing.assert_array_equal(got, np.stack(sent, axis=-1))


def test_writer_accepts_cxy_slices_for_single_channel(tmp_path: Path) -> None:
    mag = make_mag(tmp_path, size=(64, 64, 64))
    with mag.get_buffered_slice_writer() as writer:
        for i in range(64):
            writer.send(slice_value(i, (1, 64, 64)))
    np.testing.assert_array_equal(
        mag.read()[0], np.stack([slice_value(i, (64, 64)) for i in range(64)], -1)
    )


def test_writer_pads_slices_of_differing_size(tmp_path: Path) -> None:
    mag = make_mag(tmp_path, size=(64, 64, 64))
    shapes = [(64, 64), (10, 64), (64, 5), (1, 1), (30, 40)]
    sent = [slice_value(i, s) for i, s in enumerate(shapes)]
    with mag.get_buffered_slice_writer(allow_unaligned=True) as writer:
        for s in sent:
            writer.send(s)
    got = mag.read()[0]
    for z, s in enumerate(sent):
        plane = got[:, :, z]
        np.testing.assert_array_equal(plane[: s.shape[0], : s.shape[1]], s)
        assert not plane[s.shape[0] :, :].any() and not plane[:, s.shape[1] :].any()


def test_default_buffer_is_the_shard_extent(tmp_path: Path) -> None:
    ds = wk.Dataset(tmp_path / "ds", voxel_size=(1, 1, 1))
    layer = ds.add_layer("color", "color", data_format="zarr3")
    mag = layer.add_mag(1, chunk_shape=(32, 32, 16), shard_shape=(64, 64, 32))
    layer.bounding_box = wk.BoundingBox((0, 0, 0), (64, 64, 96))
    assert mag.get_buffered_slice_writer().buffer_size == 32
    assert mag.get_buffered_slice_writer(dimension="x").buffer_size == 64
    spy = WriteSpy(mag)
    with mag.get_buffered_slice_writer() as writer:
        for i in range(96):
            writer.send(slice_value(i, (64, 64)))
    assert [c[0][3] for c in spy.calls] == [32, 32, 32]
    with mag.get_buffered_slice_reader() as reader:
        slices = list(reader)
    assert len(slices) == 96
    np.testing.assert_array_equal(slices[50][0], slice_value(50, (64, 64)))


def test_alignment_errors_and_allow_unaligned(tmp_path: Path) -> None:
    mag = make_mag(tmp_path)  # chunk 32, shard 64
    with pytest.raises(SliceAlignmentError, match="offset"):
        mag.get_buffered_slice_writer(absolute_offset=(0, 0, 5))
    with pytest.raises(ValueError, match="buffer size 48"):
        mag.get_buffered_slice_writer(buffer_size=48)
    with pytest.raises(SliceAlignmentError):
        mag.get_buffered_slice_writer(dimension="x", relative_offset=(16, 0, 0))
    # unaligned offsets in the other axes, aligned ones and small buffers are fine
    for kwargs in (
        {"absolute_offset": (3, 0, 0)},
        {"absolute_offset": (0, 0, 32)},
        {"buffer_size": 16},
        {"buffer_size": 96},
    ):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            mag.get_buffered_slice_writer(**kwargs)
    with pytest.warns(UserWarning, match="offset 5") as rec:
        writer = mag.get_buffered_slice_writer(
            absolute_offset=(0, 0, 5), allow_unaligned=True
        )
    assert rec[0].filename == __file__
    with writer:
        for i in range(3):
            writer.send(slice_value(i, (100, 100)))
    got = mag.read(absolute_offset=(0, 0, 0), size=(100, 100, 10))[0]
    assert not got[:, :, :5].any() and not got[:, :, 8:].any()
    np.testing.assert_array_equal(got[:, :, 6], slice_value(1, (100, 100)))


def test_partial_shards_need_allow_unaligned(tmp_path: Path) -> None:
    mag = make_mag(tmp_path)
    writer = mag.get_buffered_slice_writer()
    with pytest.raises(ValueError, match="aligned"), writer:
        writer.send(np.ones((40, 30), np.uint8))
    assert not mag.read().any()


def test_magview_writer_does_not_grow_the_bounding_box(tmp_path: Path) -> None:
    mag = make_mag(tmp_path, size=(64, 64, 64))
    writer = mag.get_buffered_slice_writer(allow_unaligned=True)
    with pytest.raises(ValueError, match="does not fit"), writer:
        writer.send(np.ones((64, 65), np.uint8))
    assert mag.layer.bounding_box == wk.BoundingBox((0, 0, 0), (64, 64, 64))


def test_exception_in_block_flushes_sent_slices(tmp_path: Path) -> None:
    mag = make_mag(tmp_path, size=(64, 64, 64))
    writer = mag.get_buffered_slice_writer(allow_unaligned=True)
    with pytest.raises(KeyError), writer:
        for i in range(5):
            writer.send(slice_value(i, (64, 64)))
        raise KeyError("boom")
    got = mag.read()[0]
    for z in range(5):
        np.testing.assert_array_equal(got[:, :, z], slice_value(z, (64, 64)))
    assert not got[:, :, 5:].any()


def test_multiple_shards_and_reset_offset(tmp_path: Path) -> None:
    mag = make_mag(tmp_path, size=(128, 128, 192), chunk=16, shard=32)
    spy = WriteSpy(mag)
    first = [slice_value(i, (128, 128)) for i in range(40)]
    second = [slice_value(i, (128, 128), seed=100) for i in range(20)]
    writer = mag.get_buffered_slice_writer(buffer_size=32, allow_unaligned=True)
    with writer:
        for s in first:
            writer.send(s)
        writer.reset_offset(absolute_offset=(0, 0, 128))
        assert spy.calls[-1] == ((1, 128, 128, 8), (0, 0, 32))
        for s in second:
            writer.send(s)
        with pytest.warns(UserWarning, match="offset 8") as rec:
            writer.reset_offset(relative_offset=(0, 0, 8))
        assert rec[0].filename == __file__
    assert spy.calls[-1] == ((1, 128, 128, 20), (0, 0, 128))
    assert len(spy.calls) == 3
    got = mag.read()[0]
    np.testing.assert_array_equal(got[:, :, :40], np.stack(first, -1))
    np.testing.assert_array_equal(got[:, :, 128:148], np.stack(second, -1))
    assert not got[:, :, 40:128].any() and not got[:, :, 148:].any()
    assert len(mag.get_bounding_boxes_on_disk()) == 4 * 4 * 3


def test_writer_on_sub_view_and_coarser_mag(tmp_path: Path) -> None:
    ds = wk.Dataset(tmp_path / "ds", voxel_size=(1, 1, 1))
    layer = ds.add_layer("color", "color", data_format="zarr3")
    mag2 = layer.add_mag(2, chunk_shape=16, shard_shape=32)
    layer.bounding_box = wk.BoundingBox((0, 0, 0), (128, 128, 128))
    view = mag2.get_view(absolute_offset=(64, 64, 64), size=(64, 64, 64))
    sent = [slice_value(i, (32, 32)) for i in range(32)]
    with view.get_buffered_slice_writer() as writer:
        for s in sent:
            writer.send(s)
    got = mag2.read(absolute_offset=(64, 64, 64), size=(64, 64, 64))[0]
    np.testing.assert_array_equal(got, np.stack(sent, -1))
    with pytest.raises(SliceAlignmentError):  # 16 Mag-1 = 8 mag-2 voxels
        view.get_buffered_slice_writer(relative_offset=(0, 0, 16))
    with pytest.raises(InvalidArgumentError, match="mag"):
        view.get_buffered_slice_writer(relative_offset=(1, 0, 0))
    writer = view.get_buffered_slice_writer()
    with pytest.raises(ValueError, match="outside the view"), writer:
        writer.send(np.ones((33, 32), np.uint8))
    ro = mag2.get_view(absolute_offset=(0, 0, 0), size=(64, 64, 64), read_only=True)
    with pytest.raises(ReadOnlyError):
        ro.get_buffered_slice_writer()


def test_int_dimension_is_deprecated(tmp_path: Path) -> None:
    mag = make_mag(tmp_path, size=(64, 64, 64))
    for number, name in enumerate("xyz"):
        with pytest.warns(DeprecationWarning, match="dimension") as rec:
            writer = mag.get_buffered_slice_writer(dimension=number)
        assert writer.dimension == name
        assert rec[0].filename == __file__
        with pytest.warns(DeprecationWarning):
            reader = mag.get_buffered_slice_reader(dimension=number)
        assert reader.dimension == name
    with pytest.raises(ValueError), pytest.warns(DeprecationWarning):
        mag.get_buffered_slice_writer(dimension=3)
    with pytest.raises(ValueError):
        mag.get_buffered_slice_writer(dimension="c")


# --------------------------------------------------------------------- reader


@pytest.mark.parametrize("dimension", ["x", "y", "z"])
def test_reader_yields_what_was_written(tmp_path: Path, dimension: str) -> None:
    mag = make_mag(tmp_path, size=(40, 50, 60), num_channels=2)
    rng = np.random.default_rng(7)
    data = rng.integers(0, 255, (2, 40, 50, 60), dtype=np.uint8)
    mag.write(data, absolute_offset=(0, 0, 0), allow_unaligned=True)
    axis = "xyz".index(dimension)
    with mag.get_buffered_slice_reader(buffer_size=7, dimension=dimension) as reader:
        slices = list(reader)
    assert len(slices) == data.shape[axis + 1]
    expected = [np.take(data, i, axis=axis + 1) for i in range(len(slices))]
    assert slices[0].shape == expected[0].shape
    for got, want in zip(slices, expected):
        np.testing.assert_array_equal(got, want)


def test_reader_keeps_channel_axis_and_boxes(tmp_path: Path) -> None:
    mag = make_mag(tmp_path, size=(64, 64, 64))
    sent = [slice_value(i, (64, 64)) for i in range(64)]
    with mag.get_buffered_slice_writer() as writer:
        for s in sent:
            writer.send(s)
    with mag.get_buffered_slice_reader() as slices:
        back = list(slices)
    assert [b.shape for b in back] == [(1, 64, 64)] * 64
    np.testing.assert_array_equal(np.stack([b[0] for b in back], -1), mag.read()[0])
    view = mag.get_view(absolute_offset=(8, 8, 8), size=(32, 32, 32))
    box = wk.BoundingBox((2, 3, 4), (5, 6, 7))
    reader = view.get_buffered_slice_reader(buffer_size=3, relative_bounding_box=box)
    got = list(reader)  # iterable without `with`, too
    assert len(got) == 7 and got[0].shape == (1, 5, 6)
    np.testing.assert_array_equal(got[2][0], sent[14][10:15, 11:17])
    reader = mag.get_buffered_slice_reader(
        dimension="y", absolute_bounding_box=wk.BoundingBox((60, 60, 0), (10, 2, 3))
    )
    outside = list(reader)
    assert [o.shape for o in outside] == [(1, 10, 3)] * 2
    np.testing.assert_array_equal(outside[1][0, :4, 2], sent[2][60:64, 61])
    assert not outside[1][0, 4:].any()


def test_writer_reader_roundtrip_files_on_disk(
    tmp_path: Path, data_format: str
) -> None:
    mag = make_mag(tmp_path, data_format, size=(64, 64, 64), dtype="uint16")
    sent = [slice_value(i, (64, 64)).astype(np.uint16) * 200 for i in range(64)]
    with mag.get_buffered_slice_writer(dimension="y") as writer:
        for s in sent:
            writer.send(s)
    reopened = wk.Dataset.open(tmp_path / "ds").get_layer("color").get_mag(1)
    with reopened.get_buffered_slice_reader(dimension="y") as reader:
        for i, got in enumerate(reader):
            assert got.dtype == np.uint16
            np.testing.assert_array_equal(got[0], sent[i])
    assert i == 63


# ----------------------------------------------------------------- reference


_REF_WRITE = """
from pathlib import Path

def slice_value(i, shape, seed=0):
    grid = np.indices(shape).astype(np.uint64)
    weights = np.array([101, 7, 3][-len(shape):], dtype=np.uint64)
    flat = (grid * weights.reshape((-1,) + (1,) * len(shape))).sum(axis=0)
    return ((flat + 13 * i + seed) % 250 + 1).astype(np.uint8)

ds = wk.Dataset(P["path"], voxel_size=(1, 1, 1))
layer = ds.add_layer("color", "color", data_format="zarr3",
                     num_channels=P["channels"], dtype_per_channel="uint8")
mag = layer.add_mag(1, chunk_shape=16, shard_shape=32)
layer.bounding_box = wk.BoundingBox((0, 0, 0), P["size"])
with mag.get_buffered_slice_writer(
    buffer_size=P["buffer"], dimension=P["dim"],
    relative_offset=P["offset"], allow_unaligned=True,
) as writer:
    for i, shape in enumerate(P["shapes"]):
        writer.send(slice_value(i, tuple(shape)))
other = wk.Dataset.open(P["other"]).get_layer("color").get_mag(1)
with other.get_buffered_slice_reader(buffer_size=5, dimension=P["dim"]) as reader:
    slices = [np.ascontiguousarray(s) for s in reader]
print(json.dumps({
    "bbox": [list(layer.bounding_box.topleft), list(layer.bounding_box.size)],
    "shapes": [list(s.shape) for s in slices],
    "sha": hashlib.sha1(b"".join(s.tobytes() for s in slices)).hexdigest(),
}))
"""


@pytest.mark.reference
@pytest.mark.parametrize(
    ("dim", "channels", "shapes"),
    [
        ("z", 1, [(48, 40)] * 20 + [(30, 10), (48, 41), (1, 1)] + [(40, 40)] * 13),
        ("x", 3, [(3, 40, 30)] * 18 + [(3, 5, 50)]),
    ],
)
def test_matches_reference_slice_writer(
    tmp_path: Path,
    ref: Callable[..., Any],
    dim: str,
    channels: int,
    shapes: list[tuple[int, ...]],
) -> None:
    params: dict[str, Any] = {
        "channels": channels,
        "size": [64, 64, 64],
        "buffer": 16,
        "dim": dim,
        "offset": [0, 0, 16] if dim == "z" else [16, 8, 0],
        "shapes": [list(s) for s in shapes],
    }
    ds = wk.Dataset(tmp_path / "wkfn", voxel_size=(1, 1, 1))
    layer = ds.add_layer("color", "color", data_format="zarr3", num_channels=channels)
    mag = layer.add_mag(1, chunk_shape=16, shard_shape=32)
    layer.bounding_box = wk.BoundingBox((0, 0, 0), params["size"])
    with mag.get_buffered_slice_writer(
        buffer_size=16,
        dimension=dim,
        relative_offset=params["offset"],
        allow_unaligned=True,
    ) as writer:
        for i, shape in enumerate(shapes):
            writer.send(slice_value(i, shape))
    got = ref(
        _REF_WRITE, path=str(tmp_path / "ref"), other=str(tmp_path / "wkfn"), **params
    )
    # the reference's dataset holds exactly what wkfn wrote
    theirs = wk.Dataset.open(tmp_path / "ref").get_layer("color")
    assert got["bbox"] == [
        list(layer.bounding_box.topleft),
        list(layer.bounding_box.size),
    ]
    assert theirs.bounding_box == layer.bounding_box
    ours_data = mag.read()
    assert ours_data.any()
    np.testing.assert_array_equal(theirs.get_mag(1).read(), ours_data)
    # the reference's slice reader sees wkfn's data as wkfn's reader does
    with mag.get_buffered_slice_reader(buffer_size=5, dimension=dim) as reader:
        ours = [np.ascontiguousarray(s) for s in reader]
    assert got["shapes"] == [list(s.shape) for s in ours]
    assert got["sha"] == hashlib.sha1(b"".join(s.tobytes() for s in ours)).hexdigest()
