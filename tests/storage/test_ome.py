"""Root group files and OME-NGFF layer metadata."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from storage_helpers import make_layout

from wkfn.storage import arrays, ome


def _properties(unit: str = "nanometer") -> dict[str, Any]:
    def mags(name: str, *ms: list[int]) -> list[dict[str, Any]]:
        return [{"mag": m, "path": f"./{name}/{ome.mag_dir_name(m)}"} for m in ms]

    return {
        "id": {"name": "ds", "team": ""},
        "scale": {"factor": [4.0, 4.0, 35.0], "unit": unit},
        "dataLayers": [
            {
                "name": "color",
                "category": "color",
                "dataFormat": "zarr3",
                "mags": mags("color", [1, 1, 1], [2, 2, 1]),
            },
            {
                "name": "rgb",
                "category": "color",
                "dataFormat": "zarr",
                "mags": [{"mag": [1, 1, 1]}, {"mag": [2, 2, 2], "path": "./rgb/2"}],
            },
            {
                "name": "seg",
                "category": "segmentation",
                "dataFormat": "wkw",
                "mags": mags("seg", [1, 1, 1]),
            },
            {
                "name": "foreign",
                "category": "color",
                "dataFormat": "zarr3",
                "mags": [{"mag": [1, 1, 1], "path": "/somewhere/else/1"}],
            },
        ],
        "version": 1,
    }


def _make_dataset(root: Path) -> None:
    arrays.create_array(root / "color" / "1", make_layout("zarr3", shape=(64, 64, 64)))
    arrays.create_array(
        root / "color" / "2-2-1", make_layout("zarr3", shape=(32, 32, 64))
    )
    arrays.create_array(
        root / "rgb" / "1", make_layout("zarr", "uint8", 3, shape=(64, 64, 64))
    )
    arrays.create_array(
        root / "rgb" / "2", make_layout("zarr", "uint8", 3, shape=(32, 32, 32))
    )
    arrays.create_array(root / "seg" / "1", make_layout("wkw"))
    (root / "foreign").mkdir()


def test_builders_match_reference_shape() -> None:
    attrs = ome.ome_attributes_v05(
        [("1", (1, 1, 1)), ("2-2-1", (2, 2, 1))], (11.24, 11.24, 25.0)
    )
    ms = attrs["ome"]["multiscales"][0]
    assert attrs["ome"]["version"] == "0.5"
    assert [a["name"] for a in ms["axes"]] == ["c", "x", "y", "z"]
    assert ms["axes"][0] == {"name": "c", "type": "channel"}
    assert ms["axes"][1] == {"name": "x", "type": "space", "unit": "nanometer"}
    assert ms["datasets"][1] == {
        "path": "2-2-1",
        "coordinateTransformations": [
            {"type": "scale", "scale": [1.0, 22.48, 22.48, 25.0]}
        ],
    }
    v4 = ome.ome_attributes_v04(
        [("2-2-1", (2, 2, 1))], ome.voxel_size_nm((4, 4, 35), "µm")
    )
    assert v4["multiscales"][0]["version"] == "0.4"
    assert v4["multiscales"][0]["datasets"][0]["coordinateTransformations"][0][
        "scale"
    ] == [
        1.0,
        8000.0,
        8000.0,
        35000.0,
    ]
    with pytest.raises(ValueError, match="unit"):
        ome.voxel_size_nm((1, 1, 1), "furlong")


def test_write_group_metadata(tmp_path: Path) -> None:
    _make_dataset(tmp_path)
    props = _properties("micrometer")
    # a user attribute in the layer group survives
    (tmp_path / "color" / "zarr.json").write_text(
        json.dumps(
            {"zarr_format": 3, "node_type": "group", "attributes": {"mine": [1, 2]}}
        )
    )
    ome.write_group_metadata(tmp_path, props)
    assert json.loads((tmp_path / "zarr.json").read_text()) == {
        "zarr_format": 3,
        "node_type": "group",
    }
    assert json.loads((tmp_path / ".zgroup").read_text()) == {"zarr_format": 2}
    color = json.loads((tmp_path / "color" / "zarr.json").read_text())
    assert color["node_type"] == "group"
    assert color["attributes"]["mine"] == [1, 2]
    datasets = color["attributes"]["ome"]["multiscales"][0]["datasets"]
    assert [d["path"] for d in datasets] == ["1", "2-2-1"]
    assert datasets[1]["coordinateTransformations"][0]["scale"] == [
        1.0,
        8000.0,
        8000.0,
        35000.0,
    ]
    assert json.loads((tmp_path / "rgb" / ".zgroup").read_text()) == {"zarr_format": 2}
    zattrs = json.loads((tmp_path / "rgb" / ".zattrs").read_text())
    assert [d["path"] for d in zattrs["multiscales"][0]["datasets"]] == ["1", "2"]
    assert not (tmp_path / "seg" / "zarr.json").exists()  # wkw: no OME metadata
    assert not (tmp_path / "foreign" / "zarr.json").exists()  # mags live elsewhere


def test_no_group_files_for_unused_formats(tmp_path: Path) -> None:
    props = {
        "scale": {"factor": [1.0, 1.0, 1.0], "unit": "nanometer"},
        "dataLayers": [{"name": "w", "dataFormat": "wkw", "mags": []}],
    }
    ome.write_group_metadata(tmp_path, props)
    assert not (tmp_path / "zarr.json").exists()
    assert not (tmp_path / ".zgroup").exists()


def test_ome_metadata_validates(tmp_path: Path) -> None:
    import zarr
    from ome_zarr_models.v04.image import Image as ImageV04
    from ome_zarr_models.v05.image import Image as ImageV05

    _make_dataset(tmp_path)
    ome.write_group_metadata(tmp_path, _properties())
    v05 = ImageV05.from_zarr(zarr.open_group(str(tmp_path / "color"), mode="r"))
    assert [d.path for d in v05.ome_attributes.multiscales[0].datasets] == [
        "1",
        "2-2-1",
    ]
    v04 = ImageV04.from_zarr(
        zarr.open_group(str(tmp_path / "rgb"), mode="r", zarr_format=2)
    )
    assert [d.path for d in v04.attributes.multiscales[0].datasets] == ["1", "2"]
    # zarr-python accepts the root groups (the reference's string "2" it rejects)
    zarr.open_group(str(tmp_path), mode="r", zarr_format=2)
    zarr.open_group(str(tmp_path), mode="r", zarr_format=3)
