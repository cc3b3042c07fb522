"""Plan model: JSON round trip, optimisation laws, chaining, schema drift."""

from __future__ import annotations

from pathlib import Path

import msgspec
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wkfn.errors import PlanFormatError
from wkfn.execute.executor import execute
from wkfn.plan import (
    CreateArray,
    DeletePath,
    MovePath,
    PayloadRef,
    Plan,
    ResizeArray,
    Stage,
    WriteProperties,
    WriteRegion,
    concat_plans,
    decode_plan,
    encode_plan,
    optimize,
)
from wkfn.schemas import drifted
from wkfn.spec.array import ArrayLayout

vec3 = st.tuples(*[st.integers(0, 4096)] * 3)
pow2 = st.sampled_from([16, 32, 64])
names = st.sampled_from(["color", "seg", "a-b", "x.y"])
formats = st.sampled_from(["zarr3", "zarr", "wkw"])

layouts = st.builds(
    ArrayLayout,
    data_format=formats,
    dtype=st.sampled_from(["uint8", "uint32", "float32"]),
    num_channels=st.integers(1, 3),
    chunk_shape=st.tuples(pow2, pow2, pow2),
    shard_shape=st.tuples(pow2, pow2, pow2),
    compress=st.booleans(),
    shape=vec3,
)
payloads = st.builds(
    PayloadRef,
    key=st.text("abcdef0123456789", min_size=1, max_size=8),
    shape=st.tuples(st.integers(1, 3), *[st.integers(1, 64)] * 3),
    dtype=st.sampled_from(["uint8", "uint64"]),
)
ops = st.one_of(
    st.builds(
        CreateArray,
        layer=names,
        mag=st.just("1"),
        path=st.just("./c/1"),
        layout=layouts,
    ),
    st.builds(
        ResizeArray,
        layer=names,
        mag=st.just("1"),
        path=st.just("./c/1"),
        data_format=formats,
        shape=vec3,
    ),
    st.builds(
        WriteRegion,
        layer=names,
        mag=st.just("2-2-1"),
        path=st.just("./c/2-2-1"),
        data_format=formats,
        offset=vec3,
        payload=payloads,
    ),
    st.builds(DeletePath, path=st.just("./c"), what=st.sampled_from(["layer", "mag"])),
    st.builds(MovePath, source=st.just("./a"), target=st.just("./b")),
    st.builds(
        WriteProperties,
        properties=st.just({"version": 1}),
        summary=st.lists(st.text(max_size=5)).map(tuple),
    ),
)
plans = st.builds(
    Plan,
    base=st.text("0123456789abcdef", max_size=64),
    target=st.text("0123456789abcdef", max_size=64),
    stages=st.lists(
        st.builds(
            Stage,
            name=st.sampled_from(["create", "write"]),
            ops=st.lists(ops, max_size=4).map(tuple),
        ),
        max_size=4,
    ).map(tuple),
)


@given(plans)
def test_json_round_trip(plan: Plan) -> None:
    assert decode_plan(encode_plan(plan)) == plan


@given(plans)
def test_describe_has_one_signed_line_per_op(plan: Plan) -> None:
    lines = plan.describe()
    assert len(lines) == len(plan.ops)
    assert all(line[:2] in ("+ ", "~ ", "- ") for line in lines)


@given(plans)
def test_optimize_is_idempotent_and_keeps_non_data_ops(plan: Plan) -> None:
    once = optimize(plan)
    assert optimize(once) == once

    def others(p: Plan) -> list[object]:
        return [
            op
            for op in p.ops
            if isinstance(op, DeletePath | MovePath | WriteProperties)
        ]

    assert others(once) == others(plan)
    writes = [op for op in plan.ops if isinstance(op, WriteRegion)]
    assert [op for op in once.ops if isinstance(op, WriteRegion)] == writes


def test_decode_rejects_bad_input() -> None:
    with pytest.raises(PlanFormatError):
        decode_plan(b"{not json")
    with pytest.raises(PlanFormatError):
        decode_plan(
            b'{"base": "", "target": "", "stages": '
            b'[{"name": "x", "ops": [{"op": "explode"}]}]}'
        )
    good = encode_plan(Plan(base="", target=""))
    newer = good.replace(b'"format_version":1', b'"format_version":99')
    with pytest.raises(PlanFormatError, match="99"):
        decode_plan(newer)


def test_concat_requires_chain() -> None:
    a = Plan(base="1", target="2")
    b = Plan(base="3", target="4")
    with pytest.raises(PlanFormatError):
        concat_plans([a, b])
    assert concat_plans([a, Plan(base="2", target="5")]).target == "5"


def test_schemas_have_not_drifted() -> None:
    assert drifted() == [], "run: python -m wkfn.schemas"


LAYOUT = ArrayLayout(
    data_format="zarr3",
    dtype="uint8",
    num_channels=1,
    chunk_shape=(8, 8, 8),
    shard_shape=(16, 16, 16),
    compress=True,
    shape=(64, 64, 64),
)


@settings(max_examples=15, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.tuples(*[st.integers(0, 56)] * 3), st.tuples(*[st.integers(1, 8)] * 3)
        ),
        min_size=1,
        max_size=12,
    )
)
def test_optimized_plan_writes_same_voxels(
    tmp_path_factory: pytest.TempPathFactory, writes: list
) -> None:  # type: ignore[type-arg]
    """Executing optimize(concat(...)) equals applying every write one by one."""
    root = tmp_path_factory.mktemp("opt")
    create = Plan(
        base="",
        target="0",
        stages=(
            Stage(
                name="c",
                ops=(CreateArray(layer="c", mag="1", path="./c/1", layout=LAYOUT),),
            ),
        ),
    )
    chain = [create]
    data = {}
    expected = np.zeros((1, 64, 64, 64), np.uint8)
    for i, (off, size) in enumerate(writes):
        key = f"p{i}"
        arr = np.full((1, *size), i + 1, np.uint8)
        data[key] = arr
        expected[(slice(None), *(slice(o, o + s) for o, s in zip(off, size)))] = i + 1
        op = WriteRegion(
            layer="c",
            mag="1",
            path="./c/1",
            data_format="zarr3",
            offset=off,
            payload=PayloadRef(key=key, shape=arr.shape, dtype="uint8"),
        )
        chain.append(
            Plan(base=str(i), target=str(i + 1), stages=(Stage(name="w", ops=(op,)),))
        )
    plan = concat_plans(chain)
    assert (
        sum(any(isinstance(op, WriteRegion) for op in s.ops) for s in plan.stages) == 1
    )
    execute(plan, root, data)
    from wkfn.storage.arrays import open_array

    got = open_array(str(Path(root) / "c" / "1"), "zarr3").read((0, 0, 0), (64, 64, 64))
    np.testing.assert_array_equal(got, expected)


def test_resize_folded_into_create() -> None:
    create = CreateArray(layer="c", mag="1", path="./c/1", layout=LAYOUT)
    resize = ResizeArray(
        layer="c", mag="1", path="./c/1", data_format="zarr3", shape=(128, 64, 64)
    )
    plan = optimize(
        Plan(
            base="",
            target="1",
            stages=(
                Stage(name="create", ops=(create,)),
                Stage(name="resize", ops=(resize,)),
            ),
        )
    )
    assert plan.ops == (
        msgspec.structs.replace(
            create, layout=msgspec.structs.replace(LAYOUT, shape=(128, 64, 64))
        ),
    )
