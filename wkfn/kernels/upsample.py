"""Upsampling kernel: nearest-neighbour replication (pure numpy)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def upsample_repeat(
    data: np.ndarray[Any, Any], factors: Sequence[int]
) -> np.ndarray[Any, Any]:
    """Replicate every voxel ``factors`` times along the last three axes.

    Works on ``(x, y, z)`` and ``(c, x, y, z)`` arrays; each source voxel becomes a
    ``fx*fy*fz`` block of the same value.

    Examples:
        >>> upsample_repeat(np.array([[[1, 2]]]), (2, 1, 2))[:, 0, :].tolist()
        [[1, 1, 2, 2], [1, 1, 2, 2]]
    """
    out = data
    nd = data.ndim
    for axis, f in zip(range(nd - 3, nd), factors):
        if f != 1:
            out = np.repeat(out, int(f), axis=axis)
    return out


__all__ = ["upsample_repeat"]
