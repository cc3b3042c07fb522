"""The ``scale`` group: how wkfn's time and memory grow with the volume.

    python benchmarks/run.py --group scale [--scale-sizes 256 512 1024]
        [--repeat 3] [--plot scale.png] [--dask-size 512] [--out scale.json]

For every edge n (default 256, 512, 1024) one zstd color dataset of n³ (chunk 32³,
shard 256³, written by wkfn in its own process) is made once; every measured run gets
a fresh copy of it. Workloads, each run in a fresh process:

* ``downsample``: ``layer.downsample(coarsest_mag=Mag(8), sampling_mode="isotropic")``
  (mags 2, 4, 8; median), with the facade's default executor;
* ``copy``: ``ds.copy_dataset(path, data_format="zarr3", chunk_shape=32,
  shard_shape=128)``: zarr3 to zarr3, every block decoded and re-encoded (with the
  source's own layout the copy would be a plain file copy);
* at ``--dask-size``: the same downsample on a ``ProcessPoolExecutor`` (2 spawn
  workers) and on a dask ``LocalCluster`` (2 workers, 1 thread each), the
  cluster's start-up outside the clock;
* at the largest size: the downsample again under ``WKFN_MEMORY_LIMIT=256MiB``, to
  show the bound at work.

Reported per run: seconds, peak RSS of the process tree (psutil sampled every 20 ms,
workers included), bytes written (file sizes of the new mags / the copy), and
``WKFN_MEMORY_LIMIT``. Per workload: the exponent b of a least-squares fit
``seconds ~ voxels^b`` over the sizes (1 = linear). 2048³ runs only when asked for
(``--scale-sizes ... 2048``); otherwise the runner prints why it is skipped.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent

SMALL_LIMIT = "256MiB"
_WARM = "import time, wkfn.execute.resample_tasks; time.sleep(0.5)"
DEFAULT_LIMIT_TEXT = "2GiB (default)"


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ------------------------------------------------------------------ child process


def _tree_sampler() -> Any:
    sys.path.insert(0, str(HERE))
    from run_one import TreeSampler  # type: ignore[import-not-found]

    return TreeSampler()


def _du(path: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for f in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(root, f)).st_size
    return total


def child_setup(workdir: Path, n: int) -> dict[str, Any]:
    """Write the n³ input dataset (not timed)."""
    import warnings

    warnings.filterwarnings("ignore")
    import wkfn as wk
    from benchmarks import data as gen
    from benchmarks.workloads import CHUNK, VOXEL_SIZE

    ds = wk.Dataset(workdir / "input_ds", voxel_size=VOXEL_SIZE)
    layer = ds.add_layer("color", "color", dtype_per_channel="uint8")
    mag = layer.add_mag(1, chunk_shape=CHUNK, shard_shape=256, compress=True)
    t0 = time.perf_counter()
    slab = 256  # generate and write in z slabs: the generator holds n³ otherwise
    if n <= 512:
        mag.write(gen.color_volume(n), absolute_offset=(0, 0, 0), allow_resize=True)
    else:
        # the generator is seeded per call, so slabs come from a 512-periodic tiling
        base = gen.color_volume(512)
        for x0 in range(0, n, 512):
            for y0 in range(0, n, 512):
                for z0 in range(0, n, slab):
                    mag.write(
                        base[:, :, z0 % 512 : z0 % 512 + slab],
                        absolute_offset=(x0, y0, z0),
                        allow_resize=True,
                    )
    return {"ok": True, "setup_seconds": round(time.perf_counter() - t0, 2)}


def child_run(workdir: Path, task: str, executor: str) -> dict[str, Any]:
    import gc
    import warnings

    warnings.filterwarnings("ignore")
    import wkfn as wk

    pool: Any = None
    cluster: Any = None
    if executor == "processes":
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        pool = ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn"))
        # both workers up, wkfn imported, before the clock
        warm = [pool.submit(exec, _WARM) for _ in range(2)]
        for fut in warm:
            fut.result()
    elif executor == "dask":
        from distributed import Client, LocalCluster

        cluster = LocalCluster(
            n_workers=2, threads_per_worker=1, dashboard_address=None
        )
        client = Client(cluster)
        client.run(exec, _WARM)
        pool = client.get_executor()
    sampler = _tree_sampler()
    sampler.start()
    gc.collect()
    t0 = time.perf_counter()
    ds = wk.Dataset.open(workdir / "input_ds")
    if task == "downsample":
        ds.get_layer("color").downsample(
            coarsest_mag=wk.Mag(8), sampling_mode="isotropic", executor=pool
        )
    elif task == "copy":
        ds.copy_dataset(
            workdir / "copy_ds",
            data_format="zarr3",
            chunk_shape=32,
            shard_shape=128,
            executor=pool,
        )
    else:
        raise ValueError(task)
    seconds = time.perf_counter() - t0
    peak = sampler.stop()
    if task == "downsample":
        layer_dir = workdir / "input_ds" / "color"
        written = sum(_du(layer_dir / m) for m in ("2", "4", "8"))
    else:
        written = _du(workdir / "copy_ds")
    if executor == "processes":
        pool.shutdown()
    elif executor == "dask":
        client.close()
        cluster.close()
    return {
        "ok": True,
        "seconds": round(seconds, 3),
        "peak_tree_mb": peak,
        "bytes_written": written,
    }


def child_main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--phase", choices=("setup", "run"), required=True)
    ap.add_argument("--workdir", type=Path, required=True)
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--task", default="downsample")
    ap.add_argument("--executor", default="default")
    args = ap.parse_args(argv)
    try:
        if args.phase == "setup":
            res = child_setup(args.workdir, args.size)
        else:
            res = child_run(args.workdir, args.task, args.executor)
    except BaseException as e:  # report, never crash without a result line
        res = {"ok": False, "error": f"{type(e).__name__}: {e}"[:500]}
    print(json.dumps(res), flush=True)
    return 0


# ------------------------------------------------------------------ parent


def _child(
    python: str, args: list[str], env: dict[str, str], timeout: float
) -> dict[str, Any]:
    cmd = [python, str(Path(__file__).resolve()), "--child", *args]
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, env=env, cwd=REPO, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return {"ok": False, "error": f"timeout after {timeout:.0f} s"}
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("{"):
            try:
                res: dict[str, Any] = json.loads(line)
                return res
            except ValueError:
                continue
    tail = " | ".join((proc.stderr or "").strip().splitlines()[-3:])
    return {"ok": False, "error": f"no result, exit {proc.returncode}: {tail}"}


def fit_exponent(points: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of log(y) over log(x) (None for fewer than 2 points).

    >>> round(fit_exponent([(1, 2), (8, 16), (64, 128)]), 3)
    1.0
    """
    pts = [(math.log(x), math.log(y)) for x, y in points if x > 0 and y > 0]
    if len(pts) < 2:
        return None
    mx = statistics.fmean(p[0] for p in pts)
    my = statistics.fmean(p[1] for p in pts)
    sxx = sum((p[0] - mx) ** 2 for p in pts)
    if sxx == 0:
        return None
    return sum((p[0] - mx) * (p[1] - my) for p in pts) / sxx


