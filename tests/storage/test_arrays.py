"""Driver API: round trips, padding, partial writes, growth, errors."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from storage_helpers import make_layout, random_block

from wkfn.errors import StorageError
from wkfn.storage import arrays

FORMATS = ["zarr3", "zarr", "wkw"]
DTYPES = ["uint8", "uint16", "uint32", "uint64", "float32"]


@pytest.mark.parametrize("compress", [True, False], ids=["compressed", "raw"])
@pytest.mark.parametrize("data_format", FORMATS)
@pytest.mark.parametrize(
    ("dtype", "channels"), [*((d, 1) for d in DTYPES), ("uint8", 3)]
)
def test_round_trip(
    tmp_path: Path,
    rng: np.random.Generator,
    data_format: str,
    dtype: str,
    channels: int,
    compress: bool,
) -> None:
    path = tmp_path / "layer" / "1"
    layout = make_layout(data_format, dtype, channels, compress=compress)
    arrays.create_array(path, layout)
    handle = arrays.open_array(path, data_format)
    data = random_block(rng, (channels, 70, 40, 33), dtype)
    handle.write((5, 30, 64), data)
    got = handle.read((5, 30, 64), (70, 40, 33))
    assert got.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(got, data)
    observed = arrays.read_layout(path, data_format)
    assert observed.dtype == dtype
    assert observed.num_channels == channels
    assert observed.compress == compress
    assert observed.chunk_shape == layout.chunk_shape
    assert observed.shard_shape == layout.shard_shape
    unit = layout.shard_shape[0]
    assert observed.shape == tuple(-(-e // unit) * unit for e in (75, 70, 97))
    # a fresh handle (cache dropped) sees the same voxels
    arrays.forget(path)
    again = arrays.open_array(path, data_format).read((0, 0, 0), (80, 80, 100))
    np.testing.assert_array_equal(again[:, 5:75, 30:70, 64:97], data)
    assert again[:, :5].sum() == 0
    assert again[:, :, :30].sum() == 0


@pytest.mark.parametrize("data_format", FORMATS)
def test_reads_outside_data_are_zero(tmp_path: Path, data_format: str) -> None:
    path = tmp_path / "a"
    arrays.create_array(path, make_layout(data_format, "uint16"))
    handle = arrays.open_array(path, data_format)
    assert handle.read((0, 0, 0), (10, 10, 10)).sum() == 0  # nothing written yet
    handle.write((0, 0, 0), np.full((1, 8, 8, 8), 7, np.uint16))
    out = handle.read((4, 4, 4), (300, 9, 9))  # far beyond the array shape
    assert out.shape == (1, 300, 9, 9)
    assert out.dtype == np.uint16
    assert int(out.sum()) == 7 * 4 * 4 * 4
    assert handle.read((1000, 1000, 1000), (5, 5, 5)).sum() == 0
    with pytest.raises(StorageError):
        handle.read((-1, 0, 0), (4, 4, 4))


@pytest.mark.parametrize("compress", [True, False], ids=["compressed", "raw"])
@pytest.mark.parametrize("data_format", FORMATS)
def test_unaligned_write_preserves_surroundings(
    tmp_path: Path, rng: np.random.Generator, data_format: str, compress: bool
) -> None:
    path = tmp_path / "a"
    arrays.create_array(path, make_layout(data_format, "uint8", compress=compress))
    handle = arrays.open_array(path, data_format)
    base = random_block(rng, (1, 128, 128, 64), "uint8")
    handle.write((0, 0, 0), base)
    patch = random_block(rng, (1, 21, 50, 7), "uint8")
    handle.write((30, 60, 20), patch)
    expected = base.copy()
    expected[:, 30:51, 60:110, 20:27] = patch
    np.testing.assert_array_equal(handle.read((0, 0, 0), (128, 128, 64)), expected)


@pytest.mark.parametrize("data_format", FORMATS)
def test_write_regions_equals_sequential_writes(
    tmp_path: Path, rng: np.random.Generator, data_format: str
) -> None:
    regions = []
    for _ in range(50):
        offset = tuple(int(v) for v in rng.integers(0, 100, 3))
        size = tuple(int(v) for v in rng.integers(1, 30, 3))
        regions.append((offset, random_block(rng, (1, *size), "uint16")))
    seq, batched = tmp_path / "seq", tmp_path / "batched"
    for p in (seq, batched):
        arrays.create_array(p, make_layout(data_format, "uint16"))
    handle = arrays.open_array(seq, data_format)
    for offset, data in regions:
        handle.write(offset, data)  # type: ignore[arg-type]
    arrays.write_regions(batched, data_format, regions)  # type: ignore[arg-type]
    a = arrays.open_array(seq, data_format).read((0, 0, 0), (140, 140, 140))
    b = arrays.open_array(batched, data_format).read((0, 0, 0), (140, 140, 140))
    np.testing.assert_array_equal(a, b)
    assert a.any()


def _file_writes() -> int:
    import tensorstore as ts

    for metric in ts.experimental_collect_matching_metrics(
        "/tensorstore/kvstore/file/"
    ):
        if metric["name"] == "/tensorstore/kvstore/file/write":
            return int(metric["values"][0]["value"])
    return 0


@pytest.mark.parametrize("data_format", ["zarr3", "zarr"])
def test_write_regions_touches_each_shard_once(
    tmp_path: Path, rng: np.random.Generator, data_format: str
) -> None:
    path = tmp_path / "a"
    arrays.create_array(path, make_layout(data_format, "uint8", shape=(192, 192, 192)))
    handle = arrays.open_array(path, data_format)
    regions = []
    touched: set[tuple[int, int, int]] = set()
    unit = handle.layout.shard_shape[0]
    for _ in range(50):
        offset = tuple(int(v) for v in rng.integers(0, 150, 3))
        data = random_block(rng, (1, 20, 20, 20), "uint8")
        regions.append((offset, data))
        for x in range(offset[0] // unit, (offset[0] + 19) // unit + 1):
            for y in range(offset[1] // unit, (offset[1] + 19) // unit + 1):
                for z in range(offset[2] // unit, (offset[2] + 19) // unit + 1):
                    touched.add((x, y, z))
    before_txn = arrays.STATS["transactions"]
    before = _file_writes()
    arrays.write_regions(path, data_format, regions)  # type: ignore[arg-type]
    assert _file_writes() - before == len(touched)  # one kvstore write per shard
    assert arrays.STATS["transactions"] - before_txn == 1
    boxes = arrays.shard_boxes_on_disk(path, data_format)
    assert {tuple(o[a] // unit for a in range(3)) for o, _ in boxes} == touched
    assert all(size == (unit, unit, unit) for _, size in boxes)


def test_write_regions_batches_by_shard(
    tmp_path: Path, rng: np.random.Generator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above the transaction budget, shards are split into batches, each shard once."""
    monkeypatch.setattr(arrays, "TRANSACTION_BYTES", 30_000)
    path, ref = tmp_path / "a", tmp_path / "ref"
    regions = [
        (
            tuple(int(v) for v in rng.integers(0, 100, 3)),
            random_block(rng, (1, 25, 25, 25), "uint8"),
        )
        for _ in range(20)
    ]
    for p in (path, ref):
        arrays.create_array(p, make_layout("zarr3", "uint8", shape=(128, 128, 128)))
    for offset, data in regions:
        arrays.open_array(ref, "zarr3").write(offset, data)  # type: ignore[arg-type]
    before = _file_writes()
    arrays.write_regions(path, "zarr3", regions)  # type: ignore[arg-type]
    n_shards = len(arrays.shard_boxes_on_disk(path, "zarr3"))
    assert _file_writes() - before == n_shards
    np.testing.assert_array_equal(
        arrays.open_array(path, "zarr3").read((0, 0, 0), (128, 128, 128)),
        arrays.open_array(ref, "zarr3").read((0, 0, 0), (128, 128, 128)),
    )


