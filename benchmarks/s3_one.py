"""Run ONE phase of ONE S3 workload for ONE library and print one JSON line.

    python benchmarks/s3_one.py --lib wkfn|webknossos --workload NAME \
        --phase setup|run|verify --url s3://bucket/ds --workdir DIR --size N

The S3 server and credentials come from the environment (``S3_ENDPOINT_URL``,
``AWS_ACCESS_KEY_ID``, ...), set by ``run_s3.py``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time
import traceback
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lib", required=True, choices=("wkfn", "webknossos"))
    ap.add_argument("--workload", required=True)
    ap.add_argument("--phase", required=True, choices=("setup", "run", "verify"))
    ap.add_argument("--url", required=True)
    ap.add_argument("--workdir", required=True, type=Path)
    ap.add_argument("--size", type=int, default=256)
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    out: dict[str, object] = {"phase": args.phase, "ok": False}
    try:
        wk = importlib.import_module(args.lib)
        from benchmarks.s3_workloads import WORKLOADS, verify

        w = WORKLOADS[args.workload]
        fn = {"setup": w.setup, "run": w.run, "verify": verify}[args.phase]
        t0 = time.perf_counter()
        result = None if fn is None else fn(wk, args.url, args.workdir, args.size)
        out.update(ok=True, seconds=round(time.perf_counter() - t0, 4), result=result)
    except BaseException as e:
        out["error"] = f"{type(e).__name__}: {e}"[:500]
        out["traceback"] = traceback.format_exc()[-1500:]
    print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    code = main()
    sys.stderr.flush()
    os._exit(code)
