"""Down- and upsampling n-D layers: x, y, z are resampled per extra-axis point, the
extra axes stay untouched (the same result as resampling each 3-D volume alone)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import wkfn as wk


@pytest.mark.parametrize("fmt", ["zarr3", "zarr"])
def test_downsample_and_upsample_keep_extra_axes(tmp_path: Path, fmt: str) -> None:
    ds = wk.Dataset(tmp_path / "ds", voxel_size=(1, 1, 1))
    bb = wk.NDBoundingBox((1, 0, 0, 0), (3, 64, 32, 16), ("t", "x", "y", "z"))
    layer = ds.add_layer(
        "nd", "color", dtype_per_channel="uint16", bounding_box=bb, data_format=fmt
    )
    data = np.random.default_rng(3).integers(0, 1000, tuple(bb.size)).astype(np.uint16)
    layer.add_mag(1).write(data, absolute_bounding_box=bb)
    with ds.dry_run() as rec:
        layer.downsample(coarsest_mag=wk.Mag(4))
    text = str(rec.plan)
    assert "t=1, (0, 0, 0)" in text and "t=3, (0, 0, 0)" in text
    rec.apply()
    assert [m.to_layer_name() for m in layer.mags] == ["1", "2", "4"]
    assert layer.bounding_box == bb

    # each t equals a 3-D layer with that volume downsampled alone
    for i in range(3):
        flat = ds.add_layer(f"flat{i}", "color", dtype_per_channel="uint16")
        flat.add_mag(1).write(data[i], absolute_offset=(0, 0, 0), allow_resize=True)
        flat.downsample(coarsest_mag=wk.Mag(4))
        for mag in (2, 4):
            nd = layer.get_mag(mag).read(
                absolute_bounding_box=bb.with_bounds("t", i + 1, 1)
            )
            assert np.array_equal(nd[0], flat.get_mag(mag).read()[0]), (i, mag)

    up = ds.add_layer(
        "up", "color", dtype_per_channel="uint16", bounding_box=bb, data_format=fmt
    )
    up.add_mag(2).write(layer.get_mag(2).read(), absolute_bounding_box=bb)
    up.upsample(from_mag=wk.Mag(2), finest_mag=wk.Mag(1))
    ups = up.get_mag(1).read()
    coarse = layer.get_mag(2).read()
    assert ups.shape == (3, 64, 32, 16)
    assert np.array_equal(ups[:, ::2, ::2, ::2], coarse)
    assert np.array_equal(ups[:, 1::2, 1::2, 1::2], coarse)
