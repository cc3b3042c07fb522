"""Kill -9 ordinary facade calls (downsample, upsample, copy_dataset,
add_layer_as_copy, add_mag_as_copy, compress, add_mag, add_layer_from_images,
Dataset.from_images, transactions) at points chosen by journal progress
(:mod:`wkfn.testing.kill_points`), run the same script again: it finishes the job,
the source still opens, the files are bit-identical to an uninterrupted run, and
nothing stray remains.

``WKFN_FACADE_KILLS`` sets the kill points per operation (default 4, which keeps CI
within its time budget on 2 cores; the closing note of issue 17 used 15).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import zlib
from pathlib import Path

import numpy as np
import pytest

import wkfn as wk
from wkfn.errors import LeftoverError
from wkfn.storage.leftovers import find_leftovers, repair
from wkfn.testing.kill_points import (
    Mode,
    journal_lines,
    kill_point,
    run_killable,
    strays,
    tree_digest,
)

KILLS = int(os.environ.get("WKFN_FACADE_KILLS", "4"))
IMAGES: dict[str, str] = {}

SCRIPT = """
import os, sys
import wkfn as wk
import wkfn.transform.copy.regions as regions
regions.GROW_BLOCK_BYTES = regions.MAX_BLOCK_BYTES = 1 << 16  # many copy ops
source, target, op = sys.argv[1:4]
images = os.environ["WKFN_TEST_IMAGES"]
ds = wk.Dataset.open(source)
if op.startswith("downsample_"):
    ds.get_layer(op.split("_", 1)[1]).downsample(coarsest_mag=wk.Mag(8))
elif op == "upsample":
    ds.get_layer("up").upsample(from_mag=wk.Mag((4, 4, 1)), finest_mag=wk.Mag(1))
elif op.startswith("copy_"):
    ds.copy_dataset(target, data_format=op.split("_", 1)[1])
elif op == "layer_copy":  # re-encoded in blocks (rechunked, compressed)
    ds.add_layer_as_copy(
        ds.get_layer("color"), "color2", chunk_shape=8, shard_shape=32, compress=True
    )
elif op == "layer_copy_files":  # the same layout: copied file by file
    ds.add_layer_as_copy(ds.get_layer("seg"), "seg2")
elif op == "mag_copy":
    ds.get_layer("up").add_mag_as_copy(
        ds.get_layer("color").get_mag(1), chunk_shape=8, shard_shape=32, compress=True
    )
elif op == "compress":
    ds.compress()
elif op == "add_layer_from_images":
    ds.add_layer_from_images(
        images, "imported", batch_size=8, chunk_shape=8, shard_shape=8
    )
elif op == "dataset_from_images":
    wk.Dataset.from_images(
        images, target, voxel_size=(4, 4, 40), batch_size=8, chunk_shape=8,
        shard_shape=8,
    )
elif op == "transaction":
    import numpy as np
    rng = np.random.default_rng(3)
    with ds.transaction():
        new = ds.add_layer("t", "segmentation", dtype="uint32", largest_segment_id=50)
        mag = new.add_mag(1, chunk_shape=16, shard_shape=32)
        mag.write(rng.integers(0, 50, (96, 96, 64), dtype=np.uint32), allow_resize=True)
        for _ in range(20):
            mag.write(
                rng.integers(0, 50, (16, 16, 16), dtype=np.uint32),
                absolute_offset=tuple(int(v) for v in rng.integers(0, 48, 3)),
                allow_unaligned=True,
            )
        ds.get_layer("color").get_mag(1).write(
            rng.integers(0, 255, (20, 20, 20), dtype=np.uint8),
            absolute_offset=(5, 7, 9), allow_unaligned=True,
        )
elif op == "add_mag":
    ds.get_layer("color").add_mag(2, chunk_shape=16, shard_shape=32)
else:
    raise ValueError(op)
