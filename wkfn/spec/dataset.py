"""The top-level record of ``datasource-properties.json``."""

from __future__ import annotations

from typing import Any

from wkfn.spec.base import WkRecord
from wkfn.spec.layer import LayerSpec

__all__ = ["LENGTH_UNITS", "DatasetId", "DatasetSpec", "VoxelSizeSpec"]

LENGTH_UNITS: tuple[str, ...] = (
    "yoctometer",
    "zeptometer",
    "attometer",
    "femtometer",
    "picometer",
    "nanometer",
    "micrometer",
    "millimeter",
    "centimeter",
    "decimeter",
    "meter",
    "hectometer",
    "kilometer",
    "megameter",
    "gigameter",
    "terameter",
    "petameter",
    "exameter",
    "zettameter",
    "yottameter",
    "angstrom",
    "inch",
    "foot",
    "yard",
    "mile",
    "parsec",
)
"""Long unit names written as ``scale.unit`` (the reference's ``LengthUnit`` values)."""


class DatasetId(WkRecord, frozen=True):
    """Legacy ``id`` object: ``{"name": <dataset name>, "team": ""}``.

    Attributes:
        name: the dataset name (the reference defaults it to the directory name).
        team: ``""`` when written by the reference; ``None`` when a legacy file has
            no ``team`` key (it then stays absent, as with the reference).
    """

    name: str
    team: str | None = ""


class VoxelSizeSpec(WkRecord, frozen=True):
    """``scale``: the physical size of one mag-1 voxel.

    Attributes:
        factor: voxel size along x, y, z, written as floats (``25`` → ``25.0``).
        unit: a long unit name from :data:`LENGTH_UNITS`.
    """

    factor: tuple[float, float, float]
    unit: str = "nanometer"


class DatasetSpec(WkRecord, frozen=True):
    """A whole ``datasource-properties.json``.

    Attributes:
        id: legacy dataset id.
        scale: voxel size with unit.
        data_layers: the layers in file order (look them up with
            :func:`wkfn.spec.lookup.get_layer`).
        version: format version; ``1`` is the only one that exists.
        default_view_configuration: dataset-level view configuration as a JSON object
            (camelCase keys; see :mod:`wkfn.spec.view_config`), or ``None``.

    Example:
        >>> from wkfn.spec import DatasetId, DatasetSpec, VoxelSizeSpec
        >>> scale = VoxelSizeSpec(factor=(11.24, 11.24, 25.0))
        >>> spec = DatasetSpec(id=DatasetId(name="ds"), scale=scale)
        >>> spec.version, spec.data_layers
        (1, ())
    """

    id: DatasetId
    scale: VoxelSizeSpec
    data_layers: tuple[LayerSpec, ...] = ()
    version: int = 1
    default_view_configuration: dict[str, Any] | None = None
