"""Pure spec builders."""

from __future__ import annotations

import pytest
from storage_helpers import make_layout

from wkfn.errors import InvalidArgumentError
from wkfn.storage import tsspec


def test_zarr3_metadata_compressed_sharded() -> None:
    meta = tsspec.zarr3_metadata(make_layout("zarr3", "uint16", 2, shape=(65, 0, 64)))
    assert meta["shape"] == [2, 128, 0, 64]
    assert meta["chunk_grid"]["configuration"]["chunk_shape"] == [2, 64, 64, 64]
    (sharding,) = meta["codecs"]
    conf = sharding["configuration"]
    assert sharding["name"] == "sharding_indexed"
    assert conf["chunk_shape"] == [2, 32, 32, 32]
    assert conf["codecs"] == [
        {"name": "transpose", "configuration": {"order": [3, 2, 1, 0]}},
        {"name": "bytes", "configuration": {"endian": "little"}},
        {"name": "zstd", "configuration": {"level": 5, "checksum": True}},
    ]
    assert conf["index_codecs"] == [
        {"name": "bytes", "configuration": {"endian": "little"}},
        {"name": "crc32c"},
    ]


def test_zarr3_unsharded_raw_uint8() -> None:
    meta = tsspec.zarr3_metadata(
        make_layout("zarr3", "uint8", shard=32, compress=False)
    )
    assert meta["codecs"] == [
        {"name": "transpose", "configuration": {"order": [3, 2, 1, 0]}},
        {"name": "bytes"},
    ]


def test_kvstore_locking_follows_the_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WKFN_FILE_LOCKING", raising=False)
    assert tsspec.kvstore_spec("/a/b")["file_io_locking"] == {"mode": "none"}
    monkeypatch.setenv("WKFN_FILE_LOCKING", "os")
    assert tsspec.kvstore_spec("/a/b")["file_io_locking"] == {"mode": "os"}
    monkeypatch.setenv("WKFN_FILE_LOCKING", "flock")
    with pytest.raises(InvalidArgumentError, match="'flock'"):
        tsspec.kvstore_spec("/a/b")
    monkeypatch.delenv("WKFN_FILE_LOCKING")
    assert tsspec.kvstore_spec("/a/b")["path"] == "/a/b/"
    assert tsspec.open_spec("/a", "zarr")["driver"] == "zarr"


def test_layout_round_trip_through_metadata() -> None:
    layout = make_layout("zarr3", "float32", 1, shape=(64, 128, 64))
    assert tsspec.layout_from_zarr3(tsspec.zarr3_metadata(layout)) == layout
    layout2 = make_layout("zarr", "uint16", 3, compress=False, shape=(32, 64, 96))
    assert tsspec.layout_from_zarr2(tsspec.zarr2_metadata(layout2)) == layout2
