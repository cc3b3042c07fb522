"""Known voxels for the picture tests (imported by conftest and the tests)."""

from __future__ import annotations

import numpy as np

SHAPE = (40, 24, 12)
TOPLEFT = (8, 16, 4)


def volume(seed: int = 0) -> np.ndarray:
    """A uint8 volume whose every voxel is distinct enough to check orientation."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, SHAPE, dtype=np.uint8)


def labels() -> np.ndarray:
    x, y, z = np.indices(SHAPE)
    return ((x // 8) + 10 * (y // 8) + 100 * (z // 4)).astype(np.uint32)
