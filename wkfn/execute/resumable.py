"""Resumable facade calls: journal a plan like ``wkfn apply`` does, resume it after
a crash, refuse a different change over a killed run's leftovers.

A facade call that creates, copies, resamples, imports or rewrites data runs its
plan inside :func:`resumable_run`. The run is identified by a digest of the plan
(and of its payloads' bytes), so running the same call again after ``kill -9``
computes the same id and continues the killed run from its journal: arrays the
killed run created are adopted (``exist_ok``), finished ops are skipped, temp
files are removed, and the files end up bit-identical to an uninterrupted run.

Next to the journal (``.wkfn-journal/<id>.jsonl``, see :mod:`wkfn.execute.journal`)
a sidecar ``<id>.plan.json`` holds the plan itself, and the running process holds
an ``flock`` on it, so other processes tell live runs from killed ones.

Before a new run starts, every *killed* run found in the dataset is judged:

* same id: resume it;
* it finished except for removing its journal (the properties are at its target,
  or its last stage is journaled): clean it up;
* it touched none of the paths the new plan writes: leave it (``wkfn check``
  reports it);
* the new plan is the rest of it (same target spec, every op of the new plan is
  one of its ops, and every other op of it is journaled as finished; e.g. a
  ``compress()`` re-run after some mags were already swapped in): resume the
  killed plan, which does exactly the rest;
* otherwise: :class:`~wkfn.errors.LeftoverError` naming the leftovers and
  ``wkfn check --repair``, before anything is written.

A run that fails with an ordinary exception is rolled back as before (the arrays
it created are removed, its journal too); a resumed run that fails again keeps
its journal, so it can be retried.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO

import msgspec
import numpy as np

from wkfn.errors import LeftoverError
from wkfn.execute.apply import current_fingerprint
from wkfn.execute.finished import (
    layout_differences,
    plan_differences,
    properties_differences,
    summarize,
)
from wkfn.execute.journal import JOURNAL_DIR, Journal
from wkfn.execute.paths import resolve_path
from wkfn.plan.ops import (
    CopyTree,
    CreateArray,
    DeletePath,
    ImportImages,
    MovePath,
    PlanOp,
    ReplacePath,
    ResizeArray,
    WriteProperties,
    WriteRegion,
)
from wkfn.plan.plan import Plan, decode_plan, encode_plan
from wkfn.spec.dataset import DatasetSpec
from wkfn.storage.files import delete_path, write_bytes_atomic
from wkfn.storage.leftovers import (
    REPAIR_HINT,
    SIDECAR_SUFFIX,
    dead_journals,
    find_leftovers,
    remove_stale_siblings,
    remove_temp_below,
)
from wkfn.storage.location import is_url

#: Ops that are idempotent, cheap and leave nothing behind: plans made only of
#: these (plain writes, resizes, metadata, deletions) are not journaled, so many
#: processes may keep writing into one array at once.
_LIGHT_OPS = (WriteRegion, ResizeArray, WriteProperties, DeletePath)


def needs_journal(plan: Plan) -> bool:
    """True if a killed run of ``plan`` could leave something to resume."""
    return any(not isinstance(op, _LIGHT_OPS) for op in plan.ops)


def plan_id(plan: Plan, payloads: Mapping[str, np.ndarray] | None) -> str:
    """A digest of the plan and of its payloads' bytes (not of their keys).

    Payload keys are random per call; the same call with the same data gets the
    same id, different data a different one.
    """
    data = encode_plan(plan)
    for key, array in sorted((payloads or {}).items()):
        digest = hashlib.blake2b(np.ascontiguousarray(array).data, digest_size=16)
        digest.update(str((array.dtype, array.shape)).encode())
        data = data.replace(key.encode(), digest.hexdigest().encode())
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def written_paths(plan: Plan) -> set[str]:
    """Normalised relative paths the plan writes, moves or creates."""
    out: set[str] = set()
    for op in plan.ops:
        if isinstance(op, WriteProperties):
            continue
        names = ["path", "target_path", "target"]
        if isinstance(op, MovePath | ReplacePath):
            names.append("source")
        for name in names:
            value = getattr(op, name, None)
            if isinstance(value, str) and not is_url(value):
                out.add(os.path.normpath(value))
    return out


def _overlap(a: set[str], b: set[str]) -> bool:
    for x in a:
        for y in b:
            if x == y or x.startswith(y + os.sep) or y.startswith(x + os.sep):
                return True
    return False


def _op_bytes(op: PlanOp) -> bytes:
    if isinstance(op, CreateArray):
        op = msgspec.structs.replace(op, exist_ok=False)
    return msgspec.json.encode(op)


def _finished_ops(plan: Plan, finished: set[str]) -> set[bytes]:
    """Encoded ops of ``plan`` its journal records as finished (no region writes:
    those are journaled per shard)."""
    out: set[bytes] = set()
    for number, stage in enumerate(plan.stages):
        for op in stage.ops:
            if f"{number}:{op.key()}" in finished:
                out.add(_op_bytes(op))
    return out


def _is_complete(root: Path, killed: Plan, finished: set[str], now: str) -> bool:
    """True if the killed run got everything on disk but did not remove its journal."""
    if killed.base != killed.target and now == killed.target:
        return True  # the properties are its commit point
    if f"final:{now}" in finished:
        return True  # a held run wrote its final properties
    if not killed.stages:
        return True
    last = len(killed.stages) - 1
    ops = killed.stages[last].ops
    if any(isinstance(op, WriteRegion) for op in ops):
        return False
    if all(f"{last}:{op.key()}" in finished for op in ops):
        return True
    return _swaps_done(root, killed, finished)


def _swaps_done(root: Path, killed: Plan, finished: set[str]) -> bool:
    """True if the killed run's last stage swaps rewritten arrays in (an in-place
    compress or rechunk), every earlier op is journaled, and every swap is done
    on disk: killed after its renames but before their journal lines, a re-run
    would find nothing left to do and never resume it."""
    *earlier, final = killed.stages
    if not all(isinstance(op, ReplacePath) for op in final.ops):
        return False
    for number, stage in enumerate(earlier):
        if any(f"{number}:{op.key()}" not in finished for op in stage.ops):
            return False
    last = len(earlier)
    return all(
        f"{last}:{op.key()}" in finished or _visibly_done(root, _op_bytes(op))
        for op in final.ops
    )


def _rest_of(root: Path, killed: Plan, finished: set[str], new: Plan, now: str) -> bool:
    """True if running ``killed`` to its end does exactly what ``new`` asks."""
    if killed.target != new.target or killed.base != now:
        return False
    if any(isinstance(op, WriteRegion) for op in killed.ops):
        return False  # its payloads are gone
    mine = {_op_bytes(op) for op in new.ops if not isinstance(op, WriteProperties)}
    theirs = {_op_bytes(op) for op in killed.ops if not isinstance(op, WriteProperties)}
    if not mine <= theirs:
        return False
    rest = theirs - mine - _finished_ops(killed, finished)
    return all(_visibly_done(root, op) for op in rest)


def _visibly_done(root: Path, encoded: bytes) -> bool:
    """A swap killed after its rename but before its journal line is done: its
    temporary source is gone and the target is there (re-running it is a no-op)."""
    op = msgspec.json.decode(encoded, type=PlanOp)
    if not isinstance(op, ReplacePath):
        return False
    source, target = resolve_path(root, op.source), resolve_path(root, op.target)
    return not os.path.lexists(source) and os.path.isdir(target)


class HeldJournal(Journal):
    """A journal the executor may not remove: the run goes on after the plan's
    data stages (its properties are written by the caller, see ``hold``)."""

    def close(self, *, complete: bool) -> None:
        super().close(complete=False)

    def remove(self) -> None:
        """Remove the journal once the whole run is done."""
        super().close(complete=True)


class Run(msgspec.Struct, kw_only=True):
    """The plan to execute and its journal (chosen by :func:`resumable_run`)."""

    plan: Plan
    journal: Journal
    resuming: bool

    def writing_properties(self, target: str) -> None:
        """Journal, before a held run writes its final properties, their
        fingerprint: properties found with it later mean the run had finished."""
        self.journal.record([f"final:{target}"])

    def properties_written(self) -> None:
        """Journal the properties of a held run as written (its commit point)."""
        last = len(self.plan.stages) - 1
        if last >= 0:
            self.journal.record([f"{last}:properties"])


def without_properties(plan: Plan) -> Plan:
    """``plan`` without its properties write (stage numbers unchanged: it is the
    last stage)."""
    stages = plan.stages
    if stages and any(isinstance(op, WriteProperties) for op in stages[-1].ops):
        stages = stages[:-1]
    return msgspec.structs.replace(plan, stages=stages)


def _read_sidecar(journal_path: Path) -> Plan | None:
    sidecar = journal_path.with_name(journal_path.stem + SIDECAR_SUFFIX)
    try:
        return decode_plan(sidecar.read_bytes())
    except (OSError, ValueError):
        return None  # a journal of ``wkfn apply``, or a torn sidecar


def _forget_run(root: Path, plan: Plan | None, journal_path: Path) -> None:
    """Remove a finished killed run's journal, sidecar and temp files."""
    if plan is not None:
        _sweep(root, plan)
    journal_path.unlink(missing_ok=True)
    journal_path.with_name(journal_path.stem + SIDECAR_SUFFIX).unlink(missing_ok=True)


