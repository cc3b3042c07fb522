"""``SegmentationLayer.attachments``: references, copies, deletion, properties file."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import wkfn as wk
from wkfn.errors import InvalidArgumentError, ReadOnlyError
from wkfn.plan.ops import CopyTree, WriteProperties
from wkfn.spec.layer import AttachmentSpec
from wkfn.transform import attachments as att_transform

PROPS = "datasource-properties.json"


# ----------------------------------------------------------------- fixtures


def _external(root: Path) -> dict[str, Path]:
    """Attachment files outside any dataset: a zarr3 folder, an hdf5 and a json file."""
    ext = root / "ext"
    (ext / "meshfile").mkdir(parents=True)
    (ext / "meshfile" / "zarr.json").write_text('{"zarr_format": 3}')
    (ext / "meshfile" / "c").mkdir()
    (ext / "meshfile" / "c" / "0").write_bytes(b"\x01\x02\x03")
    (ext / "index.hdf5").write_bytes(b"HDF5-ish")
    (ext / "cumsum.json").write_text('{"max_id": 5}')
    return {
        "mesh": ext / "meshfile",
        "index": ext / "index.hdf5",
        "cumsum": ext / "cumsum.json",
    }


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    return _external(tmp_path)


@pytest.fixture
def seg(tmp_path: Path) -> wk.SegmentationLayer:
    ds = wk.Dataset(tmp_path / "ds", voxel_size=(1, 1, 1))
    layer = ds.add_layer(
        "seg", "segmentation", dtype_per_channel="uint32", largest_segment_id=5
    )
    assert isinstance(layer, wk.SegmentationLayer)
    return layer


def _seg(ds: wk.Dataset) -> wk.SegmentationLayer:
    layer = ds.get_layer("seg")
    assert isinstance(layer, wk.SegmentationLayer)
    return layer


def _props_attachments(ds_path: Path, layer: str = "seg") -> Any:
    props = json.loads((ds_path / PROPS).read_text())
    (entry,) = [lay for lay in props["dataLayers"] if lay["name"] == layer]
    return entry.get("attachments")


def _mesh(path: Path, name: str = "meshfile") -> wk.MeshAttachment:
    return wk.MeshAttachment.from_path_and_name(
        path, name, data_format=wk.AttachmentDataFormat.Zarr3
    )


def _tree(path: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(path)): p.read_bytes()
        for p in sorted(path.rglob("*"))
        if p.is_file()
    }


# ----------------------------------------------------------------- reading


def test_new_layer_has_no_attachments(seg: wk.SegmentationLayer) -> None:
    atts = seg.attachments
    assert atts.is_empty
    assert atts.meshes == () and atts.agglomerates == () and atts.connectomes == ()
    assert atts.segment_index is None and atts.cumsum is None
    assert atts.segment_statistics is None
    assert list(atts) == []
    assert _props_attachments(seg.dataset.path) is None


def test_from_path_and_name_validates_name_and_format(files: dict[str, Path]) -> None:
    for bad in ["../x", "a/b", "", ".hidden", "a b"]:
        with pytest.raises(ValueError, match="not allowed"):
            _mesh(files["mesh"], bad)
    with pytest.raises(ValueError, match="not a valid data_format"):
        wk.MeshAttachment.from_path_and_name(
            files["mesh"], "m", data_format=wk.AttachmentDataFormat.JSON
        )
    with pytest.raises(ValueError, match="not a valid data_format"):
        wk.SegmentStatisticsAttachment.from_path_and_name(
            files["index"], "s", data_format="hdf5"
        )
    with pytest.raises(TypeError):
        wk.Attachment(AttachmentSpec(name="x", path="/x", data_format="zarr3"), "/x")


def test_from_path_and_name_relative_to_dataset(tmp_path: Path) -> None:
    att = wk.CumsumAttachment.from_path_and_name(
        "seg/cumsum.json", "c", data_format="json", dataset_path=tmp_path
    )
    assert att.path == tmp_path / "seg" / "cumsum.json"
    assert att._properties.path == "./seg/cumsum.json"
    assert att.data_format == wk.AttachmentDataFormat.JSON


# ----------------------------------------------------------------- references


def test_add_as_ref_records_absolute_path_without_copying(
    seg: wk.SegmentationLayer, files: dict[str, Path]
) -> None:
    before = _tree(seg.dataset.path)
    added = seg.attachments.add_attachment_as_ref(_mesh(files["mesh"]))
    assert isinstance(added, wk.MeshAttachment)
    assert added.path == files["mesh"].resolve()
    assert seg.attachments.meshes == (added,)
    assert _props_attachments(seg.dataset.path) == {
        "meshes": [
            {
                "name": "meshfile",
                "path": str(files["mesh"].resolve()),
                "dataFormat": "zarr3",
            }
        ]
    }
    after = _tree(seg.dataset.path)
    assert {k for k in after if k != PROPS} == {k for k in before if k != PROPS}


def test_add_as_ref_new_name_and_inside_dataset_is_relative(
    seg: wk.SegmentationLayer,
) -> None:
    inside = seg.dataset.path / "seg" / "agglomerates" / "agg.hdf5"
    inside.parent.mkdir(parents=True)
    inside.write_bytes(b"x")
    agg = wk.AgglomerateAttachment.from_path_and_name(inside, "agg", data_format="hdf5")
    added = seg.attachments.add_attachment_as_ref(agg, new_name="renamed")
    assert added.name == "renamed"
    assert _props_attachments(seg.dataset.path) == {
        "agglomerates": [
            {
                "name": "renamed",
                "path": "./seg/agglomerates/agg.hdf5",
                "dataFormat": "hdf5",
            }
        ]
    }
    with pytest.raises(ValueError, match="not allowed"):
        seg.attachments.add_attachment_as_ref(agg, new_name="../evil")


def test_duplicate_name_in_list_kind_is_refused(
    seg: wk.SegmentationLayer, files: dict[str, Path]
) -> None:
    seg.attachments.add_attachment_as_ref(_mesh(files["mesh"]))
    before = (seg.dataset.path / PROPS).read_text()
    with pytest.raises(ValueError, match="already exists in meshes"):
        seg.attachments.add_attachment_as_ref(_mesh(files["mesh"]))
    with pytest.raises(ValueError, match="already exists in meshes"):
        seg.attachments.add_attachment_as_copy(_mesh(files["mesh"]))
    assert (seg.dataset.path / PROPS).read_text() == before
    assert not (seg.dataset.path / "seg" / "meshes").exists()


def test_single_valued_kind_is_replaced(
    seg: wk.SegmentationLayer, files: dict[str, Path]
) -> None:
    first = wk.SegmentIndexAttachment.from_path_and_name(
        files["index"], "first", data_format="hdf5"
    )
    second = wk.SegmentIndexAttachment.from_path_and_name(
        files["index"], "second", data_format="hdf5"
    )
    seg.attachments.add_attachment_as_ref(first)
    seg.attachments.add_attachment_as_ref(second)
    index = seg.attachments.segment_index
    assert index is not None and index.name == "second"
    assert _props_attachments(seg.dataset.path)["segmentIndex"]["name"] == "second"


# ----------------------------------------------------------------- copies


def test_add_as_copy_copies_into_kind_folders(
    seg: wk.SegmentationLayer, files: dict[str, Path]
) -> None:
    atts = seg.attachments
    mesh = atts.add_attachment_as_copy(_mesh(files["mesh"], "m1"))
    index = atts.add_attachment_as_copy(
        wk.SegmentIndexAttachment.from_path_and_name(
            files["index"], "idx", data_format="hdf5"
        )
    )
    cumsum = atts.add_attachment_as_copy(
        wk.CumsumAttachment.from_path_and_name(
            files["cumsum"], "cumsum", data_format="json"
        )
    )
    root = seg.dataset.resolved_path
    assert mesh.path == root / "seg" / "meshes" / "m1"
    assert index.path == root / "seg" / "segmentIndex" / "idx.hdf5"
    assert cumsum.path == root / "seg" / "cumsum" / "cumsum.json"
    assert _tree(root / "seg" / "meshes" / "m1") == _tree(files["mesh"])
    assert Path(index.path).read_bytes() == files["index"].read_bytes()
    assert Path(cumsum.path).read_bytes() == files["cumsum"].read_bytes()
    assert _props_attachments(seg.dataset.path) == {
        "meshes": [{"name": "m1", "path": "./seg/meshes/m1", "dataFormat": "zarr3"}],
        "segmentIndex": {
            "name": "idx",
            "path": "./seg/segmentIndex/idx.hdf5",
            "dataFormat": "hdf5",
        },
        "cumsum": {
            "name": "cumsum",
            "path": "./seg/cumsum/cumsum.json",
            "dataFormat": "json",
        },
    }
    # the sources are untouched
    assert files["mesh"].is_dir() and files["index"].exists()


def test_add_as_copy_refuses_missing_source_and_existing_target(
    seg: wk.SegmentationLayer, files: dict[str, Path], tmp_path: Path
) -> None:
    with pytest.raises(FileNotFoundError):
        seg.attachments.add_attachment_as_copy(_mesh(tmp_path / "nothing", "gone"))
    target = seg.dataset.path / "seg" / "connectomes" / "c.hdf5"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"old")
    conn = wk.ConnectomeAttachment.from_path_and_name(
        files["index"], "c", data_format="hdf5"
    )
    with pytest.raises(FileExistsError):
        seg.attachments.add_attachment_as_copy(conn)
    assert target.read_bytes() == b"old"
    assert seg.attachments.is_empty


# ----------------------------------------------------------------- deletion


def test_delete_forgets_entry_and_keeps_files(
    seg: wk.SegmentationLayer, files: dict[str, Path]
) -> None:
    atts = seg.attachments
    copied = atts.add_attachment_as_copy(_mesh(files["mesh"], "copied"))
    referenced = atts.add_attachment_as_ref(_mesh(files["mesh"], "referenced"))
    atts.delete_attachment(copied)
    assert atts.meshes == (referenced,)
    assert Path(copied.path).is_dir()  # like the reference: files stay
    atts.delete_attachment(atts.meshes[0])
    assert atts.is_empty
    assert files["mesh"].is_dir()
    assert _props_attachments(seg.dataset.path) is None  # key omitted when empty


def test_delete_unknown_attachment_raises(
    seg: wk.SegmentationLayer, files: dict[str, Path]
) -> None:
    mesh = _mesh(files["mesh"])
    with pytest.raises(KeyError):
        seg.attachments.delete_attachment(mesh)
    with pytest.raises(ValueError, match="not part of"):
        seg.attachments.delete_attachment(mesh)
    cumsum = wk.CumsumAttachment.from_path_and_name(
        files["cumsum"], "cumsum", data_format="json"
    )
    with pytest.raises(KeyError):
        seg.attachments.delete_attachment(cumsum)


def test_rename_attachment(seg: wk.SegmentationLayer, files: dict[str, Path]) -> None:
    added = seg.attachments.add_attachment_as_ref(_mesh(files["mesh"]))
    renamed = seg.attachments.rename_attachment(added, new_name="better")
    assert renamed.name == "better" and renamed.path == added.path
    assert [m.name for m in seg.attachments.meshes] == ["better"]
    with pytest.raises(ValueError, match="not allowed"):
        seg.attachments.rename_attachment(renamed, new_name="../x")


# ----------------------------------------------------------------- persistence


def test_reopen_round_trip(seg: wk.SegmentationLayer, files: dict[str, Path]) -> None:
    atts = seg.attachments
    atts.add_attachment_as_ref(_mesh(files["mesh"]))
    atts.add_attachment_as_copy(
        wk.CumsumAttachment.from_path_and_name(
            files["cumsum"], "cumsum", data_format="json"
        )
    )
    atts.add_attachment_as_ref(
        wk.SegmentStatisticsAttachment.from_path_and_name(
            files["mesh"], "stats", data_format="zarr3"
        )
    )
    reopened = _seg(wk.Dataset.open(seg.dataset.path))
    assert list(reopened.attachments) == list(atts)
    assert len(list(atts)) == 3


def test_copy_dataset_carries_attachments(
    seg: wk.SegmentationLayer, files: dict[str, Path], tmp_path: Path
) -> None:
    seg.attachments.add_attachment_as_copy(_mesh(files["mesh"], "inside"))
    seg.attachments.add_attachment_as_ref(_mesh(files["mesh"], "outside"))
    copy = seg.dataset.copy_dataset(tmp_path / "copy")
    meshes = {m.name: m for m in _seg(copy).attachments.meshes}
    assert set(meshes) == {"inside", "outside"}
    inside = copy.resolved_path / "seg" / "meshes" / "inside"
    assert meshes["inside"].path == inside
    assert _tree(inside) == _tree(files["mesh"])
    # referenced files outside the source are copied too (like the reference), so
    # the copy stands on its own
    outside = copy.resolved_path / "seg" / "meshes" / "outside"
    assert meshes["outside"].path == outside
    assert _tree(outside) == _tree(files["mesh"])
    props = json.loads((copy.resolved_path / "datasource-properties.json").read_text())
    paths = [m["path"] for m in props["dataLayers"][0]["attachments"]["meshes"]]
    assert paths == ["./seg/meshes/inside", "./seg/meshes/outside"]


def test_read_only_dataset_refuses(
    seg: wk.SegmentationLayer, files: dict[str, Path]
) -> None:
    seg.attachments.add_attachment_as_ref(_mesh(files["mesh"]))
    before = (seg.dataset.path / PROPS).read_text()
    ro = _seg(wk.Dataset.open(seg.dataset.path, read_only=True))
    atts = ro.attachments
    assert len(atts.meshes) == 1
    with pytest.raises(ReadOnlyError):
        atts.add_attachment_as_ref(_mesh(files["mesh"], "other"))
    with pytest.raises(ReadOnlyError):
        atts.add_attachment_as_copy(_mesh(files["mesh"], "other"))
    with pytest.raises(ReadOnlyError):
        atts.delete_attachment(atts.meshes[0])
    assert (seg.dataset.path / PROPS).read_text() == before
    assert not (seg.dataset.path / "seg" / "meshes").exists()


def test_dry_run_records_and_writes_nothing(
    seg: wk.SegmentationLayer, files: dict[str, Path]
) -> None:
    ds = seg.dataset
    before = _tree(ds.path)
    with ds.dry_run() as rec:
        seg.attachments.add_attachment_as_copy(_mesh(files["mesh"], "m"))
        seg.attachments.add_attachment_as_ref(
            wk.CumsumAttachment.from_path_and_name(
                files["cumsum"], "cumsum", data_format="json"
            )
        )
        assert [m.name for m in seg.attachments.meshes] == ["m"]
    assert _tree(ds.path) == before
    assert seg.attachments.is_empty
    copies = [op for op in rec.plan.ops if isinstance(op, CopyTree)]
    assert [(op.source, op.target) for op in copies] == [
        (os.path.realpath(files["mesh"]), "./seg/meshes/m")
    ]
    assert "./seg/meshes/m" in str(rec.plan)
    rec.apply()
    assert [m.name for m in seg.attachments.meshes] == ["m"]
    assert seg.attachments.cumsum is not None
    assert _tree(ds.path / "seg" / "meshes" / "m") == _tree(files["mesh"])


def test_detect_legacy_attachments(seg: wk.SegmentationLayer) -> None:
    layer_dir = seg.dataset.path / "seg"
    (layer_dir / "meshes").mkdir(parents=True)
    (layer_dir / "meshes" / "old.hdf5").write_bytes(b"m")
    (layer_dir / "agglomerates").mkdir()
    (layer_dir / "agglomerates" / "agg.hdf5").write_bytes(b"a")
    (layer_dir / "agglomerates" / "cumsum.json").write_text("{}")
    seg.attachments.detect_legacy_attachments()
    props = _props_attachments(seg.dataset.path)
    assert props["meshes"] == [
        {"name": "old", "path": "./seg/meshes/old.hdf5", "dataFormat": "hdf5"}
    ]
    assert props["agglomerates"][0]["name"] == "agg"
    assert props["cumsum"] == {
        "name": "cumsum",
        "path": "./seg/agglomerates/cumsum.json",
        "dataFormat": "json",
    }


# ----------------------------------------------------------------- pure planner


def test_planner_copy_plan_and_name_checks(seg: wk.SegmentationLayer) -> None:
    spec = seg.dataset.spec
    change = att_transform.add_attachment_as_copy(
        spec, "seg", "segment_index", name="idx", data_format="hdf5", source="/a/b.h5"
    )
    ops = change.plan.ops
    assert ops[0] == CopyTree(source="/a/b.h5", target="./seg/segmentIndex/idx.hdf5")
    assert isinstance(ops[-1], WriteProperties)
    with pytest.raises(InvalidArgumentError):
        att_transform.add_attachment_as_copy(
            spec, "seg", "meshes", name="..", data_format="zarr3", source="/a"
        )
    with pytest.raises(InvalidArgumentError, match="escape"):
        att_transform.add_attachment(
            spec,
            "seg",
            "meshes",
            AttachmentSpec(name="m", path="./../outside", data_format="zarr3"),
        )
    with pytest.raises(InvalidArgumentError, match="absolute local"):
        att_transform.add_attachment_as_copy(
            spec, "seg", "meshes", name="m", data_format="zarr3", source="rel/path"
        )
    assert seg.dataset.spec == spec  # planners never touch the dataset


def test_color_layer_has_no_attachments(tmp_path: Path) -> None:
    ds = wk.Dataset(tmp_path / "ds", voxel_size=(1, 1, 1))
    ds.add_layer("color", "color")
    with pytest.raises(InvalidArgumentError, match="not a segmentation layer"):
        att_transform.add_attachment(
            ds.spec,
            "color",
            "meshes",
            AttachmentSpec(name="m", path="/m", data_format="zarr3"),
        )
    assert not hasattr(ds.get_layer("color"), "attachments")


# ----------------------------------------------------------------- reference


_REF_WRITE = """
from pathlib import Path
from webknossos import (
    AttachmentDataFormat as F, CumsumAttachment, MeshAttachment,
    SegmentIndexAttachment,
)
base = Path(P["base"])
ds = wk.Dataset(base / "ds", voxel_size=(1, 1, 1))
seg = ds.add_layer("seg", "segmentation", dtype_per_channel="uint32",
                   largest_segment_id=5)
