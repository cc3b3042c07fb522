"""``Change``: a new spec together with the plan that makes storage match it."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from wkfn.plan.ops import PlanOp, WriteProperties
from wkfn.plan.plan import Plan, Stage
from wkfn.spec.codec import fingerprint, from_json_obj, to_json_obj
from wkfn.spec.dataset import DatasetSpec


class Change(msgspec.Struct, frozen=True, kw_only=True):
    """Result of a pure transform: the spec after the change and the plan to apply."""

    spec: DatasetSpec
    plan: Plan

    def __str__(self) -> str:
        return str(self.plan)


def make_change(
    old: DatasetSpec | None,
    new: DatasetSpec,
    stages: Sequence[tuple[str, Sequence[PlanOp]]] = (),
    *,
    summary: Sequence[str] = (),
    write_properties: bool | None = None,
) -> Change:
    """Build a :class:`Change` from data stages, appending the properties write last.

    The properties are written when the spec changed (or when ``write_properties`` is
    forced), always in a final stage of their own: data first, metadata last.
    """
    base = fingerprint(old) if old is not None else ""
    target = fingerprint(new)
    if target != base:
        # Adopt exactly what reading the written file back gives (e.g. the axis
        # order a mag-less layer keeps in its bounding box), so fingerprints of the
        # in-memory spec and of the file on disk always agree.
        new = from_json_obj(to_json_obj(new))
        target = fingerprint(new)
    out = [Stage(name=name, ops=tuple(ops)) for name, ops in stages if ops]
    if write_properties is None:
        write_properties = base != target
    if write_properties:
        props = WriteProperties(properties=to_json_obj(new), summary=tuple(summary))
        out.append(Stage(name="properties", ops=(props,)))
    return Change(spec=new, plan=Plan(base=base, target=target, stages=tuple(out)))