def _refuse(root: Path, why: str) -> LeftoverError:
    found = [str(x) for x in find_leftovers(root)]
    listing = "".join(f"\n  {line}" for line in found[:20])
    more = f"\n  ... and {len(found) - 20} more" if len(found) > 20 else ""
    return LeftoverError(
        f"{why} in {root}. Run the killed call again (with the same arguments) to "
        f"finish it, or remove its leftovers with `{REPAIR_HINT} {root}`."
        f"{listing}{more}"
    )


def choose(root: Path, plan: Plan, run_id: str) -> tuple[Plan, str, bool]:
    """(plan to run, its id, resuming) after judging the killed runs in ``root``."""
    now = current_fingerprint(root)
    chosen: tuple[Plan, str, bool] = (plan, run_id, False)
    mine = written_paths(plan)
    for path in dead_journals(root):
        killed_id = path.stem
        if killed_id == run_id:
            chosen = (plan, run_id, True)
            continue
        killed = _read_sidecar(path)
        finished = Journal(root, killed_id).finished()
        if killed is not None and _is_complete(root, killed, finished, now):
            _forget_run(root, killed, path)
            continue
        if killed is None or not _overlap(mine, written_paths(killed)):
            continue  # `wkfn apply` resumes its own; unrelated runs stay
        if not chosen[2] and _rest_of(root, killed, finished, plan, now):
            chosen = (killed, killed_id, True)
            continue
        differs = plan_differences(killed, plan)
        raise _refuse(
            root,
            f"a killed run ({path.name}) left files where this call writes "
            f"({', '.join(sorted(mine & written_paths(killed))[:3]) or 'overlapping'})"
            " and this call is a different change"
            + (f" ({summarize(differs)})" if differs else ""),
        )
    if not chosen[2]:
        for op in plan.ops:
            if isinstance(op, CreateArray) and not op.exist_ok:
                target = resolve_path(root, op.path)
                if os.path.lexists(target) and _unlisted(root, target):
                    raise _refuse(
                        root,
                        f"{op.path} exists but the properties do not list it "
                        "(left by a killed run)",
                    )
    return chosen


