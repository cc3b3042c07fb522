"""Kill a process with SIGKILL at a chosen point of journal progress (crash tests).

A journaled run (``wkfn apply`` and every data-writing facade call) records each
finished task with :meth:`wkfn.execute.journal.Journal.record`. The crash-resume
tests run a script in a child process armed by :func:`arm`, which dies with
``kill -9``

* ``"before"`` the ``kill_at``-th journal line: that task's writes are on disk,
  the journal does not say so yet; or
* ``"after"`` it: durable, and nothing later has been acknowledged.

Dying by progress rather than by the clock makes every point of a run reachable
and every test run repeatable. :func:`run_killable` runs a script armed this way
(:func:`run_apply_killable`: ``wkfn.apply`` of a saved plan)
(its arguments follow the script; the last line it prints is the number of
journal lines it wrote, see :func:`journal_lines`); :func:`kill_point` picks the
point of the n-th kill; :func:`tree_digest` compares the files a run left.
"""

from __future__ import annotations

import hashlib
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import numpy as np

from wkfn.execute.journal import JOURNAL_DIR, Journal
from wkfn.storage.leftovers import find_leftovers

Mode = Literal["before", "after", "never"]

KILL_AT_ENV = "WKFN_KILL_AT"
KILL_MODE_ENV = "WKFN_KILL_MODE"

_PRELUDE = (
    "from wkfn.testing.kill_points import arm_from_env as _arm_from_env\n"
    "_journal_progress = _arm_from_env()\n"
)
_EPILOGUE = "\nprint(_journal_progress.lines)\n"


class Progress:
    """Journal lines written so far by this process."""

    def __init__(self) -> None:
        self.lines = 0
        self.lock = threading.Lock()


def arm(kill_at: int, mode: Mode) -> Progress:
    """Make this process die with SIGKILL at journal line ``kill_at`` (see module
    docstring); ``mode="never"`` only counts the lines."""
    progress = Progress()
    durable_record = Journal.record

    def record(self: Journal, keys: object) -> None:
        with progress.lock:
            if mode == "before" and progress.lines == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)
            durable_record(self, keys)  # type: ignore[arg-type]
            progress.lines += 1
            if mode == "after" and progress.lines == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)

    Journal.record = record  # type: ignore[method-assign]
    return progress


def arm_from_env() -> Progress:
    """:func:`arm` with the point :func:`run_killable` put into the environment."""
    mode = os.environ.get(KILL_MODE_ENV, "never")
    if mode not in ("before", "after", "never"):
        raise ValueError(f"{KILL_MODE_ENV} must be before, after or never: {mode!r}")
    return arm(int(os.environ.get(KILL_AT_ENV, "-1")), mode)  # type: ignore[arg-type]


def run_killable(
    script: str,
    *args: str,
    kill_at: int = -1,
    mode: Mode = "never",
    env: Mapping[str, str] | None = None,
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    """Run ``script`` (Python source, ``args`` in ``sys.argv[1:]``) in a child
    process armed to die at ``kill_at`` (``mode``); it prints its journal lines
    last. Output is captured; the caller checks the return code."""
    child_env = dict(os.environ if env is None else env)
    child_env[KILL_AT_ENV] = str(kill_at)
    child_env[KILL_MODE_ENV] = mode
    return subprocess.run(
        [sys.executable, "-c", _PRELUDE + script + _EPILOGUE, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=child_env,
    )


_APPLY_SCRIPT = """
import sys
from concurrent.futures import ThreadPoolExecutor
import wkfn
import wkfn.execute.executor as ex
ex.TARGET_TASK_BYTES = 1 << 15   # many small tasks: many places to die in
plan, payloads = wkfn.load_plan(sys.argv[2])
with ThreadPoolExecutor(2) as pool:
    wkfn.apply(plan, sys.argv[1], payloads, executor=pool)
"""


def run_apply_killable(
    root: str | os.PathLike[str],
    plan_dir: str | os.PathLike[str],
    *,
    kill_at: int = -1,
    mode: Mode = "never",
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    """``wkfn.apply`` of the plan saved in ``plan_dir`` to the dataset ``root``
    (a path or URL) in a child process armed like :func:`run_killable`; tasks are
    cut small (32 KiB) so the run has many places to die in."""
    return run_killable(
        _APPLY_SCRIPT,
        os.fspath(root),
        os.fspath(plan_dir),
        kill_at=kill_at,
        mode=mode,
        timeout=timeout,
    )


def journal_lines(proc: subprocess.CompletedProcess[str]) -> int:
    """The journal lines a finished :func:`run_killable` run wrote."""
    return int(proc.stdout.strip().splitlines()[-1])


def kill_point(
    rng: np.random.Generator, run: int, lines: int, *, last: bool = True
) -> tuple[int, Mode]:
    """``(kill_at, mode)`` of the ``run``-th kill of a run that writes ``lines``
    journal lines: "after" on even runs (from the first line up to the last one,
    or one before it with ``last=False``), "before" on odd runs (from the opening
    of the journal up to the last line)."""
    mode: Mode = "before" if run % 2 else "after"
    high = lines + 1 if last else lines
    kill_at = int(rng.integers(0 if mode == "before" else 1, high))
    if mode == "before":
        kill_at = min(kill_at, lines - 1)
    return kill_at, mode


STRAY_NAME = re.compile(r"(^\.rechunk-|\.__lock$|\.tmp$|_tmp$|\.(copy|old)-[0-9a-f]+$)")
"""Names of the temporary files and folders a killed run may leave behind."""


def strays(root: Path) -> list[str]:
    """Temporary files and folders, journals and leftovers found under ``root``
    (a finished or recovered run leaves none)."""
    found = [
        str(p.relative_to(root))
        for p in root.rglob("*")
        if STRAY_NAME.search(p.name) or p.name == JOURNAL_DIR
    ]
    return found + [str(x) for x in find_leftovers(root)]


def tree_digest(root: Path) -> dict[str, str]:
    """Relative path -> sha256 of every file below ``root`` (journals excluded)."""
    out = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and JOURNAL_DIR not in path.parts:
            out[str(path.relative_to(root))] = hashlib.sha256(
                path.read_bytes()
            ).hexdigest()
    return out


__all__ = [
    "Mode",
    "Progress",
    "arm",
    "arm_from_env",
    "journal_lines",
    "kill_point",
    "run_apply_killable",
    "run_killable",
    "tree_digest",
]
