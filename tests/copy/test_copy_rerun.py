"""Re-running a copy that had finished (issue 17): the same call returns the
existing dataset and touches nothing; a call whose arrays would be laid out
differently (chunk shape, shard shape, compression: none of them is in the
properties of a zarr3 layer) refuses with :class:`DatasetExistsError` naming the
difference and ``exists_ok``, before anything is written. A killed copy re-run
with other layout arguments refuses with :class:`LeftoverError`."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import pytest
from copy_helpers import make_dataset

import wkfn as wk
from wkfn.errors import DatasetExistsError, LeftoverError
from wkfn.storage.leftovers import find_leftovers
from wkfn.testing.kill_points import run_killable


def snapshot(root: Path) -> dict[str, tuple[int, int, bytes]]:
    """Every file under root: (mtime_ns, size, content)."""
    out = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            stat = path.stat()
            out[str(path.relative_to(root))] = (
                stat.st_mtime_ns,
                stat.st_size,
                path.read_bytes(),
            )
    return out


def dirs(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_dir())


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> wk.Dataset:
    """zarr3 color (mags 1, 2) and segmentation, chunk 16, shard 32, compressed."""
    return make_dataset(tmp_path_factory.mktemp("rerun") / "src", "zarr3")


FIRST: dict[str, Any] = {"chunk_shape": 32, "shard_shape": 64, "compress": True}

#: (changed argument, value, what the message says)
DIFFERENT = [
    ("chunk_shape", 16, r"chunk_shape \(32, 32, 32\) on disk, \(16, 16, 16\) req"),
    ("shard_shape", 128, r"shard_shape \(64, 64, 64\) on disk, \(128, 128, 128\)"),
    ("compress", False, r"compress True on disk, False requested"),
]


@pytest.mark.parametrize(("arg", "value", "message"), DIFFERENT)
def test_rerun_with_other_layout_refuses(
    source: wk.Dataset, tmp_path: Path, arg: str, value: object, message: str
) -> None:
    target = tmp_path / "copy"
    source.copy_dataset(target, **FIRST)
    before, before_dirs = snapshot(target), dirs(target)
    with pytest.raises(DatasetExistsError, match=message) as info:
        source.copy_dataset(target, **{**FIRST, arg: value})
    assert "exists_ok" in str(info.value)
    assert snapshot(target) == before  # nothing written, not even touched
    assert dirs(target) == before_dirs


def test_rerun_with_the_same_arguments_returns_the_copy(
    source: wk.Dataset, tmp_path: Path
) -> None:
    target = tmp_path / "copy"
    first = source.copy_dataset(target, **FIRST)
    before, before_dirs = snapshot(target), dirs(target)
    again = source.copy_dataset(target, **FIRST)
    assert again.path == first.path
    assert set(again.layers) == set(first.layers)
    info = again.get_layer("color").get_mag(1).info
    assert (info.chunk_shape, info.shard_shape) == ((32,) * 3, (64,) * 3)
    assert snapshot(target) == before
    assert dirs(target) == before_dirs


def test_file_copy_rerun_with_a_rechunking_call_refuses(
    source: wk.Dataset, tmp_path: Path
) -> None:
    # the first copy keeps the source layout (files copied as they are), the
    # second asks for another chunk shape: its plan re-encodes instead
    target = tmp_path / "copy"
    source.copy_dataset(target)
    before = snapshot(target)
    with pytest.raises(DatasetExistsError, match=r"chunk_shape .* on disk"):
        source.copy_dataset(target, chunk_shape=8)
    assert snapshot(target) == before
    again = source.copy_dataset(target)  # the same call: returned as it is
    assert snapshot(target) == before
    assert again.get_layer("color").get_mag(1).info.chunk_shape == (16,) * 3
    # and the other way round: a rechunked copy, re-run as a plain file copy
    other = tmp_path / "other"
    source.copy_dataset(other, chunk_shape=8)
    before = snapshot(other)
    with pytest.raises(DatasetExistsError, match=r"chunk_shape .* on disk") as info:
        source.copy_dataset(other)
    assert "exists_ok" in str(info.value)
    assert snapshot(other) == before


def test_rerun_with_other_properties_names_them(
    source: wk.Dataset, tmp_path: Path
) -> None:
    target = tmp_path / "copy"
    source.copy_dataset(target)
    before = snapshot(target)
    with pytest.raises(DatasetExistsError, match="voxel_size") as info:
        source.copy_dataset(target, voxel_size=(1, 2, 3))
    assert "exists_ok" in str(info.value)
    with pytest.raises(DatasetExistsError, match="layers"):
        source.copy_dataset(target, layers_to_ignore=["seg"])
    assert snapshot(target) == before


def test_layer_copy_rerun_refuses_and_names_exists_ok(
    source: wk.Dataset, tmp_path: Path
) -> None:
    ds = wk.Dataset(tmp_path / "ds", voxel_size=(1, 1, 1))
    ds.add_layer_as_copy(source.get_layer("color"), "c", chunk_shape=32)
    before = snapshot(ds.path)
    for kwargs in ({"chunk_shape": 32}, {"chunk_shape": 16}, {"compress": False}):
        with pytest.raises(wk.errors.LayerExistsError, match="exists_ok"):
            ds.add_layer_as_copy(source.get_layer("color"), "c", **kwargs)
    assert snapshot(ds.path) == before


SCRIPT = """
import sys
import wkfn as wk
import wkfn.transform.copy.regions as regions
regions.GROW_BLOCK_BYTES = regions.MAX_BLOCK_BYTES = 1 << 14  # many copy ops
source, target, chunk = sys.argv[1:4]
wk.Dataset.open(source).copy_dataset(target, chunk_shape=int(chunk), compress=True)
"""


@pytest.mark.parametrize("kill_at", [2, 6])
def test_killed_copy_rerun_with_other_layout_refuses(
    source: wk.Dataset, tmp_path: Path, kill_at: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    import wkfn.transform.copy.regions as regions

    # the blocks of the killed script, so the same call plans the same ops
    monkeypatch.setattr(regions, "GROW_BLOCK_BYTES", 1 << 14)
    monkeypatch.setattr(regions, "MAX_BLOCK_BYTES", 1 << 14)
    target = tmp_path / "copy"
    proc = run_killable(
        SCRIPT, str(source.path), str(target), "32", kill_at=kill_at, mode="after"
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    before = snapshot(target)
    says = {  # the source's chunk shape 16 is a file copy
        8: "chunk_shape (32, 32, 32) in the killed run, (8, 8, 8) requested",
        16: "re-encoded by the killed run, file-copied by this call",
    }
    for chunk, message in says.items():
        with pytest.raises(LeftoverError, match="wkfn check --repair") as info:
            source.copy_dataset(target, chunk_shape=chunk, compress=True)
        assert f"{message}: color/1, color/2, seg/1" in str(info.value)
        assert snapshot(target) == before
    assert find_leftovers(target)
    # the same call resumes the killed one and finishes it
    done = source.copy_dataset(target, chunk_shape=32, compress=True)
    assert done.get_layer("color").get_mag(1).info.chunk_shape == (32,) * 3
    assert not find_leftovers(target)
    assert not any(".wkfn-journal" in p for p in os.listdir(target))