"""

OPERATIONS = [
    "downsample_color",
    "downsample_seg",
    "upsample",
    "copy_wkw",
    "copy_zarr3",
    "layer_copy",
    "layer_copy_files",
    "mag_copy",
    "compress",
    "add_mag",
    "add_layer_from_images",
    "dataset_from_images",
    "transaction",
]
#: what a re-run of a call that had finished says (the reference raises too)
FINISHED = re.compile(
    r"(Mag|Layer|Dataset)ExistsError|cannot upsample to mag \S+: it already exists"
)
#: operations whose result is a new dataset at the target (not the source)
NEW_DATASET = ("copy_wkw", "copy_zarr3", "dataset_from_images")


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 128³ color (uint8) and segmentation (uint32) dataset, uncompressed, with
    a layer that has only mag 4-4-1; and a folder of 32 tiff slices."""
    root = tmp_path_factory.mktemp("facade") / "base"
    ds = wk.Dataset(root, voxel_size=(4, 4, 40))
    rng = np.random.default_rng(7)
    color = ds.add_layer("color", "color")
    color.add_mag(1, chunk_shape=16, shard_shape=32, compress=False).write(
        rng.integers(0, 255, (128, 128, 128), dtype=np.uint8), allow_resize=True
    )
    seg = ds.add_layer("seg", "segmentation", dtype="uint32", largest_segment_id=9)
    seg.add_mag(1, chunk_shape=16, shard_shape=32, compress=False).write(
        rng.integers(0, 9, (128, 128, 128), dtype=np.uint32), allow_resize=True
    )
    up = ds.add_layer("up", "color")  # only a coarse mag: upsample's source
    up.add_mag((4, 4, 1), chunk_shape=16, shard_shape=32, compress=False).write(
        rng.integers(0, 255, (32, 32, 128), dtype=np.uint8), allow_resize=True
    )
    images = root.parent / "images"
    images.mkdir()
    IMAGES["dir"] = str(images)
    import tifffile

    for z in range(32):
        tifffile.imwrite(
            images / f"{z:03}.tif", rng.integers(0, 200, (96, 128), np.uint8)
        )
    return root


def run(
    source: Path, target: Path, op: str, kill_at: int = -1, mode: Mode = "never"
) -> subprocess.CompletedProcess[str]:
    """The script of ``op``, killed at journal line ``kill_at`` (``mode``)."""
    images = str(Path(__file__).parent)  # replaced below when the fixture made some
    env = dict(os.environ, WKFN_TEST_IMAGES=IMAGES.get("dir", images))
    return run_killable(
        SCRIPT, str(source), str(target), op, kill_at=kill_at, mode=mode, env=env
    )


@pytest.mark.parametrize("op", OPERATIONS)
def test_kill_facade_call_then_run_again(op: str, base: Path, tmp_path: Path) -> None:
    copies = op in NEW_DATASET
    reference = tmp_path / "reference"
    shutil.copytree(base, reference)
    ref_target = tmp_path / "reference_out" / "copy"  # same name: same properties
    done = run(reference, ref_target, op)
    assert done.returncode == 0, done.stderr
    lines = journal_lines(done)
    assert lines >= 2, "the call must be journaled"
    result = ref_target if copies else reference
    expected = tree_digest(result)
    assert not strays(result)

    rng = np.random.default_rng(zlib.crc32(op.encode()))  # new ops move no others
    killed = identical = stray_count = finished = 0
    for i in range(KILLS):
        source = tmp_path / f"run{i}"
        target = tmp_path / f"run{i}_out" / "copy"
        shutil.copytree(base, source)
        kill_at, mode = kill_point(rng, i, lines)
        proc = run(source, target, op, kill_at, mode)
        assert proc.returncode == -signal.SIGKILL, (kill_at, mode, proc.stderr)
        killed += 1
        # the source opens (in its old or new state) whatever happened, and so
        # does a new dataset once its properties are there
        wk.Dataset.open(source)
        if (target / "datasource-properties.json").exists():
            wk.Dataset.open(target)
        again = run(source, target, op)  # the same script, run again
        if FINISHED.search(again.stderr):
            # killed after its last step (the properties): like re-running a
            # finished add_mag script, the mag exists (the reference says so too)
            last = lines if mode == "after" else lines - 1
            assert kill_at == last, again.stderr
            finished += 1
        else:
            assert again.returncode == 0, (kill_at, mode, again.stderr)
        out = target if copies else source
        if tree_digest(out) == expected:
            identical += 1
        leftover = strays(out)
        stray_count += len(leftover)
        assert tree_digest(out) == expected, f"{op} run {i} ({mode} {kill_at}) differs"
        assert not leftover, (kill_at, mode, leftover)
        shutil.rmtree(source)
        shutil.rmtree(target, ignore_errors=True)
    print(
        f"\n{op}: {KILLS} kill points ({lines} journal lines), {killed} killed, "
        f"{identical} identical after the re-run ({finished} of them had finished, "
        f"the re-run said it exists), {stray_count} strays"
    )


