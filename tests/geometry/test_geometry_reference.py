"""Compare geometry results with the reference library ``webknossos`` 4.3.3.

The reference runs in its own virtualenv (the ``ref_python`` fixture of
``tests/conftest.py``: ``WKFN_REFERENCE_PYTHON`` or the checkout's ``.venv-ref``) in
one subprocess; a missing environment fails the test in CI.
"""

from __future__ import annotations

import json
import random
import subprocess
from typing import Any

import pytest

from wkfn.geometry import (
    BoundingBox,
    LengthUnit,
    Mag,
    NDBoundingBox,
    Vec3Int,
    length_unit_from_str,
)

pytestmark = pytest.mark.reference

REF_SCRIPT = r"""
import json, sys, warnings
warnings.filterwarnings("ignore")
import logging
logging.disable(logging.CRITICAL)
from webknossos import BoundingBox, NDBoundingBox, Mag, Vec3Int
from webknossos.dataset_properties import LengthUnit
lu = sys.modules[LengthUnit.__module__]
length_unit_from_str = lu.length_unit_from_str

cases = json.load(sys.stdin)
out = {}

def bb(t):
    return BoundingBox(t[0], t[1])

def dump(b):
    return [list(b.topleft), list(b.size)]

out["units"] = [[u.name, u.value, lu._LENGTH_UNIT_TO_NANOMETER[u]] for u in LengthUnit]
out["unit_strs"] = {s: length_unit_from_str(s).value for s in cases["unit_strs"]}
mags = [Mag(m) for m in cases["mags"]]
out["mag_cmp"] = [
    [a < b, a <= b, a == b, a > b, a >= b] for a in mags for b in mags
]
out["mag_names"] = [[m.to_layer_name(), m.to_long_layer_name(), repr(m)] for m in mags]
res = []
for a, b, m in cases["pairs"]:
    A, Bx, M = bb(a), bb(b), Mag(m)
    r = {}
    r["repr"] = repr(A)
    r["isect"] = dump(A.intersected_with(Bx, dont_assert=True))
    r["isect_empty"] = A.intersected_with(Bx, dont_assert=True).is_empty()
    r["ext"] = dump(A.extended_by(Bx))
    r["contains_bbox"] = A.contains_bbox(Bx)
    r["contains_pt"] = A.contains(tuple(b[0]))
    r["align_ceil"] = dump(A.align_with_mag(M, ceil=True))
    r["mag1"] = dump(A.from_mag_to_mag1(M))
    r["pad"] = dump(A.padded_with_margins(Vec3Int(1, 2, 3), Vec3Int(0, 1, 0)))
    r["chunks"] = [dump(c) for c in A.chunk((7, 8, 9))]
    r["chunks_al"] = [dump(c) for c in A.chunk((8, 8, 16), (4, 8, 8))]
    r["csv"] = A.to_csv()
    r["vol"] = A.volume()
    res.append(r)
out["pairs"] = res
out["flip"] = [dump(BoundingBox(t, s)) for t, s in cases["flip"]]
out["points"] = dump(BoundingBox.from_points(cases["points"]))
N = NDBoundingBox(*cases["nd"])
out["nd_repr"] = repr(N)
out["nd_chunks"] = [[list(c.topleft), list(c.size)] for c in N.chunk((4, 4, 4))]
out["nd_align"] = [list(N.align_with_mag(Mag(2), ceil=True).topleft),
                   list(N.align_with_mag(Mag(2), ceil=True).size)]
v = Vec3Int(*cases["vec"])
out["vec"] = [
    list(v.ceildiv(3)), list(v // 3), list(v % 3), list(v.pairmax(0)), repr(v)
]
json.dump(out, sys.stdout)
"""


def _random_box(rng: random.Random) -> list[list[int]]:
    return [
        [rng.randint(-20, 20) for _ in range(3)],
        [rng.randint(0, 25) for _ in range(3)],
    ]


