"""Run the docstring examples of the geometry modules (they document behaviour)."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "wkfn.geometry.vec_nd",
    "wkfn.geometry.vec3_int",
    "wkfn.geometry.vec3_float",
    "wkfn.geometry.mag",
    "wkfn.geometry.bbox",
    "wkfn.geometry.nd_bbox",
    "wkfn.geometry.voxel_size",
    "wkfn.geometry.grid",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0
