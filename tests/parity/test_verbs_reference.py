"""``Dataset.write_layer``, ``Layer.export`` and ``MagView.merge_with_view`` against
webknossos 4.3.3 on the same input: voxels (sha1 per mag), bounding boxes, mags,
file names and metadata. One reference process runs every case (start-up is slow).
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tifffile

import wkfn as wk
from wkfn.errors import (
    InvalidArgumentError,
    LayerExistsError,
    MergePreconditionError,
)

pytestmark = pytest.mark.reference

REF = r"""
import shutil, zipfile, tifffile
from pathlib import Path

def sha(a):
    return hashlib.sha1(np.ascontiguousarray(a).tobytes()).hexdigest()

def summary(layer):
    return {
        "bbox": [list(layer.bounding_box.topleft), list(layer.bounding_box.size)],
        "channels": layer.num_channels,
        "dtype": str(np.dtype(layer.dtype_per_channel)),
        "mags": {m.to_layer_name(): sha(v.read()) for m, v in layer.mags.items()},
    }

def main():
    root = Path(P["root"])
    out = {}
    vol = np.load(root / "vol.npy")
    ds = wk.Dataset(root / "ref_write", voxel_size=(11.0, 11.0, 25.0))
    out["color"] = summary(ds.write_layer("color", "color", vol))
    # its own dataset: in one with the color layer's 2-2-1 pyramid the reference
    # fails ("different values for the same mag") aligning a 2-2-2 pyramid
    sds = wk.Dataset(root / "ref_write_seg", voxel_size=(11.0, 11.0, 25.0))
    out["seg"] = summary(sds.write_layer(
        "seg", "segmentation", vol.astype(np.uint32), mag=2,
        absolute_offset=(10, 20, 30)))
    out["multi"] = summary(ds.write_layer(
        "multi", "color", np.stack([vol, vol // 2, vol // 3]), downsample=False))

    # merge input, written by the reference: base shard 64, annotation shard 32
    mds = wk.Dataset(root / "merge_in", voxel_size=(1, 1, 1))
    base = mds.add_layer("base", "segmentation", dtype="uint32",
                         bounding_box=wk.BoundingBox((0, 0, 0), (60, 60, 60)))
    bm = base.add_mag(1, chunk_shape=32, shard_shape=64)
    base_data = np.arange(60 ** 3, dtype=np.uint32).reshape(60, 60, 60) % 1000 + 1
    bm.write(base_data, absolute_offset=(0, 0, 0), allow_unaligned=True)
    ann = mds.add_layer("ann", "segmentation", dtype="uint32",
                        bounding_box=wk.BoundingBox((0, 0, 0), (100, 70, 40)))
    am = ann.add_mag(1, chunk_shape=32, shard_shape=32)
    patch = np.zeros((40, 10, 10), np.uint32)
    patch[:, :5] = 9
    am.write(patch, absolute_offset=(50, 3, 3), allow_unaligned=True)
    am.write(np.zeros((32, 32, 8), np.uint32), absolute_offset=(0, 32, 32))
    shutil.copytree(root / "merge_in", root / "merge_ref")
    shutil.copytree(root / "merge_in", root / "merge_wkfn")
    rds = wk.Dataset.open(root / "merge_ref")
    from webknossos.utils import get_executor_for_args
    with get_executor_for_args(None) as ex:
        rds.get_layer("base").get_mag(1).merge_with_view(
            rds.get_layer("ann").get_mag(1), ex)
    out["merge"] = summary(wk.Dataset.open(root / "merge_ref").get_layer("base"))

    # exports of the written color layer
    color = ds.get_layer("color")
    color.export.as_tiff_stack(output_path=root / "ref_tiffs", filename_prefix="p")
    color.export.as_tiff_stack(output_path=root / "ref_tiffs2", mag=wk.Mag("2-2-1"),
        bounding_box=wk.BoundingBox((10, 10, 5), (50, 40, 20)))
    sds.get_layer("seg").export.as_ome_tiff(output_path=root / "ref.ome.tif")
    color.export.as_ome_tiff(output_path=root / "ref2.ome.tif", downsample=False,
        bounding_box=wk.BoundingBox((0, 0, 0), (64, 64, 8)))
    color.export.as_ozx(output_path=root / "ref.ozx")
    ds.get_layer("multi").export.as_ozx(output_path=root / "ref_multi.ozx",
        bounding_box=wk.BoundingBox((5, 5, 5), (30, 30, 30)))
    print(json.dumps(out))

if __name__ == "__main__":
    main()
"""


def _sha(a: np.ndarray) -> str:
    return hashlib.sha1(np.ascontiguousarray(a).tobytes()).hexdigest()


def _summary(layer: Any) -> dict[str, Any]:
    return {
        "bbox": [list(layer.bounding_box.topleft), list(layer.bounding_box.size)],
        "channels": layer.num_channels,
        "dtype": str(np.dtype(layer.dtype_per_channel)),
        "mags": {m.to_layer_name(): _sha(v.read()) for m, v in layer.mags.items()},
    }


@pytest.fixture(scope="module")
def reference_run(
    tmp_path_factory: pytest.TempPathFactory, ref_python: str
) -> tuple[Path, Any]:

    root = tmp_path_factory.mktemp("verbs")
    vol = np.random.default_rng(7).integers(0, 200, (100, 70, 40), dtype=np.uint8)
    np.save(root / "vol.npy", vol)
    script = root / "ref_script.py"
    prelude = "import json, sys, hashlib\nimport numpy as np\nimport webknossos as wk\n"
    prelude += f"P = json.loads({json.dumps(json.dumps({'root': str(root)}))})\n"
    script.write_text(prelude + REF)
    proc = subprocess.run(
        [ref_python, str(script)],
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    return root, json.loads(proc.stdout.strip().splitlines()[-1])


def test_write_layer_matches_reference(reference_run: tuple[Path, Any]) -> None:
    root, ref = reference_run
    vol = np.load(root / "vol.npy")
    ds = wk.Dataset(root / "wkfn_write", voxel_size=(11.0, 11.0, 25.0))
    assert _summary(ds.write_layer("color", "color", vol)) == ref["color"]
    sds = wk.Dataset(root / "wkfn_write_seg", voxel_size=(11.0, 11.0, 25.0))
    seg = sds.write_layer(
        "seg",
        "segmentation",
        vol.astype(np.uint32),
        mag=2,
        absolute_offset=(10, 20, 30),
    )
    assert _summary(seg) == ref["seg"]
    multi = ds.write_layer(
        "multi", "color", np.stack([vol, vol // 2, vol // 3]), downsample=False
    )
    assert _summary(multi) == ref["multi"]
    # the reference opens what wkfn wrote: same properties after a round trip
    again = wk.Dataset.open(root / "wkfn_write_seg")
    assert _summary(again.get_layer("seg")) == ref["seg"]


def test_write_layer_bad_input_writes_nothing(tmp_path: Path) -> None:
    ds = wk.Dataset(tmp_path / "d", voxel_size=(1, 1, 1))
    ds.write_layer("a", "color", np.zeros((8, 8, 8), np.uint8))
    cases: list[tuple[tuple[Any, ...], dict[str, Any], type[BaseException]]] = [
        (("a", "color", np.zeros((8, 8, 8), np.uint8)), {}, IndexError),
        (("b", "color", np.zeros((8, 8), np.uint8)), {}, ValueError),
        (("b", "bad", np.zeros((8, 8, 8), np.uint8)), {}, RuntimeError),
        (("b", "color", np.zeros((2, 2, 8, 8, 8), np.uint8)), {}, ValueError),
        (("b", "color", np.zeros((8, 8, 8), np.float16)), {}, ValueError),
        (
            ("b", "color", np.zeros((8, 8, 8), np.uint8)),
            {"data_format": "x"},
            ValueError,
        ),
        (
            ("b", "color", np.zeros((8, 8, 8), np.uint8)),
            {"shard_shape": 64, "chunks_per_shard": 2},
            ValueError,
        ),
        (("b", "color", np.zeros((8, 8, 8), np.uint8)), {"mag": "x"}, ValueError),
        (("b", "color", np.zeros((8, 8, 8), np.uint8)), {"chunk_shape": 5}, ValueError),
        (
            ("b", "color", np.zeros((8, 8, 8), np.uint8)),
            {"axes": ("x", "y")},
            NotImplementedError,
        ),
    ]
    for args, kwargs, builtin in cases:
        with pytest.raises(builtin):
            ds.write_layer(*args, **kwargs)
        assert list(wk.Dataset.open(tmp_path / "d").layers) == ["a"], (args, kwargs)
    assert issubclass(LayerExistsError, IndexError)
    assert sorted(p.name for p in (tmp_path / "d").iterdir()) == [
        "a",
        "datasource-properties.json",
        "zarr.json",
    ]


def test_merge_with_view_matches_reference(reference_run: tuple[Path, Any]) -> None:
    root, ref = reference_run
    ds = wk.Dataset.open(root / "merge_wkfn")
    base = ds.get_layer("base")
    base.get_mag(1).merge_with_view(ds.get_layer("ann").get_mag(1))
    assert (
        _summary(wk.Dataset.open(root / "merge_wkfn").get_layer("base")) == ref["merge"]
    )


def test_merge_with_view_refuses_what_the_reference_refuses(tmp_path: Path) -> None:
    ds = wk.Dataset(tmp_path / "d", voxel_size=(1, 1, 1))
    box = wk.BoundingBox((0, 0, 0), (64, 64, 64))
    base = ds.add_layer("base", "segmentation", dtype="uint32", bounding_box=box)
    bm = base.add_mag(1, chunk_shape=32, shard_shape=64)
    wide = ds.add_layer("wide", "segmentation", dtype="uint32", bounding_box=box)
    other8 = ds.add_layer("u8", "segmentation", dtype="uint8", bounding_box=box)
    ann = ds.add_layer("ann", "segmentation", dtype="uint32", bounding_box=box)
    ann.add_mag(1, chunk_shape=32, shard_shape=32)
    ann2 = ann.add_mag(2, chunk_shape=32, shard_shape=32)
    for other in (
        wide.add_mag(1, chunk_shape=32, shard_shape=64),  # 8 chunks per shard
        other8.add_mag(1, chunk_shape=32, shard_shape=32),  # dtype
        ann2,  # mag
    ):
        with pytest.raises(MergePreconditionError) as err:
            bm.merge_with_view(other)
        assert isinstance(err.value, AssertionError)
        assert isinstance(err.value, ValueError)
    ro = wk.Dataset.open(tmp_path / "d", read_only=True)
    with pytest.raises(RuntimeError):
        ro.get_layer("base").get_mag(1).merge_with_view(ann.get_mag(1))


def _no_uuid(xml: str | None) -> str:
    """OME-XML without its random ``urn:uuid`` (new for every file)."""
    return re.sub(r"urn:uuid:[0-9a-f-]+", "urn:uuid", xml or "")


def _tiffs(folder: Path) -> dict[str, str]:
    return {p.name: _sha(tifffile.imread(p)) for p in sorted(folder.iterdir())}


def test_export_tiff_stack_and_ome_tiff_match_reference(
    reference_run: tuple[Path, Any],
) -> None:
    root, _ = reference_run
    ds = wk.Dataset.open(root / "ref_write")  # the reference's own layers
    color = ds.get_layer("color")
    color.export.as_tiff_stack(output_path=root / "wk_tiffs", filename_prefix="p")
    assert _tiffs(root / "wk_tiffs") == _tiffs(root / "ref_tiffs")
    color.export.as_tiff_stack(
        output_path=root / "wk_tiffs2",
        mag=wk.Mag("2-2-1"),
        bounding_box=wk.BoundingBox((10, 10, 5), (50, 40, 20)),
    )
    assert _tiffs(root / "wk_tiffs2") == _tiffs(root / "ref_tiffs2")
    seg = wk.Dataset.open(root / "ref_write_seg").get_layer("seg")
    seg.export.as_ome_tiff(output_path=root / "wk.ome.tif")
    color.export.as_ome_tiff(
        output_path=root / "wk2.ome.tif",
        downsample=False,
        bounding_box=wk.BoundingBox((0, 0, 0), (64, 64, 8)),
    )
    for mine, theirs in (
        ("wk.ome.tif", "ref.ome.tif"),
        ("wk2.ome.tif", "ref2.ome.tif"),
    ):
        with tifffile.TiffFile(root / mine) as a, tifffile.TiffFile(root / theirs) as b:
            sa, sb = a.series[0], b.series[0]
            assert (sa.axes, sa.shape, sa.dtype) == (sb.axes, sb.shape, sb.dtype)
            assert [_sha(lv.asarray()) for lv in sa.levels] == [
                _sha(lv.asarray()) for lv in sb.levels
            ]
            assert a.pages[0].compression == b.pages[0].compression
            assert _no_uuid(a.ome_metadata) == _no_uuid(b.ome_metadata)


def _ozx_arrays(path: Path, into: Path) -> dict[str, str]:
    """sha1 of every array of an .ozx (extracted, read with tensorstore)."""
    import tensorstore as ts

    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        meta = [n for n in names if n.endswith("zarr.json")]
        assert names[: len(meta)] == meta  # metadata first (RFC-9)
        assert json.loads(zf.comment) == {"ome": {"version": "0.5"}, "jsonFirst": True}
        zf.extractall(into)
    out = {}
    for name in meta:
        if name == "zarr.json":
            continue
        arr = ts.open(
            {
                "driver": "zarr3",
                "kvstore": {"driver": "file", "path": str(into / name[:-10])},
            }
        ).result()
        out[name[:-10]] = _sha(arr.read().result())
    return out


def test_export_ozx_matches_reference(reference_run: tuple[Path, Any]) -> None:
    root, _ = reference_run
    ds = wk.Dataset.open(root / "ref_write")
    ds.get_layer("color").export.as_ozx(output_path=root / "wk.ozx")
    ds.get_layer("multi").export.as_ozx(
        output_path=root / "wk_multi.ozx",
        bounding_box=wk.BoundingBox((5, 5, 5), (30, 30, 30)),
    )
    for mine, theirs in (("wk.ozx", "ref.ozx"), ("wk_multi.ozx", "ref_multi.ozx")):
        got = _ozx_arrays(root / mine, root / (mine + ".d"))
        assert got == _ozx_arrays(root / theirs, root / (theirs + ".d"))
        assert len(got) >= 1


def test_export_bad_input(tmp_path: Path) -> None:
    ds = wk.Dataset(tmp_path / "d", voxel_size=(1, 1, 1))
    layer = ds.write_layer("a", "color", np.ones((8, 8, 8), np.uint8))
    with pytest.raises(AssertionError):
        layer.export.as_tiff_stack(
            output_path=tmp_path / "t",
            bounding_box=wk.BoundingBox((50, 0, 0), (4, 4, 4)),
        )
    with pytest.raises(ValueError, match="access_mode"):
        layer.export.as_ome_tiff(output_path=tmp_path / "x.tif", access_mode="zarr")
    with pytest.raises(IndexError):
        layer.export.as_ozx(output_path=tmp_path / "x.ozx", mag=wk.Mag(8))
    assert not (tmp_path / "x.ozx").exists()
    assert issubclass(InvalidArgumentError, ValueError)
    shutil.rmtree(tmp_path / "d")


def test_write_layer_is_one_plan_and_joins_a_dry_run(tmp_path: Path) -> None:
    ds = wk.Dataset(tmp_path / "d", voxel_size=(1, 1, 1))
    data = np.arange(40 * 30 * 20, dtype=np.uint16).reshape(40, 30, 20)
    with ds.dry_run() as rec:
        ds.write_layer("a", "color", data)
    assert "a" not in wk.Dataset.open(tmp_path / "d").layers  # nothing written
    text = str(rec.plan)
    assert "+ array a/1" in text and "downsample a" in text
    rec.apply()
    layer = wk.Dataset.open(tmp_path / "d").get_layer("a")
    assert np.array_equal(layer.get_mag(1).read()[0], data)
    assert len(layer.mags) > 1
