"""Declarations: decoding, key-path errors, Python plan/apply, idempotence."""

from __future__ import annotations

from pathlib import Path

import msgspec
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import wkfn
from wkfn.declare.model import (
    DatasetDecl,
    DownsampleDecl,
    LayerDecl,
    decode_declaration,
)
from wkfn.errors import DeclarationError

layers = st.builds(
    LayerDecl,
    name=st.sampled_from(["a", "b", "color", "seg-1"]),
    category=st.sampled_from(["color", "segmentation"]),
    dtype=st.sampled_from(["uint8", "uint16", "uint32"]),
    data_format=st.sampled_from(["zarr3", "wkw"]),
    shard_shape=st.sampled_from([None, (64, 64, 64), (128, 128, 32)]),
    compress=st.booleans(),
    downsample=st.one_of(
        st.none(), st.builds(DownsampleDecl, coarsest_mag=st.sampled_from([None, 4, 8]))
    ),
)
decls = st.builds(
    DatasetDecl,
    voxel_size=st.tuples(*[st.floats(0.1, 1000)] * 3),
    layers=st.lists(layers, max_size=3, unique_by=lambda lay: lay.name).map(tuple),
)


@given(decls)
def test_json_round_trip(decl: DatasetDecl) -> None:
    assert decode_declaration(msgspec.json.encode(decl), source="x.json") == decl


LAYER = 'voxel_size = [1, 1, 1]\n[[layers]]\nname = "a"\n'


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("voxel_size = [1, 1]", "$.voxel_size"),
        ("voxel_size = [1, 1, 1]\nunknown = 2", "$"),
        (
            'voxel_size = [1, 1, 1]\n[[layers]]\nname = "a"\ncategory = "colour"',
            "$.layers[0].category",
        ),
        (
            LAYER + 'source = { images = "x", copy = "y" }',
            "$.layers[0].source",
        ),
        (
            'voxel_size = [1, 1, 1]\n[[layers]]\nname = "a"\n[[layers]]\nname = "a"',
            "$.layers[1].name",
        ),
        (
            LAYER + 'data_format = "zarr"\nshard_shape = [64, 64, 64]',
            "$.layers[0].shard_shape",
        ),
        ("voxel_size = [0, 1, 1]", "$.voxel_size"),
    ],
)
def test_errors_name_the_key_path(text: str, path: str) -> None:
    with pytest.raises(DeclarationError) as info:
        decode_declaration(text, source="d.toml")
    assert info.value.path == path
    assert str(info.value).startswith(f"d.toml: {path}")


def test_python_plan_and_apply(tmp_path: Path) -> None:
    spec = tmp_path / "ds.toml"
    spec.write_text(
        'voxel_size = [4, 4, 40]\n[[layers]]\nname = "seg"\ncategory = "segmentation"\n'
        'dtype = "uint32"\nbounding_box = { size = [64, 64, 32] }\n'
        "downsample = { coarsest_mag = 2 }\n"
    )
    rec = wkfn.plan(spec)  # type: ignore[operator]
    assert "+ array seg/1 zarr3 uint32" in str(rec.plan)
    assert not (tmp_path / "ds").exists()
    wkfn.apply(rec)
    ds = wkfn.Dataset.open(tmp_path / "ds")
    assert set(ds.get_layer("seg").mags) == {wkfn.Mag(1), wkfn.Mag("2-2-1")}
    assert ds.get_layer("seg").get_mag(1).read().shape == (1, 64, 64, 32)
    assert wkfn.plan(spec).plan.is_empty()  # type: ignore[operator]
    np.testing.assert_array_equal(ds.get_layer("seg").get_mag(1).read(), 0)


def test_existing_layer_with_other_dtype_is_refused(tmp_path: Path) -> None:
    ds = wkfn.Dataset(tmp_path / "ds", voxel_size=(1, 1, 1))
    ds.add_layer("a", "color", dtype="uint16")
    spec = tmp_path / "ds.toml"
    spec.write_text('voxel_size = [1, 1, 1]\n[[layers]]\nname = "a"\n')
    with pytest.raises(DeclarationError, match="uint16"):
        wkfn.plan(spec)  # type: ignore[operator]


def test_layer_errors_name_file_and_key_path(tmp_path: Path) -> None:
    spec = tmp_path / "ds.toml"
    spec.write_text(
        'voxel_size = [1, 1, 1]\n[[layers]]\nname = "ok"\n'
        '[[layers]]\nname = "c"\nsource = { images = "no/such/folder" }\n'
    )
    with pytest.raises(DeclarationError) as info:
        wkfn.plan(spec)  # type: ignore[operator]
    assert info.value.path == "$.layers[1]"
    assert str(info.value).startswith(f"{spec}: $.layers[1]")
    spec.write_text(
        'voxel_size = [1, 1, 1]\n[[layers]]\nname = "c"\ndtype = "uint64"\n'
    )
    with pytest.raises(DeclarationError, match=r"\$\.layers\[0\].*uint64"):
        wkfn.plan(spec)  # type: ignore[operator]
    assert not (tmp_path / "ds").exists()