def test_wkw_write_regions_rewrites_each_file_once(
    tmp_path: Path, rng: np.random.Generator
) -> None:
    path = tmp_path / "a"
    arrays.create_array(path, make_layout("wkw", "uint8"))
    handle = arrays.open_array(path, "wkw")
    handle.write((0, 0, 0), random_block(rng, (1, 128, 128, 64), "uint8"))
    files = sorted(path.rglob("*.wkw"))
    files = [f for f in files if f.name != "header.wkw"]
    inodes_before = {f: f.stat().st_mtime_ns for f in files}
    regions = [
        ((10 + i, 5, 5), random_block(rng, (1, 4, 4, 4), "uint8")) for i in range(30)
    ]
    arrays.write_regions(path, "wkw", regions)  # type: ignore[arg-type]
    changed = [f for f in files if f.stat().st_mtime_ns != inodes_before[f]]
    assert [c.relative_to(path).as_posix() for c in changed] == ["z0/y0/x0.wkw"]


@pytest.mark.parametrize("data_format", ["zarr3", "zarr"])
def test_write_grows_shape_to_shard_multiple(tmp_path: Path, data_format: str) -> None:
    path = tmp_path / "a"
    arrays.create_array(path, make_layout(data_format, "uint8"))
    handle = arrays.open_array(path, data_format)
    assert handle.layout.shape == (0, 0, 0)
    handle.write((100, 0, 3), np.ones((1, 10, 1, 1), np.uint8))
    unit = 64 if data_format == "zarr3" else 32
    want = (-(-110 // unit) * unit, unit, unit)
    assert handle.layout.shape == want
    assert arrays.read_layout(path, data_format).shape == want
    handle.resize((300, 10, 10))  # metadata only, never shrinks
    assert handle.layout.shape[0] >= 300 and handle.layout.shape[1:] == want[1:]
    assert arrays.open_array(path, data_format) is handle


def test_handle_sees_resize_by_another_handle(tmp_path: Path) -> None:
    path = tmp_path / "a"
    arrays.create_array(path, make_layout("zarr3", "uint8", shape=(64, 64, 64)))
    handle = arrays.open_array(path, "zarr3")
    arrays.forget(path)
    other = arrays.open_array(path, "zarr3")
    assert other is not handle
    other.write((200, 0, 0), np.full((1, 4, 4, 4), 9, np.uint8))
    assert int(handle.read((200, 0, 0), (4, 4, 4)).sum()) == 9 * 64
    handle.write((300, 0, 0), np.full((1, 4, 4, 4), 3, np.uint8))  # resize not lost
    assert arrays.read_layout(path, "zarr3").shape == (320, 64, 64)


@pytest.mark.parametrize("data_format", FORMATS)
def test_write_refuses_wrong_dtype_or_channels(
    tmp_path: Path, data_format: str
) -> None:
    path = tmp_path / "a"
    arrays.create_array(path, make_layout(data_format, "uint8", num_channels=1))
    handle = arrays.open_array(path, data_format)
    with pytest.raises(StorageError, match="dtype"):
        handle.write((0, 0, 0), np.ones((1, 4, 4, 4), np.uint16))
    with pytest.raises(StorageError, match="channels"):
        handle.write((0, 0, 0), np.ones((2, 4, 4, 4), np.uint8))
    with pytest.raises(StorageError):
        handle.write((0, 0, 0), np.ones((4, 4, 4), np.uint8))
    with pytest.raises(StorageError):
        handle.write((-2, 0, 0), np.ones((1, 4, 4, 4), np.uint8))


@pytest.mark.parametrize("data_format", FORMATS)
def test_create_fails_if_array_exists(tmp_path: Path, data_format: str) -> None:
    path = tmp_path / "a"
    arrays.create_array(path, make_layout(data_format))
    with pytest.raises(StorageError, match="already exists"):
        arrays.create_array(path, make_layout(data_format))
    with pytest.raises(StorageError):
        arrays.create_array(
            path, make_layout("zarr3" if data_format != "zarr3" else "wkw")
        )


def test_wkw_requires_cubic_shapes(tmp_path: Path) -> None:
    bad = make_layout("wkw")
    from msgspec import structs

    with pytest.raises(StorageError, match="cubic"):
        arrays.create_array(
            tmp_path / "a", structs.replace(bad, chunk_shape=(32, 32, 16))
        )
    with pytest.raises(StorageError, match="cubic"):
        arrays.create_array(
            tmp_path / "b", structs.replace(bad, shard_shape=(64, 64, 32))
        )


def test_open_missing_array_fails(tmp_path: Path) -> None:
    for fmt in FORMATS:
        with pytest.raises(StorageError):
            arrays.open_array(tmp_path / "missing", fmt)
        with pytest.raises(StorageError):
            arrays.read_layout(tmp_path / "missing", fmt)


def test_zarr3_metadata_on_create(tmp_path: Path) -> None:
    path = tmp_path / "a"
    arrays.create_array(path, make_layout("zarr3", "uint32", shape=(65, 1, 64)))
    meta = json.loads((path / "zarr.json").read_text())
    assert meta["shape"] == [1, 128, 64, 64]
    assert meta["dimension_names"] == ["c", "x", "y", "z"]
    assert meta["chunk_grid"]["configuration"]["chunk_shape"] == [1, 64, 64, 64]
    arrays.create_array(tmp_path / "b", make_layout("zarr3", "float32", shard=32))
    meta = json.loads((tmp_path / "b" / "zarr.json").read_text())
    assert [c["name"] for c in meta["codecs"]] == ["transpose", "bytes", "zstd"]
    assert meta["fill_value"] == 0.0


def test_zarr2_metadata_on_create(tmp_path: Path) -> None:
    path = tmp_path / "a"
    arrays.create_array(
        path, make_layout("zarr", "uint8", 3, compress=False, shape=(40, 64, 1))
    )
    meta = json.loads((path / ".zarray").read_text())
    assert meta == {
        "chunks": [3, 32, 32, 32],
        "compressor": None,
        "dimension_separator": "/",
        "dtype": "|u1",
        "fill_value": 0,
        "filters": None,
        "order": "F",
        "shape": [3, 64, 64, 32],
        "zarr_format": 2,
    }


def test_open_array_is_cached_and_invalidated(tmp_path: Path) -> None:
    path = tmp_path / "a"
    arrays.create_array(path, make_layout("zarr3"))
    h1 = arrays.open_array(path, "zarr3")
    assert arrays.open_array(str(path), "zarr3") is h1
    link = tmp_path / "link"
    link.symlink_to(path)
    assert arrays.open_array(link, "zarr3") is h1  # same resolved path
    arrays.delete_array(link)  # unlinks, does not follow
    assert not link.exists() and (path / "zarr.json").exists()
    arrays.delete_array(path)
    assert not path.exists()
    arrays.create_array(path, make_layout("zarr3", "uint16"))
    assert arrays.open_array(path, "zarr3").layout.dtype == "uint16"


def test_stale_lock_file_does_not_corrupt_a_later_write(
    tmp_path: Path, rng: np.random.Generator
) -> None:
    """A `<shard>.__lock` left by a killed tensorstore writer is ignored."""
    path = tmp_path / "a"
    arrays.create_array(path, make_layout("zarr3", "uint16"))
    handle = arrays.open_array(path, "zarr3")
    first = random_block(rng, (1, 64, 64, 64), "uint16")
    handle.write((0, 0, 0), first)
    shard = path / "c" / "0" / "0" / "0" / "0"
    stale = shard.with_name("0.__lock")
    stale.write_bytes(os.urandom(shard.stat().st_size * 2))  # longer than any new shard
    patch = random_block(rng, (1, 10, 10, 10), "uint16")
    handle.write((3, 4, 5), patch)
    expected = first.copy()
    expected[:, 3:13, 4:14, 5:15] = patch
    arrays.forget(path)
    np.testing.assert_array_equal(
        arrays.open_array(path, "zarr3").read((0, 0, 0), (64, 64, 64)), expected
    )
    import zarr

    np.testing.assert_array_equal(zarr.open_array(str(path), mode="r")[:], expected)


def test_shard_boxes_on_disk(tmp_path: Path) -> None:
    for fmt, unit in (("zarr3", 64), ("zarr", 32), ("wkw", 64)):
        path = tmp_path / fmt
        arrays.create_array(path, make_layout(fmt))
        assert arrays.shard_boxes_on_disk(path, fmt) == []
        arrays.open_array(path, fmt).write(
            (unit + 1, 0, 2 * unit), np.ones((1, 2, 2, 2), np.uint8)
        )
        assert arrays.shard_boxes_on_disk(path, fmt) == [
            ((unit, 0, 2 * unit), (unit, unit, unit))
        ]
