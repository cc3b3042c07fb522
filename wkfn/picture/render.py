"""Voxels of a section to an RGB image (``(rows, cols, 3)`` uint8).

* colour layers, one channel: windowed grey, tinted with the layer's view colour;
* colour layers, several channels: the first three channels as R, G, B (two
  channels: R, G), windowed together;
* segmentation layers: a stable colour per id (:mod:`wkfn.picture.colours`).

Example:
    >>> import numpy as np
    >>> from wkfn.picture.section import plan_section
    >>> s = plan_section((0, 0, 0), (3, 2, 1), (1, 1, 1), "z", 0)
    >>> data = np.arange(6, dtype=np.uint8).reshape(1, 3, 2, 1)
    >>> plane(data, s)[0].tolist()  # rows are y, columns x
    [[0, 2, 4], [1, 3, 5]]
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from wkfn.picture.colours import layer_tint, segment_colours
from wkfn.picture.section import Section
from wkfn.picture.window import apply_window, configured_window, percentile_window

__all__ = ["default_window", "layer_image", "plane"]


def plane(data_cxyz: np.ndarray, section: Section) -> np.ndarray:
    """``(c, rows, cols)`` of a ``(c, x, y, z)`` block one voxel thick on the normal."""
    if data_cxyz.ndim != 4 or data_cxyz.shape[1 + section.normal] != 1:
        raise ValueError(
            f"expected (c, x, y, z) data one voxel thick on axis {section.normal}, "
            f"got shape {data_cxyz.shape}"
        )
    flat = np.take(data_cxyz, 0, axis=1 + section.normal)
    # the remaining spatial axes keep their order: (c, first, second)
    remaining = [a for a in range(3) if a != section.normal]
    horizontal, vertical = section.image_axes
    order = (0, 1 + remaining.index(vertical), 1 + remaining.index(horizontal))
    out: np.ndarray = np.transpose(flat, order)
    return out


def default_window(channels: np.ndarray) -> tuple[float, float]:
    """The window without a configured one: the full range for 8-bit colour (RGB
    photos and stains keep their colours), else the 0.5/99.5 percentiles."""
    if channels.ndim == 3 and channels.shape[0] > 1 and channels.dtype == np.uint8:
        return (0.0, 255.0)
    return percentile_window(channels)


def layer_image(
    channels: np.ndarray,
    *,
    segmentation: bool,
    view_configuration: Mapping[str, Any] | None = None,
    window: tuple[float, float] | None = None,
) -> np.ndarray:
    """``(rows, cols, 3)`` uint8 picture of a ``(c, rows, cols)`` plane.

    ``window`` overrides the view configuration's ``intensityRange``; without
    either, :func:`default_window` of the plane is used.
    """
    if channels.ndim != 3 or channels.shape[0] < 1:
        raise ValueError(f"expected a (c, rows, cols) plane, got {channels.shape}")
    if segmentation:
        return segment_colours(channels[0])
    config = view_configuration or {}
    low, high = window or configured_window(config) or default_window(channels)
    invert = bool(config.get("isInverted", False))
    if channels.shape[0] == 1:
        grey = apply_window(channels[0], low, high, invert=invert)
        tint = np.array(layer_tint(config), dtype=np.uint16)
        rgb = (grey[..., None].astype(np.uint16) * tint + 127) // 255
        tinted: np.ndarray = rgb.astype(np.uint8)
        return tinted
    picked = channels[:3]
    windowed = apply_window(picked, low, high, invert=invert)
    out = np.zeros((*channels.shape[1:], 3), dtype=np.uint8)
    out[..., : picked.shape[0]] = np.moveaxis(windowed, 0, -1)
    return out
