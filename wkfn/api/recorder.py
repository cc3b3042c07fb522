"""Recording of facade calls into one plan (dry runs and transactions)."""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import Executor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from wkfn.execute.executor import Report
from wkfn.plan.plan import Plan, concat_plans
from wkfn.spec.codec import fingerprint
from wkfn.spec.dataset import DatasetSpec
from wkfn.transform.change import Change

if TYPE_CHECKING:
    from wkfn.api._session import Session


class Recorder:
    """Collects the changes made inside ``Dataset.dry_run()``.

    Attributes:
        changes: every change in call order.
        payloads: voxel arrays referenced by the recorded writes.
    """

    def __init__(self, path: Path | str, base: DatasetSpec | None) -> None:
        self.path = path
        self.base = base
        self.changes: list[Change] = []
        self.payloads: dict[str, np.ndarray] = {}
        self._session: Session | None = None

    def attach(self, session: Session) -> None:
        """Bring ``session`` up to date when this recorder's plan is applied."""
        self._session = session

    def detach(self) -> None:
        """Stop updating a session on apply (planning is over)."""
        self._session = None

    def record(self, change: Change, payloads: Mapping[str, np.ndarray]) -> None:
        """Remember a change and the payloads it references."""
        self.changes.append(change)
        self.payloads.update(payloads)

    @property
    def plan(self) -> Plan:
        """All recorded changes as one optimised plan (properties written once)."""
        if not self.changes:
            base = fingerprint(self.base) if self.base is not None else ""
            return Plan(base=base, target=base)
        return concat_plans([c.plan for c in self.changes])

    @property
    def spec(self) -> DatasetSpec | None:
        """The spec the dataset will have once the plan is applied."""
        return self.changes[-1].spec if self.changes else self.base

    def __str__(self) -> str:
        return str(self.plan)

    def apply(self, executor: Executor | None = None, **kwargs: Any) -> Report:
        """Apply the recorded plan to the dataset (refusing it if stale)."""
        from wkfn.execute.apply import apply

        report = apply(self.plan, self.path, self.payloads, executor=executor, **kwargs)
        if self._session is not None and self.spec is not None:
            self._session.applied(self, self.spec)
        return report
