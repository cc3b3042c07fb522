"""Kill -9 an image import of SEVERAL layers, run the same call again (issue 17).

``Dataset.from_images`` of a folder with two image stacks and
``add_layer_from_images`` of two-channel images (one layer per channel) commit each
layer with its properties write. Killed between two layers (layer 1 complete and
listed, layer 2 not begun or half done) the same call run again must finish the
job: files bit-identical to an uninterrupted run, nothing stray. A different call
over the leftovers refuses, naming them and ``wkfn check --repair``; the same
call after a finished run returns the dataset.

Kill points are chosen by journal progress (:mod:`wkfn.testing.kill_points`)
relative to the journal lines of one layer (``L``): inside layer 1, right after
layer 1 is committed (after line ``L``), before layer 2's first line, inside
layer 2, before its last line and after it (``WKFN_IMPORT_KILLS=all``: every
point, before and after each journal line). After the "after" kills the test opens
the dataset before running the call again, as a user looking at it would; that
removes the journal of a layer killed right after its properties, so only the
record of the whole call tells the re-run what to finish.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

import wkfn as wk
from wkfn.errors import LeftoverError
from wkfn.storage.leftovers import find_leftovers, repair
from wkfn.testing.kill_points import (
    Mode,
    journal_lines,
    run_killable,
    strays,
    tree_digest,
)

SCRIPT = """
import sys
import wkfn as wk
source, target, op, images = sys.argv[1:5]
chunk = int(sys.argv[5]) if len(sys.argv) > 5 else 8
if op == "from_images":  # a folder with two stacks: layers "a" and "b"
    wk.Dataset.from_images(
        images, target, voxel_size=(4, 4, 40), batch_size=8, chunk_shape=chunk,
        shard_shape=8,
    )
elif op == "add_layers":  # two-channel images: "imp__channel0", "imp__channel1"
    wk.Dataset.open(source).add_layer_from_images(
        images, "imp", allow_multiple_layers=True, batch_size=8,
        chunk_shape=chunk, shard_shape=8,
    )
elif op == "one_layer":  # one stack alone: the journal lines of one layer
    wk.Dataset.from_images(
        images + "/a", target, voxel_size=(4, 4, 40), batch_size=8,
        chunk_shape=chunk, shard_shape=8,
    )
else:
    raise ValueError(op)
"""

LAYERS = {"from_images": ["a", "b"], "add_layers": ["imp__channel0", "imp__channel1"]}
#: (mode, line) with ``L`` the journal lines of one layer
POINTS: list[tuple[Mode, str, Callable[[int], int]]] = [
    ("after", "1", lambda n: 1),
    ("after", "L", lambda n: n),  # layer 1 committed, layer 2 not begun: the gap
    ("before", "L", lambda n: n),  # layer 2's run opened its journal, no line yet
    ("after", "L+1", lambda n: n + 1),  # in the middle of layer 2
    ("after", "L+L//2", lambda n: n + n // 2),
    ("before", "2L-1", lambda n: 2 * n - 1),
    ("after", "2L", lambda n: 2 * n),  # all written, journals not removed yet
]


def kill_points(per_layer: int) -> list[tuple[Mode, str, int]]:
    """The points of :data:`POINTS`, or with ``WKFN_IMPORT_KILLS=all`` every
    point of the run (before each of its lines and after each)."""
    if os.environ.get("WKFN_IMPORT_KILLS") != "all":
        return [(mode, where, line(per_layer)) for mode, where, line in POINTS]
    every: list[tuple[Mode, str, int]] = [
        ("before", str(k), k) for k in range(2 * per_layer)
    ]
    return every + [("after", str(k), k) for k in range(1, 2 * per_layer + 1)]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two stacks of 32 slices (``stacks/a``, ``stacks/b``), 32 two-channel
    slices (``channels``) and a dataset with one layer to add to (``base``)."""
    import tifffile

    top = tmp_path_factory.mktemp("imports")
    rng = np.random.default_rng(11)
    for sub in ("a", "b"):
        (top / "stacks" / sub).mkdir(parents=True)
        for z in range(32):
            tifffile.imwrite(
                top / "stacks" / sub / f"{z:03}.tif",
                rng.integers(0, 200, (64, 48), np.uint8),
            )
    (top / "channels").mkdir()
    for z in range(32):
        tifffile.imwrite(
            top / "channels" / f"{z:03}.tif",
            rng.integers(0, 200, (2, 64, 48), np.uint8),
            photometric="minisblack",
            planarconfig="separate",
        )
    base = top / "base"
    ds = wk.Dataset(base, voxel_size=(4, 4, 40))
    ds.add_layer("old", "color").add_mag(1, chunk_shape=8, shard_shape=8).write(
        rng.integers(0, 255, (16, 16, 16), dtype=np.uint8), allow_resize=True
    )
    return {"stacks": top / "stacks", "channels": top / "channels", "base": base}