def clean_finished(root: str | os.PathLike[str]) -> bool:
    """Remove the journals of killed runs that had got everything on disk (killed
    after writing the properties); True if no killed run remains afterwards."""
    base = Path(root)
    now = current_fingerprint(base)
    remaining = False
    for path in dead_journals(base):
        killed = _read_sidecar(path)
        finished = Journal(base, path.stem).finished()
        if killed is not None and _is_complete(base, killed, finished, now):
            _forget_run(base, killed, path)
        elif killed is None and now and path.stem == now[:32]:
            # `wkfn apply` names its journal by the plan's target: the
            # properties are at that target, so the plan had finished
            _forget_run(base, None, path)
        else:
            remaining = True
    _remove_empty_dir(base / JOURNAL_DIR)
    return not remaining


def killed_target(root: str | os.PathLike[str]) -> bool:
    """True if ``root`` is what a killed run creating a dataset (a copy) left:
    no properties yet, and the journal of a run that is not running any more."""
    base = Path(root)
    return not (base / "datasource-properties.json").exists() and bool(
        dead_journals(base)
    )


def finished_differences(
    root: str | os.PathLike[str], plan: Plan, planned: DatasetSpec
) -> list[str]:
    """Why the dataset at ``root`` is not what running ``plan`` (whose target
    properties are ``planned``) would produce; empty if it is: the properties
    (written last, so the data is there), every array's layout (not all of it is
    in the properties) and no killed run pending. Reads only, besides removing
    the journals of killed runs that had finished (:func:`clean_finished`)."""
    if current_fingerprint(root) != plan.target:
        return properties_differences(root, planned)
    out = layout_differences(root, plan)
    if not out and not clean_finished(root):
        out.append("a killed run is pending there (see `wkfn check`)")
    return out


