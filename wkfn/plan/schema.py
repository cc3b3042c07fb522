"""JSON Schema of the saved-plan format, generated from the op Structs (pure)."""

from __future__ import annotations

import json
from typing import Any

import msgspec

from wkfn.plan.plan import PLAN_FORMAT_VERSION, Plan
from wkfn.spec.schema import strip_generated_docs


def plan_schema() -> dict[str, Any]:
    """The JSON Schema (Draft 2020-12) of ``plan.json``."""
    schema = strip_generated_docs(msgspec.json.schema(Plan))
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = f"wkfn plan, format version {PLAN_FORMAT_VERSION}"
    return schema


def render_plan_schema() -> str:
    """:func:`plan_schema` as the text committed under ``specs/``."""
    return json.dumps(plan_schema(), indent=2, sort_keys=True) + "\n"
