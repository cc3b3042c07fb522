"""The pure picture code: PNG bytes, windows, colour maps, sections, sheets, plan
drawings and neuroglancer states (hypothesis where a property says more than a case).
"""

from __future__ import annotations

import doctest
import importlib
import io
import json
import urllib.parse
import xml.etree.ElementTree as ET
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from wkfn.errors import InvalidArgumentError
from wkfn.picture.colours import hsv_to_rgb, layer_tint, segment_colours
from wkfn.picture.neuroglancer import (
    index_page,
    layer_source_path,
    neuroglancer_link,
    neuroglancer_state,
)
from wkfn.picture.plan_svg import KIND_COLOURS, op_region, plan_drawing, to_svg
from wkfn.picture.png import encode_png
from wkfn.picture.render import layer_image, plane
from wkfn.picture.section import fit_mag_index, plan_section
from wkfn.picture.sheet import orthogonal_sheet, resize_nearest, row_sheet
from wkfn.picture.window import apply_window, configured_window, percentile_window
from wkfn.plan.ops import CreateArray, DeletePath, PayloadRef, WriteRegion
from wkfn.plan.plan import Plan, Stage
from wkfn.spec.array import ArrayLayout
from wkfn.spec.codec import decode_properties

Image = pytest.importorskip("PIL.Image")

MODULES = [
    "wkfn.picture.png",
    "wkfn.picture.window",
    "wkfn.picture.colours",
    "wkfn.picture.section",
    "wkfn.picture.render",
    "wkfn.picture.sheet",
    "wkfn.picture.plan_svg",
    "wkfn.picture.neuroglancer",
    "wkfn.visual.preview",
    "wkfn.visual.server",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name))
    assert result.failed == 0
    assert result.attempted > 0


# ------------------------------------------------------------------ PNG

images = st.one_of(
    hnp.arrays(np.uint8, st.tuples(st.integers(1, 40), st.integers(1, 40))),
    hnp.arrays(np.uint8, st.tuples(st.integers(1, 40), st.integers(1, 40), st.just(3))),
)


@given(images)
def test_png_decodes_to_the_same_pixels(image: np.ndarray) -> None:
    decoded = np.asarray(Image.open(io.BytesIO(encode_png(image))))
    assert decoded.dtype == np.uint8
    assert np.array_equal(decoded, image)


@pytest.mark.parametrize(
    "bad",
    [
        np.zeros((2, 2), np.uint16),
        np.zeros((2, 2, 4), np.uint8),
        np.zeros((0, 3), np.uint8),
    ],
)
def test_png_refuses_what_it_cannot_encode(bad: np.ndarray) -> None:
    with pytest.raises(ValueError):
        encode_png(bad)


# ------------------------------------------------------------------ windows

finite = st.floats(-1e6, 1e6, allow_nan=False)


@given(
    st.lists(finite, min_size=1, max_size=50),
    finite,
    st.floats(1e-3, 1e6),
    st.booleans(),
)
def test_window_is_monotonic_and_saturates(
    values: list[float], low: float, width: float, invert: bool
) -> None:
    high = low + width
    data = np.sort(np.array(values))
    out = apply_window(data, low, high, invert=invert).astype(int)
    steps = np.diff(out)
    assert (steps <= 0).all() if invert else (steps >= 0).all()
    black, white = (255, 0) if invert else (0, 255)
    assert (out[data <= low] == black).all()
    assert (out[data >= high] == white).all()


@given(st.lists(finite, min_size=1, max_size=50), finite)
def test_empty_window_is_a_threshold(values: list[float], low: float) -> None:
    data = np.array(values)
    out = apply_window(data, low, low)
    assert np.array_equal(out, np.where(data > low, 255, 0))


@given(hnp.arrays(np.float64, st.integers(1, 100), elements=finite))
def test_percentile_window_lies_within_the_data(data: np.ndarray) -> None:
    low, high = percentile_window(data)
    assert data.min() <= low <= high <= data.max()


def test_percentile_window_ignores_nan_and_handles_empty() -> None:
    assert percentile_window(np.array([np.nan, 1.0, 1.0])) == (1.0, 1.0)
    assert percentile_window(np.array([np.nan])) == (0.0, 1.0)


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"intensityRange": [10, 200]}, (10.0, 200.0)),
        ({"intensity_range": (0, 1)}, (0.0, 1.0)),
        ({"intensityRange": [1]}, None),
        ({"intensityRange": ["a", 2]}, None),
        ({"intensityRange": [0, float("inf")]}, None),
        ({}, None),
        (None, None),
    ],
)
def test_configured_window(config: Any, expected: Any) -> None:
    assert configured_window(config) == expected


