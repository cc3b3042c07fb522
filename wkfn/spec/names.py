"""Layer names and mag directory names."""

from __future__ import annotations

import re
from typing import Any, Final

from wkfn.errors import InvalidArgumentError, InvalidLayerNameError

__all__ = ["LAYER_NAME_RE", "long_mag_name", "mag_dir_name", "validate_layer_name"]

LAYER_NAME_RE: Final = re.compile(r"^[A-Za-z0-9_$@\-]+[A-Za-z0-9_$@\-\.]*$")
"""Letters, digits, ``_ $ @ -`` and dots, but not starting with a dot."""


MAX_NAME_BYTES: Final = 255
"""Longest directory name ext4, xfs, btrfs, APFS and NTFS accept (bytes)."""


def validate_layer_name(name: Any) -> str:
    """Return ``name`` if it is a valid layer name.

    A valid name is a single path component that cannot escape the dataset directory.

    Raises:
        InvalidLayerNameError: empty, not a str, contains ``/`` or ``\\``, starts with
            a dot (``..``), is longer than 255 bytes or contains other characters
            than letters, digits, ``_ $ @ - .``.

    Example:
        >>> validate_layer_name("color_2")
        'color_2'
    """
    if not isinstance(name, str):
        raise InvalidLayerNameError(f"layer name must be a str, got {name!r}")
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        raise InvalidLayerNameError(
            f"invalid layer name {name[:40]!r}... ({len(name.encode('utf-8'))} bytes): "
            f"a layer is a directory, and file systems hold at most {MAX_NAME_BYTES} "
            "bytes per name"
        )
    if LAYER_NAME_RE.fullmatch(name) is None:
        raise InvalidLayerNameError(
            f"invalid layer name {name!r}: use letters, digits and '_$@-.' "
            "(not starting with '.')"
        )
    return name


def _check_mag(mag: tuple[int, ...]) -> None:
    if len(mag) != 3 or not all(isinstance(v, int) and v >= 1 for v in mag):
        raise InvalidArgumentError(f"expected 3 positive integers, got {mag!r}")


def mag_dir_name(mag: tuple[int, int, int]) -> str:
    """Short directory name of a mag: ``"2"`` if uniform, else ``"2-2-1"``.

    Example:
        >>> mag_dir_name((2, 2, 2)), mag_dir_name((2, 2, 1))
        ('2', '2-2-1')
    """
    _check_mag(mag)
    if mag[0] == mag[1] == mag[2]:
        return str(mag[0])
    return long_mag_name(mag)


def long_mag_name(mag: tuple[int, int, int]) -> str:
    """Long directory name of a mag, always ``"x-y-z"``.

    Example:
        >>> long_mag_name((2, 2, 2))
        '2-2-2'
    """
    _check_mag(mag)
    return f"{mag[0]}-{mag[1]}-{mag[2]}"
