"""JSON Schema of ``datasource-properties.json``, generated from the spec Structs.

The committed copy lives in ``specs/datasource-properties.schema.json``; a test fails
when it drifts from :func:`properties_schema`. Regenerate it with
``python -m wkfn.schemas`` (which also writes the plan schema).
"""

from __future__ import annotations

import json
from typing import Any

import msgspec

from wkfn.spec.dataset import DatasetSpec

__all__ = ["properties_schema", "render_schema", "strip_generated_docs"]

_BIGINT_ENVELOPE: dict[str, Any] = {
    "type": "object",
    "title": "BigintEnvelope",
    "description": "An integer above 2**53-1 as a decimal string.",
    "properties": {
        "customJsonEncoding": {"const": "bigint"},
        "value": {"type": "string", "pattern": "^-?[0-9]+$"},
    },
    "required": ["customJsonEncoding", "value"],
}


def strip_generated_docs(schema: dict[str, Any]) -> dict[str, Any]:
    """Drop the ``title`` / ``description`` that msgspec derives from class docstrings.

    How docstrings are rendered changes between msgspec releases (0.23 cleans them
    differently from 0.19), so keeping them would make the committed schemas depend on
    the generator's version instead of on wkfn's Structs. The structure (types,
    required keys, enums, defaults) is what the schema promises; it stays.
    """
    for definition in schema.get("$defs", {}).values():
        definition.pop("title", None)
        definition.pop("description", None)
    return schema


def properties_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a modern ``datasource-properties.json``.

    ``extras`` is not a property: every object instead allows additional properties,
    which wkfn preserves.

    Example:
        >>> schema = properties_schema()
        >>> schema["$defs"]["LayerSpec"]["additionalProperties"]
        True
    """
    schema: dict[str, Any] = strip_generated_docs(msgspec.json.schema(DatasetSpec))
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "datasource-properties.json"
    for definition in schema.get("$defs", {}).values():
        properties = definition.get("properties")
        if properties is None:
            continue
        properties.pop("extras", None)
        if "required" in definition:
            definition["required"] = [
                k for k in definition["required"] if k != "extras"
            ]
        definition["additionalProperties"] = True
    layer = schema["$defs"]["LayerSpec"]["properties"]
    layer["largestSegmentId"] = {
        "anyOf": [{"type": "integer"}, _BIGINT_ENVELOPE, {"type": "null"}],
        "default": None,
    }
    for name in ("numChannels", "elementClass"):
        layer[name].pop("default", None)
    layer_required = schema["$defs"]["LayerSpec"].setdefault("required", [])
    for name in ("mags", "numChannels", "elementClass"):
        if name not in layer_required:
            layer_required.append(name)
    top = schema["$defs"]["DatasetSpec"]
    top["properties"]["version"] = {"const": 1}
    for name in ("dataLayers", "version"):
        if name not in top["required"]:
            top["required"].append(name)
    return schema


def render_schema() -> str:
    """:func:`properties_schema` as the text committed under ``specs/``."""
    return json.dumps(properties_schema(), indent=2) + "\n"