# ------------------------------------------------------------------ colours

ids = st.integers(0, 2**64 - 1)


@given(st.lists(ids, min_size=1, max_size=30), st.lists(ids, max_size=30))
def test_segment_colour_depends_only_on_the_id(
    first: list[int], other: list[int]
) -> None:
    alone = segment_colours(np.array(first, dtype=np.uint64))
    mixed = segment_colours(np.array(first + other, dtype=np.uint64))
    assert np.array_equal(alone, mixed[: len(first)])


@given(st.lists(st.integers(-(2**63), 2**63 - 1), min_size=1, max_size=30))
def test_signed_ids_get_the_colour_of_their_unsigned_twin(values: list[int]) -> None:
    signed = np.array(values, dtype=np.int64)
    assert np.array_equal(
        segment_colours(signed), segment_colours(signed.view(np.uint64))
    )


@given(ids.filter(bool))
def test_background_is_black_and_segments_are_bright(segment: int) -> None:
    colours = segment_colours(np.array([0, segment], dtype=np.uint64))
    assert colours[0].tolist() == [0, 0, 0]
    assert colours[1].max() >= 190  # value >= 0.75


def test_segment_colours_are_fixed_across_versions_and_distinct() -> None:
    # the map is part of the picture's meaning: changing it must be deliberate
    assert segment_colours(np.array([1, 2, 3])).tolist() == GOLDEN_COLOURS
    many = segment_colours(np.arange(1, 2001, dtype=np.uint32))
    assert len({tuple(c) for c in many.tolist()}) >= 1950


GOLDEN_COLOURS = [[101, 226, 122], [36, 198, 42], [110, 195, 246]]


@given(st.floats(0, 1), st.floats(0, 1), st.floats(0, 1))
def test_hsv_matches_colorsys(h: float, s: float, v: float) -> None:
    import colorsys

    expected = [round(c * 255) for c in colorsys.hsv_to_rgb(h % 1.0, s, v)]
    got = hsv_to_rgb(np.array(h), np.array(s), np.array(v)).tolist()
    assert all(abs(a - b) <= 1 for a, b in zip(got, expected))


def test_layer_tint() -> None:
    assert layer_tint({"color": [255, 0, 0]}) == (255, 0, 0)
    assert layer_tint({"color": [300, 0, 0]}) == (255, 255, 255)
    assert layer_tint(None) == (255, 255, 255)


# ------------------------------------------------------------------ sections

boxes = st.tuples(
    st.tuples(*[st.integers(0, 100)] * 3), st.tuples(*[st.integers(1, 100)] * 3)
)
mags = st.sampled_from([(1, 1, 1), (2, 2, 1), (2, 2, 2), (4, 4, 2), (8, 8, 8)])


@given(boxes, mags, st.sampled_from("xyz"), st.data())
def test_section_covers_the_index_at_one_mag_voxel(
    box: Any, mag: Any, axis: Any, data: st.DataObject
) -> None:
    topleft, size = box
    normal = "xyz".index(axis)
    index = data.draw(st.integers(topleft[normal], topleft[normal] + size[normal] - 1))
    s = plan_section(topleft, size, mag, axis, index)
    assert s.size[normal] == mag[normal]
    assert s.topleft[normal] <= index < s.topleft[normal] + s.size[normal]
    for i in range(3):
        assert s.topleft[i] % mag[i] == 0 and s.size[i] % mag[i] == 0
        if i != normal:  # the whole box on the other axes
            assert s.topleft[i] <= topleft[i]
            assert s.topleft[i] + s.size[i] >= topleft[i] + size[i]
    assert sorted((*s.image_axes, normal)) == [0, 1, 2]


@given(boxes, mags, st.sampled_from("xyz"), st.data())
def test_index_outside_the_box_is_refused(
    box: Any, mag: Any, axis: Any, data: st.DataObject
) -> None:
    topleft, size = box
    normal = "xyz".index(axis)
    low, high = topleft[normal], topleft[normal] + size[normal]
    index = data.draw(st.integers(-50, low - 1) | st.integers(high, high + 50))
    with pytest.raises(
        InvalidArgumentError, match=f"valid {axis} are {low}..{high - 1}"
    ):
        plan_section(topleft, size, mag, axis, index)


