"""Intensity windowing: map voxel values of any dtype to 0..255 for display.

A window ``[low, high]`` comes from a layer's view configuration
(``intensityRange``) when present, else from percentiles of the data shown.
Values at or below ``low`` become 0, at or above ``high`` 255, linear between.

Example:
    >>> import numpy as np
    >>> apply_window(np.array([0, 50, 100, 200]), 50.0, 150.0).tolist()
    [0, 0, 127, 255]
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = [
    "DEFAULT_PERCENTILES",
    "apply_window",
    "configured_window",
    "percentile_window",
]

DEFAULT_PERCENTILES = (0.5, 99.5)


def percentile_window(
    data: np.ndarray, percentiles: tuple[float, float] = DEFAULT_PERCENTILES
) -> tuple[float, float]:
    """``(low, high)`` percentiles of the finite values of ``data`` (0, 1 if none)."""
    values = np.asarray(data, dtype=np.float64).ravel()
    values = values[np.isfinite(values)]
    if values.size == 0:
        return (0.0, 1.0)
    low, high = np.percentile(values, percentiles)
    return (float(low), float(high))


def configured_window(config: Mapping[str, Any] | None) -> tuple[float, float] | None:
    """The ``intensityRange`` of a layer view configuration, if it has a valid one."""
    if not config:
        return None
    value = config.get("intensityRange", config.get("intensity_range"))
    if not isinstance(value, list | tuple) or len(value) != 2:
        return None
    try:
        low, high = float(value[0]), float(value[1])
    except (TypeError, ValueError):
        return None
    if not (np.isfinite(low) and np.isfinite(high)):
        return None
    return (low, high)


def apply_window(
    data: np.ndarray, low: float, high: float, *, invert: bool = False
) -> np.ndarray:
    """``uint8`` image of ``data`` windowed to ``[low, high]`` (same shape).

    Monotonic non-decreasing in the data (non-increasing with ``invert``). A window
    with ``high <= low`` is a threshold: values above ``low`` are 255. NaN is 0.
    """
    values = np.asarray(data, dtype=np.float64)
    if high <= low:
        scaled = np.where(values > low, 1.0, 0.0)
    else:
        scaled = np.clip((values - low) / (high - low), 0.0, 1.0)
    scaled = np.nan_to_num(scaled, nan=0.0)
    if invert:
        scaled = 1.0 - scaled
    out: np.ndarray = np.floor(scaled * 255.0 + 1e-9).astype(np.uint8)
    return out
