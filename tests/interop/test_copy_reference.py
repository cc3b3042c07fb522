"""Copies made by wkfn open in the reference; wkfn copies the reference's datasets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from test_with_reference import REF_DESCRIBE, describe, pattern

import wkfn as wk

pytestmark = pytest.mark.reference


def _write_source(path: Path, data_format: str) -> wk.Dataset:
    ds = wk.Dataset(path, voxel_size=(11.2, 11.2, 25))
    color = ds.add_layer("color", "color", data_format=data_format)
    shard = 32 if data_format == "zarr" else 64
    color.add_mag(1, chunk_shape=32, shard_shape=shard).write(
        pattern((100, 70, 40), "uint8", 1),
        absolute_offset=(20, 10, 6),
        allow_resize=True,
    )
    seg = ds.add_layer(
        "seg",
        "segmentation",
        dtype_per_channel="uint32",
        data_format=data_format,
        largest_segment_id=250,
    )
    seg.add_mag(1).write(
        pattern((64, 64, 32), "uint32", 2), absolute_offset=(0, 0, 0), allow_resize=True
    )
    return ds


@pytest.mark.parametrize(
    ("source", "target"),
    [("zarr3", "wkw"), ("zarr3", "zarr"), ("wkw", "zarr3"), ("zarr", "wkw")],
)
def test_reference_reads_wkfn_copies(
    tmp_path: Path, ref: Any, source: str, target: str
) -> None:
    src = _write_source(tmp_path / "src", source)
    src.copy_dataset(tmp_path / "copy", data_format=target, compress=False)
    copy = wk.Dataset.open(tmp_path / "copy")
    copy.compress()
    expected = describe(src)
    got = ref(
        REF_DESCRIBE
        + """
ds = wk.Dataset.open(P["path"])
info = {n: str(l.get_mag(1).info.data_format) for n, l in ds.layers.items()}
comp = {n: bool(l.get_mag(1).info.compression_mode) for n, l in ds.layers.items()}
print(json.dumps({"d": describe(ds), "fmt": info, "comp": comp}))
""",
        path=str(tmp_path / "copy"),
    )
    assert got["d"] == expected
    assert all(target in v.lower() for v in got["fmt"].values())
    assert all(got["comp"].values())


@pytest.mark.parametrize("source", ["wkw", "zarr3"])
def test_wkfn_copies_reference_datasets(tmp_path: Path, ref: Any, source: str) -> None:
    expected = ref(
        REF_DESCRIBE
        + """
ds = wk.Dataset(P["path"], voxel_size=(4, 4, 40))
size = 100 * 70 * 40
v = (np.arange(size, dtype=np.uint64) * 2654435762) >> 7
data = (v % 251 + 1).astype("uint8").reshape(100, 70, 40)
l = ds.add_layer("color", "color", data_format=P["fmt"])
l.add_mag(1).write(data, absolute_offset=(20, 10, 6), allow_resize=True)
l.downsample(coarsest_mag=wk.Mag(2))
print(json.dumps(describe(wk.Dataset.open(P["path"]))))
""",
        path=str(tmp_path / "refds"),
        fmt=source,
    )
    src = wk.Dataset.open(tmp_path / "refds")
    assert describe(src) == expected
    for target in ("zarr", "wkw", "zarr3"):
        copy = src.copy_dataset(tmp_path / f"copy_{target}", data_format=target)
        assert describe(copy) == expected
        np.testing.assert_array_equal(
            copy.get_layer("color").get_mag(1).read(),
            src.get_layer("color").get_mag(1).read(),
        )
    # and the reference reads the wkfn copy of its own dataset
    again = ref(
        REF_DESCRIBE + 'print(json.dumps(describe(wk.Dataset.open(P["path"]))))',
        path=str(tmp_path / "copy_zarr"),
    )
    assert again == expected
