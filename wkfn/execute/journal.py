"""The journal of an apply: which ops of a plan have finished (for resuming).

One JSON-lines file per plan, named by the plan's target fingerprint, in a hidden
``.wkfn-journal`` directory inside the dataset. Every line lists op keys whose effects
are durable on disk; lines are flushed and fsynced before the next task's result is
acknowledged, so after a ``kill -9`` the journal never claims work that is not on disk.
Ops are idempotent, so re-running one that finished after the last journal line is
harmless. The file is removed once the plan completed.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import IO

JOURNAL_DIR = ".wkfn-journal"


class Journal:
    """Append-only record of finished op keys for one plan on one dataset."""

    def __init__(self, root: str | os.PathLike[str], plan_id: str) -> None:
        self.path = Path(root) / JOURNAL_DIR / f"{plan_id[:32] or 'plan'}.jsonl"
        self._file: IO[str] | None = None

    def exists(self) -> bool:
        """True if an earlier run of this plan left a journal (it did not finish)."""
        return self.path.exists()

    def finished(self) -> set[str]:
        """Op keys recorded as finished (a torn last line is ignored)."""
        if not self.path.exists():
            return set()
        keys: set[str] = set()
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                keys.update(json.loads(line))
            except json.JSONDecodeError:
                break  # the process died while writing this line
        return keys

    def begin(self) -> bool:
        """Durably mark the plan as started; True if an earlier run had started it.

        Written before the first op runs, so a run killed after creating an array but
        before finishing any task is still recognised as one to resume.
        """
        resuming = self.exists()
        if not resuming:
            self.record(())
        return resuming

    def record(self, keys: Iterable[str]) -> None:
        """Durably append finished op keys."""
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115
        self._file.write(json.dumps(sorted(keys)) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self, *, complete: bool) -> None:
        """Close the file; a complete plan's journal (and empty dir) is removed."""
        if self._file is not None:
            self._file.close()
            self._file = None
        if complete and self.path.exists():
            self.path.unlink()
            with contextlib.suppress(OSError):  # other journals remain
                self.path.parent.rmdir()
