"""Declare a dataset as data, plan it, apply it, and see that re-planning is empty.

The same works from the shell: `wkfn plan sample.toml` and `wkfn apply sample.toml`.
"""

import sys
import tempfile
from pathlib import Path

import numpy as np
import tifffile

import wkfn

root = Path(sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp())
(root / "slices").mkdir(parents=True)
rng = np.random.default_rng(0)
for z in range(16):  # a small stack of 2D images: rows are y, columns are x
    tifffile.imwrite(
        root / "slices" / f"em_{z}.tif", rng.integers(0, 255, (96, 128), np.uint8)
    )

(root / "sample.toml").write_text(
    """
name = "sample"
voxel_size = [4.0, 4.0, 40.0]

[[layers]]
name = "em"
source = { images = "slices" }
downsample = { coarsest_mag = 4 }

[[layers]]
name = "labels"
category = "segmentation"
dtype = "uint32"
bounding_box = { size = [128, 96, 16] }
"""
)
rec = wkfn.plan(root / "sample.toml")  # nothing is written yet
print(rec.plan)
wkfn.apply(rec)
assert wkfn.plan(root / "sample.toml").plan.is_empty()  # applying again does nothing
print(sorted(wkfn.Dataset.open(root / "sample").layers))
