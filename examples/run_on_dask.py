"""Run the same plan on a dask.distributed cluster (here a LocalCluster)."""

import sys
import tempfile
from pathlib import Path

import numpy as np
from distributed import Client, LocalCluster

import wkfn as wk

if __name__ == "__main__":
    root = Path(sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp())
    ds = wk.Dataset(root / "ds", voxel_size=(8, 8, 8), exist_ok=False)
    data = np.random.default_rng(1).integers(0, 255, (256, 256, 256), dtype=np.uint8)
    with ds.dry_run() as rec:
        layer = ds.add_layer("color", "color")
        layer.add_mag(1, chunk_shape=32, shard_shape=64).write(data, allow_resize=True)
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        report = rec.apply(executor=client.get_executor())
    print(f"{report.tasks} tasks on the cluster in {report.seconds:.2f} s")
    assert np.array_equal(
        wk.Dataset.open(root / "ds").get_layer("color").get_mag(1).read()[0], data
    )
