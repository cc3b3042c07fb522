"""Downsampling and upsampling real datasets (zarr3, zarr, wkw) through the facade."""

from __future__ import annotations

import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import wkfn as wk
from wkfn.api.sampling_modes import SamplingModes
from wkfn.errors import InvalidArgumentError, MagNotFoundError, ReadOnlyError
from wkfn.execute.inline import InlineExecutor
from wkfn.kernels.downsample import downsample

Array = np.ndarray[Any, Any]
Vec3 = tuple[int, int, int]
FORMATS = ["zarr3", "zarr", "wkw"]
TOPLEFT: Vec3 = (3, 5, 7)


def expected_step(valid: Array, topleft: Vec3, f: Vec3, mode: str) -> Array:
    """Mirror-pad the valid box to whole blocks and apply the kernel once."""
    t0 = [t // fa for t, fa in zip(topleft, f)]
    bottom = [t + s for t, s in zip(topleft, valid.shape[1:])]
    t1 = [-(-b // fa) for b, fa in zip(bottom, f)]
    pad = [(0, 0)] + [
        (topleft[a] - t0[a] * f[a], t1[a] * f[a] - bottom[a]) for a in range(3)
    ]
    return downsample(np.pad(valid, pad, mode="symmetric"), f, mode)


def expected_pyramid(
    data: Array, topleft: Vec3, mags: list[Vec3], mode: str
) -> dict[Vec3, Array]:
    out: dict[Vec3, Array] = {}
    prev: Vec3 = (1, 1, 1)
    cur = data
    for m in mags:
        f = (m[0] // prev[0], m[1] // prev[1], m[2] // prev[2])
        tl = (topleft[0] // prev[0], topleft[1] // prev[1], topleft[2] // prev[2])
        cur = expected_step(cur, tl, f, mode)
        out[m] = cur
        prev = m
    return out


def make_layer(
    tmp_path: Path,
    data: Array,
    *,
    fmt: str = "zarr3",
    category: str = "color",
    voxel_size: tuple[float, float, float] = (1.0, 1.0, 1.0),
    topleft: Vec3 = TOPLEFT,
    name: str = "ds",
) -> Any:
    ds = wk.Dataset(tmp_path / name, voxel_size=voxel_size)
    channels = data.shape[0] if data.ndim == 4 else 1
    kwargs: dict[str, Any] = {}
    if category == "segmentation":
        kwargs["largest_segment_id"] = int(data.max())
    layer = ds.add_layer(
        "l",
        category,
        dtype_per_channel=str(data.dtype),
        num_channels=channels,
        data_format=fmt,
        **kwargs,
    )
    layer.add_mag(1, chunk_shape=16 if fmt != "wkw" else None).write(
        data, absolute_offset=topleft, allow_resize=True
    )
    return layer


def files_of(path: Path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


@pytest.fixture
def color() -> Array:
    return np.random.default_rng(5).integers(0, 256, (37, 29, 19), dtype=np.uint8)


@pytest.fixture
def labels() -> Array:
    return np.random.default_rng(6).integers(0, 5, (37, 29, 19), dtype=np.uint32)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("mode", "category"),
    [
        ("median", "color"),
        ("mode", "segmentation"),
        ("max", "color"),
        ("min", "color"),
        ("nearest", "color"),
        ("bilinear", "color"),
        ("bicubic", "color"),
    ],
)
def test_pyramid_matches_numpy(
    tmp_path: Path, fmt: str, mode: str, category: str, color: Array, labels: Array
) -> None:
    data = labels if category == "segmentation" else color
    layer = make_layer(tmp_path, data, fmt=fmt, category=category)
    layer.downsample(
        coarsest_mag=wk.Mag(4), sampling_mode="isotropic", interpolation_mode=mode
    )
    mags = [(2, 2, 2), (4, 4, 4)]
    assert [m.to_tuple() for m in layer.mags] == [(1, 1, 1), *mags]
    want = expected_pyramid(data[np.newaxis], TOPLEFT, mags, mode)
    for m in mags:
        view = layer.get_mag(m)
        np.testing.assert_array_equal(view.read(), want[m], err_msg=f"{fmt} {mode} {m}")
        assert view.info.data_format == fmt
        if fmt != "wkw":
            assert view.info.chunk_shape == (16, 16, 16)
    reopened = wk.Dataset.open(layer.dataset.path).get_layer("l")
    assert [m.to_tuple() for m in reopened.mags] == [(1, 1, 1), *mags]


def test_anisotropic_default_ladder_and_depth_one(tmp_path: Path, color: Array) -> None:
    layer = make_layer(tmp_path, color, voxel_size=(11.24, 11.24, 25))
    layer.downsample()
    assert [m.to_layer_name() for m in layer.mags] == ["1", "2-2-1", "4-4-2"]
    want = expected_pyramid(
        color[np.newaxis], TOPLEFT, [(2, 2, 1), (4, 4, 2)], "median"
    )
    np.testing.assert_array_equal(layer.get_mag("4-4-2").read(), want[(4, 4, 2)])

    flat = make_layer(tmp_path, color[:, :, :1], name="flat", topleft=(0, 0, 0))
    with pytest.warns(UserWarning, match="CONSTANT_Z"):
        flat.downsample(sampling_mode=SamplingModes.ISOTROPIC)
    assert [m.to_layer_name() for m in flat.mags] == ["1", "2-2-1", "4-4-1"]


def test_multichannel_each_channel_separately(tmp_path: Path) -> None:
    rng = np.random.default_rng(9)
    data = rng.integers(0, 256, (3, 20, 18, 10), dtype=np.uint8)
    layer = make_layer(tmp_path, data)
    layer.downsample(coarsest_mag=2, sampling_mode="isotropic")
    want = expected_pyramid(data, TOPLEFT, [(2, 2, 2)], "median")[(2, 2, 2)]
    np.testing.assert_array_equal(layer.get_mag(2).read(), want)


def test_existing_mags_are_not_regenerated(tmp_path: Path, color: Array) -> None:
    layer = make_layer(tmp_path, color)
    layer.downsample_mag(1, 2, interpolation_mode="max")
    before = layer.get_mag(2).read()
    layer.downsample(coarsest_mag=8, sampling_mode="isotropic")
    assert [m.to_layer_name() for m in layer.mags] == ["1", "2", "4", "8"]
    np.testing.assert_array_equal(layer.get_mag(2).read(), before)
    with pytest.raises(InvalidArgumentError, match="already exists"):
        layer.downsample_mag(1, 2)
    layer.downsample_mag(1, 2, allow_overwrite=True)
    want = expected_pyramid(color[np.newaxis], TOPLEFT, [(2, 2, 2)], "median")
    np.testing.assert_array_equal(layer.get_mag(2).read(), want[(2, 2, 2)])


def test_redownsample_and_mag_list(tmp_path: Path, color: Array) -> None:
    layer = make_layer(tmp_path, color)
    layer.downsample_mag_list(1, [2, (4, 4, 2), 4], interpolation_mode="min")
    assert [m.to_layer_name() for m in layer.mags] == ["1", "2", "4-4-2", "4"]
    layer.get_mag(1).write(
        np.full(color.shape, 200, np.uint8),
        absolute_offset=TOPLEFT,
        allow_unaligned=True,
    )
    layer.redownsample()
    for m in layer.mags.values():
        assert (m.read() == 200).all()
    with pytest.raises(InvalidArgumentError, match="finer"):
        layer.downsample_mag_list(1, [8, 4])


def test_only_setup_mags(tmp_path: Path, color: Array) -> None:
    layer = make_layer(tmp_path, color)
    layer.downsample(coarsest_mag=4, sampling_mode="isotropic", only_setup_mags=True)
    assert [m.to_layer_name() for m in layer.mags] == ["1", "2", "4"]
    assert not layer.get_mag(4).read().any()


def test_dataset_downsample_all_layers(
    tmp_path: Path, color: Array, labels: Array
) -> None:
    layer = make_layer(tmp_path, color)
    ds = layer.dataset
    seg = ds.add_layer("seg", "segmentation", dtype_per_channel="uint32")
    seg.add_mag(1).write(labels, absolute_offset=TOPLEFT, allow_resize=True)
    ds.downsample(coarsest_mag=wk.Mag(2), sampling_mode="isotropic")
    want = expected_pyramid(labels[np.newaxis], TOPLEFT, [(2, 2, 2)], "mode")
    np.testing.assert_array_equal(seg.get_mag(2).read(), want[(2, 2, 2)])
    assert [m.to_layer_name() for m in layer.mags] == ["1", "2"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_upsample_replicates(tmp_path: Path, fmt: str, color: Array) -> None:
    layer = make_layer(tmp_path, color, fmt=fmt)
    layer.downsample(coarsest_mag=4, sampling_mode="isotropic")
    mag4 = layer.get_mag(4).read()
    layer.delete_mag(1)
    layer.delete_mag(2)
    layer.upsample(4, sampling_mode="isotropic")
    assert sorted(m.to_layer_name() for m in layer.mags) == ["1", "2", "4"]
    up = mag4.repeat(4, 1).repeat(4, 2).repeat(4, 3)
    # the mag-4 box starts at (0, 1, 1) in mag 4, i.e. (0, 4, 4) in mag 1
    box = up[:, 3:40, 1:30, 3:22]
    np.testing.assert_array_equal(layer.get_mag(1).read(), box)
    assert layer.bounding_box == wk.BoundingBox(TOPLEFT, color.shape)
    with pytest.raises(InvalidArgumentError, match="exists"):
        layer.upsample(4, sampling_mode="isotropic")


def test_bad_input_fails_before_anything_is_written(
    tmp_path: Path, color: Array
) -> None:
    layer = make_layer(tmp_path, color)
    root = layer.dataset.path
    before = files_of(root)
    props = (root / "datasource-properties.json").read_text()
    cases = [
        (InvalidArgumentError, lambda: layer.downsample(interpolation_mode="gaussian")),
        (InvalidArgumentError, lambda: layer.downsample(sampling_mode="sideways")),
        (InvalidArgumentError, lambda: layer.downsample(coarsest_mag=3)),
        (MagNotFoundError, lambda: layer.downsample(from_mag=2)),
        (MagNotFoundError, lambda: layer.downsample_mag(2, 4)),
        (InvalidArgumentError, lambda: layer.downsample_mag(1, 6)),
        (MagNotFoundError, lambda: layer.upsample(2)),
    ]
    for error, call in cases:
        with pytest.raises(error):
            call()
    layer.downsample_mag(1, 4)
    with pytest.raises(InvalidArgumentError, match="finer"):
        layer.downsample(coarsest_mag=2)  # finer than the coarsest existing mag
    layer.delete_mag(4)
    assert files_of(root) == before
    assert (root / "datasource-properties.json").read_text() == props
    empty = layer.dataset.add_layer("empty", "color")
    with pytest.raises(MagNotFoundError):
        empty.downsample()
    ro = wk.Dataset.open(root, read_only=True)
    with pytest.raises(ReadOnlyError):
        ro.get_layer("l").downsample()
    with pytest.raises(ReadOnlyError):
        ro.downsample()


def test_dry_run_records_the_plan(tmp_path: Path, color: Array) -> None:
    layer = make_layer(tmp_path, color)
    ds = layer.dataset
    before = files_of(ds.path)
    with ds.dry_run() as rec:
        layer.downsample(coarsest_mag=4, sampling_mode="isotropic")
        assert [m.to_layer_name() for m in layer.mags] == ["1", "2", "4"]
    assert files_of(ds.path) == before
    text = str(rec.plan)
    assert "+ array l/2" in text and "+ array l/4" in text
    assert "l +mag 2 (4 downsample ops)" in text
    assert "~ downsample l 1-1-1 -> 2-2-2" in text
    rec.apply()
    reopened = wk.Dataset.open(ds.path).get_layer("l")
    want = expected_pyramid(
        color[np.newaxis], TOPLEFT, [(2, 2, 2), (4, 4, 4)], "median"
    )
    np.testing.assert_array_equal(reopened.get_mag(4).read(), want[(4, 4, 4)])


def _big_layer(tmp_path: Path, name: str) -> tuple[Any, Array]:
    data = np.random.default_rng(11).integers(0, 6, (150, 140, 70), dtype=np.uint32)
    layer = make_layer(tmp_path, data, category="segmentation", name=name)
    return layer, data


@pytest.mark.parametrize("executor", ["inline", "threads", "none"])
def test_executors_give_identical_results(tmp_path: Path, executor: str) -> None:
    layer, data = _big_layer(tmp_path, executor)
    kwargs: dict[str, Any] = {"coarsest_mag": 4, "sampling_mode": "isotropic"}
    if executor == "inline":
        layer.downsample(**kwargs, executor=InlineExecutor())
    elif executor == "threads":
        with ThreadPoolExecutor(2) as pool:
            layer.downsample(**kwargs, executor=pool)
    else:
        layer.downsample(**kwargs)
    want = expected_pyramid(data[np.newaxis], TOPLEFT, [(2, 2, 2), (4, 4, 4)], "mode")
    for m in ((2, 2, 2), (4, 4, 4)):
        np.testing.assert_array_equal(layer.get_mag(m).read(), want[m])


@pytest.mark.slow
def test_dask_local_cluster(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    layer, data = _big_layer(tmp_path, "dask")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with (
            distributed.LocalCluster(
                n_workers=2,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
            ) as cluster,
            distributed.Client(cluster) as client,
        ):
            layer.downsample(
                coarsest_mag=4,
                sampling_mode="isotropic",
                executor=client.get_executor(),
            )
    want = expected_pyramid(data[np.newaxis], TOPLEFT, [(2, 2, 2), (4, 4, 4)], "mode")
    for m in ((2, 2, 2), (4, 4, 4)):
        np.testing.assert_array_equal(layer.get_mag(m).read(), want[m])


MEMORY_SCRIPT = """
import resource, sys, numpy as np
import wkfn as wk
ds = wk.Dataset(sys.argv[1], voxel_size=(1, 1, 1))
layer = ds.add_layer("color", "color", dtype_per_channel="uint8")
mag = layer.add_mag(1)
rng = np.random.default_rng(0)
for off in [(0, 0, 0), (992, 992, 992), (480, 0, 512), (0, 736, 96)]:
    mag.write(rng.integers(1, 255, (32, 32, 32), dtype=np.uint8),
              absolute_offset=off, allow_resize=True, allow_unaligned=True)
assert layer.bounding_box.size.to_tuple() == (1024, 1024, 1024)
layer.downsample(coarsest_mag=wk.Mag(8), sampling_mode="isotropic")
corner = layer.get_mag(8).read(absolute_offset=(992, 992, 992), size=(32, 32, 32))
assert int(corner.min()) > 0
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""


@pytest.mark.slow
def test_sparse_1024_cube_stays_within_memory_budget(tmp_path: Path) -> None:
    import subprocess
    import sys

    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    proc = subprocess.run(
        [sys.executable, "-c", MEMORY_SCRIPT, str(tmp_path / "ds")],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    peak_mb = int(proc.stdout.strip().splitlines()[-1])
    assert peak_mb < 1024, f"peak RSS {peak_mb} MB"
