"""Benchmark runner: wkfn vs. the reference ``webknossos`` 4.3.3, side by side.

    python benchmarks/run.py [--group io|downsample|copy|images|all] [--repeat 3]
        [--ref-python .venv-ref/bin/python] [--wkfn-python PY] [--size 512]
        [--only NAME ...] [--lib both|wkfn|webknossos] [--no-limit]
        [--out results.json]

Every measurement is a fresh process (``run_one.py``); wkfn and reference runs are
interleaved with alternating order; medians are reported as a markdown table.
Workloads with a bare-tensorstore limit (``limits.py``) also run it, interleaved
in the same way, and the table gives wkfn/limit next to reference/wkfn.
Written voxels are checksummed (first repetition by default) and the table flags
any workload where wkfn's voxels differ from the reference's. Stdlib only.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.limits import LIMIT, LIMITS  # noqa: E402
from benchmarks.workloads import GROUPS, Workload, select  # noqa: E402

REF = "webknossos"
WKFN = "wkfn"
DEFAULT_REF_PY = str(
    Path(__file__).resolve().parents[1] / ".venv-ref" / "bin" / "python"
)


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _last_json(text: str) -> dict[str, Any] | None:
    for line in reversed(text.splitlines()):
        line = line.strip()
        if line.startswith("{") and line.endswith("}"):
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if isinstance(obj, dict) and "workload" in obj:
                return obj
    return None


def run_once(
    python: str | None,
    lib: str,
    w: Workload,
    workdir: Path,
    args: argparse.Namespace,
    verify: bool,
) -> dict[str, Any]:
    base: dict[str, Any] = {"workload": w.name, "lib": lib, "ok": False}
    if python is None:
        return {**base, "error": "unavailable (no interpreter)"}
    cmd = [
        python,
        str(HERE / "run_one.py"),
        "--lib",
        lib,
        "--workload",
        w.name,
        "--workdir",
        str(workdir),
        "--size",
        str(args.size),
        "--timeout",
        str(args.timeout),
    ]
    if not verify:
        cmd.append("--no-verify")
    elif args.cross_verify and lib == WKFN and args.ref_python_ok:
        cmd += ["--verify-python", args.ref_python, "--verify-lib", REF]
    env = dict(os.environ)
    if lib in (WKFN, LIMIT):  # wkfn from this checkout even if not installed
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(REPO), env.get("PYTHONPATH", "")) if p
        )
    try:
        proc = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            env=env,
            cwd=REPO,
            timeout=3 * args.timeout + 60,
        )
    except subprocess.TimeoutExpired:
        return {**base, "error": "timeout"}
    except OSError as e:
        return {**base, "error": f"cannot start {python}: {e}"}
    res = _last_json(proc.stdout)
    if res is None:
        tail = " | ".join((proc.stderr or "").strip().splitlines()[-3:])
        return {**base, "error": f"no result, exit {proc.returncode}: {tail}"}
    return res


def _median(vals: list[float]) -> float | None:
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None


def _fmt_s(v: float | None) -> str:
    if v is None:
        return "—"
    return f"{v:.3f}" if v < 10 else f"{v:.1f}"


def _fmt_mb(self_mb: float | None, tree_mb: float | None) -> str:
    if self_mb is None:
        return "—"
    s = f"{self_mb:.0f}"
    if tree_mb is not None and tree_mb > self_mb * 1.05 + 5:
        s += f" ({tree_mb:.0f} tree)"
    return s


def _short(err: str | None, n: int = 70) -> str:
    e = (err or "failed").replace("|", "/").replace("\n", " ")
    return e if len(e) <= n else e[: n - 1] + "…"


def summarize(runs: list[dict[str, Any]]) -> dict[str, Any]:
    ok = [r for r in runs if r.get("ok")]
    out: dict[str, Any] = {"n_ok": len(ok), "n": len(runs)}
    if not ok:
        errs = [r.get("error") for r in runs]
        out["error"] = next((e for e in errs if e), "failed")
        return out
    out["seconds"] = _median([r["seconds"] for r in ok])
    out["peak_rss_mb"] = _median([r.get("peak_rss_mb") for r in ok])
    trees = [
        max(r.get("peak_tree_mb") or 0.0, r.get("peak_tree_sampled_mb") or 0.0)
        for r in ok
    ]
    out["peak_tree_mb"] = _median(trees)
    out["import_seconds"] = _median([r.get("import_seconds") for r in ok])
    out["import_rss_mb"] = _median([r.get("import_rss_mb") for r in ok])
    sums = [json.dumps(r["checksum"], sort_keys=True) for r in ok if r.get("checksum")]
    out["checksums"] = sorted(set(sums))
    if len(ok) < len(runs):
        out["partial_error"] = next(r.get("error") for r in runs if not r.get("ok"))
    return out


def _combined(checksums_json: str) -> str:
    """Short digest over all of a run's checksums (for the table)."""
    return hashlib.sha1(checksums_json.encode()).hexdigest()[:10]