def test_rerun_of_finished_copy_returns_it(base: Path, tmp_path: Path) -> None:
    ds = wk.Dataset.open(base)
    target = tmp_path / "copy"
    first = ds.copy_dataset(target, data_format="zarr3")
    again = ds.copy_dataset(target, data_format="zarr3")
    assert again.path == first.path
    with pytest.raises(wk.errors.DatasetExistsError, match="exists_ok"):
        ds.copy_dataset(target, data_format="wkw")


def test_different_call_over_leftovers_names_them(base: Path, tmp_path: Path) -> None:
    source = tmp_path / "ds"
    shutil.copytree(base, source)
    proc = run(source, tmp_path / "unused", "downsample_color", 4, "after")
    assert proc.returncode == -signal.SIGKILL
    layer = wk.Dataset.open(source).get_layer("color")
    with pytest.raises(LeftoverError, match="wkfn check --repair") as info:
        layer.downsample(coarsest_mag=wk.Mag(4))
    assert "color/2" in str(info.value)
    assert any(x.kind == "journal" for x in find_leftovers(source))
    removed = repair(source)
    assert removed and not find_leftovers(source)
    layer = wk.Dataset.open(source).get_layer("color")
    layer.downsample(coarsest_mag=wk.Mag(4))
    assert sorted(m.to_layer_name() for m in layer.mags) == ["1", "2-2-1", "4-4-1"], (
        list(layer.mags)
    )


def test_check_reports_and_repairs_a_killed_copy(base: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from wkfn.cli.main import app

    source = tmp_path / "ds"
    shutil.copytree(base, source)
    target = tmp_path / "copy"
    proc = run(source, target, "copy_wkw", 3, "after")
    assert proc.returncode == -signal.SIGKILL
    runner = CliRunner()
    checked = runner.invoke(app, ["check", str(target)])
    assert checked.exit_code == 1
    assert "unfinished-dataset" in checked.output
    repaired = runner.invoke(app, ["check", "--repair", str(target)])
    assert repaired.exit_code == 0, repaired.output
    assert not target.exists()


def test_from_images_over_a_killed_import_with_other_voxel_size(
    base: Path, tmp_path: Path
) -> None:
    target = tmp_path / "imported"
    proc = run(base, target, "dataset_from_images", 2, "after")
    assert proc.returncode == -signal.SIGKILL
    with pytest.raises(wk.errors.DatasetExistsError, match="voxel size") as info:
        wk.Dataset.from_images(IMAGES["dir"], target, voxel_size=(1, 1, 1))
    assert "wkfn check --repair" in str(info.value)
    resumed = wk.Dataset.from_images(
        IMAGES["dir"],
        target,
        voxel_size=(4, 4, 40),
        batch_size=8,
        chunk_shape=8,
        shard_shape=8,
    )
    assert resumed.get_layer("images").get_mag(1).read().shape == (1, 128, 96, 32)
    assert not strays(target)


def test_compress_killed_before_journaling_its_last_swap(
    base: Path, tmp_path: Path
) -> None:
    # every mag is swapped in, the last swap is not journaled: the re-run finds
    # nothing left to compress and must still finish the killed run
    reference = tmp_path / "reference"
    shutil.copytree(base, reference)
    lines = journal_lines(run(reference, tmp_path, "compress"))
    source = tmp_path / "ds"
    shutil.copytree(base, source)
    proc = run(source, tmp_path, "compress", lines - 1, "before")
    assert proc.returncode == -signal.SIGKILL
    again = run(source, tmp_path, "compress")
    assert again.returncode == 0, again.stderr
    assert not strays(source)
    assert tree_digest(source) == tree_digest(reference)