def test_default_index_is_the_middle_and_bad_axes_are_refused() -> None:
    assert plan_section((0, 0, 10), (4, 4, 20), (1, 1, 1), "z", None).index == 20
    with pytest.raises(InvalidArgumentError, match="axis"):
        plan_section((0, 0, 0), (4, 4, 4), (1, 1, 1), "t", 0)  # type: ignore[arg-type]


@given(mags, st.sampled_from("xyz"))
def test_plane_orientation(mag: Any, axis: Any) -> None:
    """z: x right, y down; y: x right, z down; x: z right, y down."""
    s = plan_section((0, 0, 0), (6, 5, 4), (1, 1, 1), axis, 1)
    shape = [6, 5, 4]
    shape[s.normal] = 1
    grid = np.indices(shape)  # grid[a][x, y, z] = coordinate along a
    data = (grid[0] * 100 + grid[1] * 10 + grid[2]).astype(np.int32)[None]
    out = plane(data, s)[0]
    horizontal, vertical = s.image_axes
    assert out.shape == (shape[vertical], shape[horizontal])
    # moving right increases the horizontal axis, moving down the vertical one
    weight = {0: 100, 1: 10, 2: 1}
    if out.shape[1] > 1:
        assert (out[:, 1] - out[:, 0] == weight[horizontal]).all()
    if out.shape[0] > 1:
        assert (out[1] - out[0] == weight[vertical]).all()
    expected = {"z": (0, 1), "y": (0, 2), "x": (2, 1)}[axis]
    assert s.image_axes == expected


def test_fit_mag_index() -> None:
    mags_ = [(1, 1, 1), (2, 2, 1), (4, 4, 2)]
    assert fit_mag_index(mags_, (1000, 1000, 10), "z", 2048) == 0
    assert fit_mag_index(mags_, (3000, 1000, 10), "z", 2048) == 1
    assert fit_mag_index(mags_, (30000, 1000, 10), "z", 2048) == 2


# ------------------------------------------------------------------ rendering


@given(
    hnp.arrays(
        np.uint16, st.tuples(st.integers(1, 4), st.integers(1, 9), st.integers(1, 9))
    )
)
def test_layer_image_shape(channels: np.ndarray) -> None:
    for segmentation in (False, True):
        out = layer_image(channels, segmentation=segmentation)
        assert out.shape == (*channels.shape[1:], 3) and out.dtype == np.uint8


def test_layer_image_channels_tint_and_inversion() -> None:
    rgb = np.array([[[0, 255]], [[255, 0]], [[10, 20]]], dtype=np.uint8)
    out = layer_image(rgb, segmentation=False, window=(0, 255))
    assert out.tolist() == [[[0, 255, 10], [255, 0, 20]]]
    two = layer_image(rgb[:2], segmentation=False, window=(0, 255))
    assert two[..., 2].max() == 0
    grey = np.array([[[0, 255]]], dtype=np.uint8)
    red = layer_image(
        grey,
        segmentation=False,
        view_configuration={"color": [255, 0, 0]},
        window=(0, 255),
    )
    assert red.tolist() == [[[0, 0, 0], [255, 0, 0]]]
    inverted = layer_image(
        grey,
        segmentation=False,
        view_configuration={"isInverted": True, "intensityRange": [0, 255]},
    )
    assert inverted[..., 0].tolist() == [[255, 0]]


# ------------------------------------------------------------------ sheets

sizes = st.lists(
    st.tuples(st.integers(1, 30), st.integers(1, 30)), min_size=1, max_size=5
)


def _solid(rows: int, cols: int, value: int) -> np.ndarray:
    return np.full((rows, cols, 3), value, dtype=np.uint8)


@given(sizes, st.integers(0, 10))
def test_row_sheet_places_every_image(shapes: list[tuple[int, int]], gap: int) -> None:
    imgs = [_solid(r, c, 100 + i) for i, (r, c) in enumerate(shapes)]
    sheet = row_sheet(imgs, gap=gap)
    assert sheet.shape == (
        max(r for r, _ in shapes),
        sum(c for _, c in shapes) + gap * (len(shapes) - 1),
        3,
    )
    x = 0
    for img in imgs:
        assert np.array_equal(sheet[: img.shape[0], x : x + img.shape[1]], img)
        x += img.shape[1] + gap


