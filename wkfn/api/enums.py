"""Enumerations and constants with the reference API's names and values."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal


class DataFormat(StrEnum):
    """Storage formats (only the first three can be created)."""

    WKW = "wkw"
    Zarr = "zarr"
    Zarr3 = "zarr3"
    NeuroglancerPrecomputed = "neuroglancerPrecomputed"
    N5 = "n5"

    def __str__(self) -> str:
        return self.value


LayerCategoryType = Literal["color", "segmentation"]
COLOR_CATEGORY: LayerCategoryType = "color"
SEGMENTATION_CATEGORY: LayerCategoryType = "segmentation"

DEFAULT_DATA_FORMAT = DataFormat.Zarr3


def parse_data_format(value: object) -> str:
    """Canonical format name from a DataFormat or string (InvalidArgumentError else)."""
    from wkfn.errors import InvalidArgumentError

    if isinstance(value, DataFormat):
        return value.value
    if isinstance(value, str):
        for fmt in DataFormat:
            if value == fmt.value or value.lower() == fmt.value.lower():
                return fmt.value
    raise InvalidArgumentError(
        f"unknown data_format {value!r} (expected one of: wkw, zarr, zarr3)"
    )