def _unlisted(root: Path, target: str) -> bool:
    return any(
        x.kind in ("orphan-array", "temp")
        and os.path.normpath(root / x.path) == os.path.normpath(target)
        for x in find_leftovers(root)
    )


@contextlib.contextmanager
def resumable_run(
    root: str | os.PathLike[str],
    plan: Plan,
    payloads: Mapping[str, np.ndarray] | None = None,
    *,
    hold: bool = False,
) -> Iterator[Run]:
    """Prepare (or resume) the journaled run of ``plan`` on the dataset ``root``.

    The caller executes ``run.plan`` with ``journal=run.journal``; the journal is
    removed by the executor once the plan completed, the sidecar here.

    Raises:
        LeftoverError: a killed, different run left files where this plan writes.
    """
    base = Path(root)
    run_plan, run_id, resuming = choose(base, plan, plan_id(plan, payloads))
    journal = HeldJournal(base, run_id) if hold else Journal(base, run_id)
    sidecar = journal.path.with_name(journal.path.stem + SIDECAR_SUFFIX)
    if resuming:
        _sweep(base, run_plan)
        _reconcile(base, run_plan, journal)
        if any(isinstance(op, ImportImages) for op in run_plan.ops):
            _forget_progress(journal)
    else:
        sidecar.parent.mkdir(parents=True, exist_ok=True)
    if not sidecar.exists():
        write_bytes_atomic(sidecar, encode_plan(run_plan))
    fresh = [
        resolve_path(base, op.path)
        for op in run_plan.ops
        if isinstance(op, CreateArray)
        and not os.path.lexists(resolve_path(base, op.path))
    ]
    lock = _lock(sidecar)
    try:
        yield Run(plan=run_plan, journal=journal, resuming=resuming)
    except BaseException:
        journal.close(complete=False)
        if not resuming:  # as without a journal: the dataset is as before
            for path in fresh:
                with contextlib.suppress(OSError):
                    delete_path(path)
            journal.path.unlink(missing_ok=True)
            sidecar.unlink(missing_ok=True)
            _remove_empty_dir(base / JOURNAL_DIR)
        raise
    finally:
        lock.close()
    journal.path.unlink(missing_ok=True)  # the executor removed it unless held
    sidecar.unlink(missing_ok=True)
    _remove_empty_dir(base / JOURNAL_DIR)


def _reconcile(root: Path, plan: Plan, journal: Journal) -> None:
    """Journal tree copies the killed run finished but could not journal.

    A tree is copied into a hidden sibling and renamed into place, so a target
    that exists now is complete (the plan was refused if it existed before).
    """
    finished = journal.finished()
    done = [
        f"{number}:{op.key()}"
        for number, stage in enumerate(plan.stages)
        for op in stage.ops
        if isinstance(op, CopyTree)
        and f"{number}:{op.key()}" not in finished
        and os.path.lexists(resolve_path(root, op.target))
    ]
    if done and journal.exists():
        journal.record(done)
        journal.close(complete=False)


def _forget_progress(journal: Journal) -> None:
    """Keep the run marked as started (arrays are adopted) but redo every op.

    Image imports report statistics (value range, segment ids) from their tasks
    that decide the layer's final properties; skipped tasks would report none, so
    a resumed import re-reads every image instead (the writes are idempotent).
    """
    journal.path.unlink(missing_ok=True)
    journal.record(())
    journal.close(complete=False)


def _sweep(root: Path, plan: Plan) -> None:
    """Remove the temp files a killed run of ``plan`` left in the paths it writes."""
    for rel in written_paths(plan):
        path = resolve_path(root, rel)
        remove_temp_below(path)
        remove_stale_siblings(path)


def _lock(sidecar: Path) -> IO[bytes]:
    """Hold an exclusive lock on the sidecar while the run lives (released by the
    kernel when the process dies)."""
    import fcntl

    handle = open(sidecar, "rb")  # noqa: SIM115
    fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
    return handle


def _remove_empty_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.rmdir()


__all__ = [
    "HeldJournal",
    "Run",
    "clean_finished",
    "finished_differences",
    "needs_journal",
    "plan_id",
    "resumable_run",
    "without_properties",
    "written_paths",
]
