"""Reading untrusted JSON values into typed ones while collecting every issue.

:class:`JsonReader` checks one value at a time (an object, an int, a list of three
floats, an ``axisOrder``, a bigint envelope ...) and records each problem with its JSON
path instead of raising, so that a malformed file is reported in one go.
:mod:`wkfn.spec.decode` builds the properties records on top of it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any, TypeVar

from wkfn.spec.base import (
    Issue,
    JsonObject,
)

T = TypeVar("T")

#: The envelope the reference writes for integers above 2**53-1.
BIGINT_KEY = "customJsonEncoding"
BIGINT_VALUE = "bigint"


def shown(value: Any) -> str:
    """``value`` as JSON for an error message, cut to 60 characters."""
    try:
        text = json.dumps(value)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def type_name(value: Any) -> str:
    """``"a string"``, ``"an array"`` ...: the JSON type of ``value`` in words."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def is_int(value: Any) -> bool:
    """True for a JSON integer (``bool`` is not one)."""
    return isinstance(value, int) and not isinstance(value, bool)


class Missing:
    """The type of :data:`MISSING`: a key that is absent (``null`` is present)."""


MISSING = Missing()


class JsonReader:
    """Typed reading of JSON values; every problem becomes an :class:`Issue`."""

    def __init__(self, issues: list[Issue]) -> None:
        self.issues = list(issues)

    # -- scalars ---------------------------------------------------------------

    def err(self, path: str, message: str) -> None:
        self.issues.append((path, message))

    def obj(self, value: Any, path: str) -> JsonObject | None:
        if isinstance(value, dict):
            return value
        self.err(path, f"expected an object, got {type_name(value)}: {shown(value)}")
        return None

    def get(self, obj: JsonObject, key: str, path: str, *, required: bool) -> Any:
        if key in obj and obj[key] is not None:
            return obj[key]
        if required:
            if key in obj:
                self.err(f"{path}.{key}", "must not be null")
            else:
                self.err(f"{path}.{key}", "missing required key")
        return MISSING

    def field(
        self,
        obj: JsonObject,
        key: str,
        path: str,
        convert: Callable[[Any, str], Any],
        *,
        required: bool,
    ) -> Any:
        """``obj[key]`` converted (issues reported at ``path.key``); None if absent."""
        raw = self.get(obj, key, path, required=required)
        return None if raw is MISSING else convert(raw, f"{path}.{key}")

    def int_(self, value: Any, path: str) -> int | None:
        if is_int(value):
            return int(value)
        if isinstance(value, float) and value.is_integer():
            return int(value)
        self.err(path, f"expected an integer, got {shown(value)}")
        return None

    def float_(self, value: Any, path: str) -> float | None:
        if isinstance(value, int | float) and not isinstance(value, bool):
            result = float(value)
            if math.isfinite(result):
                return result
        self.err(path, f"expected a finite number, got {shown(value)}")
        return None

    def str_(self, value: Any, path: str) -> str | None:
        if isinstance(value, str):
            return value
        self.err(path, f"expected a string, got {shown(value)}")
        return None

    def bool_(self, value: Any, path: str) -> bool | None:
        if isinstance(value, bool):
            return value
        self.err(path, f"expected a boolean, got {shown(value)}")
        return None

    def ints(self, value: Any, path: str, count: int) -> tuple[int, ...] | None:
        if (
            isinstance(value, list)
            and len(value) == count
            and all(
                is_int(v) or (isinstance(v, float) and v.is_integer()) for v in value
            )
        ):
            return tuple(int(v) for v in value)
        self.err(path, f"expected {count} integers, got {shown(value)}")
        return None

    def list_(
        self, value: Any, path: str, item: Callable[[Any, str], T | None]
    ) -> tuple[T, ...] | None:
        if not isinstance(value, list):
            self.err(path, f"expected an array, got {type_name(value)}: {shown(value)}")
            return None
        results = [item(v, f"{path}[{i}]") for i, v in enumerate(value)]
        if any(r is None for r in results):
            return None
        return tuple(r for r in results if r is not None)

    def axis_order(self, value: Any, path: str) -> dict[str, int] | None:
        if isinstance(value, dict) and all(
            isinstance(k, str) and is_int(v) for k, v in value.items()
        ):
            return dict(value)
        self.err(path, f"expected an object of axis name to index, got {shown(value)}")
        return None

    @staticmethod
    def extras(obj: JsonObject, known: tuple[str, ...]) -> dict[str, Any]:
        return {k: v for k, v in obj.items() if k not in known}

    # -- records ---------------------------------------------------------------

    def bigint(self, value: Any, path: str) -> int | None:
        if is_int(value):
            return int(value)
        if isinstance(value, dict) and value.get(BIGINT_KEY) == BIGINT_VALUE:
            digits = value.get("value")
            if isinstance(digits, str):
                try:
                    return int(digits, 10)
                except ValueError:
                    pass
            self.err(f"{path}.value", f"expected a decimal string, got {shown(digits)}")
            return None
        self.err(path, f"expected an integer or bigint envelope, got {shown(value)}")
        return None
