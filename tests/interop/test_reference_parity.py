"""Drop-in parity with webknossos 4.3.3: public names, error types, small behaviours.

Every comparison runs the reference in ``.venv-ref`` (the ``ref`` fixture) on the same
inputs. Public names wkfn does not provide are listed, with the reason, in
``wkfn/api/parity.py`` (``NOT_PROVIDED``); this test keeps that list exact.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import wkfn as wk
from wkfn.api.parity import NOT_PROVIDED
from wkfn.errors import InvalidLayerNameError

CLASSES = ["Dataset", "Layer", "SegmentationLayer", "MagView", "View", "BoundingBox"]
BUILTINS = [
    ValueError,
    TypeError,
    IndexError,
    KeyError,
    RuntimeError,
    AttributeError,
    FileNotFoundError,
    FileExistsError,
    AssertionError,
    NotImplementedError,
]


def test_every_public_reference_name_exists_or_is_listed(ref: Any) -> None:
    names = ref(
        """
        out = {c: sorted(n for n in dir(getattr(wk, c)) if not n.startswith("_"))
               for c in P["classes"]}
        print(json.dumps(out))
        """,
        classes=CLASSES,
    )
    problems = []
    for cls in CLASSES:
        ours = set(dir(getattr(wk, cls)))
        missing = set(names[cls]) - ours
        listed = set(NOT_PROVIDED.get(cls, {}))
        problems += [
            f"{cls}.{n}: missing and not in NOT_PROVIDED" for n in missing - listed
        ]
        problems += [f"{cls}.{n}: listed but wkfn has it" for n in listed & ours]
        problems += [
            f"{cls}.{n}: listed but the reference lacks it"
            for n in listed - set(names[cls])
        ]
    assert problems == []


def _builtins_of(call: Callable[[], Any]) -> list[str]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            call()
    except Exception as e:
        return sorted(b.__name__ for b in BUILTINS if isinstance(e, b))
    return ["no error"]


_REF_CASES = """
import tempfile, warnings
warnings.simplefilter("ignore")
def builtins_of(call):
    try:
        call()
    except Exception as e:
        return sorted(b.__name__ for b in P["builtins_objs"] if isinstance(e, b))
    return ["no error"]
import builtins
P["builtins_objs"] = [getattr(builtins, n) for n in P["builtins"]]
ds = wk.Dataset(tempfile.mkdtemp() + "/ds", voxel_size=(1, 1, 1))
ds.add_layer("c", "color")
ds.add_layer("s", "segmentation", largest_segment_id=0)
def rename():
    ds.get_layer("c").name = "s"
