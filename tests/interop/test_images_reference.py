"""Image import: wkfn's from_images gives what the reference's gives.

Both libraries import the same files (written here); the resulting layers, boxes,
channels, categories, storage layout, view settings and voxel checksums are compared.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tifffile

import wkfn as wk

REF_DESCRIBE = """
def describe(ds):
    out = {}
    for name, layer in ds.layers.items():
        bbox = layer.bounding_box
        view = layer.get_finest_mag()
        data = np.ascontiguousarray(view.read())
        cfg = layer.default_view_configuration
        out[name] = {
            "category": layer.category, "num_channels": layer.num_channels,
            "dtype": str(layer.dtype_per_channel),
            "bbox": [list(bbox.topleft), list(bbox.size)],
            "chunk": list(view.info.chunk_shape), "shard": list(view.info.shard_shape),
            "minmax": None if cfg is None else [cfg.min, cfg.max],
            "largest": getattr(layer, "largest_segment_id", None),
            "data": [list(data.shape), hashlib.sha1(data.tobytes()).hexdigest()],
        }
    return out
"""


def describe(ds: Any) -> dict[str, Any]:
    ns: dict[str, Any] = {"np": np, "hashlib": hashlib}
    exec(REF_DESCRIBE, ns)
    out: dict[str, Any] = ns["describe"](ds)
    return out


def make_inputs(root: Path) -> None:
    import imageio.v2 as imageio

    rng = np.random.default_rng(3)
    stack = root / "stack"
    stack.mkdir(parents=True)
    for z in range(12):  # natural order matters: img_2 before img_10
        tifffile.imwrite(
            stack / f"img_{z}.tif", rng.integers(0, 200, (40, 60), np.uint8)
        )
    rgb = root / "rgb"
    rgb.mkdir()
    for z in range(3):
        imageio.imwrite(rgb / f"s_{z}.png", rng.integers(0, 255, (20, 30, 3), np.uint8))
    seg = root / "labels"
    seg.mkdir()
    for z in range(4):
        lab = np.zeros((32, 32), np.uint16)
        lab[:16, :16] = 3
        lab[16:, 16:] = 9
        tifffile.imwrite(seg / f"l_{z}.tif", lab)


@pytest.mark.reference
@pytest.mark.parametrize(
    "kwargs",
    [{}, {"flip_x": True, "swap_xy": True}, {"flip_y": True, "flip_z": True}],
    ids=["plain", "flipx-swap", "flipy-flipz"],
)
def test_from_images_matches_reference(
    tmp_path: Path, ref: Any, kwargs: dict[str, Any]
) -> None:
    make_inputs(tmp_path / "in")
    for sub in ("stack", "rgb", "labels"):
        ours = wk.Dataset.from_images(
            tmp_path / "in" / sub,
            tmp_path / f"ours_{sub}",
            voxel_size=(1, 1, 1),
            **kwargs,
        )
        theirs = ref(
            REF_DESCRIBE
            + """
ds = wk.Dataset.from_images(P["src"], P["dst"], voxel_size=(1, 1, 1), **P["kwargs"])
print(json.dumps(describe(ds)))
""",
            src=str(tmp_path / "in" / sub),
            dst=str(tmp_path / f"ref_{sub}"),
            kwargs=kwargs,
        )
        assert describe(ours) == theirs, sub


@pytest.mark.reference
def test_hyperstack_channels_match_reference(tmp_path: Path, ref: Any) -> None:
    data = np.random.default_rng(5).integers(0, 4000, (5, 3, 16, 20), np.uint16)
    tifffile.imwrite(
        tmp_path / "hyper.tif", data, imagej=True, metadata={"axes": "ZCYX"}
    )
    ours = wk.Dataset.from_images(
        tmp_path / "hyper.tif", tmp_path / "ours", voxel_size=(1, 1, 1)
    )
    theirs = ref(
        REF_DESCRIBE
        + """
ds = wk.Dataset.from_images(P["src"], P["dst"], voxel_size=(1, 1, 1))
print(json.dumps(describe(ds)))
""",
        src=str(tmp_path / "hyper.tif"),
        dst=str(tmp_path / "ref"),
    )
    assert describe(ours) == theirs
