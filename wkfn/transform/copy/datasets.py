"""Copies of whole datasets: a converted copy or a shallow copy referencing the mags."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from wkfn.errors import LayerExistsError
from wkfn.spec import lookup
from wkfn.spec.dataset import DatasetId, DatasetSpec, VoxelSizeSpec
from wkfn.spec.names import validate_layer_name
from wkfn.transform.change import Change, make_change
from wkfn.transform.copy.layers import plan_layer_copy, ref_layer
from wkfn.transform.copy.mags import Parts
from wkfn.transform.copy.records import DEFAULT_OPTIONS, CopyOptions, SourceLayer, Vec3


def new_dataset_spec(
    source: DatasetSpec,
    *,
    name: str,
    voxel_size: tuple[float, float, float] | None,
    unit: str | None,
) -> DatasetSpec:
    """An empty dataset with the source's voxel size and view configuration."""
    scale = source.scale
    if voxel_size is not None:
        scale = VoxelSizeSpec(
            factor=(float(voxel_size[0]), float(voxel_size[1]), float(voxel_size[2])),
            unit=unit or "nanometer",
        )
    return DatasetSpec(
        id=DatasetId(name=name, team=""),
        scale=scale,
        data_layers=(),
        default_view_configuration=source.default_view_configuration,
    )


def copy_dataset(
    source: DatasetSpec,
    layers: Sequence[SourceLayer],
    *,
    name: str,
    voxel_size: tuple[float, float, float] | None = None,
    unit: str | None = None,
    options: CopyOptions = DEFAULT_OPTIONS,
    base: DatasetSpec | None = None,
) -> Change:
    """A whole new dataset holding copies of ``layers`` (one plan, base ``""``).

    All arrays are created in the first stage, all blocks copied in the next
    stage(s), the properties written last: a failed run leaves no properties file
    that points at missing arrays.
    """
    for src in layers:
        validate_layer_name(src.spec.name)
    new = base or new_dataset_spec(source, name=name, voxel_size=voxel_size, unit=unit)
    acc = Parts()
    for src in layers:
        if lookup.has_layer(new, src.spec.name):
            raise LayerExistsError(f"layer {src.spec.name!r} already exists")
        layer = plan_layer_copy(acc, src, src.spec.name, options)
        new = lookup.add_layer(new, layer)
    return make_change(
        base, new, acc.stages(), summary=acc.summary or ("copy dataset",)
    )


def shallow_copy_dataset(
    source: DatasetSpec,
    layers: Sequence[SourceLayer],
    *,
    name: str,
    mag_paths: dict[str, dict[Vec3, str]],
) -> Change:
    """A new dataset whose layers reference the source's mags (no data files)."""
    for src in layers:
        validate_layer_name(src.spec.name)
    new = new_dataset_spec(source, name=name, voxel_size=None, unit=None)
    for src in layers:
        new = lookup.add_layer(
            new, ref_layer(src, src.spec.name, mag_paths[src.spec.name])
        )
    return make_change(None, new, summary=(f"shallow copy of {source.id.name!r}",))


def summarize(change: Change) -> Any:
    """Counts of ops by type (for reports and tests)."""
    counts: dict[str, int] = {}
    for op in change.plan.ops:
        key = type(op).__name__
        counts[key] = counts.get(key, 0) + 1
    return counts
