"""Leftovers of killed runs: found by ``find_leftovers``, removed by ``repair``;
listed data and runs still in progress are never touched."""

from __future__ import annotations

import fcntl
from pathlib import Path

import numpy as np

import wkfn as wk
from wkfn.storage.leftovers import (
    JOURNAL_DIR,
    SIDECAR_SUFFIX,
    find_leftovers,
    repair,
)


def make_dataset(root: Path) -> wk.Dataset:
    ds = wk.Dataset(root, voxel_size=(1, 1, 1))
    layer = ds.add_layer("color", "color")
    layer.add_mag(1, chunk_shape=16, shard_shape=32).write(
        np.ones((32, 32, 32), np.uint8), allow_resize=True
    )
    return ds


def test_a_clean_dataset_has_no_leftovers(tmp_path: Path) -> None:
    make_dataset(tmp_path / "ds")
    assert find_leftovers(tmp_path / "ds") == []


def test_leftovers_are_found_and_repaired(tmp_path: Path) -> None:
    root = tmp_path / "ds"
    make_dataset(root)
    (root / "color" / ".rechunk-wkfn-1").mkdir()
    (root / "color" / "1" / "c.__lock").write_bytes(b"")
    (root / ".datasource-properties.json.x1.tmp").write_bytes(b"")
    (root / "color" / ".1.old-0123abcd").mkdir()
    journal = root / JOURNAL_DIR
    journal.mkdir()
    (journal / "abc.jsonl").write_text("[]\n")
    found = {(x.kind, x.path) for x in find_leftovers(root)}
    assert found == {
        ("temp", "color/.rechunk-wkfn-1"),
        ("temp", "color/1/c.__lock"),
        ("temp", ".datasource-properties.json.x1.tmp"),
        ("temp", "color/.1.old-0123abcd"),
        ("journal", f"{JOURNAL_DIR}/abc.jsonl"),
    }
    assert len(repair(root)) == 5
    assert find_leftovers(root) == []
    assert not journal.exists()
    assert wk.Dataset.open(root).get_layer("color").get_mag(1).read().all()


def test_unlisted_mag_array_is_an_orphan(tmp_path: Path) -> None:
    root = tmp_path / "ds"
    ds = make_dataset(root)
    before = (root / "datasource-properties.json").read_bytes()
    ds.get_layer("color").add_mag(2, chunk_shape=16, shard_shape=32)
    (root / "datasource-properties.json").write_bytes(before)  # killed: not listed
    assert [(x.kind, x.path) for x in find_leftovers(root)] == [
        ("orphan-array", "color/2")
    ]
    repair(root)
    assert not (root / "color" / "2").exists()
    assert (root / "color" / "1").exists()


def test_a_run_in_progress_is_not_a_leftover(tmp_path: Path) -> None:
    root = tmp_path / "ds"
    make_dataset(root)
    journal = root / JOURNAL_DIR
    journal.mkdir()
    (journal / "run.jsonl").write_text("[]\n")
    sidecar = journal / f"run{SIDECAR_SUFFIX}"
    sidecar.write_text("{}")
    with open(sidecar, "rb") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)  # as a live run does
        assert find_leftovers(root) == []
    assert [x.kind for x in find_leftovers(root)] == ["journal"]


def test_a_copy_target_without_properties_is_unfinished(tmp_path: Path) -> None:
    target = tmp_path / "copy"
    (target / JOURNAL_DIR).mkdir(parents=True)
    (target / JOURNAL_DIR / "x.jsonl").write_text("[]\n")
    (target / "color" / "1").mkdir(parents=True)
    assert [x.kind for x in find_leftovers(target)] == ["unfinished-dataset"]
    repair(target)
    assert not target.exists()
