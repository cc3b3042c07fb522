"""Facade-friendly view configurations.

The specs store view configurations as plain JSON objects (camelCase keys) so keys
wkfn does not know survive a round trip. These two Structs give them the attribute
names of the reference (``four_bit``, ``intensity_range`` …) and convert with
:meth:`to_json` / :meth:`from_json`.

Example:
    >>> config = LayerViewConfiguration(color=(255, 0, 0), alpha=80)
    >>> config.to_json()
    {'color': [255, 0, 0], 'alpha': 80}
    >>> LayerViewConfiguration.from_json(config.to_json()) == config
    True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Self

import msgspec

__all__ = ["DatasetViewConfiguration", "LayerViewConfiguration"]


def _camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(part.title() for part in rest)


def _to_json_value(value: Any) -> Any:
    if isinstance(value, LayerViewConfiguration):
        return value.to_json()
    if isinstance(value, Mapping):
        return {k: _to_json_value(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [_to_json_value(v) for v in value]
    return value


def _from_json_value(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_from_json_value(v) for v in value)
    return value


class _ViewConfiguration(msgspec.Struct, frozen=True, kw_only=True):
    extras: dict[str, Any] = {}

    def to_json(self) -> dict[str, Any]:
        """camelCase JSON object; ``None`` attributes are left out, extras appended."""
        out: dict[str, Any] = {}
        for name in self.__struct_fields__:
            if name == "extras":
                continue
            value = getattr(self, name)
            if value is not None:
                out[_camel(name)] = _to_json_value(value)
        for key, value in self.extras.items():
            out.setdefault(key, value)
        return out

    @classmethod
    def _known(cls) -> dict[str, str]:
        """JSON key (camelCase and snake_case) → attribute name."""
        known: dict[str, str] = {}
        for name in cls.__struct_fields__:
            if name != "extras":
                known[_camel(name)] = name
                known[name] = name
        return known

    @classmethod
    def _fields_from_json(
        cls, obj: Mapping[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        known = cls._known()
        fields: dict[str, Any] = {}
        extras: dict[str, Any] = {}
        for key, value in obj.items():
            if key in known:
                if value is not None:
                    fields[known[key]] = _from_json_value(value)
            else:
                extras[key] = value
        return fields, extras


class LayerViewConfiguration(_ViewConfiguration, frozen=True):
    """How WEBKNOSSOS shows one layer initially (all attributes optional).

    Attributes:
        color: RGB, each 0-255.
        alpha: opacity 0-100.
        intensity_range: ``(min, max)`` of the displayed value range.
        min: lower bound of the histogram slider.
        max: upper bound of the histogram slider.
        is_disabled: layer hidden.
        is_inverted: colors inverted.
        is_in_edit_mode: histogram in edit mode.
        mapping: e.g. ``{"name": "agglomerate_view_5", "type": "HDF5"}``.
        extras: keys wkfn does not know, kept for the round trip.
    """

    color: tuple[int, int, int] | None = None
    alpha: float | None = None
    intensity_range: tuple[float, float] | None = None
    min: float | None = None
    max: float | None = None
    is_disabled: bool | None = None
    is_inverted: bool | None = None
    is_in_edit_mode: bool | None = None
    mapping: dict[str, str] | None = None

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> Self:
        """Read camelCase (or snake_case) keys; unknown keys go to ``extras``."""
        fields, extras = cls._fields_from_json(obj)
        if "mapping" in fields and isinstance(fields["mapping"], Mapping):
            fields["mapping"] = dict(fields["mapping"])
        return cls(**fields, extras=extras)


class DatasetViewConfiguration(_ViewConfiguration, frozen=True):
    """How WEBKNOSSOS shows the dataset initially (all attributes optional).

    Attributes:
        four_bit: load 4-bit data.
        interpolation: interpolate between voxels.
        render_missing_data_black: show missing data black instead of transparent.
        loading_strategy: e.g. ``"BEST_QUALITY_FIRST"`` or ``"PROGRESSIVE_QUALITY"``.
        segmentation_pattern_opacity: 0-100.
        zoom: initial zoom.
        position: initial position (x, y, z).
        rotation: initial rotation (x, y, z).
        layers: layer name → :class:`LayerViewConfiguration`.
        color_layer_order: order of the color layers.
        blend_mode: e.g. ``"Additive"`` or ``"Cover"``.
        natively_rendered_layer_name: layer rendered without transformation.
        extras: keys wkfn does not know, kept for the round trip.
    """

    four_bit: bool | None = None
    interpolation: bool | None = None
    render_missing_data_black: bool | None = None
    loading_strategy: str | None = None
    segmentation_pattern_opacity: int | None = None
    zoom: float | None = None
    position: tuple[int, int, int] | None = None
    rotation: tuple[int, int, int] | None = None
    layers: dict[str, LayerViewConfiguration] | None = None
    color_layer_order: tuple[str, ...] | None = None
    blend_mode: str | None = None
    natively_rendered_layer_name: str | None = None

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> Self:
        """Read camelCase (or snake_case) keys; unknown keys go to ``extras``.

        Nested layer configurations are accepted in both spellings (the reference
        writes them snake_case with ``null`` values).
        """
        fields, extras = cls._fields_from_json(obj)
        layers = fields.get("layers")
        if isinstance(layers, Mapping):
            fields["layers"] = {
                name: LayerViewConfiguration.from_json(value)
                if isinstance(value, Mapping)
                else value
                for name, value in layers.items()
            }
        return cls(**fields, extras=extras)
