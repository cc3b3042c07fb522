"""The main job on a built-in sample: ``python -m wkfn.demo [target_dir]``.

Builds a small synthetic EM-like volume, plans writing it as a zarr3 dataset (printing
the plan before anything is written), applies the plan, reopens the dataset and prints
a summary of what is on disk.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import wkfn


def sample_volume(n: int = 128, seed: int = 0) -> np.ndarray:
    """A smooth field with dark membranes and noise, uint8, shape (n, n, n)."""
    rng = np.random.default_rng(seed)
    x, y, z = np.meshgrid(
        *(np.linspace(0, 6.0, n, dtype=np.float32),) * 3, indexing="ij"
    )
    field = 128 + 60 * np.sin(x) * np.cos(y) + 30 * np.sin(z * 1.7)
    membranes = (np.abs(np.sin(3 * x + np.cos(2 * y))) < 0.08) | (
        np.abs(np.sin(2.5 * z + np.sin(y))) < 0.08
    )
    field[membranes] = 30
    field += rng.normal(0, 6, size=field.shape).astype(np.float32)
    out: np.ndarray = np.clip(field, 0, 255).astype(np.uint8)
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the demo; returns a process exit code."""
    args = sys.argv[1:] if argv is None else argv
    target = Path(args[0]) if args else Path(tempfile.mkdtemp()) / "sample_dataset"
    volume = sample_volume()
    print(f"sample volume: {volume.shape} {volume.dtype}, target {target}")

    ds = wkfn.Dataset(target, voxel_size=(11.24, 11.24, 25.0), exist_ok=False)
    with ds.dry_run() as rec:
        layer = ds.add_layer("color", wkfn.COLOR_CATEGORY, dtype_per_channel="uint8")
        mag = layer.add_mag(1, chunk_shape=32, shard_shape=64)
        mag.write(volume, absolute_offset=(0, 0, 0), allow_resize=True)
    print("\nplan (dry run, nothing written yet):")
    print(rec.plan)
    started = time.perf_counter()
    report = rec.apply()
    print(
        f"\napplied {report.ops} ops as {report.tasks} tasks in {report.seconds:.2f} s"
    )

    reopened = wkfn.Dataset.open(target)
    print(f"\ndataset {reopened.name!r} at {reopened.path}")
    print(f"  voxel size: {reopened.voxel_size_with_unit}")
    for name, lay in reopened.layers.items():
        print(
            f"  layer {name}: {lay.category} {lay.dtype_per_channel} "
            f"bbox {lay.bounding_box}"
        )
        for m, view in lay.mags.items():
            info = view.info
            data = view.read()
            print(
                f"    mag {m}: {info.data_format} chunk {tuple(info.chunk_shape)} "
                f"shard {tuple(info.shard_shape)} compressed={info.compression_mode} "
                f"mean={data.mean():.2f}"
            )
    same = np.array_equal(reopened.get_layer("color").get_mag(1).read()[0], volume)
    print(f"  voxels identical to the sample: {same}")
    print(f"  total {time.perf_counter() - started:.2f} s")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
