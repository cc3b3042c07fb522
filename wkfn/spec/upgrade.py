"""Explicit upgrades of legacy ``datasource-properties.json`` layouts.

Each upgrade works on the decoded JSON object (dicts and lists) and returns a new one;
the input is never modified. Upgrades applied, in order:

* bare ``scale`` list ``[x, y, z]`` → ``{"factor": [x, y, z], "unit": "nanometer"}``;
* short unit symbols (``"nm"``, ``"µm"``, ``"Å"`` …) → long names (``"nanometer"`` …);
* layer key ``wkwResolutions`` → ``mags``, with ``resolution`` → ``mag``
  (an int ``n`` becomes ``[n, n, n]``; ``cubeLength`` is kept);
* missing ``version`` → ``1``; missing ``numChannels`` → ``1``;
* ``axisOrder``/``channelIndex`` moved to where the reference writes them: into every
  mag (default ``{"c": 0, "x": 1, "y": 2, "z": 3}``), or kept in the bounding box of a
  layer without mags.

A ``version`` other than 1 cannot be upgraded and is reported as an issue.

Example:
    >>> upgrade_properties({"scale": [1, 1, 2]})
    {'scale': {'factor': [1, 1, 2], 'unit': 'nanometer'}, 'version': 1}
"""

from __future__ import annotations

import copy
from typing import Any, Final

from wkfn.errors import PropertiesError
from wkfn.spec.base import DEFAULT_AXIS_ORDER, Issue

__all__ = ["UNIT_SYMBOLS", "normalize_unit", "upgrade_properties"]

UNIT_SYMBOLS: Final[dict[str, str]] = {
    "ym": "yoctometer",
    "zm": "zeptometer",
    "am": "attometer",
    "fm": "femtometer",
    "pm": "picometer",
    "nm": "nanometer",
    "µm": "micrometer",  # MICRO SIGN
    "μm": "micrometer",  # GREEK SMALL LETTER MU
    "um": "micrometer",
    "mm": "millimeter",
    "cm": "centimeter",
    "dm": "decimeter",
    "m": "meter",
    "hm": "hectometer",
    "km": "kilometer",
    "Mm": "megameter",
    "Gm": "gigameter",
    "Tm": "terameter",
    "Pm": "petameter",
    "Em": "exameter",
    "Zm": "zettameter",
    "Ym": "yottameter",
    "Å": "angstrom",
    "in": "inch",
    "ft": "foot",
    "yd": "yard",
    "mi": "mile",
    "pc": "parsec",
}
"""Short unit symbols accepted on read, mapped to the long names written."""

SUPPORTED_VERSION: Final = 1


def normalize_unit(unit: str) -> str:
    """Map a short unit symbol to its long name; long names pass through.

    Example:
        >>> normalize_unit("µm"), normalize_unit("nanometer")
        ('micrometer', 'nanometer')
    """
    return UNIT_SYMBOLS.get(unit, unit)


def upgrade_properties(obj: Any) -> Any:
    """Return ``obj`` upgraded to the current layout (see the module docstring).

    Anything that is not shaped as expected is left alone for the decoder to report.

    Raises:
        PropertiesError: ``version`` is present and not 1.
    """
    upgraded, issues = upgrade_with_issues(obj)
    if issues:
        raise PropertiesError(issues)
    return upgraded


def upgrade_with_issues(obj: Any) -> tuple[Any, list[Issue]]:
    """Like :func:`upgrade_properties` but returns issues instead of raising."""
    issues: list[Issue] = []
    if not isinstance(obj, dict):
        return obj, issues
    out = copy.deepcopy(obj)
    scale = out.get("scale")
    if isinstance(scale, list):
        out["scale"] = {"factor": scale, "unit": "nanometer"}
    elif isinstance(scale, dict) and isinstance(scale.get("unit"), str):
        scale["unit"] = normalize_unit(scale["unit"])
    layers = out.get("dataLayers")
    if isinstance(layers, list):
        out["dataLayers"] = [_upgrade_layer(layer) for layer in layers]
    if "version" not in out:
        out["version"] = SUPPORTED_VERSION
    elif (
        isinstance(out["version"], int)
        and not isinstance(out["version"], bool)
        and out["version"] != SUPPORTED_VERSION
    ):
        issues.append(
            ("$.version", f"unsupported version {out['version']!r}; only 1 exists")
        )
    return out, issues


def _upgrade_layer(layer: Any) -> Any:
    if not isinstance(layer, dict):
        return layer
    if "wkwResolutions" in layer and "mags" not in layer:
        resolutions = layer["wkwResolutions"]
        mags: Any = resolutions
        if isinstance(resolutions, list):
            mags = [_upgrade_resolution(r) for r in resolutions]
        new: dict[str, Any] = {}
        for key, value in layer.items():
            if key == "wkwResolutions":
                new["mags"] = mags
            else:
                new[key] = value
        layer = new
    if "numChannels" not in layer:
        layer["numChannels"] = 1
    _move_axis_order(layer)
    return layer


def _move_axis_order(layer: dict[str, Any]) -> None:
    """Put ``axisOrder``/``channelIndex`` where the reference writes them.

    With mags, they belong to every mag (taken from the bounding box, else the
    default axis order) and leave the bounding box; without mags, the bounding box
    keeps them (default axis order when missing).
    """
    bbox = layer.get("boundingBox")
    mags = layer.get("mags")
    if not isinstance(bbox, dict) or not isinstance(mags, list):
        return
    if not mags:
        bbox.setdefault("axisOrder", dict(DEFAULT_AXIS_ORDER))
        return
    order = bbox.pop("axisOrder", None)
    channel_index = bbox.pop("channelIndex", None)
    for mag in mags:
        if not isinstance(mag, dict):
            continue
        if "axisOrder" not in mag:
            mag["axisOrder"] = copy.deepcopy(order or DEFAULT_AXIS_ORDER)
        if channel_index is not None and "channelIndex" not in mag:
            mag["channelIndex"] = channel_index


def _upgrade_resolution(entry: Any) -> Any:
    if not isinstance(entry, dict) or "resolution" not in entry or "mag" in entry:
        return entry
    new: dict[str, Any] = {}
    for key, value in entry.items():
        if key == "resolution":
            if isinstance(value, int) and not isinstance(value, bool):
                value = [value, value, value]
            new["mag"] = value
        else:
            new[key] = value
    return new
