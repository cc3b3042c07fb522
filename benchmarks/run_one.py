"""Run ONE benchmark workload for ONE library and print one JSON line.

    python benchmarks/run_one.py --lib webknossos|wkfn --workload NAME --workdir DIR
        [--size 512] [--phase all|setup|run|verify] [--no-verify]
        [--verify-python PY --verify-lib LIB] [--timeout S]

``--phase all`` (default) is a small driver that runs each phase in its own fresh
process with the same interpreter: ``setup`` (untimed, writes the input dataset
with the library being measured), ``run`` (imports the library — timed
separately —, generates the in-memory input, then times the workload and records
peak RSS), ``verify`` (sha1 of every written mag, read back through the public
API; by default with the same library, or with ``--verify-python/--verify-lib``,
e.g. the reference, to cross-check on-disk compatibility). The merged result is
printed as the last line of stdout:

    {"workload", "lib", "seconds", "peak_rss_mb", "peak_tree_mb", "ok", "error", ...}

Peak RSS: ``peak_rss_mb`` = ``getrusage(RUSAGE_SELF).ru_maxrss`` of the timed
process (includes the imported library and the input arrays), ``peak_tree_mb`` =
self + ``RUSAGE_CHILDREN`` (largest reaped child, e.g. pool workers),
``peak_tree_sampled_mb`` = peak of the summed RSS of the process tree sampled by
psutil every 20 ms during the timed part (if psutil is available).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import json
import os
import resource
import shutil
import subprocess
import sys
import threading
import time
import traceback
import warnings
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

LIBS = ("webknossos", "wkfn", "limit")
"""``limit`` runs the workload's bare-tensorstore limit (``benchmarks/limits.py``);
its setup and verify phases use wkfn."""


def _phase_lib(lib: str) -> str:
    """The library that sets up and verifies a run (wkfn for the limit rows)."""
    return "wkfn" if lib == "limit" else lib


def _maxrss_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024.0  # Linux: KiB


class TreeSampler(threading.Thread):
    """Samples the summed RSS of this process and all its descendants."""

    def __init__(self, interval: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.interval = interval
        self.peak_mb = 0.0
        self._stop_evt = threading.Event()
        try:
            import psutil

            self._proc: Any = psutil.Process()
            self._psutil: Any = psutil
        except Exception:  # pragma: no cover - psutil missing
            self._proc = None

    def sample(self) -> None:
        if self._proc is None:
            return
        total = 0
        try:
            procs = [self._proc, *self._proc.children(recursive=True)]
        except Exception:
            return
        for p in procs:
            with contextlib.suppress(Exception):
                total += p.memory_info().rss
        self.peak_mb = max(self.peak_mb, total / 2**20)

    def run(self) -> None:
        while not self._stop_evt.is_set():
            self.sample()
            self._stop_evt.wait(self.interval)

    def stop(self) -> float | None:
        self._stop_evt.set()
        self.join(timeout=2)
        self.sample()
        return round(self.peak_mb, 1) if self._proc is not None else None


def _import_lib(lib: str) -> tuple[ModuleType, float]:
    t0 = time.perf_counter()
    mod = importlib.import_module(lib)
    return mod, time.perf_counter() - t0


def _quiet() -> None:
    warnings.filterwarnings("ignore")


# ---------------------------------------------------------------------------- phases


def phase_setup(args: argparse.Namespace) -> dict[str, Any]:
    _quiet()
    wk, _ = _import_lib(_phase_lib(args.lib))
    from benchmarks.workloads import WORKLOADS, DataCache

    w = WORKLOADS[args.workload]
    out: dict[str, Any] = {"phase": "setup", "ok": True}
    if w.setup is None:
        return out
    cache = DataCache(args.size)
    cache.ensure(w.setup_needs)
    t0 = time.perf_counter()
    w.setup(wk, Path(args.workdir), cache)
    out["setup_seconds"] = round(time.perf_counter() - t0, 3)
    return out


def phase_run(args: argparse.Namespace) -> dict[str, Any]:
    _quiet()
    wk, import_s = _import_lib("tensorstore" if args.lib == "limit" else args.lib)
    import_rss = _maxrss_mb(resource.RUSAGE_SELF)
    from benchmarks.workloads import WORKLOADS, DataCache, run_digest

    w = WORKLOADS[args.workload]
    run = w.run
    if args.lib == "limit":
        from benchmarks.limits import LIMITS

        run = LIMITS[w.name]
    cache = DataCache(args.size)
    cache.ensure(w.needs)
    rss_before = _maxrss_mb(resource.RUSAGE_SELF)
    sampler = TreeSampler()
    sampler.start()
    gc.collect()
    t0 = time.perf_counter()
    run(wk, Path(args.workdir), cache)
    seconds = time.perf_counter() - t0
    peak_self = _maxrss_mb(resource.RUSAGE_SELF)
    peak_children = _maxrss_mb(resource.RUSAGE_CHILDREN)
    sampled = sampler.stop()
    out: dict[str, Any] = {
        "phase": "run",
        "ok": True,
        "seconds": round(seconds, 4),
        "import_seconds": round(import_s, 4),
        "import_rss_mb": round(import_rss, 1),
        "rss_before_mb": round(rss_before, 1),
        "peak_rss_mb": round(peak_self, 1),
        "peak_children_mb": round(peak_children, 1),
        "peak_tree_mb": round(peak_self + peak_children, 1),
        "peak_tree_sampled_mb": sampled,
    }
    digest = run_digest(cache)
    if digest is not None:
        out["checksum"] = digest
    return out


def phase_verify(args: argparse.Namespace) -> dict[str, Any]:
    _quiet()
    wk, _ = _import_lib(_phase_lib(args.lib))
    from benchmarks.workloads import WORKLOADS, dataset_checksums

    w = WORKLOADS[args.workload]
    t0 = time.perf_counter()
    voxels: dict[str, str] = {}
    meta: dict[str, Any] = {}
    for rel in w.verify_paths:
        res = dataset_checksums(wk, Path(args.workdir) / rel)
        voxels.update({f"{rel}:{k}": v for k, v in res["voxels"].items()})
        meta.update({f"{rel}:{k}": v for k, v in res["meta"].items()})
    return {
        "phase": "verify",
        "ok": True,
        "checksum": voxels,
        "meta": meta,
        "verified_with": args.lib,
        "verify_seconds": round(time.perf_counter() - t0, 3),
    }


def _last_json(text: str) -> dict[str, Any] | None:
    for line in reversed(text.splitlines()):
        line = line.strip()
        if line.startswith("{") and line.endswith("}"):
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if isinstance(obj, dict) and "phase" in obj:
                return obj
    return None


def _sub(args: argparse.Namespace, phase: str, python: str, lib: str) -> dict[str, Any]:
    cmd = [
        python,
        str(Path(__file__).resolve()),
        "--phase",
        phase,
        "--lib",
        lib,
        "--workload",
        args.workload,
        "--workdir",
        str(args.workdir),
        "--size",
        str(args.size),
    ]
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=args.timeout, cwd=REPO
        )
    except subprocess.TimeoutExpired:
        return {"phase": phase, "ok": False, "error": f"timeout after {args.timeout}s"}
    except OSError as e:
        return {"phase": phase, "ok": False, "error": f"cannot start {python}: {e}"}
    res = _last_json(proc.stdout)
    if res is None:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        msg = " | ".join(tail) or f"exit code {proc.returncode}"
        return {"phase": phase, "ok": False, "error": f"no result ({msg})"}
    return res


def phase_all(args: argparse.Namespace) -> dict[str, Any]:
    from benchmarks.workloads import INPUT_DS, WORKLOADS

    w = WORKLOADS[args.workload]
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    for leftover in workdir.iterdir():  # only our own dataset dirs are removed
        if leftover.is_dir() and leftover.name.endswith("_ds"):
            shutil.rmtree(leftover)
    out: dict[str, Any] = {"group": w.group, "size": args.size}
    if w.setup is not None:
        res = _sub(args, "setup", sys.executable, args.lib)
        if not res.get("ok"):
            return {**out, "ok": False, "error": f"setup: {res.get('error')}"}
        out["setup_seconds"] = res.get("setup_seconds")
        if not (workdir / INPUT_DS).exists():
            return {**out, "ok": False, "error": "setup wrote no input dataset"}
    res = _sub(args, "run", sys.executable, args.lib)
    out.update({k: v for k, v in res.items() if k != "phase"})
    if not res.get("ok"):
        out["error"] = f"run: {res.get('error')}"
        return out
    if w.verify_paths and not args.no_verify:
        vpy = args.verify_python or sys.executable
        vlib = args.verify_lib or args.lib
        ver = _sub(args, "verify", vpy, vlib)
        if ver.get("ok"):
            out["checksum"] = ver["checksum"]
            out["meta"] = ver.get("meta")
            out["verified_with"] = ver.get("verified_with")
            out["verify_seconds"] = ver.get("verify_seconds")
        else:
            out["verify_error"] = ver.get("error")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lib", required=True, choices=LIBS)
    ap.add_argument("--workload", required=True)
    ap.add_argument("--workdir", required=True, type=Path)
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--phase", default="all", choices=("all", "setup", "run", "verify"))
    ap.add_argument("--no-verify", action="store_true")
    ap.add_argument("--verify-python", default=None)
    ap.add_argument("--verify-lib", default=None, choices=LIBS)
    ap.add_argument("--timeout", type=float, default=3600.0)
    args = ap.parse_args(argv)

    base = {"workload": args.workload, "lib": args.lib}
    phases = {
        "all": phase_all,
        "setup": phase_setup,
        "run": phase_run,
        "verify": phase_verify,
    }
    try:
        res = phases[args.phase](args)
    except BaseException as e:  # report, never crash without a result line
        res = {
            "phase": args.phase,
            "ok": False,
            "error": f"{type(e).__name__}: {e}".strip()[:500],
            "traceback": traceback.format_exc()[-2000:],
        }
    res = {**base, "seconds": None, "peak_rss_mb": None, "error": None, **res}
    res.setdefault("ok", False)
    res.setdefault("phase", args.phase)
    sys.stdout.flush()
    print(json.dumps(res), flush=True)
    return 0


if __name__ == "__main__":
    # Flush library output before our JSON line; os._exit avoids slow teardown of
    # lingering executor threads after the result is out.
    code = main()
    sys.stderr.flush()
    os._exit(code)