cases = {
    "rename_onto_existing": builtins_of(rename),
    "dtype_unknown": builtins_of(
        lambda: ds.add_layer("z", "color", dtype_per_channel="foo")),
    "dtype_unknown_new_kw": builtins_of(
        lambda: ds.add_layer("z2", "color", dtype="foo")),
    "seg_layer_of_color": builtins_of(lambda: ds.get_segmentation_layer("c")),
    "seg_layer_unknown": builtins_of(lambda: ds.get_segmentation_layer("nope")),
    "layer_unknown": builtins_of(lambda: ds.get_layer("nope")),
    "layer_exists": builtins_of(lambda: ds.add_layer("c", "color")),
    "seg_layer_by_name": type(ds.get_segmentation_layer("s")).__name__,
}
print(json.dumps(cases))
"""


def test_error_types_match_the_reference(ref: Any, tmp_path: Path) -> None:
    expected = ref(_REF_CASES, builtins=[b.__name__ for b in BUILTINS])
    ds = wk.Dataset(tmp_path / "ds", voxel_size=(1, 1, 1))
    ds.add_layer("c", "color")
    ds.add_layer("s", "segmentation", largest_segment_id=0)

    def rename() -> None:
        ds.get_layer("c").name = "s"

    ours = {
        "rename_onto_existing": _builtins_of(rename),
        "dtype_unknown": _builtins_of(
            lambda: ds.add_layer("z", "color", dtype_per_channel="foo")
        ),
        "dtype_unknown_new_kw": _builtins_of(
            lambda: ds.add_layer("z2", "color", dtype="foo")
        ),
        "seg_layer_of_color": _builtins_of(lambda: ds.get_segmentation_layer("c")),
        "seg_layer_unknown": _builtins_of(lambda: ds.get_segmentation_layer("nope")),
        "layer_unknown": _builtins_of(lambda: ds.get_layer("nope")),
        "layer_exists": _builtins_of(lambda: ds.add_layer("c", "color")),
        "seg_layer_by_name": type(ds.get_segmentation_layer("s")).__name__,
    }
    for case, want in expected.items():
        if isinstance(want, list):  # every builtin the reference's error is, ours is
            assert set(want) <= set(ours[case]), (case, want, ours[case])
        else:
            assert ours[case] == want, case
    with pytest.warns(DeprecationWarning):
        assert ds.get_segmentation_layer().name == "s"  # the seed's form still works


def test_conversion_layer_mapping_on_dataset(ref: Any) -> None:
    theirs = ref(
        """
        import inspect
        m = wk.Dataset.ConversionLayerMapping
        default = inspect.signature(wk.Dataset.from_images).parameters[
            "map_filepath_to_layer_name"].default
        print(json.dumps({"members": {e.name: e.value for e in m},
                          "default": default.value}))
        """
    )
    import inspect

    mapping = wk.Dataset.ConversionLayerMapping
    assert {e.name: e.value for e in mapping} == theirs["members"]
    default = (
        inspect.signature(wk.Dataset.from_images)
        .parameters["map_filepath_to_layer_name"]
        .default
    )
    assert default.value == theirs["default"]


def test_view_attributes_match_the_reference(ref: Any, tmp_path: Path) -> None:
    code = """
    ds = wk.Dataset(P["path"], voxel_size=(1, 1, 1))
    layer = ds.add_layer("c", "color", dtype_per_channel="uint16", num_channels=2,
                         data_format=P["fmt"])
    mag = layer.add_mag(1)
    mag.write_cxyz(np.ones((2, 4, 4, 4), "uint16"), absolute_offset=(0, 0, 0),
                   allow_resize=True)
    view = mag.get_view(absolute_offset=(0, 0, 0), size=(4, 4, 4))
    print(json.dumps({
        "mag": [np.dtype(mag.get_dtype()).name, str(mag.data_format), mag.num_channels,
                mag.is_foreign, layer.is_mag_view_foreign(mag)],
        "view": [np.dtype(view.get_dtype()).name, str(view.data_format),
                 view.num_channels],
        "sum": int(mag.read().sum()),
        "resolved": str(layer.resolved_path),
    }))
    """
    for fmt in ("zarr3", "wkw"):
        theirs = ref(code, path=str(tmp_path / f"ref_{fmt}"), fmt=fmt)
        ds = wk.Dataset(tmp_path / f"ours_{fmt}", voxel_size=(1, 1, 1))
        layer = ds.add_layer(
            "c", "color", dtype_per_channel="uint16", num_channels=2, data_format=fmt
        )
        mag = layer.add_mag(1)
        mag.write_cxyz(
            np.ones((2, 4, 4, 4), "uint16"),
            absolute_offset=(0, 0, 0),
            allow_resize=True,
        )
        view = mag.get_view(absolute_offset=(0, 0, 0), size=(4, 4, 4))
        assert [
            mag.get_dtype().name,
            str(mag.data_format),
            mag.num_channels,
            mag.is_foreign,
            layer.is_mag_view_foreign(mag),
        ] == theirs["mag"]
        assert [
            view.get_dtype().name,
            str(view.data_format),
            view.num_channels,
        ] == theirs["view"]
        assert int(mag.read().sum()) == theirs["sum"]
        assert Path(theirs["resolved"]).name == layer.resolved_path.name == "c"


def test_a_name_too_long_for_the_file_system_is_refused(tmp_path: Path) -> None:
    ds = wk.Dataset(tmp_path / "ds", voxel_size=(1, 1, 1))
    with pytest.raises(InvalidLayerNameError, match="255 bytes"):
        ds.add_layer("a" * 300, "color")
    with pytest.raises(InvalidLayerNameError):
        ds.add_layer("é" * 128, "color")  # 256 bytes in UTF-8
    again = wk.Dataset.open(tmp_path / "ds")
    assert list(again.layers) == []
    mag = again.add_layer("a" * 255, "color").add_mag(1)
    mag.write(
        np.full((4, 4, 4), 3, np.uint8), absolute_offset=(0, 0, 0), allow_resize=True
    )
    reopened = wk.Dataset.open(tmp_path / "ds")
    assert int(reopened.get_layer("a" * 255).get_mag(1).read().sum()) == 3 * 64


def test_from_images_multipage_tiffs_of_different_dtypes(
    ref: Any, tmp_path: Path
) -> None:
    tifffile = pytest.importorskip("tifffile")
    src = tmp_path / "tifs"
    src.mkdir()
    rng = np.random.default_rng(0)
    tifffile.imwrite(
        src / "a.tif",
        rng.integers(0, 255, (6, 20, 30), np.uint8),
        photometric="minisblack",
    )
    tifffile.imwrite(
        src / "b.tif",
        rng.integers(0, 60000, (7, 20, 30), np.uint16),
        photometric="minisblack",
    )
    tifffile.imwrite(
        src / "c.tif", rng.random((5, 20, 30), np.float32), photometric="minisblack"
    )
    code = """
    from cluster_tools import get_executor
    with get_executor("sequential") as ex:
        ds = wk.Dataset.from_images(P["src"], P["out"], voxel_size=(1, 1, 1),
                                    executor=ex)
    print(json.dumps({n: [str(l.dtype_per_channel), l.bounding_box.size.to_list(),
                          l.category] for n, l in ds.layers.items()}))
    """
    theirs = ref(code, src=str(src), out=str(tmp_path / "ref"))
    ds = wk.Dataset.from_images(src, tmp_path / "ours", voxel_size=(1, 1, 1))
    ours = {
        n: [
            str(lay.dtype_per_channel),
            list(lay.bounding_box.size.to_tuple()),
            lay.category,
        ]
        for n, lay in ds.layers.items()
    }
    assert ours == theirs
    assert {v[0] for v in ours.values()} == {"uint8", "uint16", "float32"}