def _cases() -> dict[str, Any]:
    rng = random.Random(20240611)
    mags = [1, 2, 4, "2-2-1", "4-4-1", "1-2-4", "8-8-8", "4-4-2"]
    return {
        "unit_strs": ["nm", "µm", "Å", "in", "ft", "yd", "mi", "pc", "Mm", "mm", "m"],
        "mags": mags,
        "pairs": [
            [_random_box(rng), _random_box(rng), rng.choice(mags)] for _ in range(60)
        ],
        "flip": [
            [
                [rng.randint(-9, 9) for _ in range(3)],
                [rng.randint(-9, 9) for _ in range(3)],
            ]
            for _ in range(20)
        ],
        "points": [[rng.randint(-9, 9) for _ in range(3)] for _ in range(5)],
        "nd": [[0, 1, 3, 5], [3, 9, 10, 7], ["t", "x", "y", "z"]],
        "vec": [-7, 8, 9],
    }


@pytest.fixture(scope="module")
def reference(ref_python: str) -> tuple[dict[str, Any], dict[str, Any]]:
    python = ref_python
    cases = _cases()
    proc = subprocess.run(
        [python, "-c", REF_SCRIPT],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if proc.returncode != 0:
        pytest.fail(f"reference script failed:\n{proc.stderr[-3000:]}")
    return cases, json.loads(proc.stdout)


def _dump(box: NDBoundingBox) -> list[list[int]]:
    return [list(box.topleft), list(box.size)]


def test_units(reference: tuple[dict[str, Any], dict[str, Any]]) -> None:
    _, ref = reference
    ours = [[u.name, u.value, u.nanometers] for u in LengthUnit]
    assert ours == ref["units"]
    for text, value in ref["unit_strs"].items():
        assert length_unit_from_str(text).value == value


def test_mags(reference: tuple[dict[str, Any], dict[str, Any]]) -> None:
    cases, ref = reference
    mags = [Mag(m) for m in cases["mags"]]
    ours = [[a < b, a <= b, a == b, a > b, a >= b] for a in mags for b in mags]
    assert ours == ref["mag_cmp"]
    names = [[m.to_layer_name(), m.to_long_layer_name(), repr(m)] for m in mags]
    assert names == ref["mag_names"]


def test_bbox_pairs(reference: tuple[dict[str, Any], dict[str, Any]]) -> None:
    cases, ref = reference
    for (a, b, m), expected in zip(cases["pairs"], ref["pairs"], strict=True):
        box_a, box_b, mag = BoundingBox(*a), BoundingBox(*b), Mag(m)
        isect = box_a.intersected_with(box_b, dont_assert=True)
        assert repr(box_a) == expected["repr"]
        assert isect.is_empty() == expected["isect_empty"]
        if not isect.is_empty():
            assert _dump(isect) == expected["isect"]
        assert _dump(box_a.extended_by(box_b)) == expected["ext"]
        if not box_b.is_empty():  # we define empty inner boxes as always contained
            assert box_a.contains_bbox(box_b) == expected["contains_bbox"]
        assert box_a.contains(tuple(b[0])) == expected["contains_pt"]
        assert _dump(box_a.align_with_mag(mag, ceil=True)) == expected["align_ceil"]
        assert _dump(box_a.from_mag_to_mag1(mag)) == expected["mag1"]
        padded = box_a.padded_with_margins(Vec3Int(1, 2, 3), Vec3Int(0, 1, 0))
        assert _dump(padded) == expected["pad"]
        assert [_dump(c) for c in box_a.chunk((7, 8, 9))] == expected["chunks"]
        chunks_al = [_dump(c) for c in box_a.chunk((8, 8, 16), (4, 8, 8))]
        assert chunks_al == expected["chunks_al"]
        assert box_a.to_csv() == expected["csv"]
        assert box_a.volume() == expected["vol"]


def test_misc(reference: tuple[dict[str, Any], dict[str, Any]]) -> None:
    cases, ref = reference
    assert [_dump(BoundingBox(t, s)) for t, s in cases["flip"]] == ref["flip"]
    assert _dump(BoundingBox.from_points(cases["points"])) == ref["points"]
    nd = NDBoundingBox(*cases["nd"])
    assert repr(nd) == ref["nd_repr"]
    assert [_dump(c) for c in nd.chunk((4, 4, 4))] == ref["nd_chunks"]
    assert _dump(nd.align_with_mag(Mag(2), ceil=True)) == ref["nd_align"]
    v = Vec3Int(*cases["vec"])
    assert [
        list(v.ceildiv(3)),
        list(v // 3),
        list(v % 3),
        list(v.pairmax(0)),
        repr(v),
    ] == (ref["vec"])
