"""Facade methods for multi-resolution pyramids (downsample / upsample).

Mixed into ``Layer`` and ``Dataset``; each method parses arguments, calls the pure
planner in ``wkfn.transform.downsample`` and applies the plan.
"""

from __future__ import annotations


class LayerResampleMixin:
    """Pyramid methods of ``Layer``."""


class DatasetResampleMixin:
    """Pyramid methods of ``Dataset``."""
