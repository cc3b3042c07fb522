"""The main job on a built-in sample: ``python -m wkfn.demo [workdir]``.

1. writes a small synthetic EM-like image stack (64 TIFF slices of 256²),
2. writes a declaration: import the stack, downsample it, compress it,
3. plans it (``wkfn plan``) and prints the plan — nothing is written yet,
4. applies the plan (``wkfn apply``), then plans again to show nothing is left,
5. prints ``wkfn info`` of the result and checks the voxels against the sample,
6. draws the plan (``plan.svg``) and a preview of the result (``preview.png``: the
   xy, yz and xz planes at mag 2-2-1; ``examples/demo_preview.png`` is this picture).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

DECLARATION = """\
# A dataset declared as data: `wkfn plan sample.toml`, then `wkfn apply sample.toml`.
name = "sample"
voxel_size = [11.24, 11.24, 25.0]

[[layers]]
name = "color"
category = "color"
dtype = "uint8"
chunk_shape = [32, 32, 32]
shard_shape = [128, 128, 32]
compress = true
source = { images = "slices" }
downsample = { coarsest_mag = 4, sampling_mode = "anisotropic" }
"""


def sample_volume(n: int = 128, depth: int = 64, seed: int = 0) -> np.ndarray:
    """A smooth field with dark membranes and noise, uint8, shape (n, n, depth)."""
    rng = np.random.default_rng(seed)
    axes = [np.linspace(0, 6.0, s, dtype=np.float32) for s in (n, n, depth)]
    x, y, z = np.meshgrid(*axes, indexing="ij")
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
    import tifffile

    from wkfn.api.dataset import Dataset
    from wkfn.cli.main import info_cmd
    from wkfn.declare.planner import load_declaration, plan_declaration
    from wkfn.plan.summary import summarize

    args = sys.argv[1:] if argv is None else argv
    work = Path(args[0]) if args else Path(tempfile.mkdtemp(prefix="wkfn-demo-"))
    started = time.perf_counter()
    volume = sample_volume(256, 64)
    (work / "slices").mkdir(parents=True, exist_ok=True)
    for z in range(volume.shape[2]):
        # image rows are y, columns are x
        tifffile.imwrite(work / "slices" / f"slice_{z}.tif", volume[:, :, z].T)
    spec_file = work / "sample.toml"
    spec_file.write_text(DECLARATION)
    print(f"sample: {volume.shape[2]} TIFF slices of {volume.shape[0]}² in {work}")
    print(f"declaration: {spec_file}\n")

    target = work / "sample"
    recorder = plan_declaration(load_declaration(spec_file), target, base_dir=work)
    print("$ wkfn plan sample.toml   (nothing written yet)")
    for line in summarize(recorder.plan).lines():
        print(line)
    print(recorder.plan)

    from wkfn.picture.plan_svg import plan_drawing, to_svg

    (work / "plan.svg").write_text(to_svg(plan_drawing(recorder.plan)))
    print(
        f"$ wkfn plan sample.toml --svg plan.svg   (a picture of it: {work}/plan.svg)"
    )

    print("\n$ wkfn apply sample.toml")
    report = recorder.apply()
    print(f"applied {report.ops} ops as {report.tasks} tasks in {report.seconds:.2f} s")
    again = plan_declaration(load_declaration(spec_file), target, base_dir=work)
    print(f"planning again: {summarize(again.plan).lines()[0]}")

    print("\n$ wkfn info sample")
    info_cmd(target)
    from wkfn.picture.png import encode_png
    from wkfn.visual.preview import planes_sheet

    print("\n$ wkfn preview sample --planes --mag 2-2-1 -o preview.png")
    picture = planes_sheet(target, mag="2-2-1")
    (work / "preview.png").write_bytes(encode_png(picture))
    print(
        f"wrote {work / 'preview.png'} ({picture.shape[1]}x{picture.shape[0]} pixels:"
        " xy top left, yz right, xz below)"
    )
    data = Dataset.open(target).get_layer("color").get_mag(1).read()[0]
    same = bool(np.array_equal(data, volume))
    print(f"\nvoxels identical to the sample: {same}")
    print(f"total {time.perf_counter() - started:.1f} s")
    return 0 if same and again.plan.is_empty() else 1


if __name__ == "__main__":
    raise SystemExit(main())
