"""Dtype conversion of written voxels: :func:`coerce_dtype` converts only when no
value changes (the reference casts silently; wkfn refuses wrap-around)."""

from __future__ import annotations

from typing import Any

import numpy as np

from wkfn.errors import DtypeMismatchError

__all__ = ["coerce_dtype"]


def coerce_dtype(data: np.ndarray, dtype: np.dtype[Any]) -> np.ndarray:
    """Convert ``data`` to ``dtype`` only if no value changes.

    The reference casts silently (wrap-around for out-of-range values); wkfn refuses.

    Raises:
        DtypeMismatchError: a value does not fit, or a float has a fractional part.
    """
    if data.dtype == dtype:
        return data
    if np.can_cast(data.dtype, dtype, "safe"):
        return data.astype(dtype)
    if data.dtype.kind == "b":
        return data.astype(dtype)
    if dtype.kind in "iu" and data.size:
        info = np.iinfo(dtype)
        lo, hi = data.min(), data.max()
        if data.dtype.kind == "f" and (
            not np.isfinite(lo) or not np.isfinite(hi) or np.any(np.trunc(data) != data)
        ):
            raise DtypeMismatchError(
                f"data of dtype {data.dtype} has non-integer values; the layer "
                f"stores {dtype}. Round and cast explicitly (data.astype(...))."
            )
        if lo < info.min or hi > info.max:
            raise DtypeMismatchError(
                f"data of dtype {data.dtype} has values in [{lo}, {hi}] that do not "
                f"fit the layer dtype {dtype} [{info.min}, {info.max}]; cast "
                "explicitly if wrap-around is intended"
            )
        return data.astype(dtype)
    if dtype.kind == "f":
        return data.astype(dtype)
    if dtype.kind in "iu" and not data.size:
        return data.astype(dtype)
    raise DtypeMismatchError(f"cannot store data of dtype {data.dtype} as {dtype}")
