"""Pure transforms: invariants checked with hypothesis, no storage involved."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wkfn.errors import ConflictingArgumentsError, InvalidArgumentError
from wkfn.plan.ops import CreateArray, PayloadRef, WriteProperties, WriteRegion
from wkfn.spec.codec import decode_properties, encode_properties, fingerprint
from wkfn.transform import data as data_t
from wkfn.transform import dataset as ds_t
from wkfn.transform import layer as layer_t
from wkfn.transform.layout import array_shape, choose_layout

pow2 = st.sampled_from([1, 2, 4, 8, 16, 32, 64, 128])
mag3 = st.tuples(
    pow2.filter(lambda v: v <= 8),
    pow2.filter(lambda v: v <= 8),
    pow2.filter(lambda v: v <= 8),
)
extent = st.tuples(*[st.integers(1, 5000)] * 3)


def base_spec():  # type: ignore[no-untyped-def]
    spec = ds_t.create_dataset(name="t", voxel_size=(1.0, 1.0, 2.0)).spec
    return ds_t.add_layer(
        spec, name="c", category="color", dtype_per_channel="uint8"
    ).spec


@given(extent, mag3, st.sampled_from(["zarr3", "wkw", "zarr"]))
def test_choose_layout_invariants(
    ext: tuple[int, int, int], mag: tuple[int, int, int], fmt: str
) -> None:
    lay = choose_layout(
        data_format=fmt, dtype="uint8", num_channels=1, mag=mag, layer_extent=ext
    )  # type: ignore[arg-type]
    for c, s in zip(lay.chunk_shape, lay.shard_shape):
        assert s % c == 0 and s & (s - 1) == 0 and s <= 4096
    if fmt == "zarr":
        assert lay.shard_shape == lay.chunk_shape
    if fmt == "wkw":
        assert len(set(lay.shard_shape)) == 1
    if fmt == "zarr3":
        need = [-(-e // m) for e, m in zip(ext, mag)]
        for s, n, c in zip(lay.shard_shape, need, lay.chunk_shape):
            assert s <= max(c, 2 * n)  # never much larger than the data needs


def test_choose_layout_errors() -> None:
    with pytest.raises(ConflictingArgumentsError):
        choose_layout(
            data_format="zarr3",
            dtype="uint8",
            num_channels=1,
            mag=(1, 1, 1),
            shard_shape=(64,) * 3,
            chunks_per_shard=(2,) * 3,
        )
    with pytest.raises(InvalidArgumentError, match="power of two"):
        choose_layout(
            data_format="zarr3",
            dtype="uint8",
            num_channels=1,
            mag=(1, 1, 1),
            chunk_shape=(30, 32, 32),
        )
    with pytest.raises(InvalidArgumentError, match="multiple"):
        choose_layout(
            data_format="zarr3",
            dtype="uint8",
            num_channels=1,
            mag=(1, 1, 1),
            chunk_shape=(64,) * 3,
            shard_shape=(32,) * 3,
        )
    with pytest.raises(InvalidArgumentError, match="cubic"):
        choose_layout(
            data_format="wkw",
            dtype="uint8",
            num_channels=1,
            mag=(1, 1, 1),
            chunk_shape=(32, 32, 16),
        )


@given(
    st.tuples(*[st.integers(0, 3000)] * 3), extent, mag3, st.tuples(pow2, pow2, pow2)
)
def test_array_shape_covers_box(
    top: tuple[int, int, int],
    size: tuple[int, int, int],
    mag: tuple[int, int, int],
    shard: tuple[int, int, int],
) -> None:
    shape = array_shape(top, size, mag, shard)
    for t, s, m, a, sh in zip(top, size, mag, shape, shard):
        assert a % sh == 0 and a * m >= t + s and (a - sh) * m < t + s


@given(st.tuples(*[st.integers(0, 200)] * 3), st.tuples(*[st.integers(1, 100)] * 3))
def test_write_region_grows_bbox_to_cover(
    offset: tuple[int, int, int], size: tuple[int, int, int]
) -> None:
    change, _ = layer_t.add_mag(base_spec(), "c", (1, 1, 1))
    spec = change.spec
    ref = PayloadRef(key="k", shape=(1, *size), dtype="uint8")
    out = data_t.write_region(
        spec,
        "c",
        (1, 1, 1),
        offset=offset,
        size=size,
        payload=ref,
        allow_resize=True,
        allow_unaligned=True,
    )
    bb = out.spec.data_layers[0].bounding_box
    assert bb.top_left == offset and (bb.width, bb.height, bb.depth) == size
    assert isinstance(out.plan.ops[-1], WriteProperties)
    # writing the same region again changes no metadata: idempotent spec
    again = data_t.write_region(
        out.spec,
        "c",
        (1, 1, 1),
        offset=offset,
        size=size,
        payload=ref,
        allow_unaligned=True,
    )
    assert again.spec == out.spec
    assert [type(op) for op in again.plan.ops] == [WriteRegion]
    assert again.plan.base == again.plan.target


def test_write_region_refuses_outside_without_resize() -> None:
    change, _ = layer_t.add_mag(base_spec(), "c", (1, 1, 1))
    ref = PayloadRef(key="k", shape=(1, 4, 4, 4), dtype="uint8")
    with pytest.raises(InvalidArgumentError, match="allow_resize"):
        data_t.write_region(
            change.spec, "c", (1, 1, 1), offset=(0, 0, 0), size=(4, 4, 4), payload=ref
        )


def test_unaligned_write_detected() -> None:
    spec = layer_t.set_bounding_box(base_spec(), "c", (0, 0, 0), (128, 128, 128)).spec
    change, _ = layer_t.add_mag(spec, "c", (1, 1, 1), shard_shape=(64, 64, 64))
    ref = PayloadRef(key="k", shape=(1, 10, 10, 10), dtype="uint8")
    with pytest.raises(InvalidArgumentError, match="aligned"):
        data_t.write_region(
            change.spec,
            "c",
            (1, 1, 1),
            offset=(3, 0, 0),
            size=(10, 10, 10),
            payload=ref,
            allow_resize=True,
            shard_shapes={(1, 1, 1): (64, 64, 64)},
        )


@given(st.lists(st.sampled_from(["a", "b", "c2", "d.e"]), unique=True, max_size=4))
def test_add_then_delete_layers_round_trip(names: list[str]) -> None:
    spec = ds_t.create_dataset(name="t", voxel_size=(1.0, 1.0, 1.0)).spec
    start = spec
    for n in names:
        spec = ds_t.add_layer(
            spec, name=n, category="color", dtype_per_channel="uint8"
        ).spec
    assert decode_properties(encode_properties(spec)) == spec
    for n in reversed(names):
        spec = ds_t.delete_layer(spec, n).spec
    assert spec == start
    assert fingerprint(spec) == fingerprint(start)


def test_add_mag_plan_and_spec() -> None:
    change, layout = layer_t.add_mag(base_spec(), "c", (2, 2, 1))
    assert isinstance(change.plan.ops[0], CreateArray)
    assert change.plan.ops[0].path == "./c/2-2-1"
    assert change.spec.data_layers[0].mags[0].path == "./c/2-2-1"
    assert layout.shard_shape == (1024, 1024, 1024)
    assert (
        str(change.plan).splitlines()[0]
        == "+ array c/2-2-1 zarr3 uint8 chunk 32³ shard 1024³"
    )
