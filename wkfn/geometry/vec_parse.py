"""Parsing of loose vector input into integer tuples, with errors naming the value.

Integral floats and numpy integers are accepted, non-integral floats, strings and
booleans are refused (the reference truncates or iterates them instead).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterable
from typing import SupportsIndex, cast

import numpy as np

from wkfn.errors import InvalidArgumentError

XYZ: tuple[str, str, str] = ("x", "y", "z")


def as_int(value: object, whole: object) -> int:
    """Convert one vector component to ``int``.

    Accepts ``int`` and numpy integers, and floats that are integral (``2.0``). Rejects
    ``bool``, non-integral floats and everything else, naming ``whole`` in the error.
    """
    if type(value) is int:
        return value
    if isinstance(value, bool | np.bool_):
        raise InvalidArgumentError(f"vector components must be integers, got {whole!r}")
    if isinstance(value, float | np.floating):
        if math.isfinite(value) and float(value).is_integer():
            return int(value)
        raise InvalidArgumentError(f"vector components must be integers, got {whole!r}")
    try:
        return operator.index(cast(SupportsIndex, value))
    except TypeError:
        raise InvalidArgumentError(
            f"vector components must be integers, got {whole!r}"
        ) from None


def as_int_seq(value: object) -> tuple[int, ...]:
    """Convert a sequence-like value (tuple, list, ndarray, iterable) to ints."""
    if isinstance(value, str | bytes):
        raise InvalidArgumentError(f"expected a vector of integers, got {value!r}")
    if isinstance(value, np.ndarray):
        if value.ndim != 1:
            raise InvalidArgumentError(
                f"expected a 1-d array of integers, got shape {value.shape}"
            )
        items: Iterable[object] = value.tolist()
    elif isinstance(value, Iterable):
        items = value
    else:
        raise InvalidArgumentError(f"expected a vector of integers, got {value!r}")
    return tuple([as_int(v, value) for v in items])


def other_values(other: object, n: int, self: object) -> tuple[int, ...]:
    """Return ``other`` as ``n`` ints: a scalar is broadcast, a vector must match."""
    if type(other) is int:
        return (other,) * n
    if (
        isinstance(other, tuple)
        and len(other) == n
        and all(type(v) is int for v in other)
    ):
        return other
    if isinstance(other, int | np.integer) and not isinstance(other, bool):
        return (int(other),) * n
    values = as_int_seq(other)
    if len(values) != n:
        raise InvalidArgumentError(
            f"{other!r} and {self!r} are not equally shaped (need {n} components)"
        )
    return values


def parse_int_list(string: str) -> tuple[int, ...]:
    """Parse ``"1,2,3"``, ``"(1, 2, 3)"`` or ``"[1,2,3]"`` into ints."""
    if not isinstance(string, str):
        raise InvalidArgumentError(f"expected a string, got {string!r}")
    text = string.strip()
    if len(text) >= 2 and text[0] + text[-1] in ("()", "[]"):
        text = text[1:-1]
    try:
        return tuple(int(part) for part in text.split(","))
    except ValueError:
        raise InvalidArgumentError(
            f"cannot parse {string!r} as comma-separated integers"
        ) from None
