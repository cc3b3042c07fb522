"""Run the docstring examples of the pyramid planners (they document the ladder)."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["wkfn.transform.pyramid", "wkfn.transform.downsample"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0
