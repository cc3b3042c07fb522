"""Parsing of the facade's loose arguments into canonical values."""

from __future__ import annotations

from wkfn.errors import InvalidArgumentError
from wkfn.geometry import Vec3Int

Vec3 = tuple[int, int, int]


def optional_vec3(value: object, name: str) -> Vec3 | None:
    """``None``, an int (uniform) or 3 ints as a tuple; names ``name`` on error."""
    if value is None:
        return None
    try:
        return Vec3Int.from_vec_or_int(value).to_tuple()  # type: ignore[arg-type]
    except Exception as exc:
        raise InvalidArgumentError(
            f"{name} must be an int or 3 ints, got {value!r}"
        ) from exc
