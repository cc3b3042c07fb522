"""wkfn and the reference library `webknossos` read each other's datasets."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import wkfn as wk

FORMATS = ["zarr3", "zarr", "wkw"]


def pattern(shape: tuple[int, ...], dtype: str, seed: int) -> np.ndarray:
    """Deterministic data both processes can rebuild (no files exchanged)."""
    size = int(np.prod(shape))
    values = (np.arange(size, dtype=np.uint64) * (2654435761 + seed)) >> 7
    return (values % 251 + seed).astype(dtype).reshape(shape)


def describe(ds: Any) -> dict[str, Any]:
    """Layers, mags, boxes and voxel checksums, in a form comparable across libs."""
    out: dict[str, Any] = {}
    for name, layer in ds.layers.items():
        bbox = layer.bounding_box
        mags = {}
        for mag, view in layer.mags.items():
            data = np.ascontiguousarray(view.read())
            mags[mag.to_layer_name()] = [
                list(data.shape),
                str(data.dtype),
                hashlib.sha1(data.tobytes()).hexdigest(),
            ]
        out[name] = {
            "category": layer.category,
            "num_channels": layer.num_channels,
            "bbox": [list(bbox.topleft), list(bbox.size)],
            "mags": mags,
        }
    return out


REF_DESCRIBE = """
def describe(ds):
    out = {}
    for name, layer in ds.layers.items():
        bbox = layer.bounding_box
        mags = {}
        for mag, view in layer.mags.items():
            data = np.ascontiguousarray(view.read())
            mags[mag.to_layer_name()] = [list(data.shape), str(data.dtype),
                                         hashlib.sha1(data.tobytes()).hexdigest()]
        out[name] = {"category": layer.category, "num_channels": layer.num_channels,
                     "bbox": [list(bbox.topleft), list(bbox.size)], "mags": mags}
    return out
"""


def build_with_wkfn(path: Path, data_format: str) -> wk.Dataset:
    ds = wk.Dataset(path, voxel_size=(11.24, 11.24, 25), exist_ok=False)
    color = ds.add_layer(
        "color", "color", dtype_per_channel="uint8", data_format=data_format
    )
    color.add_mag(1).write(
        pattern((96, 64, 40), "uint8", 1),
        absolute_offset=(32, 0, 64),
        allow_resize=True,
    )
    color.add_mag("2-2-1").write(
        pattern((48, 32, 40), "uint8", 2), absolute_offset=(32, 0, 64)
    )
    seg = ds.add_layer(
        "seg",
        "segmentation",
        dtype_per_channel="uint32",
        largest_segment_id=250,
        data_format=data_format,
    )
    seg.add_mag(1).write(pattern((64, 64, 64), "uint32", 3), allow_resize=True)
    rgb = ds.add_layer(
        "rgb",
        "color",
        dtype_per_channel="uint8",
        num_channels=3,
        data_format=data_format,
    )
    rgb.add_mag(1).write(pattern((3, 32, 32, 32), "uint8", 4), allow_resize=True)
    return ds


@pytest.mark.parametrize("data_format", FORMATS)
def test_reference_reads_wkfn(tmp_path: Path, data_format: str, ref: Any) -> None:
    path = tmp_path / "ds"
    ds = build_with_wkfn(path, data_format)
    ours = describe(wk.Dataset.open(path))
    theirs = ref(
        REF_DESCRIBE
        + """
ds = wk.Dataset.open(P["path"])
assert ds.voxel_size == (11.24, 11.24, 25.0), ds.voxel_size
lsid = ds.get_layer("seg").largest_segment_id
print(json.dumps({"layers": describe(ds), "lsid": lsid, "name": ds.name}))
""",
        path=str(path),
    )
    assert theirs["layers"] == ours
    assert theirs["lsid"] == 250
    assert theirs["name"] == ds.name


@pytest.mark.parametrize("data_format", FORMATS)
def test_wkfn_reads_reference(tmp_path: Path, data_format: str, ref: Any) -> None:
    path = tmp_path / "ref"
    theirs = ref(
        REF_DESCRIBE
        + """
def pattern(shape, dtype, seed):
    size = int(np.prod(shape))
    values = (np.arange(size, dtype=np.uint64) * (2654435761 + seed)) >> 7
    return (values % 251 + seed).astype(dtype).reshape(shape)

ds = wk.Dataset(P["path"], voxel_size=(4, 4, 35))
fmt = P["fmt"]
color = ds.add_layer("color", "color", dtype="uint16", data_format=fmt)
kw = {} if fmt == "zarr" else {"shard_shape": (64, 64, 64)}
color.add_mag(1, chunk_shape=(32, 32, 32), **kw).write(
    pattern((64, 96, 64), "uint16", 5), absolute_offset=(64, 0, 0), allow_resize=True)
seg = ds.add_layer("seg", "segmentation", dtype="uint64", largest_segment_id=2**60,
                   data_format=fmt)
seg.add_mag(1).write(pattern((64, 64, 32), "uint64", 6), allow_resize=True)
seg.add_mag(2).write(pattern((32, 32, 16), "uint64", 7), allow_resize=True)
print(json.dumps(describe(ds)))
""",
        path=str(path),
        fmt=data_format,
    )
    ds = wk.Dataset.open(path)
    assert describe(ds) == theirs
    seg = ds.get_layer("seg")
    assert isinstance(seg, wk.SegmentationLayer)
    assert seg.largest_segment_id == 2**60
    # and wkfn can keep writing into the reference's dataset
    ds.get_layer("color").get_mag(1).write(
        np.full((32, 32, 32), 7, np.uint16),
        absolute_offset=(64, 0, 0),
        allow_unaligned=True,
    )
    assert (
        ds.get_layer("color")
        .get_mag(1)
        .read(absolute_offset=(64, 0, 0), size=(32, 32, 32))
        .min()
        == 7
    )


def test_zarr3_readable_by_zarr_python_and_tensorstore(tmp_path: Path) -> None:
    zarr = pytest.importorskip("zarr")
    ts = pytest.importorskip("tensorstore")
    path = tmp_path / "ds"
    build_with_wkfn(path, "zarr3")
    expected = wk.Dataset.open(path).get_layer("seg").get_mag(1).read()
    arr = zarr.open_array(str(path / "seg" / "1"), mode="r")
    np.testing.assert_array_equal(arr[:, :64, :64, :64], expected)
    store = ts.open(
        {
            "driver": "zarr3",
            "kvstore": {"driver": "file", "path": str(path / "seg" / "1")},
        }
    ).result()
    np.testing.assert_array_equal(store[:, :64, :64, :64].read().result(), expected)


def test_ome_metadata_validates(tmp_path: Path) -> None:
    models = pytest.importorskip("ome_zarr_models")
    path = tmp_path / "ds"
    build_with_wkfn(path, "zarr3")
    import zarr
    from ome_zarr_models.v05.image import Image

    group = zarr.open_group(str(path / "color"), mode="r")
    image = Image.from_zarr(group)
    assert models is not None
    datasets = image.attributes.ome.multiscales[0].datasets
    assert [d.path for d in datasets] == ["1", "2-2-1"]
