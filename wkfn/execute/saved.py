"""Saved plans: a directory with ``plan.json`` and one ``.npy`` file per payload."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from wkfn.plan.plan import Plan, decode_plan, encode_plan


def save_plan(
    plan: Plan, directory: str | os.PathLike[str], payloads: Mapping[str, np.ndarray]
) -> Path:
    """Write ``plan`` and the payloads it references; returns the directory."""
    out = Path(directory)
    (out / "payloads").mkdir(parents=True, exist_ok=True)
    keys = {op.payload.key for op in plan.ops if hasattr(op, "payload")}
    for key in sorted(keys):
        np.save(out / "payloads" / f"{key}.npy", payloads[key], allow_pickle=False)
    (out / "plan.json").write_bytes(encode_plan(plan))
    return out


def load_plan(directory: str | os.PathLike[str]) -> tuple[Plan, dict[str, np.ndarray]]:
    """Read a plan saved by :func:`save_plan` (payloads are memory-mapped)."""
    src = Path(directory)
    plan = decode_plan((src / "plan.json").read_bytes())
    payloads = {
        p.stem: np.load(p, mmap_mode="r", allow_pickle=False)
        for p in sorted((src / "payloads").glob("*.npy"))
    }
    return plan, payloads
