"""Previews of real datasets (zarr3, zarr v2, RGB, n-D from the reference, over
HTTP) against the voxels themselves, and the `wkfn preview` / `wkfn plan --svg`
commands run as subprocesses."""

from __future__ import annotations

import io
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from picture_helpers import SHAPE, TOPLEFT, labels, volume

import wkfn as wk
from wkfn.errors import InvalidArgumentError, LayerNotFoundError, MagNotFoundError
from wkfn.picture.colours import segment_colours
from wkfn.picture.window import apply_window, percentile_window
from wkfn.visual.preview import mag_sheet, planes_sheet, preview_image
from wkfn.visual.server import DatasetServer

Image = pytest.importorskip("PIL.Image")


def decode(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


def grey(image: np.ndarray) -> np.ndarray:
    assert (image[..., 0] == image[..., 1]).all() and (
        image[..., 1] == image[..., 2]
    ).all()
    return image[..., 0]


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wkfn.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
        check=False,
    )


# ------------------------------------------------------------------ sections


def test_z_section_is_x_right_y_down(picture_dataset: Path) -> None:
    image = preview_image(picture_dataset, layer="color", mag=1, index=TOPLEFT[2] + 5)
    assert np.array_equal(grey(image), volume()[:, :, 5].T)  # intensityRange 0..255


def test_y_and_x_sections(picture_dataset: Path) -> None:
    y = preview_image(picture_dataset, layer="color", axis="y", index=TOPLEFT[1] + 3)
    assert np.array_equal(grey(y), volume()[:, 3, :].T)  # x right, z down
    x = preview_image(picture_dataset, layer="color", axis="x", index=TOPLEFT[0] + 7)
    assert np.array_equal(grey(x), volume()[7, :, :])  # z right, y down


