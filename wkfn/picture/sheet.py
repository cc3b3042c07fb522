"""Laying pictures out on one canvas: a row (the mag pyramid contact sheet) and the
three orthogonal planes (xy top-left, yz to its right sharing y, xz below sharing x).

Example:
    >>> import numpy as np
    >>> images = [np.ones((4, 4, 3), np.uint8), np.ones((2, 2, 3), np.uint8)]
    >>> row_sheet(images, gap=1).shape
    (4, 7, 3)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["BACKGROUND", "orthogonal_sheet", "resize_nearest", "row_sheet"]

BACKGROUND = (32, 32, 32)


def _canvas(rows: int, cols: int) -> np.ndarray:
    canvas = np.empty((rows, cols, 3), dtype=np.uint8)
    canvas[...] = BACKGROUND
    return canvas


def row_sheet(images: Sequence[np.ndarray], *, gap: int = 8) -> np.ndarray:
    """Images side by side, top-aligned, ``gap`` pixels apart, on a dark canvas."""
    if not images:
        raise ValueError("a sheet needs at least one image")
    rows = max(img.shape[0] for img in images)
    cols = sum(img.shape[1] for img in images) + gap * (len(images) - 1)
    canvas = _canvas(rows, cols)
    x = 0
    for img in images:
        canvas[: img.shape[0], x : x + img.shape[1]] = img
        x += img.shape[1] + gap
    return canvas


def orthogonal_sheet(
    xy: np.ndarray, xz: np.ndarray, yz: np.ndarray, *, gap: int = 8
) -> np.ndarray:
    """xy top-left, yz (z right, y down) to its right, xz (x right, z down) below."""
    rows = max(xy.shape[0], yz.shape[0]) + gap + xz.shape[0]
    cols = max(xy.shape[1], xz.shape[1]) + gap + yz.shape[1]
    canvas = _canvas(rows, cols)
    canvas[: xy.shape[0], : xy.shape[1]] = xy
    x0 = max(xy.shape[1], xz.shape[1]) + gap
    canvas[: yz.shape[0], x0 : x0 + yz.shape[1]] = yz
    y0 = max(xy.shape[0], yz.shape[0]) + gap
    canvas[y0 : y0 + xz.shape[0], : xz.shape[1]] = xz
    return canvas


def resize_nearest(image: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Nearest-neighbour resize of an ``(h, w, ...)`` image to ``(rows, cols, ...)``."""
    if rows < 1 or cols < 1:
        raise ValueError(f"cannot resize to {rows}x{cols}")
    h, w = image.shape[:2]
    r = np.minimum((np.arange(rows) * h) // rows, h - 1)
    c = np.minimum((np.arange(cols) * w) // cols, w - 1)
    out: np.ndarray = image[r][:, c]
    return out
