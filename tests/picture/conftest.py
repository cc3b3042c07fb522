"""Datasets for the picture tests: known voxels in colour, segmentation, RGB layers."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from picture_helpers import TOPLEFT, labels, volume  # noqa: E402

import wkfn as wk  # noqa: E402


@pytest.fixture(scope="session")
def picture_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``color`` (zarr3, mags 1, 2-2-1, 4-4-2, intensityRange 0..255), ``seg``
    (zarr v2, uint32), ``rgb`` (3 channels) and ``plain`` (no view config)."""
    path = tmp_path_factory.mktemp("pictures") / "ds"
    ds = wk.Dataset(path, voxel_size=(10, 10, 20))
    color = ds.add_layer("color", wk.COLOR_CATEGORY, dtype_per_channel="uint8")
    color.add_mag(1).write(volume()[None], absolute_offset=TOPLEFT, allow_resize=True)
    color.downsample(coarsest_mag=wk.Mag("4-4-2"), sampling_mode="anisotropic")
    color.default_view_configuration = wk.LayerViewConfiguration(
        intensity_range=(0, 255)
    )
    seg = ds.add_layer(
        "seg",
        wk.SEGMENTATION_CATEGORY,
        dtype_per_channel="uint32",
        largest_segment_id=int(labels().max()),
        data_format="zarr",
    )
    seg.add_mag(1).write(labels()[None], absolute_offset=TOPLEFT, allow_resize=True)
    rgb = ds.add_layer(
        "rgb", wk.COLOR_CATEGORY, dtype_per_channel="uint8", num_channels=3
    )
    rgb.add_mag(1).write(
        np.stack([volume(1), volume(2), volume(3)]),
        absolute_offset=TOPLEFT,
        allow_resize=True,
    )
    plain = ds.add_layer("plain", wk.COLOR_CATEGORY, dtype_per_channel="uint16")
    plain.add_mag(1).write(
        (volume(4).astype(np.uint16) * 100)[None],
        absolute_offset=TOPLEFT,
        allow_resize=True,
    )
    return path
