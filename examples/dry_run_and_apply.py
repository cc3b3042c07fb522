"""Record changes as a plan, save it, review it, apply it later (never when stale)."""

import sys
import tempfile
from pathlib import Path

import numpy as np

import wkfn as wk

root = Path(sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp())
ds = wk.Dataset(root / "ds", voxel_size=(4, 4, 40), exist_ok=False)
labels = np.zeros((128, 128, 32), np.uint32)
labels[32:96, 32:96, 8:24] = 7

with ds.dry_run() as rec:  # nothing touches the disk inside this block
    seg = ds.add_layer("seg", "segmentation", dtype="uint32", largest_segment_id=7)
    seg.add_mag(1, chunk_shape=32, shard_shape=64).write(labels, allow_resize=True)
print(rec.plan)  # + array ..., ~ write ..., ~ properties ...

saved = wk.save_plan(rec.plan, root / "plan", rec.payloads)  # plan.json + payloads/
plan, payloads = wk.load_plan(saved)
report = wk.apply(plan, root / "ds", payloads)  # checks the dataset is still as planned
print(f"{report.ops} ops in {report.seconds:.3f} s")
try:
    wk.apply(plan, root / "ds", payloads)
except wk.StalePlanError as err:
    print("refused a second time:", err)
