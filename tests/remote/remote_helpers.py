"""Constants and helpers shared by the WEBKNOSSOS client tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from wkserver import DatasetRecord, Server

TOKEN = "user-token-0123456789abcdef"
OTHER_TOKEN = "other-org-token-fedcba9876543210"
ORG = "test_org"
OTHER_ORG = "other_org"
SAMPLE_NAME = "l4_sample"


@dataclass
class Wk:
    server: Server
    sample: DatasetRecord
    sample_path: Path
    token: str = TOKEN

    @property
    def url(self) -> str:
        return self.server.url


def make_sample(path: Path) -> Path:
    """A small two-layer zarr3 dataset written by wkfn (mags 1 and 2-2-1 each)."""
    import wkfn as wk

    rng = np.random.default_rng(7)
    ds = wk.Dataset(path, voxel_size=(11.2, 11.2, 25), exist_ok=False)
    color = ds.add_layer("color", "color", dtype_per_channel="uint8")
    data = rng.integers(0, 255, (70, 60, 40), dtype=np.uint8)
    color.add_mag(1).write(data, absolute_offset=(10, 20, 5), allow_resize=True)
    color.downsample_mag((1, 1, 1), (2, 2, 1))
    seg = ds.add_layer(
        "segmentation", "segmentation", dtype_per_channel="uint32", largest_segment_id=9
    )
    labels = rng.integers(0, 10, (40, 30, 20), dtype=np.uint32)
    seg.add_mag(1).write(labels, absolute_offset=(0, 0, 0), allow_resize=True)
    # same mags in both layers: 4.3.3's download reuses the first layer's mag list
    seg.downsample_mag((1, 1, 1), (2, 2, 1))
    return path
