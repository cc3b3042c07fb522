"""``wkfn.plan(spec, path)`` and ``wkfn.apply(...)``: plan/apply from Python.

``wkfn.plan`` is also the name of the (pure) plan package; the package object is
made callable here, in the shell, so ``wkfn.plan(...)`` plans a declaration while
``wkfn.plan.Plan`` and ``from wkfn.plan import ...`` keep working.
"""

from __future__ import annotations

import os
import types
from collections.abc import Mapping
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

import numpy as np

from wkfn.api.recorder import Recorder
from wkfn.declare.model import DatasetDecl
from wkfn.errors import InvalidArgumentError
from wkfn.execute.executor import Progress, Report
from wkfn.plan.plan import Plan


def plan_declaration(
    spec: str | os.PathLike[str] | DatasetDecl,
    dataset_path: str | os.PathLike[str] | None = None,
) -> Recorder:
    """Plan what makes ``dataset_path`` match a declaration (nothing is written).

    Args:
        spec: a declaration file (TOML/JSON) or a decoded :class:`DatasetDecl`.
        dataset_path: the dataset; defaults to the declaration file's path without
            its suffix (``sample.toml`` → ``sample``).

    Returns:
        A recorder: ``print(rec.plan)``, then ``wkfn.apply(rec)``.
    """
    from wkfn.declare.planner import load_declaration
    from wkfn.declare.planner import plan_declaration as _plan

    if isinstance(spec, DatasetDecl):
        if dataset_path is None:
            raise InvalidArgumentError("a decoded declaration needs a dataset_path")
        return _plan(spec, dataset_path, base_dir=Path.cwd())
    file = Path(spec)
    target = Path(dataset_path) if dataset_path is not None else file.with_suffix("")
    return _plan(load_declaration(file), target, base_dir=file.parent, source=str(file))


def apply(
    plan: Plan | Recorder,
    root: str | os.PathLike[str] | None = None,
    payloads: Mapping[str, np.ndarray] | None = None,
    *,
    executor: Executor | None = None,
    progress: Progress | None = None,
    resume: bool = True,
) -> Report:
    """Apply a plan (or a recorder from ``dry_run``/``wkfn.plan``), resumably.

    Refuses a plan whose base no longer matches the dataset (``StalePlanError``);
    a plan the dataset already reflects is a no-op.
    """
    from wkfn.execute.apply import apply as _apply

    if isinstance(plan, Recorder):
        if root is not None and Path(root) != plan.path:
            raise InvalidArgumentError(
                f"the recorder belongs to {plan.path}, not {root}"
            )
        return plan.apply(executor=executor, progress=progress, resume=resume)
    if root is None:
        raise InvalidArgumentError("apply(plan, root): the dataset path is required")
    return _apply(
        plan, root, payloads, executor=executor, progress=progress, resume=resume
    )


class _CallablePlanPackage(types.ModuleType):
    """The ``wkfn.plan`` package, callable as :func:`plan_declaration`."""

    def __call__(self, *args: Any, **kwargs: Any) -> Recorder:
        return plan_declaration(*args, **kwargs)


def make_plan_package_callable() -> None:
    """Give ``wkfn.plan`` the class above (module ``__class__`` assignment)."""
    import wkfn.plan as package

    package.__class__ = _CallablePlanPackage
