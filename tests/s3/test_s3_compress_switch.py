"""compress() on S3 never shows a reader a half-state.

A store has no rename, so the recompressed mag is written beside the old one and
the properties (one PUT) switch the mag's path to it; the old array is deleted
only after that. Readers here open the dataset afresh again and again while a
compress runs in another process, and other runs are killed (SIGKILL) at several
points: every open reads the complete voxels, and a second compress finishes the
job and leaves no stray array behind.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

import wkfn as wk
from wkfn.storage import objects
from wkfn.transform.copy.rechunk import SWITCH_SUFFIX

REPO = Path(__file__).resolve().parents[2]
SHAPE = (96, 96, 64)
N_SHARDS = 3 * 3 * 2  # shard 32³

_COMPRESS = """
import sys
import wkfn as wk
wk.Dataset.open(sys.argv[1]).get_layer("color").get_mag(1).compress()
print("done", flush=True)
"""


def _make(url: str) -> np.ndarray:
    data = np.random.default_rng(7).integers(0, 255, SHAPE, dtype=np.uint8)
    ds = wk.Dataset(url, voxel_size=(4, 4, 40))
    layer = ds.add_layer("color", "color", dtype_per_channel="uint8")
    mag = layer.add_mag(1, chunk_shape=16, shard_shape=32, compress=False)
    mag.write(data, absolute_offset=(0, 0, 0), allow_resize=True)
    return data


def _read(url: str) -> tuple[np.ndarray, str, bool]:
    mag = wk.Dataset.open(url).get_layer("color").get_mag(1)
    voxels = mag.read(absolute_offset=(0, 0, 0), size=SHAPE)[0]
    return voxels, str(mag.path), bool(mag.info.compression_mode)


def _start(url: str, env: dict[str, str]) -> subprocess.Popen[str]:
    full = {**os.environ, **env, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, "-c", _COMPRESS, url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=full,
    )


def _mag_dirs(url: str) -> set[str]:
    """Directories below the layer (its group files left out)."""
    keys = [k.split("/") for k in objects.iter_keys(url)]
    return {k[1] for k in keys if k[0] == "color" and len(k) > 2}


def test_readers_see_complete_data_during_compress(
    bucket: str, s3_env: dict[str, str]
) -> None:
    url = f"{bucket}/ds"
    data = _make(url)
    proc = _start(url, s3_env)
    seen: set[tuple[str, bool]] = set()
    reads = 0
    while True:
        finished = proc.poll() is not None
        voxels, path, compressed = _read(url)
        np.testing.assert_array_equal(voxels, data)
        seen.add((path.rstrip("/").rsplit("/", 1)[-1], compressed))
        reads += 1
        if finished:
            break
    assert proc.returncode == 0, proc.stderr.read() if proc.stderr else ""
    assert reads >= 2
    assert ("1" + SWITCH_SUFFIX, True) in seen  # the switched, compressed mag
    assert _mag_dirs(url) == {"1" + SWITCH_SUFFIX}  # the old array is gone
    # a second rewrite switches back to the default directory
    wk.Dataset.open(url).get_layer("color").get_mag(1).rechunk(chunk_shape=32)
    voxels, path, compressed = _read(url)
    np.testing.assert_array_equal(voxels, data)
    assert path.rstrip("/").endswith("/color/1") and compressed
    assert _mag_dirs(url) == {"1"}


def _progress(url: str) -> str:
    """How far a compress got: "none", "created", "half" (of the shards
    written), "switched" (the properties name the new array)."""
    props = json.loads(objects.read_bytes(f"{url}/datasource-properties.json"))
    mags = props["dataLayers"][0]["mags"]
    if any(SWITCH_SUFFIX in str(m.get("path")) for m in mags):
        return "switched"
    keys = list(objects.iter_keys(f"{url}/color/1{SWITCH_SUFFIX}"))
    shards = sum(1 for k in keys if k.startswith("c/"))
    if shards >= N_SHARDS // 2:
        return "half"
    return "created" if "zarr.json" in keys else "none"


ORDER = ("none", "created", "half", "switched")


def test_killed_compress_leaves_readable_data_and_finishes(
    bucket: str, s3_env: dict[str, str]
) -> None:
    url = f"{bucket}/ds"
    data = _make(url)
    killed_at: list[str] = []
    for trigger in ("created", "half", "switched"):
        proc = _start(url, s3_env)
        state = "none"
        while proc.poll() is None:
            state = _progress(url)
            if ORDER.index(state) >= ORDER.index(trigger):
                proc.send_signal(signal.SIGKILL)
                break
            time.sleep(0.01)
        proc.wait()
        if proc.returncode == -signal.SIGKILL:
            killed_at.append(state)
        # whatever the moment: a fresh open reads every voxel
        voxels, _, _ = _read(url)
        np.testing.assert_array_equal(voxels, data)
    assert {"created", "half"} & set(killed_at), killed_at  # killed mid-copy
    view = wk.Dataset.open(url).get_layer("color").get_mag(1)
    view.compress()  # finishes a killed run (a no-op once switched)
    view = wk.Dataset.open(url).get_layer("color").get_mag(1)
    view.rechunk(chunk_shape=32)  # the next rewrite clears any leftover
    voxels, path, compressed = _read(url)
    np.testing.assert_array_equal(voxels, data)
    assert compressed
    only = path.rstrip("/").rsplit("/", 1)[-1]
    assert _mag_dirs(url) == {only}
