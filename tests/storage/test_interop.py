"""Arrays written by wkfn open in zarr-python, tensorstore and the reference."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import textwrap
from pathlib import Path

import numpy as np
import pytest
from storage_helpers import make_layout, random_block

from wkfn.storage import arrays, tsspec

# Tests against the reference take its interpreter from the `ref_python` fixture
# (tests/conftest.py): .venv-ref beside the checkout, a failure in CI when missing.
needs_reference = pytest.mark.reference


@pytest.mark.parametrize("compress", [True, False], ids=["compressed", "raw"])
@pytest.mark.parametrize("shard", [64, 32], ids=["sharded", "unsharded"])
def test_zarr3_opens_in_zarr_python_and_tensorstore(
    tmp_path: Path, rng: np.random.Generator, compress: bool, shard: int
) -> None:
    import tensorstore as ts
    import zarr

    path = tmp_path / "a"
    arrays.create_array(
        path, make_layout("zarr3", "uint16", 2, shard=shard, compress=compress)
    )
    data = random_block(rng, (2, 50, 70, 30), "uint16")
    arrays.open_array(path, "zarr3").write((7, 0, 40), data)
    expected = arrays.open_array(path, "zarr3").read((0, 0, 0), (128, 128, 128))
    za = zarr.open_array(str(path), mode="r")
    assert za.shape == (2, 64, 128, 128) if shard == 64 else (2, 64, 96, 96)
    np.testing.assert_array_equal(
        za[:], expected[:, : za.shape[1], : za.shape[2], : za.shape[3]]
    )
    raw = ts.open(
        {"driver": "zarr3", "kvstore": {"driver": "file", "path": str(path)}}
    ).result()
    np.testing.assert_array_equal(raw[:, 7:57, 0:70, 40:70].read().result(), data)


def test_zarr2_opens_in_zarr_python(tmp_path: Path, rng: np.random.Generator) -> None:
    import zarr

    path = tmp_path / "a"
    arrays.create_array(path, make_layout("zarr", "uint8", 3))
    data = random_block(rng, (3, 40, 33, 20), "uint8")
    arrays.open_array(path, "zarr").write((5, 5, 5), data)
    za = zarr.open_array(str(path), mode="r", zarr_format=2)
    np.testing.assert_array_equal(za[:, 5:45, 5:38, 5:25], data)


_REF_SCRIPT = textwrap.dedent(
    """
    import sys
    import numpy as np
    import webknossos as wk

    def main():
        root = sys.argv[1]
        ds = wk.Dataset(root, voxel_size=(11.24, 11.24, 25))
        a = np.arange(64 ** 3, dtype=np.uint8).reshape(64, 64, 64)
        specs = [
            ("c3", "uint8", 1, "zarr3", 64, True),
            ("u16", "uint16", 1, "zarr3", 64, False),
            ("f32", "float32", 1, "zarr3", 32, True),
            ("u64", "uint64", 1, "zarr3", 64, True),
            ("rgb", "uint8", 3, "zarr3", 64, True),
            ("v2", "uint8", 3, "zarr", 32, True),
            ("v2raw", "uint16", 1, "zarr", 32, False),
            ("wkwc", "uint32", 1, "wkw", 64, True),
            ("wkwr", "uint8", 3, "wkw", 64, False),
        ]
        for name, dtype, ch, fmt, shard, comp in specs:
            cat = "segmentation" if dtype == "uint64" else "color"
            layer = ds.add_layer(
                name, cat, dtype=dtype, num_channels=ch, data_format=fmt
            )
            mag = layer.add_mag(1, chunk_shape=32, shard_shape=shard, compress=comp)
            data = a.astype(dtype)
            if ch > 1:
                data = np.broadcast_to(data, (ch, 64, 64, 64))
            mag.write(
                np.ascontiguousarray(data), absolute_offset=(0, 0, 0), allow_resize=True
            )

    if __name__ == "__main__":
        main()
    """
)


@pytest.fixture(scope="module")
def reference_dataset(
    tmp_path_factory: pytest.TempPathFactory, ref_python: str
) -> Path:
    root = tmp_path_factory.mktemp("ref") / "ds"
    script = root.parent / "make_ref.py"
    script.write_text(_REF_SCRIPT)
    subprocess.run(
        [ref_python, str(script), str(root)], check=True, capture_output=True
    )
    return root


@needs_reference
@pytest.mark.parametrize(
    ("name", "dtype", "channels", "data_format", "shard", "compress"),
    [
        ("c3", "uint8", 1, "zarr3", 64, True),
        ("u16", "uint16", 1, "zarr3", 64, False),
        ("f32", "float32", 1, "zarr3", 32, True),
        ("u64", "uint64", 1, "zarr3", 64, True),
        ("rgb", "uint8", 3, "zarr3", 64, True),
        ("v2", "uint8", 3, "zarr", 32, True),
        ("v2raw", "uint16", 1, "zarr", 32, False),
    ],
)
def test_array_metadata_matches_reference(
    tmp_path: Path,
    reference_dataset: Path,
    name: str,
    dtype: str,
    channels: int,
    data_format: str,
    shard: int,
    compress: bool,
) -> None:
    meta_name = "zarr.json" if data_format == "zarr3" else ".zarray"
    ref_meta = json.loads((reference_dataset / name / "1" / meta_name).read_text())
    layout = make_layout(
        data_format, dtype, channels, shard=shard, compress=compress, shape=(64, 64, 64)
    )
    path = tmp_path / name
    arrays.create_array(path, layout)
    assert json.loads((path / meta_name).read_text()) == ref_meta
    # and wkfn observes the reference's layout, and reads its voxels
    assert arrays.read_layout(reference_dataset / name / "1", data_format) == layout
    got = arrays.open_array(reference_dataset / name / "1", data_format).read(
        (0, 0, 0), (64, 64, 64)
    )
    expected = np.arange(64**3, dtype=np.uint8).reshape(64, 64, 64).astype(dtype)
    np.testing.assert_array_equal(got[0], expected)
    assert tsspec.zarr3_metadata(layout)["data_type"] == dtype or data_format == "zarr"


_WKW_CHECK = textwrap.dedent(
    """
    import hashlib, json, sys
    import numpy as np
    import wkw

    path, offset, size = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
    with wkw.Dataset.open(path) as ds:
        data = ds.read(offset, size)
        h = ds.header
        print(json.dumps({
            "sha": hashlib.sha256(np.ascontiguousarray(data).tobytes()).hexdigest(),
            "shape": list(data.shape), "dtype": str(data.dtype),
            "block_len": h.block_len, "file_len": h.file_len,
            "block_type": h.block_type,
        }))
    """
)


@needs_reference
@pytest.mark.parametrize(
    ("dtype", "channels", "compress"),
    [
        ("uint8", 1, True),
        ("uint32", 1, False),
        ("uint8", 3, True),
        ("float32", 1, True),
    ],
)
def test_wkw_is_readable_by_reference(
    tmp_path: Path,
    rng: np.random.Generator,
    ref_python: str,
    dtype: str,
    channels: int,
    compress: bool,
) -> None:
    path = tmp_path / "w"
    arrays.create_array(path, make_layout("wkw", dtype, channels, compress=compress))
    data = random_block(rng, (channels, 70, 20, 65), dtype)
    arrays.open_array(path, "wkw").write((3, 50, 1), data)
    script = tmp_path / "check.py"
    script.write_text(_WKW_CHECK)
    out = subprocess.run(
        [ref_python, str(script), str(path), "[3, 50, 1]", "[70, 20, 65]"],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": ""},
    )
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert (
        report["sha"]
        == hashlib.sha256(np.ascontiguousarray(data).tobytes()).hexdigest()
    )
    assert report["shape"] == [channels, 70, 20, 65]
    assert report["dtype"] == dtype
    assert (report["block_len"], report["file_len"]) == (32, 2)
    assert report["block_type"] == (3 if compress else 1)


@needs_reference
@pytest.mark.parametrize(
    ("name", "dtype", "channels", "compress"),
    [("wkwc", "uint32", 1, True), ("wkwr", "uint8", 3, False)],
)
def test_wkw_header_matches_reference(
    tmp_path: Path,
    reference_dataset: Path,
    name: str,
    dtype: str,
    channels: int,
    compress: bool,
) -> None:
    ref_dir = reference_dataset / name / "1"
    layout = make_layout("wkw", dtype, channels, compress=compress)
    arrays.create_array(tmp_path / name, layout)
    assert (tmp_path / name / "header.wkw").read_bytes() == (
        ref_dir / "header.wkw"
    ).read_bytes()
    assert arrays.read_layout(ref_dir, "wkw") == make_layout(
        "wkw", dtype, channels, compress=compress, shape=(64, 64, 64)
    )
    got = arrays.open_array(ref_dir, "wkw").read((0, 0, 0), (64, 64, 64))
    expected = np.arange(64**3, dtype=np.uint8).reshape(64, 64, 64).astype(dtype)
    np.testing.assert_array_equal(got[channels - 1], expected)
