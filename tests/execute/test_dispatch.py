"""Op dispatch is one exhaustive match, and failures keep their typed causes."""

from __future__ import annotations

import pickle
import re
import typing

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wkfn.errors import CorruptImageError, ExecutionError
from wkfn.execute.dispatch import task_for
from wkfn.plan.ops import PlanOp, WriteProperties, WriteRegion

KINDS = typing.get_args(PlanOp)


def _ops() -> st.SearchStrategy[PlanOp]:
    def of(kind: type[PlanOp]) -> st.SearchStrategy[PlanOp]:
        if kind is WriteProperties:  # its properties are free-form JSON
            return st.builds(WriteProperties, properties=st.just({"id": {}}))
        return st.from_type(kind)

    return st.one_of([of(kind) for kind in KINDS])


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(_ops())
def test_every_op_but_region_writes_has_a_top_level_task(op: PlanOp) -> None:
    if isinstance(op, WriteRegion):
        with pytest.raises(TypeError, match="grouped per shard"):
            task_for(op)
        return
    fn = task_for(op)
    assert fn.__module__.startswith("wkfn.execute.")
    assert "<locals>" not in fn.__qualname__  # pickles by reference
    # one task per kind: the function's name says which op it runs
    words = re.findall("[A-Z][a-z]+", type(op).__name__)
    assert fn.__name__ == "run_" + "_".join(w.lower() for w in words)


def test_the_op_union_is_the_thirteen_kinds() -> None:
    assert len(KINDS) == 13


def test_execution_error_keeps_causes_and_pickles_without_them() -> None:
    cause = CorruptImageError("frame 3 is truncated")
    err = ExecutionError(
        {"import:a.tif": f"CorruptImageError: {cause}"}, {"import:a.tif": cause}
    )
    assert err.cause_of(CorruptImageError) is cause
    assert err.cause_of(KeyError) is None
    back = pickle.loads(pickle.dumps(err))
    assert back.failures == err.failures
    assert back.causes == {}
    assert str(back) == str(err)
