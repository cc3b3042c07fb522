"""Stable colours: one per segment id (the same id is always the same colour, in any
image, run or process), and the tint of single-channel colour layers.

Ids are hashed with the splitmix64 finaliser; the hash picks a hue and a saturation
and value in bright ranges, so neighbouring ids look different. Id 0 (background)
is black.

Example:
    >>> import numpy as np
    >>> colours = segment_colours(np.array([0, 1, 1, 2]))
    >>> colours[0].tolist(), bool((colours[1] == colours[2]).all())
    ([0, 0, 0], True)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["hsv_to_rgb", "layer_tint", "segment_colours"]

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _mix(ids: np.ndarray) -> np.ndarray:
    """splitmix64 of each id (uint64 arithmetic wraps, which is the point)."""
    with np.errstate(over="ignore"):
        z = ids.astype(np.uint64) + _GOLDEN
        z = (z ^ (z >> np.uint64(30))) * _M1
        z = (z ^ (z >> np.uint64(27))) * _M2
        out: np.ndarray = z ^ (z >> np.uint64(31))
    return out


def hsv_to_rgb(h: np.ndarray, s: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``(..., 3)`` uint8 RGB of hue/saturation/value arrays in [0, 1]."""
    h6 = (np.asarray(h, dtype=np.float64) % 1.0) * 6.0
    sector = np.floor(h6).astype(np.int64) % 6
    frac = h6 - np.floor(h6)
    v = np.asarray(v, dtype=np.float64)
    s = np.asarray(s, dtype=np.float64)
    p, q, t = v * (1 - s), v * (1 - s * frac), v * (1 - s * (1 - frac))
    table = np.stack(
        [
            np.stack([v, t, p], -1),
            np.stack([q, v, p], -1),
            np.stack([p, v, t], -1),
            np.stack([p, q, v], -1),
            np.stack([t, p, v], -1),
            np.stack([v, p, q], -1),
        ]
    )
    rgb = np.take_along_axis(table, sector[None, ..., None], axis=0)[0]
    out: np.ndarray = np.clip(np.round(rgb * 255.0), 0, 255).astype(np.uint8)
    return out


def segment_colours(ids: np.ndarray) -> np.ndarray:
    """``ids.shape + (3,)`` uint8 colours, a pure function of each id; 0 is black.

    Negative ids (signed segmentation dtypes) are taken modulo 2**64.
    """
    flat = np.asarray(ids).ravel()
    unique, inverse = np.unique(flat, return_inverse=True)
    if unique.dtype.kind == "i":
        unique_u64 = unique.astype(np.int64).view(np.uint64)
    else:
        unique_u64 = unique.astype(np.uint64)
    hashed = _mix(unique_u64)
    hue = (hashed & np.uint64(0xFFFF)).astype(np.float64) / 65536.0
    sat = 0.55 + 0.45 * ((hashed >> np.uint64(16)) & np.uint64(0xFF)) / 255.0
    val = 0.75 + 0.25 * ((hashed >> np.uint64(24)) & np.uint64(0xFF)) / 255.0
    table = hsv_to_rgb(hue, sat, val)
    table[unique == 0] = 0
    out: np.ndarray = table[inverse].reshape(*np.shape(ids), 3)
    return out


def layer_tint(config: Mapping[str, Any] | None) -> tuple[int, int, int]:
    """The ``color`` of a layer view configuration (white when absent or invalid)."""
    value = (config or {}).get("color")
    if isinstance(value, list | tuple) and len(value) == 3:
        try:
            rgb = tuple(int(c) for c in value)
        except (TypeError, ValueError):
            return (255, 255, 255)
        if all(0 <= c <= 255 for c in rgb):
            return (rgb[0], rgb[1], rgb[2])
    return (255, 255, 255)
