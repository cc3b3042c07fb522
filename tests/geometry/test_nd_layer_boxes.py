"""n-D layer boxes (pure): validation, spec round trip, readable regions."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wkfn.errors import InvalidArgumentError, InvalidAxesError
from wkfn.geometry import NDBoundingBox
from wkfn.geometry.nd_check import (
    check_axes,
    check_layer_box,
    describe_region,
    extra_points,
)
from wkfn.spec.codec import decode_properties, encode_properties
from wkfn.spec.dataset import DatasetId, DatasetSpec, VoxelSizeSpec
from wkfn.spec.layer import LayerSpec
from wkfn.testing.geometry_strategies import nd_layer_boxes
from wkfn.transform import nd_layer


def _layer(box: NDBoundingBox) -> LayerSpec:
    bb, extras, _ = nd_layer.layer_parts(box)
    return LayerSpec(
        name="l",
        category="color",
        bounding_box=bb,
        data_format="zarr3",
        additional_axes=extras,
        element_class="uint8",
    )


@given(nd_layer_boxes())
def test_layer_box_survives_the_properties_file(box: NDBoundingBox) -> None:
    layer = _layer(box)
    assert nd_layer.layer_nd_box(layer) == box
    assert tuple(nd_layer.layer_nd_box(layer).index) == tuple(range(box.ndim))
    spec = DatasetSpec(
        id=DatasetId(name="ds"),
        scale=VoxelSizeSpec(factor=(1.0, 1.0, 1.0)),
        data_layers=(layer,),
    )
    data = encode_properties(spec)
    back = decode_properties(data)
    assert nd_layer.layer_nd_box(back.data_layers[0]) == box
    assert encode_properties(back) == data


@given(nd_layer_boxes())
def test_layer_parts_match_the_reference_layout(box: NDBoundingBox) -> None:
    bb, extras, order = nd_layer.layer_parts(box)
    assert order == {a: box.axes.index(a) for a in "xyz"}
    assert [(a.name, a.index) for a in extras] == [
        (a, i) for i, a in enumerate(box.axes) if a not in "xyz"
    ]
    assert (bb.width, bb.height, bb.depth) == box.size_xyz.to_tuple()
    assert nd_layer.array_dims(_layer(box)) == box.axes


@given(nd_layer_boxes())
def test_extra_points_cover_the_extra_axes_once(box: NDBoundingBox) -> None:
    points = list(extra_points(box))
    assert len(points) == len(set(points))
    n = 1
    for a in box.axes:
        if a not in "xyz":
            n *= box.get_shape(a)
    assert len(points) == n


@pytest.mark.parametrize(
    ("axes", "match"),
    [
        (("t", "a", "y", "z"), "lack the spatial axis 'x'"),
        (("c", "x", "y", "z"), "channel axis"),
    ],
)
def test_bad_axes_are_refused_by_name(axes: tuple[str, ...], match: str) -> None:
    box = NDBoundingBox((0, 0, 0, 0), (1, 1, 1, 1), axes)
    with pytest.raises(InvalidAxesError, match=match):
        check_layer_box(box)
    with pytest.raises(InvalidAxesError):
        nd_layer.layer_parts(box)


def test_an_axis_named_twice_is_refused() -> None:
    with pytest.raises(InvalidArgumentError, match="unique"):
        NDBoundingBox((0, 0, 0, 0), (1, 1, 1, 1), ("t", "t", "y", "z"))
    with pytest.raises(InvalidAxesError, match="named twice"):
        check_axes(("t", "x", "y", "z", "t"))


def test_negative_sizes_and_topleft_are_refused() -> None:
    box = NDBoundingBox((0, 0, 0, 0), (1, 1, 1, 1), ("t", "x", "y", "z"))
    flipped = box.with_bounds("t", 5, None)._evolve((5, 0, 0, 0), (-2, 1, 1, 1))
    with pytest.raises(InvalidAxesError, match="negative"):
        check_layer_box(flipped)
    with pytest.raises(InvalidAxesError, match="non-negative"):
        nd_layer.layer_parts(box.with_bounds("t", -1, 2))


def test_extra_index_checks_name_the_axis() -> None:
    layer = _layer(NDBoundingBox((2, 0, 0, 0), (3, 4, 4, 4), ("t", "x", "y", "z")))
    nd_layer.check_extra_indices(layer, {"t": 4})
    with pytest.raises(InvalidAxesError, match=r"outside the layer's t range 2\.\.4"):
        nd_layer.check_extra_indices(layer, {"t": 5})
    with pytest.raises(InvalidAxesError, match="cannot be named 'x'"):
        nd_layer.check_extra_indices(layer, {"x": 1, "t": 2})
    with pytest.raises(InvalidAxesError, match="no index"):
        nd_layer.check_extra_indices(layer, {})


@given(st.integers(0, 5), st.integers(1, 4))
def test_regions_print_readably(t0: int, n: int) -> None:
    box = NDBoundingBox((t0, 0, 0, 0), (n, 64, 64, 1), ("t", "x", "y", "z"))
    text = describe_region(box)
    expect_t = f"t={t0}" if n == 1 else f"t={t0}..{t0 + n - 1}"
    assert text == f"{expect_t}, x=0..63, y=0..63, z=0"
