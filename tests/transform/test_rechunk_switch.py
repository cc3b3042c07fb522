"""Rewrites on an object store switch the mag's path (pure planner tests):
the new array goes beside the old one, the properties name it, and only a stage
after the properties deletes the old one; plan concatenation keeps that order."""

from __future__ import annotations

import msgspec
from hypothesis import given
from hypothesis import strategies as st

from wkfn.errors import InvalidArgumentError
from wkfn.plan import DeletePath, Plan, Stage, WriteProperties, concat_plans
from wkfn.spec import lookup
from wkfn.spec.dataset import DatasetSpec
from wkfn.transform.copy import RechunkItem, rechunk_mags_switching
from wkfn.transform.copy.rechunk import (
    SWITCH_SUFFIX,
    own_mag,
    rechunk_mags,
    switch_path,
)
from wkfn.transform.copy.records import SourceMag
from wkfn.transform.dataset import add_layer, create_dataset
from wkfn.transform.layer import add_mag, set_bounding_box

names = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)
mags = st.sampled_from(["1", "2", "2-2-1", "4-4-2"])


@given(names, mags)
def test_switch_path_alternates_and_never_hits_the_current(
    layer: str, name: str
) -> None:
    default = f"./{layer}/{name}"
    for current in (default, default + SWITCH_SUFFIX, f"./{layer}/other"):
        target = switch_path(layer, name, current)
        assert target != current
        assert target.startswith(f"./{layer}/")
    assert switch_path(layer, name, switch_path(layer, name, default)) == default


def _setup() -> tuple[DatasetSpec, RechunkItem]:
    spec = create_dataset(name="ds", voxel_size=(1, 1, 1)).spec
    spec = add_layer(
        spec, name="color", category="color", dtype_per_channel="uint8"
    ).spec
    change, layout = add_mag(spec, "color", (1, 1, 1), compress=False)
    spec = set_bounding_box(change.spec, "color", (0, 0, 0), (64, 64, 64)).spec
    source = SourceMag(mag=(1, 1, 1), path="./color/1", layout=layout, present=None)
    target = msgspec.structs.replace(layout, compress=True)
    return spec, RechunkItem(layer="color", source=source, target=target)


def test_switching_plan_writes_beside_then_switches_then_deletes() -> None:
    spec, item = _setup()
    change = rechunk_mags_switching(spec, [item])
    stages = [s.name for s in change.plan.stages]
    assert stages[0] == "clear" and stages[-2:] == ["properties", "cleanup"]
    assert change.plan.stages[0].ops == (
        DeletePath(path="./color/1-rewritten", what="mag"),
    )
    assert change.plan.stages[-1].ops == (DeletePath(path="./color/1", what="mag"),)
    mag = lookup.get_mag(lookup.get_layer(change.spec, "color"), (1, 1, 1))
    assert mag.path == "./color/1-rewritten"
    props = change.plan.stages[-2].ops[0]
    assert isinstance(props, WriteProperties)
    # no stage before the properties deletes or writes the current array
    for stage in change.plan.stages[:-2]:
        for op in stage.ops:
            assert "./color/1" not in (
                getattr(op, "path", None),
                getattr(op, "target", None),
            )
    # recorded with other changes (dry_run, the CLI): cleanup stays after properties
    later = Plan(
        base=change.plan.target,
        target="next",
        stages=(
            Stage(name="x", ops=(DeletePath(path="./other", what="layer"),)),
            Stage(name="properties", ops=(props,)),
        ),
    )
    joined = concat_plans([change.plan, later])
    names_joined = [s.name for s in joined.stages]
    assert names_joined[-2:] == ["properties", "cleanup"]
    assert names_joined.index("x") < names_joined.index("properties")


def test_already_matching_layout_plans_nothing() -> None:
    spec, item = _setup()
    same = msgspec.structs.replace(item, target=item.source.layout)
    change = rechunk_mags_switching(spec, [same])
    assert change.plan.stages == ()


paths = st.one_of(
    st.none(),
    st.sampled_from(["./color/1", "./color/x/1", "color/1", "./colorful/1"]),
    st.sampled_from(["../other/color/1", "/abs/color/1", "s3://b/color/1"]),
)


@given(paths)
def test_own_mag_accepts_only_mags_inside_their_layer(path: str | None) -> None:
    spec, item = _setup()
    layer = lookup.get_layer(spec, "color")
    mag = msgspec.structs.replace(lookup.get_mag(layer, (1, 1, 1)), path=path)
    spec = lookup.replace_layer(
        spec, "color", lookup.replace_mag(layer, (1, 1, 1), mag)
    )
    inside = path is None or path.startswith("./color/")
    for plan in (rechunk_mags, own_mag):  # the planner uses the same check
        try:
            if plan is own_mag:
                got_layer, got_mag, got_path = own_mag(spec, "color", (1, 1, 1))
                assert got_layer == lookup.get_layer(spec, "color")
                assert got_mag == mag
                assert got_path == (path or "./color/1")
            else:
                rechunk_mags(spec, [item], token="t")
        except InvalidArgumentError as exc:
            assert not inside
            assert repr("color") in str(exc) and (path or "") in str(exc)
        else:
            assert inside
