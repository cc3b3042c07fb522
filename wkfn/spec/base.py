"""Shared building blocks of the properties specs.

Every record that mirrors a JSON object of ``datasource-properties.json`` derives from
:class:`WkRecord`. The settings encode the file convention:

* ``frozen=True``: specs are values; update them with ``msgspec.structs.replace``.
* ``kw_only=True``: fields are always named, so required fields may follow optional
  ones and the field order can follow the key order the reference writes.
* ``rename="camel"``: ``bounding_box`` is ``boundingBox`` on disk (and in the schema).
* ``omit_defaults=True``: optional fields equal to their default are left out when
  msgspec encodes a record (the hand-written codec in :mod:`wkfn.spec.codec` follows
  the same rule, with the few exceptions the reference makes).

Each record also carries ``extras``: the JSON keys wkfn does not model, in file order.
The codec writes them back after the known keys, so a file round-trips losslessly;
``extras`` itself is never a key on disk.
"""

from __future__ import annotations

from typing import Any, Final

import msgspec

__all__ = [
    "DEFAULT_AXIS_ORDER",
    "JS_MAX_SAFE_INTEGER",
    "Issue",
    "JsonObject",
    "Vec3",
    "WkRecord",
]

JsonObject = dict[str, Any]
"""A decoded JSON object (``str`` keys, JSON values)."""

Vec3 = tuple[int, int, int]
"""Three integers in x, y, z order."""

Issue = tuple[str, str]
"""One problem found in a spec: ``(json_path, message)``, e.g.
``("$.dataLayers[0].mags[1].mag", "expected 3 integers, got [1, 1]")``."""

DEFAULT_AXIS_ORDER: Final[dict[str, int]] = {"c": 0, "x": 1, "y": 2, "z": 3}
"""The axis order of a plain 3D (+channel) layer; ``None`` in a spec stands for it."""

JS_MAX_SAFE_INTEGER: Final[int] = 2**53 - 1
"""Larger ``largestSegmentId`` values are written as a bigint envelope."""


class WkRecord(
    msgspec.Struct,
    frozen=True,
    kw_only=True,
    rename="camel",
    omit_defaults=True,
):
    """Base for records mirroring ``datasource-properties.json`` (camelCase on disk).

    Attributes:
        extras: JSON keys of this object that wkfn does not model, preserved verbatim
            and written back after the known keys.
    """

    extras: dict[str, Any] = {}
