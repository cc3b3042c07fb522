"""S3 benchmark rows: wkfn vs. the reference on the same local S3 server.

    python benchmarks/run_s3.py [--size 256] [--repeat 3] [--only NAME ...]
        [--ref-python .venv-ref/bin/python] [--out results.json]

Starts one moto server (``wkfn.testing.s3_server``) on 127.0.0.1 with its request
log, then for every workload and repetition runs the two libraries alternately
(wkfn first on even repetitions), each phase in a fresh process: setup (untimed),
run (timed), verify (untimed checksum of what was written). Every run gets a
fresh bucket. The request count of a run is the number of requests the server
logged while the timed process ran (all of them: metadata, listing, chunks).
Prints a markdown table: median seconds, ratio ref/wkfn (>1: wkfn faster),
median requests of each, and whether the voxels match.
"""

from __future__ import annotations

import argparse
import json
import os
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

from benchmarks.s3_workloads import WORKLOADS  # noqa: E402
from wkfn.testing.s3_server import LocalS3Server  # noqa: E402

DEFAULT_REF_PY = str(REPO / ".venv-ref" / "bin" / "python")
LIBS = ("wkfn", "webknossos")


def _phase(
    python: str, lib: str, workload: str, phase: str, url: str, workdir: Path, n: int
) -> dict[str, Any]:
    env = dict(os.environ)
    if lib == "wkfn":
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(REPO), env.get("PYTHONPATH", "")) if p
        )
    cmd = [
        python,
        str(HERE / "s3_one.py"),
        "--lib",
        lib,
        "--workload",
        workload,
        "--phase",
        phase,
        "--url",
        url,
        "--workdir",
        str(workdir),
        "--size",
        str(n),
    ]
    proc = subprocess.run(
        cmd, capture_output=True, text=True, env=env, cwd=REPO, timeout=3600
    )
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("{"):
            res: dict[str, Any] = json.loads(line)
            return res
    tail = " | ".join(proc.stderr.strip().splitlines()[-3:])
    return {"ok": False, "error": f"no result, exit {proc.returncode}: {tail}"}


def _total(counts: dict[str, int]) -> int:
    return sum(counts.values())


def _diff(after: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    return {k: v - before.get(k, 0) for k, v in after.items() if v - before.get(k, 0)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", nargs="*")
    ap.add_argument("--ref-python", default=DEFAULT_REF_PY)
    ap.add_argument("--wkfn-python", default=sys.executable)
    ap.add_argument("--out")
    args = ap.parse_args(argv)
    names = args.only or list(WORKLOADS)
    pythons = {"wkfn": args.wkfn_python, "webknossos": args.ref_python}
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as scratch:
        log = os.path.join(scratch, "moto.log")
        with LocalS3Server(log_path=log) as server:
            os.environ.update(server.env())
            bucket_no = 0
            for name in names:
                for rep in range(args.repeat):
                    order = LIBS if rep % 2 == 0 else LIBS[::-1]
                    for lib in order:
                        bucket_no += 1
                        bucket = f"bench-{bucket_no}"
                        server.create_bucket(bucket)
                        url = f"s3://{bucket}/ds"
                        workdir = Path(scratch) / f"w{bucket_no}"
                        workdir.mkdir()
                        py = pythons[lib]
                        w = WORKLOADS[name]
                        rec: dict[str, Any] = {"workload": name, "lib": lib, "rep": rep}
                        if w.setup is not None:
                            res = _phase(
                                py, lib, name, "setup", url, workdir, args.size
                            )
                            if not res.get("ok"):
                                rec["error"] = f"setup: {res.get('error')}"
                                runs.append(rec)
                                continue
                        time.sleep(0.2)  # let the log catch up
                        before = server.request_count()
                        res = _phase(py, lib, name, "run", url, workdir, args.size)
                        time.sleep(0.2)
                        rec["requests"] = _diff(server.request_count(), before)
                        if not res.get("ok"):
                            rec["error"] = f"run: {res.get('error')}"
                            runs.append(rec)
                            continue
                        rec["seconds"] = res["seconds"]
                        rec["checksum"] = res.get("result")
                        if w.writes and rep == 0:
                            ver = _phase(
                                py, lib, name, "verify", url, workdir, args.size
                            )
                            rec["checksum"] = ver.get("result") or ver.get("error")
                        runs.append(rec)
                        print(json.dumps(rec), file=sys.stderr, flush=True)
    table = render(runs, names, args.size)
    print(table)
    if args.out:
        Path(args.out).write_text(json.dumps({"runs": runs, "table": table}, indent=1))
    return 0


def render(runs: list[dict[str, Any]], names: list[str], n: int) -> str:
    lines = [
        f"S3 rows, {n}³ u8, local moto server, medians of fresh-process runs",
        "",
        "| workload | wkfn s | ref s | speedup (ref/wkfn) | wkfn requests | "
        "ref requests | voxels |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in names:
        cells: dict[str, dict[str, Any]] = {}
        for lib in LIBS:
            mine = [r for r in runs if r["workload"] == name and r["lib"] == lib]
            secs = [r["seconds"] for r in mine if "seconds" in r]
            reqs = [_total(r.get("requests", {})) for r in mine if "seconds" in r]
            sums = {r.get("checksum") for r in mine if r.get("checksum") is not None}
            errors = [r["error"] for r in mine if "error" in r]
            cells[lib] = {
                "s": statistics.median(secs) if secs else None,
                "req": int(statistics.median(reqs)) if reqs else None,
                "sums": sums,
                "error": errors[0] if errors else None,
            }
        w, r = cells["wkfn"], cells["webknossos"]
        ratio = f"{r['s'] / w['s']:.2f}" if w["s"] and r["s"] else "-"
        voxels = (
            "match"
            if w["sums"] and w["sums"] == r["sums"]
            else ("**DIFFERS**" if w["sums"] and r["sums"] else "-")
        )

        def fmt(c: dict[str, Any]) -> str:
            return f"{c['s']:.2f}" if c["s"] is not None else f"FAIL {c['error']}"

        lines.append(
            f"| {WORKLOADS[name].title} | {fmt(w)} | {fmt(r)} | {ratio} | "
            f"{w['req']} | {r['req']} | {voxels} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
