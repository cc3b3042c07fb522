"""Fixtures for the storage tests."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

# The repository root must be importable when pytest runs from the console script
# (wkfn is not installed into the virtualenv and pyproject sets no pythonpath).
_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)
