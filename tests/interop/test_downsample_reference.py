"""Downsampling / upsampling voxel for voxel against the reference library.

All cases run in ONE reference process (its start-up is slow); every case writes the
same input (an ``.npy`` file shared with the reference) into a fresh dataset, runs a
pyramid method with the same arguments in both libraries and compares the sha1 of
every mag's voxels.
"""

from __future__ import annotations

import hashlib
import json
import random
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import wkfn as wk
from wkfn.transform.downsample import mags_to_downsample, mags_to_upsample

pytestmark = pytest.mark.reference

CASES: list[dict[str, Any]] = [
    # default interpolation: median for color, mode for segmentation
    {
        "id": "median-aniso",
        "input": "color",
        "voxel": [11.24, 11.24, 25],
        "method": "downsample",
        "kw": {"coarsest_mag": 8},
    },
    {
        "id": "median-iso",
        "input": "color",
        "method": "downsample",
        "kw": {"coarsest_mag": 8, "sampling_mode": "isotropic"},
    },
    {
        "id": "mode-aniso",
        "input": "labels",
        "category": "segmentation",
        "voxel": [11.24, 11.24, 25],
        "method": "downsample",
        "kw": {"coarsest_mag": 8},
    },
    {
        "id": "mode-iso",
        "input": "labels",
        "category": "segmentation",
        "method": "downsample",
        "kw": {"coarsest_mag": 8, "sampling_mode": "isotropic"},
    },
    {
        "id": "mode-u64",
        "input": "labels64",
        "category": "segmentation",
        "method": "downsample",
        "kw": {"sampling_mode": "constant_z"},
    },
    {
        "id": "median-int16",
        "input": "signed",
        "method": "downsample",
        "kw": {"coarsest_mag": 4, "sampling_mode": "isotropic"},
    },
    {
        "id": "median-rgb",
        "input": "rgb",
        "method": "downsample",
        "kw": {"coarsest_mag": 4},
    },
    *[
        {
            "id": f"{mode}-{target}",
            "input": "color",
            "method": "downsample_mag",
            "kw": {"from_mag": 1, "target_mag": target, "interpolation_mode": mode},
        }
        for mode in ("nearest", "max", "min", "bilinear", "bicubic")
        for target in ("2", "4-4-2")
    ],
    {
        "id": "bilinear-zarr-jobs",
        "input": "long",
        "fmt": "zarr",
        "topleft": [100, 0, 0],
        "method": "downsample_mag",
        "kw": {"from_mag": 1, "target_mag": "2", "interpolation_mode": "bilinear"},
    },
    {
        "id": "bicubic-wkw",
        "input": "color",
        "fmt": "wkw",
        "method": "downsample",
        "kw": {
            "coarsest_mag": 4,
            "interpolation_mode": "bicubic",
            "sampling_mode": "isotropic",
        },
    },
    {
        "id": "mode-zarr",
        "input": "labels",
        "fmt": "zarr",
        "category": "segmentation",
        "method": "downsample",
        "kw": {"coarsest_mag": 4},
    },
    {
        "id": "upsample",
        "input": "color",
        "pre": 4,
        "delete": ["1", "2"],
        "method": "upsample",
        "kw": {"from_mag": 4, "sampling_mode": "isotropic"},
    },
    {
        "id": "redownsample",
        "input": "color",
        "pre": 4,
        "method": "redownsample",
        "kw": {"interpolation_mode": "max"},
    },
]


def inputs() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(1234)
    return {
        "color": rng.integers(0, 256, (45, 38, 21), dtype=np.uint8),
        "labels": rng.integers(0, 4, (45, 38, 21), dtype=np.uint32),
        "labels64": (rng.integers(0, 3, (33, 20, 9)) + 70000).astype(np.uint64),
        "signed": rng.integers(-300, 300, (27, 22, 13), dtype=np.int16),
        "rgb": rng.integers(0, 256, (3, 22, 19, 9), dtype=np.uint8),
        "long": rng.integers(0, 256, (2200, 2, 2), dtype=np.uint8),
    }


