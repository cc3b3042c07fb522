"""``elementClass`` ↔ per-channel dtype, and the dtypes each layer category allows.

``elementClass`` names the type of a whole voxel (all channels): its bit count is the
per-channel bit count times ``numChannels``. ``float32``/``float64`` are called
``"float"``/``"double"``.

Example:
    >>> element_class_of("uint8", 3)
    'uint24'
    >>> dtype_per_channel_of("uint24", 3)
    'uint8'
"""

from __future__ import annotations

import re
from typing import Any, Final

import numpy as np

from wkfn.errors import InvalidArgumentError, InvalidDtypeError

__all__ = [
    "ALLOWED_DTYPES",
    "allowed_dtypes",
    "dtype_per_channel_of",
    "element_class_of",
    "is_element_class",
    "parse_dtype",
    "validate_dtype_for_category",
]

ALLOWED_DTYPES: Final[dict[str, tuple[str, ...]]] = {
    "color": ("uint8", "uint16", "uint32", "int8", "int16", "int32", "float32"),
    "segmentation": (
        "uint8",
        "uint16",
        "uint32",
        "uint64",
        "int8",
        "int16",
        "int32",
        "int64",
    ),
}
"""Per-channel dtypes a new layer of each category may have."""

_FLOAT_NAMES: Final[dict[str, str]] = {"float": "float32", "double": "float64"}
_FLOAT_NAMES_INV: Final[dict[str, str]] = {v: k for k, v in _FLOAT_NAMES.items()}
_CLASS_RE: Final = re.compile(r"^(uint|int|float)([1-9][0-9]*)$")
_NUMERIC_DTYPES: Final[frozenset[str]] = frozenset(
    {"uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64"}
    | {"float16", "float32", "float64"}
)


def parse_dtype(value: Any) -> str:
    """Normalise a numpy dtype, scalar type or name to a numeric dtype name.

    Raises:
        InvalidDtypeError: ``value`` names no dtype (a TypeError, like numpy's).
        InvalidArgumentError: ``value`` is not an integer or float dtype.

    Example:
        >>> parse_dtype(np.uint16), parse_dtype("float"), parse_dtype(np.dtype("i1"))
        ('uint16', 'float64', 'int8')
    """
    try:
        name = str(np.dtype(value).name)
    except Exception as exc:
        raise InvalidDtypeError(f"not a dtype: {value!r}") from exc
    if name not in _NUMERIC_DTYPES:
        raise InvalidArgumentError(
            f"unsupported dtype {value!r} ({name}); expected an integer or float dtype"
        )
    return name


def allowed_dtypes(category: str) -> tuple[str, ...]:
    """Per-channel dtypes a new layer of ``category`` may have (empty if unknown).

    Example:
        >>> allowed_dtypes("color")[:3]
        ('uint8', 'uint16', 'uint32')
    """
    return ALLOWED_DTYPES.get(category, ())


def validate_dtype_for_category(dtype: Any, category: str) -> str:
    """Parse ``dtype`` and check that a new layer of ``category`` may use it.

    Raises:
        InvalidArgumentError: unknown category or dtype not allowed for it.

    Example:
        >>> validate_dtype_for_category("uint64", "segmentation")
        'uint64'
    """
    name = parse_dtype(dtype)
    allowed = ALLOWED_DTYPES.get(category)
    if allowed is None:
        raise InvalidArgumentError(f"unknown layer category {category!r}")
    if name not in allowed:
        raise InvalidArgumentError(
            f"dtype {name!r} is not allowed for {category} layers; "
            f"allowed: {', '.join(allowed)}"
        )
    return name


def _split(element_class: str) -> tuple[str, int] | None:
    name = _FLOAT_NAMES.get(element_class, element_class)
    match = _CLASS_RE.match(name)
    if match is None:
        return None
    return match.group(1), int(match.group(2))


def element_class_of(dtype_per_channel: str, num_channels: int) -> str:
    """The ``elementClass`` of a layer with ``num_channels`` of ``dtype_per_channel``.

    Raises:
        InvalidArgumentError: bad dtype or ``num_channels < 1``.

    Example:
        >>> [element_class_of(d, n) for d, n in [("uint16", 2), ("float32", 1)]]
        ['uint32', 'float']
    """
    name = parse_dtype(dtype_per_channel)
    if not isinstance(num_channels, int) or num_channels < 1:
        raise InvalidArgumentError(f"num_channels must be >= 1, got {num_channels!r}")
    parts = _split(name)
    assert parts is not None  # every numeric dtype name matches
    kind, bits = parts
    whole = f"{kind}{bits * num_channels}"
    return _FLOAT_NAMES_INV.get(whole, whole)


def dtype_per_channel_of(element_class: str, num_channels: int) -> str:
    """The per-channel dtype of a layer (inverse of :func:`element_class_of`).

    Raises:
        InvalidArgumentError: unknown element class or bits not divisible into a
            numpy dtype.

    Example:
        >>> dtype_per_channel_of("double", 1), dtype_per_channel_of("uint32", 2)
        ('float64', 'uint16')
    """
    parts = _split(element_class) if isinstance(element_class, str) else None
    if parts is None:
        raise InvalidArgumentError(f"unknown elementClass {element_class!r}")
    if not isinstance(num_channels, int) or num_channels < 1:
        raise InvalidArgumentError(f"num_channels must be >= 1, got {num_channels!r}")
    kind, bits = parts
    name = f"{kind}{bits // num_channels}"
    if bits % num_channels or name not in _NUMERIC_DTYPES:
        raise InvalidArgumentError(
            f"elementClass {element_class!r} cannot be split into {num_channels} "
            "channel(s) of a numpy dtype"
        )
    return name


def is_element_class(element_class: str, num_channels: int) -> bool:
    """Whether ``element_class`` with ``num_channels`` names a valid per-channel dtype.

    Example:
        >>> is_element_class("uint24", 3), is_element_class("uint24", 1)
        (True, False)
    """
    try:
        dtype_per_channel_of(element_class, num_channels)
    except InvalidArgumentError:
        return False
    return True
