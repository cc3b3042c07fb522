"""Plans: ordered stages of ops, fingerprinted against the spec they were made from.

A :class:`Plan` is a document. It prints (``str(plan)``), encodes to JSON, and can be
replayed against a dataset whose properties still have the fingerprint ``base``. Inside
one stage no two ops write the same (array, shard); stages run strictly in order.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence

import msgspec

from wkfn.errors import PlanFormatError
from wkfn.plan.ops import (
    CreateArray,
    DeletePath,
    MovePath,
    PlanOp,
    ResizeArray,
    WriteProperties,
    WriteRegion,
)

PLAN_FORMAT_VERSION = 1


class Stage(msgspec.Struct, frozen=True, kw_only=True):
    """A group of ops that may run in any order (or in parallel)."""

    name: str
    ops: tuple[PlanOp, ...]


class Plan(msgspec.Struct, frozen=True, kw_only=True):
    """Everything a change does to storage, as data.

    Attributes:
        format_version: version of this document format.
        base: fingerprint of the properties the plan was computed from
            (empty for a plan that creates a dataset).
        target: fingerprint of the properties after the plan ran.
        stages: run in order; ops inside a stage are independent.
    """

    base: str
    target: str
    stages: tuple[Stage, ...] = ()
    format_version: int = PLAN_FORMAT_VERSION

    @property
    def ops(self) -> tuple[PlanOp, ...]:
        """All ops in execution order."""
        return tuple(op for stage in self.stages for op in stage.ops)

    def describe(self) -> list[str]:
        """Human-readable lines, one per op (``+`` create, ``~`` update, ``-``)."""
        return [op.describe() for op in self.ops]

    def __str__(self) -> str:
        lines = self.describe()
        if not lines:
            return "(no changes)"
        return "\n".join(lines)

    def is_empty(self) -> bool:
        """True if running the plan would not touch storage."""
        return not any(stage.ops for stage in self.stages)

    def memory_estimate(self) -> int:
        """Bytes of the largest op (what one worker holds at a time)."""
        return max((op.memory_estimate() for op in self.ops), default=0)


def encode_plan(plan: Plan) -> bytes:
    """Encode a plan as JSON (stable key order)."""
    return msgspec.json.encode(plan)


def decode_plan(data: bytes | str) -> Plan:
    """Decode a plan from JSON, refusing unknown format versions.

    Raises:
        PlanFormatError: malformed JSON, unknown op, or a newer format version.
    """
    try:
        plan = msgspec.json.decode(data, type=Plan)
    except msgspec.DecodeError as exc:
        raise PlanFormatError(f"cannot decode plan: {exc}") from exc
    if plan.format_version != PLAN_FORMAT_VERSION:
        raise PlanFormatError(
            f"plan format_version {plan.format_version} is not supported "
            f"(this wkfn reads version {PLAN_FORMAT_VERSION})"
        )
    return plan


def concat_plans(plans: Sequence[Plan]) -> Plan:
    """Join consecutive plans into one (``plans[i].target == plans[i+1].base``).

    Intermediate property writes are dropped: only the final properties are written,
    after all data. Stages a plan runs after its properties (deleting what the new
    properties no longer name) stay after the final properties. The result is
    passed through :func:`optimize`.
    """
    if not plans:
        raise ValueError("concat_plans needs at least one plan")
    for before, after in itertools.pairwise(plans):
        if before.target != after.base:
            raise PlanFormatError(
                "plans do not chain: target "
                f"{before.target[:12]} != next base {after.base[:12]}"
            )
    stages: list[Stage] = []
    post: list[Stage] = []  # stages a plan runs after its properties (cleanup)
    last_props: WriteProperties | None = None
    summary: list[str] = []
    for plan in plans:
        committed = False
        for stage in plan.stages:
            ops = [op for op in stage.ops if not isinstance(op, WriteProperties)]
            for op in stage.ops:
                if isinstance(op, WriteProperties):
                    last_props = op
                    summary.extend(op.summary)
                    committed = True
            if ops:
                (post if committed else stages).append(
                    Stage(name=stage.name, ops=tuple(ops))
                )
    if last_props is not None:
        final = msgspec.structs.replace(last_props, summary=tuple(summary))
        stages.append(Stage(name="properties", ops=(final,)))
    stages.extend(post)
    return optimize(
        Plan(base=plans[0].base, target=plans[-1].target, stages=tuple(stages))
    )


def _is_data_stage(stage: Stage) -> bool:
    return all(isinstance(op, ResizeArray | WriteRegion) for op in stage.ops)


def optimize(plan: Plan) -> Plan:
    """Merge runs of resize/write stages so each shard is rewritten once.

    Resizes only grow arrays (metadata), so inside a run of stages made of resizes and
    writes they can all be hoisted to the front (largest shape per array wins), and
    the writes merged into one stage in their original order (later writes win where
    they overlap, which the executor preserves per shard). A resize of an array the
    same plan creates is folded into the create.
    """
    return _fold_resizes_into_creates(_merge_data_stages(plan))


def _fold_resizes_into_creates(plan: Plan) -> Plan:
    created: dict[str, CreateArray] = {}
    grown: dict[str, tuple[int, int, int]] = {}
    for op in plan.ops:
        if isinstance(op, CreateArray):
            created[op.path] = op
        elif isinstance(op, ResizeArray) and op.path in created:
            prev = grown.get(op.path, created[op.path].layout.shape)
            grown[op.path] = (
                max(prev[0], op.shape[0]),
                max(prev[1], op.shape[1]),
                max(prev[2], op.shape[2]),
            )
        elif isinstance(op, DeletePath | MovePath):
            created.clear()  # paths may be reused; stay conservative
    if not grown:
        return plan
    stages = []
    for stage in plan.stages:
        ops: list[PlanOp] = []
        for op in stage.ops:
            if isinstance(op, ResizeArray) and op.path in grown:
                continue
            if isinstance(op, CreateArray) and op.path in grown:
                layout = msgspec.structs.replace(op.layout, shape=grown[op.path])
                op = msgspec.structs.replace(op, layout=layout)
            ops.append(op)
        if ops:
            stages.append(Stage(name=stage.name, ops=tuple(ops)))
    return msgspec.structs.replace(plan, stages=tuple(stages))


def _merge_data_stages(plan: Plan) -> Plan:
    out: list[Stage] = []
    run: list[Stage] = []

    def flush() -> None:
        if not run:
            return
        if len(run) == 1:
            out.append(run[0])
        else:
            resizes: dict[str, ResizeArray] = {}
            writes: list[WriteRegion] = []
            for stage in run:
                for op in stage.ops:
                    if isinstance(op, ResizeArray):
                        prev = resizes.get(op.path)
                        if prev is None:
                            resizes[op.path] = op
                        else:
                            shape = tuple(
                                max(a, b) for a, b in zip(prev.shape, op.shape)
                            )
                            resizes[op.path] = msgspec.structs.replace(
                                op, shape=(shape[0], shape[1], shape[2])
                            )
                    elif isinstance(op, WriteRegion):
                        writes.append(op)
            if resizes:
                out.append(Stage(name="resize", ops=tuple(resizes.values())))
            if writes:
                out.append(Stage(name="write", ops=tuple(writes)))
        run.clear()

    for stage in plan.stages:
        if _is_data_stage(stage):
            run.append(stage)
        else:
            flush()
            out.append(stage)
    flush()
    return msgspec.structs.replace(plan, stages=tuple(out))


def iter_write_ops(plan: Plan) -> Iterator[WriteRegion]:
    """All region writes of a plan, in order."""
    for op in plan.ops:
        if isinstance(op, WriteRegion):
            yield op