a = seg.attachments
a.add_attachment_as_ref(MeshAttachment.from_path_and_name(
    base / "ext" / "meshfile", "meshfile", data_format=F.Zarr3))
a.add_attachment_as_copy(MeshAttachment.from_path_and_name(
    base / "ext" / "meshfile", "m2", data_format=F.Zarr3))
a.add_attachment_as_copy(SegmentIndexAttachment.from_path_and_name(
    base / "ext" / "index.hdf5", "idx", data_format=F.HDF5))
a.add_attachment_as_ref(CumsumAttachment.from_path_and_name(
    base / "ext" / "cumsum.json", "cumsum", data_format=F.JSON))
props = json.load(open(base / "ds" / "datasource-properties.json"))
files = sorted(str(p.relative_to(base / "ds")) for p in (base / "ds").rglob("*")
               if p.is_file() and "attachments" not in str(p))
print(json.dumps({"attachments": props["dataLayers"][0]["attachments"],
                  "files": files}))
"""


def _write_like_reference(base: Path) -> None:
    ds = wk.Dataset(base / "ds", voxel_size=(1, 1, 1))
    seg = ds.add_layer(
        "seg", "segmentation", dtype_per_channel="uint32", largest_segment_id=5
    )
    assert isinstance(seg, wk.SegmentationLayer)
    a = seg.attachments
    fmt = wk.AttachmentDataFormat
    a.add_attachment_as_ref(_mesh(base / "ext" / "meshfile"))
    a.add_attachment_as_copy(_mesh(base / "ext" / "meshfile", "m2"))
    a.add_attachment_as_copy(
        wk.SegmentIndexAttachment.from_path_and_name(
            base / "ext" / "index.hdf5", "idx", data_format=fmt.HDF5
        )
    )
    a.add_attachment_as_ref(
        wk.CumsumAttachment.from_path_and_name(
            base / "ext" / "cumsum.json", "cumsum", data_format=fmt.JSON
        )
    )


def test_properties_match_reference(tmp_path: Path, ref: Callable[..., Any]) -> None:
    ref_base, our_base = tmp_path / "ref", tmp_path / "ours"
    _external(ref_base)
    _external(our_base)
    expected = ref(_REF_WRITE, base=str(ref_base))
    _write_like_reference(our_base)
    ours = _props_attachments(our_base / "ds")
    ref_root, our_root = str(ref_base.resolve()), str(our_base.resolve())
    assert json.dumps(ours) == json.dumps(expected["attachments"]).replace(
        ref_root, our_root
    )
    our_files = sorted(
        str(p.relative_to(our_base / "ds"))
        for p in (our_base / "ds").rglob("*")
        if p.is_file()
    )
    assert our_files == expected["files"]


_REF_READ = """
ds = wk.Dataset.open(P["path"])
seg = ds.get_layer("seg")
print(json.dumps([[type(a).__name__, a.name, str(a.path), str(a.data_format)]
                  for a in seg.attachments]))