@given(st.integers(1, 30), st.integers(1, 30), st.integers(1, 30), st.integers(0, 9))
def test_orthogonal_sheet_shares_axes(x: int, y: int, z: int, gap: int) -> None:
    xy, xz, yz = _solid(y, x, 1), _solid(z, x, 2), _solid(y, z, 3)
    sheet = orthogonal_sheet(xy, xz, yz, gap=gap)
    assert sheet.shape == (y + gap + z, x + gap + z, 3)
    assert (sheet[:y, :x] == 1).all()
    assert (sheet[:y, x + gap :] == 3).all()
    assert (sheet[y + gap :, :x] == 2).all()


@given(st.integers(1, 20), st.integers(1, 20), st.integers(1, 40), st.integers(1, 40))
def test_resize_nearest(h: int, w: int, rows: int, cols: int) -> None:
    img = np.arange(h * w * 3, dtype=np.int64).reshape(h, w, 3)
    out = resize_nearest(img, rows, cols)
    assert out.shape == (rows, cols, 3)
    assert np.array_equal(resize_nearest(img, h, w), img)
    assert set(np.unique(out)) <= set(np.unique(img))


# ------------------------------------------------------------------ plan drawings

LAYOUT = ArrayLayout(
    data_format="zarr3",
    dtype="uint8",
    num_channels=1,
    chunk_shape=(32, 32, 32),
    shard_shape=(64, 64, 64),
    compress=True,
    shape=(128, 128, 64),
)
writes = st.lists(
    st.tuples(
        st.sampled_from(["1", "2-2-1", "4"]),
        st.tuples(*[st.integers(0, 200)] * 3),
        st.tuples(*[st.integers(1, 80)] * 3),
    ),
    min_size=1,
    max_size=12,
)


def _plan(items: list[Any]) -> Plan:
    ops: list[Any] = [
        WriteRegion(
            layer="color",
            mag=mag,
            path=f"./color/{mag}",
            data_format="zarr3",
            offset=offset,
            payload=PayloadRef(key=f"p{i}", shape=(1, *size), dtype="uint8"),
        )
        for i, (mag, offset, size) in enumerate(items)
    ]
    create = CreateArray(layer="color", mag="1", path="./color/1", layout=LAYOUT)
    delete = DeletePath(path="./old", what="layer")
    return Plan(
        base="a",
        target="b",
        stages=(
            Stage(name="create", ops=(create, delete)),
            Stage(name="data", ops=tuple(ops)),
        ),
    )


@given(writes)
def test_plan_drawing_puts_every_region_inside_its_panel(items: list[Any]) -> None:
    plan = _plan(items)
    drawing = plan_drawing(plan)
    panels = [r for r in drawing.rects if r.stroke == "#999999"]
    regions = [r for r in drawing.rects if r.title]
    assert len(regions) == len(items) + 1  # the writes and the array creation
    assert len(panels) == len({m for m, _, _ in items} | {"1"})
    for r in regions:
        assert any(
            p.x - 1e-6 <= r.x
            and r.x + r.width <= p.x + p.width + 1.0 + 1e-6
            and p.y - 1e-6 <= r.y
            and r.y + r.height <= p.y + p.height + 1.0 + 1e-6
            for p in panels
        ), r
        assert r.y + r.height <= drawing.height and r.x + r.width <= drawing.width
    writes_drawn = [r for r in regions if r.stroke == KIND_COLOURS["write"]]
    assert len(writes_drawn) == len(items)
    assert drawing.kinds == ("create", "delete", "write")


@given(writes)
def test_plan_svg_is_xml_with_one_tooltip_per_region(items: list[Any]) -> None:
    plan = _plan(items)
    root = ET.fromstring(to_svg(plan_drawing(plan)))
    ns = "{http://www.w3.org/2000/svg}"
    titles = [t.text for t in root.iter(f"{ns}title")]
    assert sorted(titles) == sorted(
        op.describe() for op in plan.ops if op_region(op) is not None
    )
    text = " ".join(t.text or "" for t in root.iter(f"{ns}text"))
    assert "- layer ./old" in text  # the op without a box is listed
    assert "write" in text and "create" in text


