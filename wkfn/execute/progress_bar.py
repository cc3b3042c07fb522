"""A rich progress bar for plan execution: one row per stage with ops done/total,
bytes, rate, elapsed time and ETA.

Used by the ``wkfn`` command and by the Python facade for long operations
(downsampling, copies, conversions, image imports), so a terabyte job shows how far it
got. It draws only on a terminal: in logs, notebooks' captured output and CI it is
silent unless forced with ``WKFN_PROGRESS=1`` (and ``WKFN_PROGRESS=0`` turns it off).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import Any

from wkfn.execute.executor import Progress as ProgressCallback
from wkfn.execute.executor import ProgressEvent
from wkfn.plan.ops import (
    CopyRegion,
    CopyTree,
    ImportImages,
    PlanOp,
    ResampleRegion,
)
from wkfn.plan.plan import Plan

#: ops that move voxel data in bulk; a plan with at least this many gets a bar
LONG_OPS = (ResampleRegion, CopyRegion, CopyTree, ImportImages)
MIN_LONG_OPS = 2


def wants_progress() -> bool:
    """True if a bar should be drawn: a terminal on stderr, or ``WKFN_PROGRESS=1``."""
    setting = os.environ.get("WKFN_PROGRESS", "").strip()
    if setting in ("0", "false", "no", "off"):
        return False
    if setting in ("1", "true", "yes", "on"):
        return True
    return sys.stderr.isatty()


def is_long(plan: Plan) -> bool:
    """A plan worth a progress bar: bulk data ops, not a single small write."""
    ops: list[PlanOp] = [op for op in plan.ops if isinstance(op, LONG_OPS)]
    return len(ops) >= MIN_LONG_OPS


@contextlib.contextmanager
def progress_bar(enabled: bool = True) -> Iterator[ProgressCallback | None]:
    """Yield a progress callback drawing a bar on stderr, or None when disabled."""
    if not enabled or not wants_progress():
        yield None
        return
    from rich.console import Console
    from rich.filesize import decimal
    from rich.progress import (
        BarColumn,
        Progress,
        ProgressColumn,
        Task,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.text import Text

    class DataColumn(ProgressColumn):
        """Bytes done/total and rate for stages that move voxel data, else blank."""

        def render(self, task: Task) -> Text:
            if not task.fields.get("data"):
                return Text("")
            done, total = int(task.completed), int(task.total or 0)
            rate = f" {decimal(int(task.speed))}/s" if task.speed else ""
            return Text(f"{decimal(done)}/{decimal(total)}{rate}", no_wrap=True)

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(bar_width=12),
        TextColumn("{task.fields[ops]} ops"),
        DataColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=False,
    ) as bar:
        rows: dict[str, Any] = {}

        def update(event: ProgressEvent) -> None:
            # stages without voxel data advance by ops instead of bytes
            data = event.bytes_total > 0
            total = event.bytes_total if data else event.tasks_total
            done = event.bytes_done if data else event.tasks_done
            ops = f"{event.tasks_done}/{event.tasks_total}"
            if event.stage not in rows:
                rows[event.stage] = bar.add_task(
                    event.stage, total=total, ops=ops, data=data
                )
            bar.update(rows[event.stage], completed=done, total=total, ops=ops)

        yield update