def run(
    inputs: dict[str, Path],
    source: Path,
    target: Path,
    op: str,
    kill_at: int = -1,
    mode: Mode = "never",
    chunk: int = 8,
) -> subprocess.CompletedProcess[str]:
    images = inputs["channels" if op == "add_layers" else "stacks"]
    return run_killable(
        SCRIPT,
        str(source),
        str(target),
        op,
        str(images),
        str(chunk),
        kill_at=kill_at,
        mode=mode,
    )


def listed_layers(root: Path) -> list[str]:
    return list(wk.Dataset.open(root).layers) if root.exists() else []


@pytest.mark.parametrize("op", ["from_images", "add_layers"])
def test_kill_multi_layer_import_then_run_again(
    op: str, inputs: dict[str, Path], tmp_path: Path
) -> None:
    new_dataset = op == "from_images"
    one = run(inputs, tmp_path, tmp_path / "one" / "imported", "one_layer")
    assert one.returncode == 0, one.stderr
    per_layer = journal_lines(one)
    reference = tmp_path / "reference"
    shutil.copytree(inputs["base"], reference)
    ref_target = tmp_path / "reference_out" / "imported"  # same name everywhere
    done = run(inputs, reference, ref_target, op)
    assert done.returncode == 0, done.stderr
    lines = journal_lines(done)
    assert lines == 2 * per_layer, (lines, per_layer)  # two layers of one size
    result = ref_target if new_dataset else reference
    expected = tree_digest(result)
    assert not strays(result)
    mine = LAYERS[op]
    before = [] if new_dataset else ["old"]

    counts: dict[str, str] = {}
    points = kill_points(per_layer)
    for i, (mode, where, kill_at) in enumerate(points):
        source = tmp_path / f"run{i}"
        target = tmp_path / f"run{i}_out" / "imported"
        shutil.copytree(inputs["base"], source)
        proc = run(inputs, source, target, op, kill_at, mode)
        assert proc.returncode == -signal.SIGKILL, (mode, kill_at, proc.stderr)
        out = target if new_dataset else source
        if mode == "after":
            # look at what the kill left, as a user would: opening removes the
            # journal of a layer that had finished (killed before removing it)
            layers = listed_layers(out)
            if kill_at == per_layer:  # the gap: layer 1 listed, layer 2 absent
                assert layers == [*before, mine[0]]
        again = run(inputs, source, target, op)  # the same call, run again
        assert again.returncode == 0, (mode, kill_at, again.stderr)
        assert listed_layers(out) == [*before, *mine]
        identical = tree_digest(out) == expected
        leftover = strays(out)
        counts[f"{mode} line {kill_at} ({where})"] = (
            f"{'identical' if identical else 'DIFFERENT'}, {len(leftover)} strays"
        )
        assert identical, f"{op}: {mode} {kill_at} differs"
        assert not leftover, (mode, kill_at, leftover)
        shutil.rmtree(source)
        shutil.rmtree(target.parent, ignore_errors=True)
    print(f"\n{op}: {len(points)} kills ({lines} journal lines, L={per_layer}):")
    for point, outcome in counts.items():
        print(f"  killed {point}: resumed, {outcome}")


def _killed_between_layers(
    inputs: dict[str, Path], tmp_path: Path, op: str
) -> tuple[Path, Path]:
    one = run(inputs, tmp_path, tmp_path / "one" / "imported", "one_layer")
    per_layer = journal_lines(one)
    source = tmp_path / "ds"
    shutil.copytree(inputs["base"], source)
    target = tmp_path / "out" / "imported"
    proc = run(inputs, source, target, op, per_layer, "after")
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    return source, target


