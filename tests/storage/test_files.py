"""Atomic properties writes, delete and move."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from storage_helpers import make_layout

from wkfn.errors import DatasetNotFoundError, StorageError
from wkfn.storage import arrays, files


def test_properties_round_trip(tmp_path: Path) -> None:
    files.write_properties_bytes(tmp_path, b'{"version": 1}')
    assert files.read_properties_bytes(tmp_path) == b'{"version": 1}'
    files.write_properties_bytes(tmp_path, b"{}")
    assert files.read_properties_bytes(tmp_path) == b"{}"
    assert sorted(os.listdir(tmp_path)) == [
        "datasource-properties.json"
    ]  # no temp left


def test_missing_properties(tmp_path: Path) -> None:
    with pytest.raises(
        DatasetNotFoundError, match=r"datasource-properties\.json"
    ) as info:
        files.read_properties_bytes(tmp_path / "nope")
    assert isinstance(info.value, FileNotFoundError)
    assert str(tmp_path / "nope") in str(info.value)


def test_write_bytes_atomic_creates_dirs(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "f.json"
    files.write_bytes_atomic(target, b"x")
    assert target.read_bytes() == b"x"


def test_delete_path(tmp_path: Path) -> None:
    (tmp_path / "d" / "e").mkdir(parents=True)
    (tmp_path / "d" / "e" / "f").write_bytes(b"1")
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "d")
    files.delete_path(link)
    assert not link.exists() and (tmp_path / "d" / "e" / "f").exists()
    files.delete_path(tmp_path / "d")
    assert not (tmp_path / "d").exists()
    files.delete_path(tmp_path / "missing")  # no error
    (tmp_path / "file").write_bytes(b"")
    files.delete_path(tmp_path / "file")
    assert not (tmp_path / "file").exists()


def test_move_path_and_cache(tmp_path: Path) -> None:
    src = tmp_path / "color" / "1"
    arrays.create_array(src, make_layout("zarr3"))
    arrays.open_array(src, "zarr3").write((0, 0, 0), np.ones((1, 2, 2, 2), np.uint8))
    dst = tmp_path / "other" / "1"
    files.move_path(src, dst)
    assert not src.exists()
    assert int(arrays.open_array(dst, "zarr3").read((0, 0, 0), (2, 2, 2)).sum()) == 8
    with pytest.raises(StorageError):
        arrays.open_array(src, "zarr3")  # the cached handle was dropped
    with pytest.raises(StorageError, match="exists"):
        files.move_path(dst, dst)
    with pytest.raises(StorageError, match="does not exist"):
        files.move_path(src, tmp_path / "x")