def test_region_of_a_write_is_in_mag1_voxels() -> None:
    plan = _plan([("2-2-1", (3, 4, 5), (10, 20, 30))])
    region = op_region(plan.stages[1].ops[0])
    assert region is not None
    assert region.mag == (2, 2, 1)
    assert region.topleft == (6, 8, 5) and region.size == (20, 40, 30)


# ------------------------------------------------------------------ neuroglancer

PROPERTIES = {
    "id": {"name": "demo", "team": ""},
    "scale": {"factor": [11.24, 11.24, 25.0], "unit": "nanometer"},
    "dataLayers": [
        {
            "name": "color",
            "category": "color",
            "boundingBox": {
                "topLeft": [0, 0, 0],
                "width": 64,
                "height": 32,
                "depth": 8,
            },
            "dataFormat": "zarr3",
            "mags": [
                {"mag": [1, 1, 1], "path": "./color/1"},
                {"mag": [2, 2, 1], "path": "./color/2-2-1"},
            ],
            "elementClass": "uint8",
            "defaultViewConfiguration": {"intensityRange": [10, 90]},
        },
        {
            "name": "seg@ment",
            "category": "segmentation",
            "boundingBox": {
                "topLeft": [0, 0, 0],
                "width": 64,
                "height": 32,
                "depth": 8,
            },
            "dataFormat": "zarr",
            "mags": [{"mag": [1, 1, 1], "path": "./seg@ment/1"}],
            "elementClass": "uint32",
            "largestSegmentId": 3,
        },
        {
            "name": "old",
            "category": "color",
            "boundingBox": {
                "topLeft": [0, 0, 0],
                "width": 64,
                "height": 32,
                "depth": 8,
            },
            "dataFormat": "wkw",
            "mags": [{"mag": [1, 1, 1], "path": "./old/1"}],
            "elementClass": "uint8",
        },
        {
            "name": "elsewhere",
            "category": "color",
            "boundingBox": {"topLeft": [0, 0, 0], "width": 8, "height": 8, "depth": 8},
            "dataFormat": "zarr3",
            "mags": [{"mag": [1, 1, 1], "path": "/data/other/color/1"}],
            "elementClass": "uint8",
        },
    ],
}


def test_neuroglancer_state_and_link() -> None:
    spec = decode_properties(json.dumps(PROPERTIES))
    state = neuroglancer_state(spec, "http://127.0.0.1:8123/")
    assert state["layers"] == [
        {
            "type": "image",
            "source": "zarr3://http://127.0.0.1:8123/color/",
            "name": "color",
            "shaderControls": {"normalized": {"range": [10.0, 90.0]}},
        },
        {
            "type": "segmentation",
            "source": "zarr2://http://127.0.0.1:8123/seg%40ment/",
            "name": "seg@ment",
        },
    ]
    assert state["dimensions"]["z"] == [2.5e-08, "m"]
    assert state["position"] == [32.0, 16.0, 4.0]
    link = neuroglancer_link(state)
    prefix = "https://neuroglancer-demo.appspot.com/#!"
    assert link.startswith(prefix)
    assert json.loads(urllib.parse.unquote(link[len(prefix) :])) == state
    assert layer_source_path(spec.data_layers[3]) is None


def test_index_page_lists_every_layer_escaped() -> None:
    spec = decode_properties(json.dumps(PROPERTIES))
    page = index_page(spec, "http://127.0.0.1:8123/", "/.wkfn/preview/")
    for name in ("color", "seg@ment", "old", "elsewhere"):
        assert f"<h2>{name}</h2>" in page
    assert 'src="/.wkfn/preview/seg%40ment.png"' in page
    assert "no neuroglancer source" in page
    assert 'id="neuroglancer" href="https://neuroglancer-demo.appspot.com/#!' in page


def test_default_window_keeps_8_bit_colour_and_stretches_the_rest() -> None:
    from wkfn.picture.render import default_window

    rgb = np.full((3, 4, 4), 100, dtype=np.uint8)
    assert default_window(rgb) == (0.0, 255.0)
    grey = np.arange(100, dtype=np.uint8).reshape(1, 10, 10)
    assert default_window(grey) == percentile_window(grey)
    wide = np.arange(300, dtype=np.uint16).reshape(3, 10, 10)
    assert default_window(wide) == percentile_window(wide)
