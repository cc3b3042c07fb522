"""n-D layers (additional axes) written by the reference: wkfn opens and lists them
and refuses data access with a typed error instead of misreading the array."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import wkfn as wk
from wkfn.errors import UnsupportedLayerError

WRITE_ND = """
ds = wk.Dataset(P["path"], voxel_size=(1, 1, 1))
bb = wk.NDBoundingBox(
    topleft=(0, 0, 0, 0), size=(3, 32, 32, 16), axes=("t", "x", "y", "z"),
    index=(0, 1, 2, 3),
)
mag = ds.add_layer("nd", "color", bounding_box=bb).add_mag(1)
mag.write(np.arange(3 * 32 * 32 * 16, dtype=np.uint8).reshape(3, 32, 32, 16),
          absolute_bounding_box=bb)
plain = ds.add_layer("plain", "color").add_mag(1)
plain.write(np.full((1, 32, 32, 32), 7, np.uint8), absolute_offset=(0, 0, 0),
            allow_resize=True)
print(json.dumps("ok"))
"""


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wkfn.cli", *args],
        capture_output=True,
        text=True,
        check=False,
    )


def test_nd_layer_is_listed_but_its_data_refused(ref: Any, tmp_path: Path) -> None:
    path = tmp_path / "nd"
    ref(WRITE_ND, path=str(path))  # one reference run (slow import) for all checks
    ds = wk.Dataset.open(path)
    layer = ds.get_layer("nd")
    assert layer.bounding_box == wk.BoundingBox((0, 0, 0), (32, 32, 16))
    assert [m.to_layer_name() for m in layer.mags] == ["1"]
    with pytest.raises(UnsupportedLayerError, match=r"additional axes \['t'\]"):
        layer.get_mag(1).read()
    with pytest.raises(UnsupportedLayerError):
        layer.get_mag(1).info  # noqa: B018
    with pytest.raises(UnsupportedLayerError):
        layer.downsample()
    with pytest.raises(UnsupportedLayerError):
        layer.add_mag(2)
    # the 3-D layer beside it works as usual
    assert ds.get_layer("plain").get_mag(1).read().max() == 7

    # a copy fails before it writes anything
    with pytest.raises(UnsupportedLayerError):
        ds.copy_dataset(tmp_path / "copy")
    assert not (tmp_path / "copy").exists()

    # the CLI lists and checks it without a traceback
    info = cli("info", str(path))
    assert "plain" in info.stdout and "t[0,3)" in info.stdout, info.stderr
    assert "n-D array" in info.stdout
    check = cli("check", str(path))
    assert check.returncode == 0, check.stdout + check.stderr
    assert (path / "datasource-properties.json").exists()
    assert np.array_equal(
        wk.Dataset.open(path).get_layer("plain").get_mag(1).read(),
        np.full((1, 32, 32, 32), 7, np.uint8),
    )