def test_from_images_with_other_arguments_over_a_killed_import_refuses(
    inputs: dict[str, Path], tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from wkfn.cli.main import app

    _, target = _killed_between_layers(inputs, tmp_path, "from_images")
    kinds = [x.kind for x in find_leftovers(target)]
    assert kinds == ["unfinished-dataset"], kinds
    checked = CliRunner().invoke(app, ["check", str(target)])
    assert checked.exit_code == 1 and "unfinished-dataset" in checked.output
    with pytest.raises(LeftoverError, match="wkfn check --repair") as info:
        wk.Dataset.from_images(
            inputs["stacks"],
            target,
            voxel_size=(4, 4, 40),
            batch_size=8,
            chunk_shape=4,  # not the killed call's 8
            shard_shape=8,
        )
    assert ".wkfn-journal" in str(info.value) and "import" in str(info.value)
    assert listed_layers(target) == ["a"]  # refused before anything was written
    repaired = CliRunner().invoke(app, ["check", "--repair", str(target)])
    assert repaired.exit_code == 0, repaired.output
    assert not target.exists()  # the killed import's dataset, removed as a whole
    ds = wk.Dataset.from_images(
        inputs["stacks"],
        target,
        voxel_size=(4, 4, 40),
        batch_size=8,
        chunk_shape=4,
        shard_shape=8,
    )
    assert list(ds.layers) == ["a", "b"] and not strays(target)


def test_add_layers_with_other_arguments_over_a_killed_import_refuses(
    inputs: dict[str, Path], tmp_path: Path
) -> None:
    source, _ = _killed_between_layers(inputs, tmp_path, "add_layers")
    found = [x for x in find_leftovers(source) if x.path.endswith(".import.json")]
    assert [x.kind for x in found] == ["journal"], found
    ds = wk.Dataset.open(source)
    with pytest.raises(LeftoverError, match="wkfn check --repair") as info:
        ds.add_layer_from_images(
            inputs["channels"],
            "imp",
            allow_multiple_layers=True,
            batch_size=8,
            chunk_shape=4,
            shard_shape=8,
        )
    assert "import" in str(info.value)
    # an import of other layers is not in the killed one's way
    ds.add_layer_from_images(inputs["stacks"] / "b", "other")
    repair(source)  # only the record of the killed call: its layer 1 stays
    assert not find_leftovers(source)
    assert list(wk.Dataset.open(source).layers) == ["old", "imp__channel0", "other"]


def test_rerun_of_finished_from_images_returns_it(
    inputs: dict[str, Path], tmp_path: Path
) -> None:
    target = tmp_path / "imported"
    kwargs = {"voxel_size": (4, 4, 40), "batch_size": 8, "shard_shape": 8}
    first = wk.Dataset.from_images(inputs["stacks"], target, chunk_shape=8, **kwargs)
    files = tree_digest(target)
    again = wk.Dataset.from_images(inputs["stacks"], target, chunk_shape=8, **kwargs)
    assert again.path == first.path and list(again.layers) == ["a", "b"]
    assert tree_digest(target) == files and not strays(target)
    with pytest.raises(wk.errors.DatasetExistsError, match="differs"):
        wk.Dataset.from_images(inputs["stacks"], target, chunk_shape=4, **kwargs)
    with pytest.raises(wk.errors.DatasetExistsError):
        wk.Dataset.from_images(inputs["stacks"] / "a", target, chunk_shape=8, **kwargs)
    assert tree_digest(target) == files


def test_rerun_of_finished_add_layers_says_the_layer_exists(
    inputs: dict[str, Path], tmp_path: Path
) -> None:
    source = tmp_path / "ds"
    shutil.copytree(inputs["base"], source)
    done = run(inputs, source, tmp_path / "unused", "add_layers")
    assert done.returncode == 0, done.stderr
    again = run(inputs, source, tmp_path / "unused", "add_layers")
    assert "LayerExistsError" in again.stderr  # like add_mag run twice
    assert not strays(source)