def checksum_cell(
    ws: dict[str, Any], rs: dict[str, Any], ls: dict[str, Any] | None = None
) -> str:
    cell = _pair_cell(ws, rs)
    lsum = (ls or {}).get("checksums") or []
    if lsum:
        wsum = ws.get("checksums") or []
        cell += "; limit " + (
            "match" if lsum == wsum and len(lsum) == 1 else "**DIFFERS**"
        )
    return cell


def _pair_cell(ws: dict[str, Any], rs: dict[str, Any]) -> str:
    wsum, rsum = ws.get("checksums") or [], rs.get("checksums") or []
    if len(rsum) > 1:
        return "ref NOT deterministic"
    if len(wsum) > 1:
        return "**wkfn NOT deterministic**"
    if wsum and rsum:
        return "match" if wsum == rsum else "**DIFFERS**"
    if rsum:
        return f"ref only ({_combined(rsum[0])})"
    if wsum:
        return f"wkfn only ({_combined(wsum[0])})"
    return "—"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--group", default="all", choices=(*GROUPS, "scale", "all"))
    ap.add_argument(
        "--scale-sizes",
        type=int,
        nargs="+",
        default=[256, 512, 1024],
        help="edges of the scale group (benchmarks/scale.py)",
    )
    ap.add_argument(
        "--dask-size", type=int, default=512, help="edge of the dask comparison"
    )
    ap.add_argument(
        "--plot", type=Path, default=None, help="scale group: draw the curve (PNG)"
    )
    ap.add_argument("--only", nargs="+", default=None, metavar="NAME")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--ref-python", default=DEFAULT_REF_PY)
    ap.add_argument("--wkfn-python", default=sys.executable)
    ap.add_argument("--lib", default="both", choices=("both", WKFN, REF))
    ap.add_argument(
        "--no-limit",
        action="store_true",
        help="skip the bare-tensorstore limit rows (benchmarks/limits.py)",
    )
    ap.add_argument(
        "--verify",
        default="first",
        choices=("first", "all", "none"),
        help="checksum written voxels on the first / every / no repetition",
    )
    ap.add_argument(
        "--cross-verify",
        action="store_true",
        help="checksum wkfn's output with the reference library (format check)",
    )
    ap.add_argument("--workdir", type=Path, default=None, help="scratch directory")
    ap.add_argument("--keep", action="store_true", help="keep scratch datasets")
    ap.add_argument("--timeout", type=float, default=3600.0, help="per phase, s")
    ap.add_argument("--out", type=Path, default=None, help="write raw results")
    args = ap.parse_args(argv)
    if args.group == "scale":
        from benchmarks.scale import run_scale

        return run_scale(args)

    try:
        workloads = select(args.group, args.only)
    except KeyError as e:
        ap.error(str(e))

    ref_py: str | None = args.ref_python
    args.ref_python_ok = bool(ref_py and os.access(ref_py, os.X_OK))
    if not args.ref_python_ok:
        _log(f"reference python {ref_py!r} not found: reference rows unavailable")
        ref_py = None
    wkfn_py: str | None = args.wkfn_python
    if not (wkfn_py and os.access(wkfn_py, os.X_OK)):
        _log(f"wkfn python {wkfn_py!r} not found")
        wkfn_py = None
    pythons = {WKFN: wkfn_py, REF: ref_py, LIMIT: wkfn_py}
    libs = [WKFN, REF] if args.lib == "both" else [args.lib]

    scratch = args.workdir or Path(tempfile.mkdtemp(prefix="wkfn-bench-"))
    scratch.mkdir(parents=True, exist_ok=True)
    _log(f"scratch: {scratch}; size {args.size}³; repeat {args.repeat}")

    all_runs: list[dict[str, Any]] = []
    summary: list[dict[str, Any]] = []
    t_start = time.time()
    for w in workloads:
        w_libs = libs + ([LIMIT] if w.name in LIMITS and not args.no_limit else [])
        per_lib: dict[str, list[dict[str, Any]]] = {lib: [] for lib in w_libs}
        for rep in range(args.repeat):
            # rotate and alternate, so no library always runs first or last
            k = rep % len(w_libs)
            order = w_libs[k:] + w_libs[:k]
            order = order if rep % 2 == 0 else order[::-1]
            for lib in order:
                verify = args.verify == "all" or (args.verify == "first" and rep == 0)
                wd = scratch / f"{w.name}-{lib}-{rep}"
                res = run_once(pythons[lib], lib, w, wd, args, verify)
                res["repeat"] = rep
                if not args.keep:
                    shutil.rmtree(wd, ignore_errors=True)
                per_lib[lib].append(res)
                all_runs.append(res)
                if res.get("ok"):
                    _log(
                        f"  {w.name:20s} {lib:10s} #{rep}: {res['seconds']:.3f} s, "
                        f"peak {res.get('peak_rss_mb')} MB"
                        + (
                            f" (tree {res['peak_tree_mb']})"
                            if res.get("peak_tree_mb")
                            else ""
                        )
                    )
                else:
                    err = _short(res.get("error"), 200)
                    _log(f"  {w.name:20s} {lib:10s} #{rep}: FAILED {err}")
                    if res.get("verify_error"):
                        _log(f"    verify error: {res['verify_error']}")
        summary.append(
            {
                "workload": w.name,
                "group": w.group,
                "title": w.title,
                "anchor_s": w.anchor_s,
                "anchor_rss_mb": w.anchor_rss_mb,
                **{
                    lib: summarize(per_lib.get(lib, []))
                    for lib in (WKFN, REF, LIMIT)
                    if lib != LIMIT or lib in per_lib
                },
            }
        )
    if not args.keep and args.workdir is None:
        shutil.rmtree(scratch, ignore_errors=True)

    print(render(summary, args, libs))
    _log(f"total wall time {time.time() - t_start:.0f} s")
    if args.out:
        args.out.write_text(
            json.dumps(
                {
                    "config": {
                        k: (str(v) if isinstance(v, Path) else v)
                        for k, v in vars(args).items()
                    },
                    "host": {"platform": platform.platform(), "cpus": os.cpu_count()},
                    "summary": summary,
                    "runs": all_runs,
                },
                indent=1,
            )
        )
        _log(f"wrote {args.out}")
    return 0