def _median(vals: list[float]) -> float | None:
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None


def run_scale(args: argparse.Namespace) -> int:
    python = args.wkfn_python
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO), env.get("PYTHONPATH", "")) if p
    )
    env.pop("WKFN_MEMORY_LIMIT", None)
    sizes = sorted(set(args.scale_sizes))
    scratch = args.workdir or Path(__import__("tempfile").mkdtemp(prefix="wkfn-scale-"))
    scratch.mkdir(parents=True, exist_ok=True)
    _log(f"scale: sizes {sizes}, repeat {args.repeat}, scratch {scratch}")
    if 2048 not in sizes:
        _log(
            "2048³ skipped: 8x the 1024³ work (the 1024³ rows take minutes on this "
            "shared 2-core machine, times 3 repeats and 2 workloads); pass "
            "--scale-sizes 256 512 1024 2048 to run it (needs ~6 GB of disk per copy)"
        )
    dask_size = args.dask_size if args.dask_size in sizes else sizes[-1]
    plan: list[tuple[int, str, str, str | None]] = []
    for n in sizes:
        plan.append((n, "downsample", "default", None))
        plan.append((n, "copy", "default", None))
    plan.append((dask_size, "downsample", "processes", None))
    plan.append((dask_size, "downsample", "dask", None))
    plan.append((sizes[-1], "downsample", "default", SMALL_LIMIT))
    runs: list[dict[str, Any]] = []
    t_start = time.time()
    for n in sizes:
        seed = scratch / f"seed-{n}"
        if not (seed / "input_ds").exists():
            shutil.rmtree(seed, ignore_errors=True)
            seed.mkdir(parents=True)
            res = _child(
                python,
                ["--phase", "setup", "--workdir", str(seed), "--size", str(n)],
                env,
                args.timeout,
            )
            if not res.get("ok"):
                _log(f"setup {n}³ failed: {res.get('error')}")
                return 1
            _log(f"setup {n}³: {res.get('setup_seconds')} s")
    for rep in range(args.repeat):
        order = plan if rep % 2 == 0 else plan[::-1]
        for n, task, executor, limit in order:
            work = scratch / "run"
            shutil.rmtree(work, ignore_errors=True)
            shutil.copytree(scratch / f"seed-{n}", work)
            run_env = dict(env)
            if limit is not None:
                run_env["WKFN_MEMORY_LIMIT"] = limit
            res = _child(
                python,
                [
                    "--phase",
                    "run",
                    "--workdir",
                    str(work),
                    "--task",
                    task,
                    "--executor",
                    executor,
                ],
                run_env,
                args.timeout,
            )
            res.update(size=n, task=task, executor=executor, limit=limit, repeat=rep)
            runs.append(res)
            _log(
                f"  {task:10s} {n:5d}³ {executor:9s} {limit or '':7s} #{rep}: "
                + (
                    f"{res['seconds']:.2f} s, peak {res['peak_tree_mb']} MB, "
                    f"{res['bytes_written'] / 1e6:.1f} MB written"
                    if res.get("ok")
                    else f"FAILED {res.get('error')}"
                )
            )
    shutil.rmtree(scratch / "run", ignore_errors=True)
    if args.workdir is None and not args.keep:
        shutil.rmtree(scratch, ignore_errors=True)
    rows = summarize(runs, plan)
    print(render(rows, args))
    _log(f"total wall time {time.time() - t_start:.0f} s")
    if args.out:
        args.out.write_text(json.dumps({"rows": rows, "runs": runs}, indent=1))
    if args.plot:
        plot(rows, args.plot)
        _log(f"wrote {args.plot}")
    return 0


