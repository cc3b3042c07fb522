"""Counting what a plan does: ops by kind, region ops, bytes to write (pure)."""

from __future__ import annotations

from collections import Counter

import msgspec

from wkfn.plan.data_ops import (
    CopyRegion,
    DownsampleRegion,
    ImportImages,
    UpsampleRegion,
)
from wkfn.plan.ops import WriteRegion
from wkfn.plan.plan import Plan

DATA_OPS = (WriteRegion, DownsampleRegion, UpsampleRegion, CopyRegion, ImportImages)
"""The ops that write voxels (counted as region ops, with their bytes)."""


class PlanSummary(msgspec.Struct, frozen=True, kw_only=True):
    """Totals of a plan, for the first lines of ``wkfn plan``."""

    creates: int
    updates: int
    deletes: int
    region_ops: int
    bytes_to_write: int
    by_kind: dict[str, int]

    def lines(self) -> list[str]:
        """Human-readable totals."""
        kinds = ", ".join(f"{n} {k}" for k, n in sorted(self.by_kind.items()))
        return [
            f"{self.creates} to create, {self.updates} to change, "
            f"{self.deletes} to delete ({kinds or 'nothing'})",
            f"{self.region_ops} region ops, about {human_size(self.bytes_to_write)} "
            "of voxels to write",
        ]


def human_size(n: int) -> str:
    """A byte count for people: ``1.5 GiB``."""
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


def output_bytes(op: object) -> int:
    """Voxel bytes an op writes (its target region, or its payload)."""
    import numpy as np

    payload = getattr(op, "payload", None)
    if payload is not None:
        return int(payload.nbytes)
    size = getattr(op, "size", None)
    dtype = getattr(op, "dtype", "uint8")
    channels = (
        getattr(op, "num_channels", None) or len(getattr(op, "channels", ())) or 1
    )
    if size is None:
        return 0
    return int(np.prod(size)) * int(channels) * np.dtype(dtype).itemsize


def summarize(plan: Plan) -> PlanSummary:
    """Totals of ``plan``."""
    actions = Counter(op.action for op in plan.ops)
    kinds = Counter(type(op).__name__ for op in plan.ops)
    data = [op for op in plan.ops if isinstance(op, DATA_OPS)]
    return PlanSummary(
        creates=actions["create"],
        updates=actions["update"],
        deletes=actions["delete"],
        region_ops=len(data),
        bytes_to_write=sum(output_bytes(op) for op in data),
        by_kind=dict(kinds),
    )
