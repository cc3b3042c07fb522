"""The README example: create a dataset, write a volume, read it back."""

import sys
import tempfile

import numpy as np

import wkfn as wk

path = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp() + "/quickstart"
ds = wk.Dataset(path, voxel_size=(11.2, 11.2, 25), exist_ok=False)
layer = ds.add_layer("color", wk.COLOR_CATEGORY, dtype_per_channel="uint8")
mag1 = layer.add_mag(1)
volume = np.random.default_rng(0).integers(0, 255, (256, 256, 64), dtype=np.uint8)
mag1.write(volume, absolute_offset=(0, 0, 0), allow_resize=True)
print(layer.bounding_box, mag1.info.shard_shape)
assert np.array_equal(
    wk.Dataset.open(path).get_layer("color").get_mag(1).read()[0], volume
)