REF_CODE = """
import tempfile, warnings
import cluster_tools
warnings.filterwarnings("ignore")

def run_case(case, data):
    voxel = tuple(case.get("voxel", (1, 1, 1)))
    ds = wk.Dataset(tempfile.mkdtemp() + "/ds", voxel_size=voxel)
    cat = case.get("category", "color")
    kw = {"largest_segment_id": int(data.max())} if cat == "segmentation" else {}
    nc = data.shape[0] if data.ndim == 4 else 1
    layer = ds.add_layer("l", cat, dtype_per_channel=str(data.dtype), num_channels=nc,
                         data_format=case.get("fmt", "zarr3"), **kw)
    layer.add_mag(1).write(data, absolute_offset=tuple(case.get("topleft", (3, 5, 7))),
                           allow_resize=True)
    with cluster_tools.get_executor("sequential") as ex:
        if case.get("pre"):
            layer.downsample(coarsest_mag=wk.Mag(case["pre"]),
                             sampling_mode="isotropic", executor=ex)
        for m in case.get("delete", []):
            layer.delete_mag(m)
        kwargs = {k: (wk.Mag(v) if k.endswith("mag") else v)
                  for k, v in case["kw"].items()}
        getattr(layer, case["method"])(**kwargs, executor=ex)
    def sha(v):
        return hashlib.sha1(np.ascontiguousarray(v.read()).tobytes()).hexdigest()
    return {m.to_layer_name(): sha(v) for m, v in layer.mags.items()}

out = {}
for case in P["cases"]:
    data = np.load(P["dir"] + "/" + case["input"] + ".npy")
    try:
        out[case["id"]] = run_case(case, data)
    except Exception as e:
        out[case["id"]] = "ERR " + type(e).__name__ + ": " + str(e)
print(json.dumps(out))
"""


def run_wkfn_case(case: dict[str, Any], data: np.ndarray, root: Path) -> dict[str, str]:
    ds = wk.Dataset(root / case["id"], voxel_size=tuple(case.get("voxel", (1, 1, 1))))
    cat = case.get("category", "color")
    kw: dict[str, Any] = (
        {"largest_segment_id": int(data.max())} if cat == "segmentation" else {}
    )
    nc = data.shape[0] if data.ndim == 4 else 1
    layer = ds.add_layer(
        "l",
        cat,
        dtype_per_channel=str(data.dtype),
        num_channels=nc,
        data_format=case.get("fmt", "zarr3"),
        **kw,
    )
    layer.add_mag(1).write(
        data, absolute_offset=tuple(case.get("topleft", (3, 5, 7))), allow_resize=True
    )
    if case.get("pre"):
        layer.downsample(coarsest_mag=wk.Mag(case["pre"]), sampling_mode="isotropic")
    for m in case.get("delete", []):
        layer.delete_mag(m)
    kwargs = {k: (wk.Mag(v) if k.endswith("mag") else v) for k, v in case["kw"].items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        getattr(layer, case["method"])(**kwargs)
    return {
        m.to_layer_name(): hashlib.sha1(
            np.ascontiguousarray(v.read()).tobytes()
        ).hexdigest()
        for m, v in layer.mags.items()
    }


def test_same_voxels_as_reference(ref: Any, tmp_path: Path) -> None:
    """Every case in one test, so only one reference process runs (it is slow)."""
    root = tmp_path / "inputs"
    root.mkdir()
    for name, arr in inputs().items():
        np.save(root / f"{name}.npy", arr)
    results = ref(REF_CODE, cases=CASES, dir=str(root))
    mismatches = {}
    for case in CASES:
        expected = results[case["id"]]
        assert not isinstance(expected, str), (case["id"], expected)
        data = np.load(root / f"{case['input']}.npy")
        got = run_wkfn_case(case, data, tmp_path)
        assert set(got) == set(expected), case["id"]
        bad = sorted(m for m in got if got[m] != expected[m])
        if bad:
            mismatches[case["id"]] = bad
    assert not mismatches, f"mags differing from the reference: {mismatches}"
    assert len(results) == len(CASES)


LADDER_CODE = """
import warnings
warnings.filterwarnings("ignore")
from webknossos.dataset.layer import _downsampling_utils as d
from webknossos import Mag
out = []
for fm, cm, vs in P["cases"]:
    res = []
    for fn, a, b in ((d.calculate_mags_to_downsample, fm, cm),
                     (d.calculate_mags_to_upsample, cm, fm)):
        try:
            res.append([list(m.to_list()) for m in fn(Mag(a), Mag(b), None, vs)])
        except Exception as e:
            res.append("ERR")
    out.append(res)
print(json.dumps(out))
"""


def test_mag_ladders_match_reference(ref: Any) -> None:
    rnd = random.Random(7)
    cases = []
    for _ in range(300):
        fm = [2 ** rnd.randint(0, 2) for _ in range(3)]
        cm = [f * 2 ** rnd.randint(0, 5) for f in fm]
        vs = rnd.choice(
            [None, [1, 1, 1], [11.24, 11.24, 25], [4, 4, 35], [2.5, 2.5, 1]]
            + [[round(rnd.uniform(0.5, 40), 2) for _ in range(3)]] * 3
        )
        cases.append([fm, cm, vs])
    expected = ref(LADDER_CODE, cases=cases)
    for (fm, cm, vs), (down, up) in zip(cases, expected):
        mine: list[Any] = []
        for fn, a, b in ((mags_to_downsample, fm, cm), (mags_to_upsample, cm, fm)):
            try:
                mine.append([list(m) for m in fn(tuple(a), tuple(b), vs)])
            except ValueError:
                mine.append("ERR")
        assert mine == [down, up], (fm, cm, vs)
    assert sum(1 for d, _ in expected if d != "ERR") > 50
    json.dumps(expected)
