"""Resuming an image import of several layers after ``kill -9`` (issue 17).

Each layer of an import is its own journaled run whose properties write is the
layer's commit point (:func:`wkfn.api.images._run_import`). Killed *inside* a layer,
that layer's journal resumes it. Killed *between* two layers nothing would: every
listed layer's run had finished and removed its journal, so the same call run
again only found "a dataset exists" (``from_images``) or "the layer exists"
(``add_layer_from_images``).

So ``from_images`` (always) and ``add_layer_from_images`` of several layers keep a
record of the whole call, ``.wkfn-journal/<id>.import.json``, from before their
first layer until after their last one, locked (``flock``) while the call runs so
a live import is never taken for a killed one. The id is a digest of the chained
plans of all the call's layers: the same call computes the same id and resumes
(layers already listed are complete and skipped; a half-imported one resumes from
its own journal); a different call whose layers overlap a killed record's refuses
with :class:`~wkfn.errors.LeftoverError` naming the record and ``wkfn check
--repair`` (:mod:`wkfn.storage.leftovers` reports and removes these records).

A ``from_images`` whose target holds no killed record but a finished dataset is
judged like a finished ``copy_dataset``: the dataset is returned if it is what the
call would produce (the data-derived category, value range and largest segment id
taken from it), else :class:`~wkfn.errors.DatasetExistsError`.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING

import msgspec

from wkfn.errors import LeftoverError
from wkfn.execute.finished import layout_differences
from wkfn.execute.journal import JOURNAL_DIR
from wkfn.plan.plan import encode_plan
from wkfn.spec.dataset import DatasetSpec
from wkfn.storage.files import write_bytes_atomic
from wkfn.storage.leftovers import (
    IMPORT_SUFFIX,
    REPAIR_HINT,
    dead_imports,
    read_import,
)
from wkfn.transform.change import Change
from wkfn.transform.images import finalize_layer

if TYPE_CHECKING:
    from wkfn.api.dataset import Dataset


def call_id(changes: Sequence[Change]) -> str:
    """A digest of the chained plans of every layer of one import call."""
    digest = hashlib.blake2b(digest_size=16)
    for change in changes:
        digest.update(encode_plan(change.plan))
    return digest.hexdigest()


def without_layers(spec: DatasetSpec, names: Sequence[str]) -> DatasetSpec:
    """``spec`` before an import of ``names`` added them (the base its id is
    computed against, whether or not a killed run already listed some)."""
    kept = tuple(lay for lay in spec.data_layers if lay.name not in set(names))
    return msgspec.structs.replace(spec, data_layers=kept)


def record_path(root: Path, cid: str) -> Path:
    return root / JOURNAL_DIR / f"{cid}{IMPORT_SUFFIX}"


def killed_same_call(
    root: Path, cid: str, layers: Sequence[str], *, creates_dataset: bool
) -> bool:
    """True if a killed run of this very call is recorded in ``root`` (resume it).

    Raises:
        LeftoverError: a killed import with other arguments recorded layers this
            call imports (or any, when this call creates the dataset).
    """
    resuming = False
    for record in dead_imports(root):
        if record == record_path(root, cid):
            resuming = True
            continue
        theirs, _ = read_import(record)
        clash = sorted(set(theirs) & set(layers))
        if creates_dataset or clash:
            rel = record.relative_to(root)
            raise LeftoverError(
                f"an image import killed in {root} (its record {rel}, layers "
                f"{', '.join(theirs) or 'unknown'}) was started with other "
                "arguments than this call. Run the killed call again (with the "
                "same arguments) to finish it, or remove its leftovers with "
                f"`{REPAIR_HINT} {root}`."
            )
    return resuming


class ImportRecord:
    """The record of a running import call, locked until :meth:`close`."""

    def __init__(self, root: Path, cid: str, layers: Sequence[str], *, creates: bool):
        self.path = record_path(root, cid)
        if not self.path.exists():
            body = {"layers": list(layers), "creates_dataset": creates}
            write_bytes_atomic(self.path, json.dumps(body).encode())
        self._handle: IO[bytes] = open(self.path, "rb")  # noqa: SIM115
        fcntl.flock(self._handle.fileno(), fcntl.LOCK_EX)

    def close(self, *, done: bool) -> None:
        """Release the lock; remove the record if nothing is left to resume."""
        self._handle.close()
        if done:
            self.path.unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                self.path.parent.rmdir()  # only once empty


def is_finished_import(ds: Dataset, changes: Sequence[Change]) -> bool:
    """True if ``ds`` is what the import planned as ``changes`` produces: the
    same arrays (chunk, shard, dtype, compression: not in the properties) and
    the same spec once every layer is finalized with the data-derived fields
    found in ``ds``."""
    root = ds.session.local_root()
    if not isinstance(root, Path):
        return False  # imports into object stores are not resumed
    if any(layout_differences(root, change.plan) for change in changes):
        return False
    return _finalized_equal(ds.spec, changes[-1].spec)


def _finalized_equal(existing: DatasetSpec, planned: DatasetSpec) -> bool:
    names = [lay.name for lay in existing.data_layers]
    if names != [lay.name for lay in planned.data_layers]:
        return False
    spec = planned
    for lay in existing.data_layers:
        view = lay.default_view_configuration or {}
        low, high = view.get("min"), view.get("max")
        spec = finalize_layer(
            spec,
            lay.name,
            category=lay.category,
            value_range=None if low is None or high is None else (low, high),
            max_value=lay.largest_segment_id,
        ).spec
    return bool(names) and spec == existing


__all__ = [
    "ImportRecord",
    "call_id",
    "is_finished_import",
    "killed_same_call",
    "record_path",
    "without_layers",
]