def test_coarser_mag_and_default_choices(picture_dataset: Path) -> None:
    ds = wk.Dataset.open(picture_dataset)
    mag2 = ds.get_layer("color").get_mag("2-2-1").read()[0]
    image = preview_image(picture_dataset, mag="2-2-1", index=TOPLEFT[2] + 6)
    assert np.array_equal(grey(image), mag2[:, :, 6].T)
    # default: the first colour layer, the finest mag, the middle z
    default = preview_image(picture_dataset)
    assert np.array_equal(grey(default), volume()[:, :, SHAPE[2] // 2].T)


def test_segmentation_gets_the_stable_colour_map(picture_dataset: Path) -> None:
    image = preview_image(picture_dataset, layer="seg", index=TOPLEFT[2] + 9)
    assert np.array_equal(image, segment_colours(labels()[:, :, 9].T))
    assert len(np.unique(image.reshape(-1, 3), axis=0)) == len(
        np.unique(labels()[:, :, 9])
    )


def test_rgb_layer_is_drawn_in_colour(picture_dataset: Path) -> None:
    # 8-bit colour without an intensityRange keeps its values (no stretching)
    image = preview_image(picture_dataset, layer="rgb", index=TOPLEFT[2])
    for c, seed in enumerate((1, 2, 3)):
        assert np.array_equal(image[..., c], volume(seed)[:, :, 0].T)


def test_without_a_view_configuration_percentiles_window(picture_dataset: Path) -> None:
    image = preview_image(picture_dataset, layer="plain", index=TOPLEFT[2] + 2)
    data = (volume(4).astype(np.uint16) * 100)[:, :, 2].T
    assert np.array_equal(grey(image), apply_window(data, *percentile_window(data)))
    assert grey(image).min() == 0 and grey(image).max() == 255


def test_bad_input_is_refused_with_the_offending_value(picture_dataset: Path) -> None:
    with pytest.raises(
        InvalidArgumentError, match=r"z index 99 .* valid z are 4\.\.15"
    ):
        preview_image(picture_dataset, index=99)
    with pytest.raises(MagNotFoundError, match="mag 8 does not exist"):
        preview_image(picture_dataset, mag=8)
    with pytest.raises(LayerNotFoundError, match="'nope'"):
        preview_image(picture_dataset, layer="nope")
    with pytest.raises(InvalidArgumentError, match="axis"):
        preview_image(picture_dataset, axis="w")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="no axis 't'"):
        preview_image(picture_dataset, at={"t": 0})


def test_view_preview_returns_rgb_or_png(picture_dataset: Path) -> None:
    mag = wk.Dataset.open(picture_dataset).get_layer("color").get_mag(1)
    view = mag.get_view(absolute_offset=(12, 20, 6), size=(16, 8, 4))
    image = view.preview(index=7)
    assert np.array_equal(grey(image), volume()[4:20, 4:12, 3].T)
    assert np.array_equal(decode(view.preview(index=7, png=True)), image)
    side = view.preview(axis="x")  # the middle of the view: x = 12 + 8
    assert np.array_equal(grey(side), volume()[12, 4:12, 2:6])


def test_mag_pyramid_sheet(picture_dataset: Path) -> None:
    sheet = mag_sheet(picture_dataset, layer="color", index=TOPLEFT[2] + 4)
    # 40x24, 20x12 and 10x6 pixels side by side, 8 pixels apart, top aligned
    assert sheet.shape == (24, 40 + 8 + 20 + 8 + 10, 3)
    mags = wk.Dataset.open(picture_dataset).get_layer("color").mags
    coarse = mags[wk.Mag("4-4-2")].read()[0][:, :, 2].T
    assert np.array_equal(sheet[:6, 76:86, 0], coarse)


def test_three_plane_sheet_is_stretched_to_the_voxel_size(
    picture_dataset: Path,
) -> None:
    sheet = planes_sheet(picture_dataset, layer="color", position=(20, 30, 10))
    # voxel size 10, 10, 20: z pixels are doubled
    assert sheet.shape == (24 + 8 + 24, 40 + 8 + 24, 3)
    xy = sheet[:24, :40, 0]
    assert np.array_equal(xy, volume()[:, :, 6].T)
    xz = sheet[32:, :40, 0]
    assert np.array_equal(xz[::2], volume()[:, 14, :].T)
    assert np.array_equal(xz[1::2], volume()[:, 14, :].T)
    yz = sheet[:24, 48:, 0]
    assert np.array_equal(yz[:, ::2], volume()[12, :, :])


def test_preview_over_http_equals_local(picture_dataset: Path) -> None:
    with DatasetServer(picture_dataset, port=0) as server:
        for layer in ("color", "seg", "rgb"):
            remote = preview_image(server.url, layer=layer, index=TOPLEFT[2] + 1)
            local = preview_image(picture_dataset, layer=layer, index=TOPLEFT[2] + 1)
            assert np.array_equal(remote, local)


WRITE_ND = """
ds = wk.Dataset(P["path"], voxel_size=(1, 1, 1))
bb = wk.NDBoundingBox(
    topleft=(0, 0, 0, 0), size=(3, 32, 24, 16), axes=("t", "x", "y", "z"),
    index=(0, 1, 2, 3),
)
mag = ds.add_layer("nd", "color", bounding_box=bb).add_mag(1)
mag.write(np.arange(3 * 32 * 24 * 16, dtype=np.uint32).reshape(3, 32, 24, 16)
          .astype(np.uint8), absolute_bounding_box=bb)
print(json.dumps("ok"))
"""


def test_nd_layer_needs_an_index_for_each_extra_axis(ref: Any, tmp_path: Path) -> None:
    path = tmp_path / "nd"
    ref(WRITE_ND, path=str(path))
    expected = (
        np.arange(3 * 32 * 24 * 16, dtype=np.uint32)
        .reshape(3, 32, 24, 16)
        .astype(np.uint8)
    )
    image = preview_image(path, at={"t": 1}, index=5, window=(0, 255))
    assert np.array_equal(grey(image), expected[1, :, :, 5].T)
    side = preview_image(path, at={"t": 2}, axis="y", index=3, window=(0, 255))
    assert np.array_equal(grey(side), expected[2, :, 3, :].T)
    with DatasetServer(path, port=0) as server:  # n-D over HTTP as well
        remote = preview_image(server.url, at={"t": 1}, index=5, window=(0, 255))
        assert np.array_equal(remote, image)
    with pytest.raises(InvalidArgumentError, match=r"extra axis 't' \[0, 3\)"):
        preview_image(path)
    with pytest.raises(InvalidArgumentError, match="t index 3 is outside"):
        preview_image(path, at={"t": 3})
    # the command line: one error line, exit 1; with --at, a picture
    proc = cli("preview", str(path), "-o", str(tmp_path / "x.png"))
    assert proc.returncode == 1
    assert proc.stderr.startswith("error: ") and proc.stderr.count("\n") == 1
    assert "--at t=0" in proc.stderr
    assert not (tmp_path / "x.png").exists()
    out = tmp_path / "t1.png"
    proc = cli(
        "preview",
        str(path),
        "--at",
        "t=1",
        "--z",
        "5",
        "--window",
        "0,255",
        "-o",
        str(out),
    )
    assert proc.returncode == 0, proc.stderr
    assert np.array_equal(grey(decode(out.read_bytes())), expected[1, :, :, 5].T)


# ------------------------------------------------------------------ command line


def test_cli_preview_writes_the_png(picture_dataset: Path, tmp_path: Path) -> None:
    out = tmp_path / "pics" / "z.png"
    proc = cli(
        "preview", str(picture_dataset), "--layer", "color", "--z", "9", "-o", str(out)
    )
    assert proc.returncode == 0, proc.stderr
    assert "40x24 pixels" in proc.stdout
    assert np.array_equal(grey(decode(out.read_bytes())), volume()[:, :, 5].T)
    for extra, shape in (
        (["--all-mags"], (24, 86)),
        (["--planes"], (56, 72)),
        (["--axis", "x", "--index", "10", "--mag", "2-2-1"], (12, 12)),
    ):
        target = tmp_path / f"{extra[0].strip('-')}.png"
        proc = cli("preview", str(picture_dataset), *extra, "-o", str(target))
        assert proc.returncode == 0, proc.stderr
        assert decode(target.read_bytes()).shape[:2] == shape


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--z", "99"], "z index 99 is outside the bounding box: valid z are 4..15"),
        (["--axis", "y", "--index", "3"], "y index 3 is outside the bounding box"),
        (["--mag", "8"], "mag 8 does not exist in layer 'color'"),
        (["--mag", "3x"], "not a mag"),
        (["--layer", "nope"], "layer 'nope' does not exist"),
        (["--axis", "t"], "--axis must be x, y or z, got 't'"),
        (["--z", "5", "--axis", "x"], "give either --z Z or --axis A --index I"),
        (["--at", "t"], "--at expects AXIS=INDEX"),
        (["--window", "1"], "--window expects LOW,HIGH"),
        (["--all-mags", "--planes"], "either --all-mags or --planes"),
    ],
)
def test_cli_bad_input_is_one_error_line(
    picture_dataset: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    out = tmp_path / "bad.png"
    proc = cli("preview", str(picture_dataset), *args, "-o", str(out))
    assert proc.returncode == 1, proc.stdout
    assert proc.stderr.startswith("error: ") and proc.stderr.count("\n") == 1
    assert message in proc.stderr
    assert not out.exists()


def test_cli_refuses_other_output_formats(
    picture_dataset: Path, tmp_path: Path
) -> None:
    proc = cli("preview", str(picture_dataset), "-o", str(tmp_path / "x.jpg"))
    assert proc.returncode == 1 and "must be a .png file" in proc.stderr


DECLARATION = """
name = "sample"
voxel_size = [11.24, 11.24, 25.0]

[[layers]]
name = "color"
shard_shape = [64, 64, 32]
source = { images = "slices" }
downsample = { coarsest_mag = 4, sampling_mode = "isotropic" }
"""


def test_cli_plan_picture_svg_and_png(tmp_path: Path) -> None:
    tifffile = pytest.importorskip("tifffile")
    (tmp_path / "slices").mkdir()
    rng = np.random.default_rng(3)
    for z in range(20):
        tifffile.imwrite(
            tmp_path / "slices" / f"img_{z:02}.tif",
            rng.integers(0, 255, (64, 96), np.uint8),
        )
    (tmp_path / "sample.toml").write_text(DECLARATION)
    proc = cli("plan", "sample.toml", "--svg", "plan.svg", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "drew the plan to plan.svg" in proc.stdout
    root = ET.fromstring((tmp_path / "plan.svg").read_text())
    ns = "{http://www.w3.org/2000/svg}"
    texts = [t.text or "" for t in root.iter(f"{ns}text")]
    assert {"create", "import", "downsample", "properties"} <= set(texts)
    assert any(t.startswith("mag 1: 1 create,") and "import" in t for t in texts)
    assert any(t.startswith("mag 2: 1 create,") and "downsample" in t for t in texts)
    assert any(t.startswith("mag 4: 1 create,") for t in texts)
    titles = [t.text or "" for t in root.iter(f"{ns}title")]
    assert any(t.startswith("~ downsample color 2-2-2 -> 4-4-4") for t in titles)
    assert not (tmp_path / "sample").exists()  # planning writes no data
    proc = cli("plan", "sample.toml", "--svg", "plan.png", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    picture = decode((tmp_path / "plan.png").read_bytes())
    width = int(root.get("width") or 0)
    assert picture.shape[1] == width
    assert len(np.unique(picture.reshape(-1, 3), axis=0)) > 10  # not a blank image
    proc = cli("plan", "sample.toml", "--svg", "plan.gif", cwd=tmp_path)
    assert proc.returncode == 1 and "must end in .svg or .png" in proc.stderr


def test_mag_sheet_leaves_out_mags_too_large_to_show(picture_dataset: Path) -> None:
    sheet = mag_sheet(picture_dataset, layer="color", max_pixels=20)
    assert sheet.shape == (12, 20 + 8 + 10, 3)  # mags 2-2-1 and 4-4-2 only


def test_a_section_too_large_for_one_picture_is_refused(tmp_path: Path) -> None:
    ds = wk.Dataset(tmp_path / "wide", voxel_size=(1, 1, 1))
    layer = ds.add_layer("color", wk.COLOR_CATEGORY)
    layer.add_mag(1).write(
        np.ones((1, 8, 8, 8), np.uint8), absolute_offset=(0, 0, 0), allow_resize=True
    )
    layer.bounding_box = wk.BoundingBox((0, 0, 0), (40000, 8, 8))
    for mag in (1, None):
        with pytest.raises(InvalidArgumentError, match=r"40000x8 pixels .* coarser"):
            preview_image(tmp_path / "wide", mag=mag)
    # a section normal to x is small and fine
    assert preview_image(tmp_path / "wide", axis="x", index=3).shape == (8, 8, 3)


def test_plan_png_without_pillow_says_how_to_get_it(tmp_path: Path) -> None:
    """Pillow made unimportable in a fresh interpreter: a clear WkfnError, while
    previews (stdlib PNG encoder) and SVG plans still work."""
    code = """
import sys
sys.modules["PIL"] = None  # as if Pillow were not installed
import numpy as np
from wkfn.errors import WkfnError
from wkfn.picture.plan_svg import plan_drawing
from wkfn.picture.png import encode_png
from wkfn.plan.plan import Plan
from wkfn.visual.plan_png import drawing_png
assert encode_png(np.zeros((2, 2, 3), np.uint8)).startswith(b"\\x89PNG")
try:
    drawing_png(plan_drawing(Plan(base="a", target="b")))
except WkfnError as exc:
    print(exc)
"""
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert "needs Pillow: pip install 'wkfn[images]'" in proc.stdout
    assert "--svg plan.svg" in proc.stdout
