"""The comparisons behind a finished call run again (wkfn.execute.finished):
what differs between two properties, and between the arrays of two plans."""

from __future__ import annotations

import msgspec
from hypothesis import HealthCheck, given, settings

from wkfn.execute.finished import plan_differences, spec_differences, summarize
from wkfn.plan.ops import CopyTree, CreateArray
from wkfn.plan.plan import Plan, Stage
from wkfn.spec import DatasetSpec, fingerprint
from wkfn.spec.array import ArrayLayout
from wkfn.testing.spec_strategies import dataset_specs, voxel_sizes

SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@SETTINGS
@given(dataset_specs(), dataset_specs())
def test_spec_differences_empty_exactly_for_equal_specs(
    a: DatasetSpec, b: DatasetSpec
) -> None:
    assert spec_differences(a, a) == []
    differs = spec_differences(a, b)
    assert (differs == []) == (fingerprint(a) == fingerprint(b)), (a, b)


@SETTINGS
@given(dataset_specs(), voxel_sizes())
def test_spec_differences_names_the_voxel_size(
    spec: DatasetSpec, scale: object
) -> None:
    other = msgspec.structs.replace(spec, scale=scale)
    differs = spec_differences(spec, other)
    assert any(line.startswith("voxel_size ") for line in differs) == (
        spec.scale != other.scale
    )


def _layout(chunk: int, compress: bool = True) -> ArrayLayout:
    return ArrayLayout(
        data_format="zarr3",
        dtype="uint8",
        num_channels=1,
        chunk_shape=(chunk,) * 3,
        shard_shape=(64,) * 3,
        compress=compress,
    )


def _plan(*ops: CreateArray | CopyTree) -> Plan:
    return Plan(base="", target="t", stages=(Stage(name="create", ops=ops),))


def test_plan_differences_names_facts_and_arrays() -> None:
    def create(path: str, chunk: int, compress: bool = True) -> CreateArray:
        return CreateArray(
            layer="c", mag="1", path=path, layout=_layout(chunk, compress)
        )

    killed = _plan(create("./c/1", 32), create("./c/2", 32), create("./s/1", 32))
    new = _plan(
        create("./c/1", 16),
        create("./c/2", 16, compress=False),
        CopyTree(source="/src/s/1", target="./s/1"),
    )
    assert plan_differences(killed, new) == [
        "chunk_shape (32, 32, 32) in the killed run, (16, 16, 16) requested: c/1, c/2",
        "compress True in the killed run, False requested: c/2",
        "re-encoded by the killed run, file-copied by this call: s/1",
    ]
    assert plan_differences(killed, killed) == []
    assert summarize(["a", "b", "c"], limit=2) == "a; b; and 1 more"
