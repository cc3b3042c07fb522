"""Fixtures for image-import tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from image_helpers import volume, write_slices


@pytest.fixture
def slices(tmp_path: Path) -> tuple[Path, np.ndarray]:
    """12 uint8 TIFF slices of 40 rows x 60 columns, named img_0 .. img_11."""
    stack = volume((12, 40, 60))
    write_slices(tmp_path / "stack", stack)
    return tmp_path / "stack", stack
