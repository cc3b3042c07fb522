"""End-to-end image import on real files written into tmp_path."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tifffile
from image_helpers import volume, write_slices

import wkfn as wk
from wkfn.api.images import ConversionLayerMapping as M
from wkfn.errors import (
    CorruptImageError,
    UnsupportedImageDataError,
    UnsupportedImageFormatError,
)


def xyz(stack: np.ndarray) -> np.ndarray:
    """(z, rows, cols) → (x, y, z)."""
    return stack.transpose(2, 1, 0)


def read(layer: Any, mag: int = 1) -> np.ndarray:
    return np.asarray(layer.get_mag(mag).read())


def test_folder_of_tiff_slices(tmp_path: Path, slices: tuple[Path, np.ndarray]) -> None:
    folder, stack = slices
    ds = wk.Dataset.from_images(folder, tmp_path / "out", voxel_size=(11.24,) * 3)
    (layer,) = ds.layers.values()
    assert layer.name == "stack"
    assert layer.category == "color"
    assert layer.bounding_box == wk.BoundingBox((0, 0, 0), (60, 40, 12))
    np.testing.assert_array_equal(read(layer)[0], xyz(stack))
    info = layer.get_mag(1).info
    assert tuple(info.chunk_shape) == (32, 32, 32)
    assert tuple(info.shard_shape) == (4096, 4096, 32)
    view = layer.default_view_configuration
    assert view is not None
    assert (view.min, view.max) == (float(stack.min()), float(stack.max()))
    reopened = wk.Dataset.open(tmp_path / "out")
    assert reopened.get_layer("stack").bounding_box == layer.bounding_box


def test_natural_sort_and_custom_key(tmp_path: Path) -> None:
    stack = volume((11, 8, 9))
    write_slices(tmp_path / "in", stack)  # img_0 .. img_10
    ds = wk.Dataset.from_images(tmp_path / "in", tmp_path / "a", voxel_size=(1, 1, 1))
    np.testing.assert_array_equal(read(ds.get_layer("in"))[0], xyz(stack))
    ds = wk.Dataset.from_images(
        tmp_path / "in",
        tmp_path / "b",
        voxel_size=(1, 1, 1),
        z_slices_sort_key=lambda p: -int(p.stem.split("_")[1]),
    )
    np.testing.assert_array_equal(read(ds.get_layer("in"))[0], xyz(stack[::-1]))


def test_single_png_is_2d_with_flat_chunks(tmp_path: Path) -> None:
    import imageio.v2 as imageio

    img = volume((40, 60))
    imageio.imwrite(tmp_path / "one.png", img)
    ds = wk.Dataset.from_images(
        tmp_path / "one.png", tmp_path / "out", voxel_size=(1, 1, 1)
    )
    (layer,) = ds.layers.values()
    assert layer.bounding_box.size == wk.Vec3Int(60, 40, 1)
    info = layer.get_mag(1).info
    assert tuple(info.chunk_shape) == (32, 32, 1)
    assert tuple(info.shard_shape) == (4096, 4096, 1)
    np.testing.assert_array_equal(read(layer)[0, :, :, 0], img.T)


@pytest.mark.parametrize("ext", ["png", "jpg"])
def test_rgb_becomes_three_channels(tmp_path: Path, ext: str) -> None:
    stack = volume((3, 16, 24, 3))
    write_slices(tmp_path / "rgb", stack, "s_{}." + ext)
    ds = wk.Dataset.from_images(
        tmp_path / "rgb", tmp_path / "out", voxel_size=(1, 1, 1)
    )
    (layer,) = ds.layers.values()
    assert layer.num_channels == 3 and layer.dtype_per_layer == "uint24"
    data = read(layer)
    assert data.shape == (3, 24, 16, 3)
    if ext == "png":
        np.testing.assert_array_equal(data, stack.transpose(3, 2, 1, 0))


def test_rgba_truncated_or_split(tmp_path: Path) -> None:
    stack = volume((2, 8, 10, 4))
    write_slices(tmp_path / "rgba", stack, "s_{}.png")
    ds = wk.Dataset.from_images(
        tmp_path / "rgba", tmp_path / "out", voxel_size=(1, 1, 1)
    )
    (layer,) = ds.layers.values()
    np.testing.assert_array_equal(read(layer), stack[..., :3].transpose(3, 2, 1, 0))
    ds2 = wk.Dataset(tmp_path / "out2", voxel_size=(1, 1, 1))
    ds2.add_layer_from_images(
        tmp_path / "rgba", "c", allow_multiple_layers=True, truncate_rgba_to_rgb=False
    )
    assert list(ds2.layers) == [f"c__channel{i}" for i in range(4)]
    np.testing.assert_array_equal(
        read(ds2.get_layer("c__channel3"))[0], xyz(stack[..., 3])
    )
    view = ds2.get_layer("c__channel1").default_view_configuration
    assert view is not None and view.color == (0, 255, 0)


def test_imagej_hyperstack_channels(tmp_path: Path) -> None:
    data = volume((5, 3, 16, 20), "uint16")  # ZCYX
    tifffile.imwrite(
        tmp_path / "hyper.tif", data, imagej=True, metadata={"axes": "ZCYX"}
    )
    ds = wk.Dataset.from_images(
        tmp_path / "hyper.tif", tmp_path / "out", voxel_size=(1, 1, 1)
    )
    assert list(ds.layers) == [f"hyper.tif__channel{i}" for i in range(3)]
    for c in range(3):
        np.testing.assert_array_equal(
            read(ds.get_layer(f"hyper.tif__channel{c}"))[0], xyz(data[:, c])
        )
    ds2 = wk.Dataset(tmp_path / "out2", voxel_size=(1, 1, 1))
    with pytest.raises(UnsupportedImageDataError, match="allow_multiple_layers"):
        ds2.add_layer_from_images(tmp_path / "hyper.tif", "c")
    assert ds2.layers == {}
    layer = ds2.add_layer_from_images(tmp_path / "hyper.tif", "c", channel=2)
    np.testing.assert_array_equal(read(layer)[0], xyz(data[:, 2]))


def test_ome_tiff_timepoint_and_channel(tmp_path: Path) -> None:
    data = volume((2, 2, 4, 8, 10), "uint16")  # TCZYX
    tifffile.imwrite(tmp_path / "t.ome.tif", data, metadata={"axes": "TCZYX"})
    ds = wk.Dataset(tmp_path / "out", voxel_size=(1, 1, 1))
    layer = ds.add_layer_from_images(
        tmp_path / "t.ome.tif", "c", timepoint=1, channel=1
    )
    np.testing.assert_array_equal(read(layer)[0], xyz(data[1, 1]))
    with pytest.warns(UserWarning, match="time points"):
        first = ds.add_layer_from_images(tmp_path / "t.ome.tif", "d", channel=0)
    np.testing.assert_array_equal(read(first)[0], xyz(data[0, 0]))


def test_multipage_and_rgb_tiff(tmp_path: Path) -> None:
    vol = volume((6, 10, 12))
    tifffile.imwrite(tmp_path / "vol.tif", vol)  # shaped series, axes QYX
    rgb = volume((4, 10, 12, 3))
    tifffile.imwrite(tmp_path / "rgb.tif", rgb, photometric="rgb")
    ds = wk.Dataset.from_images(tmp_path, tmp_path / "out", voxel_size=(1, 1, 1))
    assert sorted(ds.layers) == ["rgb.tif", "vol.tif"]
    np.testing.assert_array_equal(read(ds.get_layer("vol.tif"))[0], xyz(vol))
    np.testing.assert_array_equal(
        read(ds.get_layer("rgb.tif")), rgb.transpose(3, 2, 1, 0)
    )


@pytest.mark.parametrize(
    ("kwargs", "expect"),
    [
        ({"swap_xy": True}, lambda s: s.transpose(1, 2, 0)),
        ({"flip_x": True}, lambda s: s[:, ::-1, :].transpose(2, 1, 0)),
        ({"flip_y": True}, lambda s: s[:, :, ::-1].transpose(2, 1, 0)),
        ({"flip_z": True}, lambda s: s[::-1].transpose(2, 1, 0)),
    ],
)
def test_flips_and_swap(
    tmp_path: Path, slices: tuple[Path, np.ndarray], kwargs: dict[str, Any], expect: Any
) -> None:
    folder, stack = slices
    ds = wk.Dataset.from_images(
        folder, tmp_path / "out", voxel_size=(1, 1, 1), **kwargs
    )
    np.testing.assert_array_equal(read(ds.get_layer("stack"))[0], expect(stack))


def test_dtype_topleft_mag_and_formats(
    tmp_path: Path, slices: tuple[Path, np.ndarray]
) -> None:
    folder, stack = slices
    ds = wk.Dataset(tmp_path / "out", voxel_size=(1, 1, 1))
    layer = ds.add_layer_from_images(
        folder,
        "c",
        dtype="uint16",
        topleft=(64, 32, 2),
        mag=2,
        data_format="wkw",
    )
    assert layer.dtype_per_channel == np.dtype("uint16")
    assert layer.bounding_box == wk.BoundingBox((64, 32, 2), (120, 80, 24))
    data = layer.get_mag(2).read()
    np.testing.assert_array_equal(data[0], xyz(stack).astype("uint16"))
    zarr2 = ds.add_layer_from_images(folder, "z2", data_format="zarr", compress=False)
    np.testing.assert_array_equal(read(zarr2)[0], xyz(stack))


def test_batch_size_and_executor(tmp_path: Path) -> None:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    stack = volume((70, 8, 9))
    write_slices(tmp_path / "in", stack)
    ds = wk.Dataset(tmp_path / "out", voxel_size=(1, 1, 1))
    with ProcessPoolExecutor(
        2, mp_context=multiprocessing.get_context("spawn")
    ) as pool:
        layer = ds.add_layer_from_images(
            tmp_path / "in", "c", batch_size=64, executor=pool
        )
    np.testing.assert_array_equal(read(layer)[0], xyz(stack))
    with pytest.raises(UnsupportedImageDataError, match="batch_size"):
        ds.add_layer_from_images(tmp_path / "in", "d", batch_size=40)


def test_glob_list_and_frames(tmp_path: Path, slices: tuple[Path, np.ndarray]) -> None:
    import pims

    folder, stack = slices
    ds = wk.Dataset(tmp_path / "out", voxel_size=(1, 1, 1))
    g = ds.add_layer_from_images(str(folder / "img_1*.tif"), "g")  # img_1, 10, 11
    np.testing.assert_array_equal(read(g)[0], xyz(stack[[1, 10, 11]]))
    lst = ds.add_layer_from_images([folder / "img_3.tif", folder / "img_2.tif"], "l")
    np.testing.assert_array_equal(read(lst)[0], xyz(stack[[3, 2]]))

    class Frames(pims.FramesSequence):  # type: ignore[misc]
        def __init__(self, data: np.ndarray) -> None:
            self.data = data

        def get_frame(self, i: int) -> Any:
            return pims.Frame(self.data[i], frame_no=i)

        def __len__(self) -> int:
            return len(self.data)

        @property
        def frame_shape(self) -> tuple[int, ...]:
            return self.data.shape[1:]

        @property
        def pixel_type(self) -> Any:
            return self.data.dtype

    f = ds.add_layer_from_images(Frames(stack), "f")
    np.testing.assert_array_equal(read(f)[0], xyz(stack))


def build_tree(root: Path) -> None:
    small = volume((2, 6, 7))
    write_slices(root / "top1" / "sub1", small, "a_{}.png")
    write_slices(root / "top2" / "sub1", small, "b_{}.png")
    write_slices(root / "top2" / "sub2", small, "c_{}.png")
    write_slices(root, small[:1], "root_{}.png")


@pytest.mark.parametrize(
    ("strategy", "layers"),
    [
        (M.INSPECT_SINGLE_FILE, ["in", "top1_sub1", "top2_sub1", "top2_sub2"]),
        (M.INSPECT_EVERY_FILE, ["in", "top1_sub1", "top2_sub1", "top2_sub2"]),
        (M.ENFORCE_LAYER_PER_FOLDER, ["in", "top1_sub1", "top2_sub1", "top2_sub2"]),
        (M.ENFORCE_LAYER_PER_TOPLEVEL_FOLDER, ["in", "top1", "top2"]),
        (M.ENFORCE_SINGLE_LAYER, ["in"]),
        (lambda p: p.suffix.strip("."), ["png"]),
    ],
)
def test_mapping_strategies(tmp_path: Path, strategy: Any, layers: list[str]) -> None:
    build_tree(tmp_path / "in")
    ds = wk.Dataset.from_images(
        tmp_path / "in",
        tmp_path / "out",
        voxel_size=(1, 1, 1),
        map_filepath_to_layer_name=strategy,
    )
    assert sorted(ds.layers) == layers
    depth = {"in": 1, "top2": 4, "png": 7}
    for name, layer in ds.layers.items():
        expected = 7 if len(layers) == 1 else depth.get(name, 2)
        assert layer.bounding_box.size.z == expected


def test_layer_per_file_and_layer_name(tmp_path: Path) -> None:
    build_tree(tmp_path / "in")
    ds = wk.Dataset.from_images(
        tmp_path / "in",
        tmp_path / "out",
        voxel_size=(1, 1, 1),
        map_filepath_to_layer_name=M.ENFORCE_LAYER_PER_FILE,
        layer_name="x",
    )
    assert len(ds.layers) == 7
    assert "x_top1_sub1_a_0.png" in ds.layers


def test_segmentation_guess(tmp_path: Path) -> None:
    labels = np.zeros((20, 32, 32), np.uint16)
    labels[:, :16, :16] = 3
    labels[:, 16:, 16:] = 7
    labels[:, :16, 16:] = 5
    write_slices(tmp_path / "my_segmentation", labels)
    ds = wk.Dataset.from_images(
        tmp_path / "my_segmentation", tmp_path / "out", voxel_size=(1, 1, 1)
    )
    layer = ds.get_layer("my_segmentation")
    assert isinstance(layer, wk.SegmentationLayer)
    assert layer.largest_segment_id == 7
    # the data decides when the category was guessed: labels-like data in a
    # folder with a neutral name becomes segmentation, too
    write_slices(tmp_path / "plain", labels)
    ds2 = wk.Dataset.from_images(
        tmp_path / "plain", tmp_path / "out2", voxel_size=(1, 1, 1)
    )
    assert ds2.get_layer("plain").category == "segmentation"
    ds3 = wk.Dataset.from_images(
        tmp_path / "plain",
        tmp_path / "out3",
        voxel_size=(1, 1, 1),
        layer_category="color",
    )
    assert ds3.get_layer("plain").category == "color"


# ------------------------------------------------------------------ bad input


def no_dataset(path: Path) -> bool:
    return not path.exists()


def test_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("x")
    with pytest.raises(UnsupportedImageFormatError, match="no convertible images"):
        wk.Dataset.from_images(
            tmp_path / "empty", tmp_path / "out", voxel_size=(1, 1, 1)
        )
    assert no_dataset(tmp_path / "out")


def test_czi_and_bioformats_say_what_to_install(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.czi").write_bytes(b"ZISRAWFILE")
    with pytest.raises(UnsupportedImageFormatError, match="pylibCZIrw") as err:
        wk.Dataset.from_images(tmp_path / "in", tmp_path / "out", voxel_size=(1, 1, 1))
    assert err.value.install
    ds = wk.Dataset(tmp_path / "ds", voxel_size=(1, 1, 1))
    with pytest.raises(UnsupportedImageFormatError, match="pylibCZIrw"):
        ds.add_layer_from_images(tmp_path / "in" / "a.czi", "c")
    write_slices(tmp_path / "ok", volume((1, 4, 4)))
    with pytest.raises(UnsupportedImageFormatError, match="Java"):
        ds.add_layer_from_images(tmp_path / "ok", "c", use_bioformats=True)


def test_unknown_extension(tmp_path: Path) -> None:
    (tmp_path / "x.foo").write_bytes(b"123")
    with pytest.raises(UnsupportedImageFormatError, match="foo") as err:
        wk.Dataset.from_images(
            tmp_path / "x.foo", tmp_path / "out", voxel_size=(1, 1, 1)
        )
    assert "x.foo" in str(err.value)
    assert no_dataset(tmp_path / "out")


def test_corrupt_image_named_before_writing(tmp_path: Path) -> None:
    stack = volume((3, 8, 8))
    write_slices(tmp_path / "in", stack)
    (tmp_path / "in" / "img_1.tif").write_bytes(b"II*\x00garbage")
    with pytest.raises(CorruptImageError, match=r"img_1\.tif"):
        wk.Dataset.from_images(tmp_path / "in", tmp_path / "out", voxel_size=(1, 1, 1))
    assert no_dataset(tmp_path / "out")


def test_truncated_tiff_detected_from_header(tmp_path: Path) -> None:
    write_slices(tmp_path / "in", volume((3, 64, 64)))
    data = (tmp_path / "in" / "img_2.tif").read_bytes()
    (tmp_path / "in" / "img_2.tif").write_bytes(data[: len(data) // 2])
    with pytest.raises(CorruptImageError, match=r"img_2\.tif"):
        wk.Dataset.from_images(tmp_path / "in", tmp_path / "out", voxel_size=(1, 1, 1))
    assert no_dataset(tmp_path / "out")


def test_corrupt_pixels_leave_openable_dataset(tmp_path: Path) -> None:
    import imageio.v2 as imageio

    (tmp_path / "in").mkdir()
    for i in range(3):
        imageio.imwrite(tmp_path / "in" / f"s_{i}.png", volume((64, 64), seed=i))
    data = (tmp_path / "in" / "s_1.png").read_bytes()
    (tmp_path / "in" / "s_1.png").write_bytes(data[: len(data) // 2])
    ds = wk.Dataset(tmp_path / "out", voxel_size=(1, 1, 1))
    ds.add_layer("keep", "color")
    with pytest.raises(CorruptImageError, match=r"s_1\.png"):
        ds.add_layer_from_images(tmp_path / "in", "c")
    reopened = wk.Dataset.open(tmp_path / "out")
    assert list(reopened.layers) == ["keep"]
    assert not (tmp_path / "out" / "c" / "1").exists()


@pytest.mark.parametrize("what", ["shape", "dtype"])
def test_mixed_slices(tmp_path: Path, what: str) -> None:
    write_slices(tmp_path / "in", volume((3, 8, 8)))
    odd = volume((9, 8)) if what == "shape" else volume((8, 8), "uint16")
    tifffile.imwrite(tmp_path / "in" / "img_2.tif", odd)
    with pytest.raises(UnsupportedImageDataError, match=r"img_2\.tif"):
        wk.Dataset.from_images(tmp_path / "in", tmp_path / "out", voxel_size=(1, 1, 1))
    assert no_dataset(tmp_path / "out")


def test_too_many_layers(tmp_path: Path) -> None:
    build_tree(tmp_path / "in")
    with pytest.raises(UnsupportedImageDataError, match="max_layers=2"):
        wk.Dataset.from_images(
            tmp_path / "in", tmp_path / "out", voxel_size=(1, 1, 1), max_layers=2
        )
    assert no_dataset(tmp_path / "out")


def test_float_segmentation_refused(tmp_path: Path) -> None:
    tifffile.imwrite(
        tmp_path / "labels.tif",
        np.zeros((2, 8, 8), np.float32),
        photometric="minisblack",
    )
    ds = wk.Dataset(tmp_path / "out", voxel_size=(1, 1, 1))
    with pytest.raises(UnsupportedImageDataError, match="float32"):
        ds.add_layer_from_images(tmp_path / "labels.tif", "s", category="segmentation")
    assert ds.layers == {}


# ------------------------------------------------------------------ plans


def test_dry_run_reads_headers_only(
    tmp_path: Path, slices: tuple[Path, np.ndarray], monkeypatch: pytest.MonkeyPatch
) -> None:
    from wkfn.images import readers

    folder, _ = slices

    def boom(*args: object, **kwargs: object) -> None:
        raise AssertionError("pixels were read")

    monkeypatch.setattr(readers.TiffReader, "frame", boom)
    ds = wk.Dataset(tmp_path / "out", voxel_size=(1, 1, 1))
    with ds.dry_run() as rec:
        ds.add_layer_from_images(folder, "c")
        assert "c" in ds.layers
    text = str(rec.plan)
    assert "+ array c/1 zarr3 uint8 chunk 32³ shard 4096x4096x32" in text
    assert "img_0.tif..img_11.tif (12 slices, 12 files, tiff)" in text
    assert "60x40x12" in text
    assert ds.layers == {}
    monkeypatch.undo()
    rec.apply()
    assert wk.Dataset.open(tmp_path / "out").get_layer("c").bounding_box.size.z == 12


def test_plan_survives_json_round_trip(
    tmp_path: Path, slices: tuple[Path, np.ndarray]
) -> None:
    from wkfn.plan.plan import decode_plan, encode_plan

    folder, stack = slices
    ds = wk.Dataset(tmp_path / "out", voxel_size=(1, 1, 1))
    with ds.dry_run() as rec:
        ds.add_layer_from_images(folder, "c")
    plan = decode_plan(encode_plan(rec.plan))
    wk.apply(plan, tmp_path / "out")
    np.testing.assert_array_equal(
        read(wk.Dataset.open(tmp_path / "out").get_layer("c"))[0], xyz(stack)
    )


# ------------------------------------------------------------------ memory


_MEMORY_SCRIPT = """
import resource, sys, numpy as np, tifffile, os
from pathlib import Path
import wkfn as wk
root = Path(sys.argv[1]); n = int(sys.argv[2])
src = root / f"in{n}"
src.mkdir()
rng = np.random.default_rng(0)
img = rng.integers(0, 255, (512, 512), dtype=np.uint8)
for z in range(n):
    tifffile.imwrite(src / f"s_{z}.tif", np.roll(img, z))
del img
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
wk.Dataset.from_images(src, root / f"out{n}", voxel_size=(1, 1, 1))
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"base": base, "peak": peak}))
"""


@pytest.mark.slow
def test_peak_memory_independent_of_slice_count(tmp_path: Path) -> None:
    def peak(n: int) -> int:
        proc = subprocess.run(
            [
                sys.executable,
                "-c",
                "import json\n" + textwrap.dedent(_MEMORY_SCRIPT),
                str(tmp_path),
                str(n),
            ],
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
        )
        out = json.loads(proc.stdout.strip().splitlines()[-1])
        return int(out["peak"])  # KiB

    small, large = peak(64), peak(384)
    # 384 slices of 512² are 96 MiB of voxels; streaming keeps the growth far below
    assert large - small < 40 * 1024, (small, large)
