"""Facade methods for dataset-to-dataset operations (copy, convert, link, compress).

Mixed into ``Dataset``, ``Layer`` and ``MagView``; each method parses arguments, calls
the pure planner in ``wkfn.transform.copy`` and applies the plan.
"""

from __future__ import annotations


class DatasetCopyMixin:
    """Copy/link/compress methods of ``Dataset``."""


class LayerCopyMixin:
    """Copy/compress methods of ``Layer``."""


class MagViewCopyMixin:
    """Compress/rechunk methods of ``MagView``."""
