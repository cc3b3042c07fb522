from __future__ import annotations

from pathlib import Path

import numpy as np

import wkfn as wk

FORMATS = ["zarr3", "zarr", "wkw"]


def pattern(shape: tuple[int, ...], dtype: str = "uint8", seed: int = 1) -> np.ndarray:
    size = int(np.prod(shape))
    values = (np.arange(size, dtype=np.uint64) * (2654435761 + seed)) >> 7
    return (values % 251 + seed).astype(dtype).reshape(shape)


def make_dataset(
    path: Path,
    data_format: str = "zarr3",
    *,
    compress: bool = True,
    shape: tuple[int, int, int] = (100, 70, 40),
    offset: tuple[int, int, int] = (20, 10, 6),
    with_seg: bool = True,
    mag2: bool = True,
) -> wk.Dataset:
    """A dataset with a color layer (mags 1 and 2) and a segmentation layer."""
    ds = wk.Dataset(path, voxel_size=(11.2, 11.2, 25))
    color = ds.add_layer("color", "color", data_format=data_format)
    kw = {"chunk_shape": 16, "shard_shape": 32} if data_format != "zarr" else {}
    if data_format == "zarr":
        kw = {"chunk_shape": 16}
    m1 = color.add_mag(1, compress=compress, **kw)
    m1.write(pattern(shape), absolute_offset=offset, allow_resize=True)
    if mag2:
        m2 = color.add_mag(2, compress=compress, **kw)
        m2.write(
            pattern(tuple(s // 2 for s in shape), seed=3),  # type: ignore[arg-type]
            absolute_offset=offset,
            allow_resize=True,
            allow_unaligned=True,
        )
    if with_seg:
        seg = ds.add_layer(
            "seg",
            "segmentation",
            dtype_per_channel="uint32",
            data_format=data_format,
            largest_segment_id=7,
        )
        seg.add_mag(1, compress=compress, **kw).write(
            pattern((40, 40, 40), "uint32", seed=5) % 8,
            absolute_offset=(0, 0, 0),
            allow_resize=True,
        )
    return ds


def assert_same_data(a: wk.Dataset, b: wk.Dataset) -> None:
    assert set(a.layers) == set(b.layers)
    for name, layer in a.layers.items():
        other = b.get_layer(name)
        assert other.bounding_box == layer.bounding_box
        assert other.dtype_per_channel == layer.dtype_per_channel
        assert other.num_channels == layer.num_channels
        assert set(other.mags) == set(layer.mags)
        for mag, view in layer.mags.items():
            np.testing.assert_array_equal(other.get_mag(mag).read(), view.read())
