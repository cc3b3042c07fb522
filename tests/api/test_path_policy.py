"""Mag and attachment paths outside the dataset: references work, escapes are refused.

The policy is in ``wkfn/storage/path_policy.py``: inside the dataset anything goes;
outside only another dataset's array (of the layer's format) or attachment. A fuzzed
properties file points the mags at random places; every read must either work (inside
or a real foreign array) or raise UnsafePathError, never read a foreign plain folder.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import wkfn as wk
from wkfn.errors import UnsafePathError


def _dataset(path: Path, value: int = 7) -> wk.Dataset:
    ds = wk.Dataset(path, voxel_size=(1, 1, 1))
    layer = ds.add_layer("color", wk.COLOR_CATEGORY, dtype_per_channel="uint8")
    layer.add_mag(1).write(
        np.full((8, 8, 8), value, np.uint8),
        absolute_offset=(0, 0, 0),
        allow_resize=True,
    )
    return ds


def _set_mag_path(ds_path: Path, stored: str) -> None:
    props_file = ds_path / "datasource-properties.json"
    props = json.loads(props_file.read_text())
    props["dataLayers"][0]["mags"][0]["path"] = stored
    props_file.write_text(json.dumps(props))


def _read(ds_path: Path) -> np.ndarray:
    layer = wk.Dataset.open(ds_path).get_layer("color")
    return layer.get_mag(1).read(absolute_offset=(0, 0, 0), size=(8, 8, 8))


def test_reference_to_another_dataset_is_followed(tmp_path: Path) -> None:
    _dataset(tmp_path / "other", value=9)
    _dataset(tmp_path / "ds")
    _set_mag_path(tmp_path / "ds", "../other/color/1")
    assert (_read(tmp_path / "ds") == 9).all()
    _set_mag_path(tmp_path / "ds", str(tmp_path / "other" / "color" / "1"))
    assert (_read(tmp_path / "ds") == 9).all()


def test_add_layer_as_ref_keeps_working(tmp_path: Path) -> None:
    other = _dataset(tmp_path / "other", value=5)
    ds = wk.Dataset(tmp_path / "ds", voxel_size=(1, 1, 1))
    ds.add_layer_as_ref(other.get_layer("color"))
    assert (_read(tmp_path / "ds") == 5).all()


@pytest.mark.parametrize(
    "stored", ["../../etc", "/etc", "../plain", "/nonexistent/x", "../other/color"]
)
def test_escapes_are_refused(tmp_path: Path, stored: str) -> None:
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "zarr.json").write_text('{"node_type": "group"}')
    _dataset(tmp_path / "other")
    _dataset(tmp_path / "ds")
    _set_mag_path(tmp_path / "ds", stored)
    with pytest.raises(UnsafePathError, match="outside the dataset") as info:
        _read(tmp_path / "ds")
    assert repr(stored) in str(info.value)
    assert isinstance(info.value, PermissionError)


def test_symlink_escape_is_refused(tmp_path: Path) -> None:
    (tmp_path / "secret").mkdir()
    _dataset(tmp_path / "ds")
    os.symlink(tmp_path / "secret", tmp_path / "ds" / "link")
    _set_mag_path(tmp_path / "ds", "link")
    with pytest.raises(UnsafePathError):
        _read(tmp_path / "ds")


def test_attachment_outside_is_refused_unless_an_attachment(tmp_path: Path) -> None:
    ds = wk.Dataset(tmp_path / "ds", voxel_size=(1, 1, 1))
    seg = ds.add_layer(
        "seg",
        wk.SEGMENTATION_CATEGORY,
        dtype_per_channel="uint32",
        largest_segment_id=1,
    )
    seg.add_mag(1)
    (tmp_path / "elsewhere").mkdir()
    good = tmp_path / "elsewhere" / "meshes.hdf5"
    good.write_bytes(b"\x89HDF\r\n\x1a\n")
    props_file = tmp_path / "ds" / "datasource-properties.json"
    props = json.loads(props_file.read_text())
    layer = next(x for x in props["dataLayers"] if x["name"] == "seg")
    mesh = {"name": "m", "path": str(good), "dataFormat": "hdf5"}
    layer["attachments"] = {"meshes": [mesh]}
    props_file.write_text(json.dumps(props))
    seg2 = wk.Dataset.open(tmp_path / "ds").get_segmentation_layer("seg")
    assert Path(seg2.attachments.meshes[0].path) == good
    mesh["path"] = "../../../../etc/passwd"
    props_file.write_text(json.dumps(props))
    seg3 = wk.Dataset.open(tmp_path / "ds").get_segmentation_layer("seg")
    with pytest.raises(UnsafePathError, match="attachment path"):
        seg3.attachments.meshes  # noqa: B018


SEGMENTS = st.sampled_from(["..", ".", "color", "1", "other", "etc", "plain", "x"])


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    parts=st.lists(SEGMENTS, min_size=1, max_size=6),
    absolute=st.booleans(),
)
def test_fuzzed_mag_paths(tmp_path: Path, parts: list[str], absolute: bool) -> None:
    root = tmp_path / "fuzz"
    if not root.exists():
        root.mkdir()
        (root / "plain").mkdir()
        _dataset(root / "other", value=3)
        _dataset(root / "ds", value=1)
    stored = os.path.join(str(root) if absolute else "", *parts)
    _set_mag_path(root / "ds", stored)
    target = os.path.realpath(os.path.join(root / "ds", stored))
    ds_real = os.path.realpath(root / "ds")
    inside = os.path.commonpath([ds_real, target]) == ds_real
    foreign_array = (
        os.path.isfile(os.path.join(target, "zarr.json"))
        and json.loads(Path(target, "zarr.json").read_text()).get("node_type")
        == "array"
    )
    try:
        _read(root / "ds")
    except UnsafePathError:
        assert not inside and not foreign_array
    except OSError:
        assert inside  # inside the dataset but no array there: an ordinary error
    else:
        assert inside or foreign_array
