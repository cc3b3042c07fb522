"""Apply a (recorded or saved) plan to a dataset on disk, refusing stale plans."""

from __future__ import annotations

import os
from collections.abc import Mapping
from concurrent.futures import Executor
from pathlib import Path

import numpy as np

from wkfn.errors import StalePlanError
from wkfn.execute.executor import Progress, Report, execute
from wkfn.execute.journal import Journal
from wkfn.plan.plan import Plan
from wkfn.spec.codec import decode_properties, fingerprint
from wkfn.storage.files import properties_exist, read_properties_bytes
from wkfn.storage.location import is_object_url, join, parse, redact

PROPERTIES = "datasource-properties.json"


def current_fingerprint(root: str | os.PathLike[str]) -> str:
    """Fingerprint of the properties at ``root`` ('' when there is no dataset).

    ``root`` may be an object-store URL (``s3://bucket/ds``).
    """
    if is_object_url(root):
        url = parse(root).url
        if not properties_exist(url):
            return ""
        source = redact(join(url, PROPERTIES))
        return fingerprint(decode_properties(read_properties_bytes(url), source=source))
    if not (Path(root) / PROPERTIES).exists():
        return ""
    data = read_properties_bytes(root)
    return fingerprint(decode_properties(data, source=str(Path(root) / PROPERTIES)))


def apply(
    plan: Plan,
    root: str | os.PathLike[str],
    payloads: Mapping[str, np.ndarray] | None = None,
    *,
    executor: Executor | None = None,
    progress: Progress | None = None,
    resume: bool = True,
) -> Report:
    """Run ``plan`` on the dataset at ``root`` if it is still in the plan's base state.

    Applying a plan whose target state the dataset is already in does nothing.

    With ``resume`` (the default) finished ops are journaled, and a run that was
    killed part-way is continued where it stopped instead of starting over.

    Raises:
        StalePlanError: the dataset changed since the plan was made.
    """
    if is_object_url(root):
        root = parse(root).url  # a UPath or URL string: tasks get the URL
    journal = Journal(root, plan.target) if resume else None
    now = current_fingerprint(root)
    if now != plan.base:
        if now == plan.target:
            # Already applied (properties are written last, so the data is there):
            # applying again is a no-op. A journal left by a run killed after the
            # properties were written is cleaned up.
            if journal is not None and journal.exists():
                journal.close(complete=True)
            return Report(ops=0, tasks=0, seconds=0.0)
        expected, found = plan.base[:12] or "<none>", now[:12] or "<none>"
        raise StalePlanError(
            f"the dataset at {redact(str(root))} changed since the plan was made "
            f"(expected state {expected}, found {found})"
        )
    return execute(
        plan, root, payloads, executor=executor, progress=progress, journal=journal
    )