"""


def test_reference_reads_our_attachments(
    tmp_path: Path, ref: Callable[..., Any]
) -> None:
    _external(tmp_path)
    _write_like_reference(tmp_path)
    seen = ref(_REF_READ, path=str(tmp_path / "ds"))
    ours = _seg(wk.Dataset.open(tmp_path / "ds")).attachments
    assert seen == [
        [type(a).__name__, a.name, str(a.path), str(a.data_format)] for a in ours
    ]
    assert [row[1] for row in seen] == ["meshfile", "m2", "idx", "cumsum"]


def test_top_level_exports() -> None:
    for name in (
        "Attachment",
        "Attachments",
        "AttachmentDataFormat",
        "MeshAttachment",
        "AgglomerateAttachment",
        "SegmentIndexAttachment",
        "SegmentStatisticsAttachment",
        "CumsumAttachment",
        "ConnectomeAttachment",
    ):
        assert name in wk.__all__
        assert getattr(wk, name).__name__ == name


def test_renaming_the_layer_moves_copied_attachments_along(
    seg: wk.SegmentationLayer, files: dict[str, Path]
) -> None:
    atts = seg.attachments
    atts.add_attachment_as_copy(_mesh(files["mesh"], "inside"))
    atts.add_attachment_as_ref(_mesh(files["mesh"], "outside"))
    seg.name = "renamed"
    layer = wk.Dataset.open(seg.dataset.path).get_layer("renamed")
    assert isinstance(layer, wk.SegmentationLayer)
    by_name = {a.name: a for a in layer.attachments.meshes}
    assert by_name["inside"].path.exists()
    assert "renamed" in by_name["inside"].path.parts
    assert by_name["outside"].path == files["mesh"].resolve()