def render(
    summary: list[dict[str, Any]], args: argparse.Namespace, libs: list[str]
) -> str:
    show_anchor = args.size == 512
    head = [
        "workload",
        "wkfn s",
        "ref s",
        "speedup (ref/wkfn)",
        "limit s",
        "wkfn/limit",
        "wkfn peak MB",
        "ref peak MB",
        "voxels",
    ]
    if show_anchor:
        head.append("anchor ref s / MB")
    lines = [
        f"size {args.size}³, median of {args.repeat} fresh-process run(s) per library",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
    ]

    def cell(s: dict[str, Any], lib: str, key: str) -> str:
        if lib not in libs:
            return "skipped"
        if not s.get("n_ok"):
            return "FAIL" if key == "seconds" else "—"
        return (
            _fmt_s(s["seconds"])
            if key == "seconds"
            else _fmt_mb(s.get("peak_rss_mb"), s.get("peak_tree_mb"))
        )

    notes: list[str] = []
    for row in summary:
        ws, rs, ls = row[WKFN], row[REF], row.get(LIMIT) or {}
        speed = "—"
        if ws.get("seconds") and rs.get("seconds"):
            speed = f"{rs['seconds'] / ws['seconds']:.2f}x"
        to_limit = "—"
        if ws.get("seconds") and ls.get("seconds"):
            to_limit = f"{ws['seconds'] / ls['seconds']:.2f}x"
        cells = [
            f"{row['workload']} ({row['group']})",
            cell(ws, WKFN, "seconds"),
            cell(rs, REF, "seconds"),
            speed,
            _fmt_s(ls.get("seconds")) if ls.get("n_ok") else "—",
            to_limit,
            cell(ws, WKFN, "mb"),
            cell(rs, REF, "mb"),
            checksum_cell(ws, rs, ls),
        ]
        if show_anchor:
            a = row["anchor_s"]
            cells.append(f"{a} / {row['anchor_rss_mb']}" if a is not None else "—")
        lines.append("| " + " | ".join(cells) + " |")
        for lib, s in ((WKFN, ws), (REF, rs), (LIMIT, ls)):
            if (lib in libs or lib == LIMIT) and s.get("error"):
                notes.append(f"- {row['workload']} [{lib}]: {_short(s['error'], 300)}")
            elif (lib in libs or lib == LIMIT) and s.get("partial_error"):
                notes.append(
                    f"- {row['workload']} [{lib}] (some runs): "
                    f"{_short(s['partial_error'], 300)}"
                )

    # import row: medians over all successful timed processes
    imp: dict[str, tuple[float | None, float | None]] = {}
    for lib in (WKFN, REF):
        vals = [
            row[lib].get("import_seconds") for row in summary if row[lib].get("n_ok")
        ]
        rss = [row[lib].get("import_rss_mb") for row in summary if row[lib].get("n_ok")]
        imp[lib] = (_median(vals), _median(rss))
    wi, ri = imp[WKFN][0], imp[REF][0]
    cells = [
        "import (s; RSS after import MB)",
        _fmt_s(wi) if wi is not None else ("skipped" if WKFN not in libs else "FAIL"),
        _fmt_s(ri) if ri is not None else ("skipped" if REF not in libs else "FAIL"),
        f"{ri / wi:.2f}x" if wi and ri else "—",
        "",
        "",
        _fmt_mb(imp[WKFN][1], None),
        _fmt_mb(imp[REF][1], None),
        "",
    ]
    if show_anchor:
        cells.append("1.6 / 208")
    lines.append("| " + " | ".join(cells) + " |")

    # checksums in full
    lines.append("")
    lines.append("checksums (sha1 of voxels read back; first repetition):")
    for row in summary:
        for lib in (WKFN, REF, LIMIT):
            for c in (row.get(lib) or {}).get("checksums") or []:
                for k, v in json.loads(c).items():
                    lines.append(f"  {row['workload']:20s} {lib:10s} {k}: {v}")
    if notes:
        lines.append("")
        lines.append("failures:")
        lines.extend(notes)
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