def summarize(
    runs: list[dict[str, Any]], plan: list[tuple[int, str, str, str | None]]
) -> list[dict[str, Any]]:
    rows = []
    for n, task, executor, limit in plan:
        mine = [
            r
            for r in runs
            if (r["size"], r["task"], r["executor"], r["limit"])
            == (n, task, executor, limit)
        ]
        ok = [r for r in mine if r.get("ok")]
        rows.append(
            {
                "size": n,
                "task": task,
                "executor": executor,
                "limit": limit,
                "n_ok": len(ok),
                "n": len(mine),
                "seconds": _median([r["seconds"] for r in ok]),
                "peak_tree_mb": _median([r["peak_tree_mb"] for r in ok]),
                "bytes_written": _median([r["bytes_written"] for r in ok]),
                "error": next((r.get("error") for r in mine if not r.get("ok")), None),
            }
        )
    return rows


def _curve(rows: list[dict[str, Any]], task: str) -> list[dict[str, Any]]:
    return [
        r
        for r in rows
        if r["task"] == task
        and r["executor"] == "default"
        and r["limit"] is None
        and r["seconds"]
    ]


def render(rows: list[dict[str, Any]], args: argparse.Namespace) -> str:
    lines = [
        f"scale group: median of {args.repeat} fresh-process run(s); load "
        f"{os.getloadavg()[0]:.1f} (1-min average at the end) on {os.cpu_count()} "
        "cores",
        "",
        "| workload | size | executor | WKFN_MEMORY_LIMIT | s | s per Gvoxel | "
        "peak tree MB | MB written |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        s = r["seconds"]
        head = (
            f"| {r['task']} | {r['size']}³ | {r['executor']} | "
            f"{r['limit'] or DEFAULT_LIMIT_TEXT} | "
        )
        if not s:
            lines.append(head + f"FAIL | — | — | — | {r['error']}")
            continue
        per_gvox = s / (r["size"] ** 3 / 1e9)
        lines.append(
            head + f"{s:.2f} | {per_gvox:.1f} | {r['peak_tree_mb']:.0f} | "
            f"{r['bytes_written'] / 1e6:.1f} |"
        )
    lines.append("")
    for task in ("downsample", "copy"):
        pts = [(r["size"] ** 3, r["seconds"]) for r in _curve(rows, task)]
        b = fit_exponent(pts)
        mem = [r["peak_tree_mb"] for r in _curve(rows, task)]
        lines.append(
            f"- {task}: time ~ voxels^{b:.2f} (log-log fit over "
            f"{len(pts)} sizes); peak tree RSS {min(mem):.0f}-{max(mem):.0f} MB"
            if b is not None and mem
            else f"- {task}: not enough sizes for a fit"
        )
    proc = [r for r in rows if r["executor"] == "processes" and r["seconds"]]
    dask = [r for r in rows if r["executor"] == "dask" and r["seconds"]]
    if proc and dask:
        lines.append(
            f"- downsample {proc[0]['size']}³: ProcessPoolExecutor(2) "
            f"{proc[0]['seconds']:.2f} s, dask LocalCluster(2 workers) "
            f"{dask[0]['seconds']:.2f} s: dask speed-up "
            f"{proc[0]['seconds'] / dask[0]['seconds']:.2f}x"
        )
    return "\n".join(lines)


def plot(rows: list[dict[str, Any]], out: Path) -> None:
    """Log-log seconds and peak memory over voxels, one line per workload."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_t, ax_m) = plt.subplots(1, 2, figsize=(8, 3.2), dpi=90)
    for task, marker in (("downsample", "o"), ("copy", "s")):
        curve = _curve(rows, task)
        if not curve:
            continue
        vox = [r["size"] ** 3 for r in curve]
        secs = [r["seconds"] for r in curve]
        b = fit_exponent(list(zip(vox, secs)))
        label = f"{task} (b = {b:.2f})" if b is not None else task
        ax_t.loglog(vox, secs, marker=marker, label=label)
        ax_m.semilogx(
            vox, [r["peak_tree_mb"] for r in curve], marker=marker, label=task
        )
    first = _curve(rows, "downsample")
    if first:
        vox = sorted({r["size"] ** 3 for r in first})
        base = first[0]["seconds"] / first[0]["size"] ** 3
        ax_t.loglog(vox, [v * base for v in vox], ls=":", color="grey", label="linear")
    ax_t.set_xlabel("voxels")
    ax_t.set_ylabel("seconds")
    ax_t.set_title("time")
    ax_t.legend(fontsize=7)
    ax_m.axhline(2048, ls="--", color="grey", label="WKFN_MEMORY_LIMIT (2 GiB)")
    ax_m.set_xlabel("voxels")
    ax_m.set_ylabel("peak RSS of the process tree, MB")
    ax_m.set_title("memory")
    ax_m.set_ylim(0, 2300)
    ax_m.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        if str(REPO) not in sys.path:
            sys.path.insert(0, str(REPO))
        sys.exit(child_main(sys.argv[2:]))
    sys.exit("run this through benchmarks/run.py --group scale")
