"""The journal of an apply: which ops of a plan have finished (for resuming).

One journal per plan, named by the plan's target fingerprint, in a hidden
``.wkfn-journal`` directory inside the dataset. Every record lists op keys whose
effects are durable; a record is durable before the next task's result is
acknowledged, so after a ``kill -9`` the journal never claims work that is not
stored. Ops are idempotent, so re-running one that finished after the last record
is harmless. The journal is removed once the plan completed.

Locally the journal is one JSON-lines file (appended, flushed, fsynced). On an
object store, which cannot append, every record is its own small object
``<plan>/<seq>.json`` written with one PUT (atomic and durable once
acknowledged), so the journal lives beside the dataset in the bucket and a run
killed on one machine can be resumed from any other.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from wkfn.storage.location import is_object_url, join, parse

JOURNAL_DIR = ".wkfn-journal"


class Journal:
    """Append-only record of finished op keys for one plan on one dataset."""

    def __init__(self, root: str | os.PathLike[str], plan_id: str) -> None:
        name = plan_id[:32] or "plan"
        self._url: str | None = None
        if is_object_url(root):
            self._url = join(parse(root).url, JOURNAL_DIR, name)
            self.path = Path(JOURNAL_DIR) / name  # display only
        else:
            self.path = Path(root) / JOURNAL_DIR / f"{name}.jsonl"
        self._file: IO[str] | None = None
        self._seq = 0

    # ------------------------------------------------------------ object store
    def _records(self) -> list[str]:
        from wkfn.storage import objects

        assert self._url is not None
        keys = [k for k in objects.iter_keys(self._url) if k.endswith(".json")]
        return sorted(
            keys, key=lambda k: int(k.split(".")[0]) if k[0].isdigit() else -1
        )

    def exists(self) -> bool:
        """True if an earlier run of this plan left a journal (it did not finish)."""
        if self._url is not None:
            return bool(self._records())
        return self.path.exists()

    def finished(self) -> set[str]:
        """Op keys recorded as finished (a torn last line is ignored)."""
        keys: set[str] = set()
        if self._url is not None:
            from wkfn.storage import objects

            records = self._records()
            self._seq = len(records)
            for rel in records:
                with contextlib.suppress(json.JSONDecodeError, FileNotFoundError):
                    keys.update(json.loads(objects.read_bytes(f"{self._url}/{rel}")))
            return keys
        if not self.path.exists():
            return set()
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
        data = json.dumps(sorted(keys))
        if self._url is not None:
            from wkfn.storage import objects

            if self._seq == 0 and self.exists():
                self._seq = len(self._records())
            objects.write_bytes(f"{self._url}/{self._seq:09d}.json", data.encode())
            self._seq += 1
            return
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115
        self._file.write(data + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self, *, complete: bool) -> None:
        """Close the file; a complete plan's journal (and empty dir) is removed."""
        if self._url is not None:
            if complete:
                from wkfn.storage import objects

                objects.delete_tree(self._url)
            return
        if self._file is not None:
            self._file.close()
            self._file = None
        if complete and self.path.exists():
            self.path.unlink()
            with contextlib.suppress(OSError):  # other journals remain
                self.path.parent.rmdir()
