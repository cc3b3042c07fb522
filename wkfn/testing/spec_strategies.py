"""Hypothesis strategies that generate valid :class:`~wkfn.spec.DatasetSpec` values.

Every generated spec passes ``check_dataset`` (strict) and survives
``decode_properties(encode_properties(spec)) == spec``. Use them in your own tests:

Example:
    >>> from hypothesis import given
    >>> from wkfn.testing.spec_strategies import dataset_specs
    >>> @given(dataset_specs())
    ... def test_round_trip(spec): ...
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from wkfn.spec.base import DEFAULT_AXIS_ORDER
from wkfn.spec.dataset import LENGTH_UNITS, DatasetId, DatasetSpec, VoxelSizeSpec
from wkfn.spec.dtypes import ALLOWED_DTYPES, element_class_of
from wkfn.spec.layer import (
    AdditionalAxisSpec,
    AttachmentSpec,
    AttachmentsSpec,
    BoundingBoxSpec,
    LayerSpec,
    MagSpec,
)
from wkfn.spec.view_config import DatasetViewConfiguration, LayerViewConfiguration

__all__ = [
    "dataset_specs",
    "extras",
    "json_values",
    "layer_names",
    "layer_specs",
    "mag_specs",
    "voxel_sizes",
]

_NAME_FIRST = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_$@-"


def json_values(max_leaves: int = 6) -> st.SearchStrategy[Any]:
    """Arbitrary JSON values as :func:`json.loads` returns them (lists, not tuples)."""
    scalars = (
        st.none()
        | st.booleans()
        | st.integers(min_value=-(2**70), max_value=2**70)
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(max_size=8)
    )
    return st.recursive(
        scalars,
        lambda children: (
            st.lists(children, max_size=3)
            | st.dictionaries(st.text(max_size=6), children, max_size=3)
        ),
        max_leaves=max_leaves,
    )


def extras() -> st.SearchStrategy[dict[str, Any]]:
    """Unknown keys (prefixed ``x-`` so they never collide with known ones)."""
    keys = st.text(max_size=6).map(lambda s: f"x-{s}")
    return st.dictionaries(keys, json_values(), max_size=2)


def layer_names() -> st.SearchStrategy[str]:
    """Valid layer names."""
    rest = st.text(alphabet=_NAME_FIRST + ".", max_size=10)
    return st.builds(lambda a, b: a + b, st.sampled_from(_NAME_FIRST), rest)


def voxel_sizes() -> st.SearchStrategy[VoxelSizeSpec]:
    """Finite positive voxel sizes with a long unit name."""
    factor = st.floats(min_value=1e-3, max_value=1e6, allow_nan=False)
    return st.builds(
        VoxelSizeSpec,
        factor=st.tuples(factor, factor, factor),
        unit=st.sampled_from(LENGTH_UNITS),
        extras=extras(),
    )


def _vec3(min_value: int, max_value: int) -> st.SearchStrategy[tuple[int, int, int]]:
    value = st.integers(min_value=min_value, max_value=max_value)
    return st.tuples(value, value, value)


def mag_specs(data_format: str = "zarr3") -> st.SearchStrategy[MagSpec]:
    """Mags as the reference writes them (explicit ``axisOrder``)."""
    power = st.sampled_from([1, 2, 4, 8, 16])
    return st.builds(
        MagSpec,
        mag=st.tuples(power, power, power),
        path=st.none() | st.text(max_size=12),
        cube_length=(
            st.sampled_from([32, 1024]) if data_format == "wkw" else st.none()
        ),
        axis_order=st.just(dict(DEFAULT_AXIS_ORDER)),
        channel_index=st.none() | st.integers(min_value=1, max_value=3),
        extras=extras(),
    )


def _layer_view_configs() -> st.SearchStrategy[dict[str, Any]]:
    config = st.builds(
        LayerViewConfiguration,
        color=st.none() | _vec3(0, 255),
        alpha=st.none() | st.integers(min_value=0, max_value=100),
        is_disabled=st.none() | st.booleans(),
        mapping=st.none() | st.just({"name": "agg", "type": "HDF5"}),
    )
    return config.map(lambda c: c.to_json())


def _dataset_view_configs() -> st.SearchStrategy[dict[str, Any]]:
    config = st.builds(
        DatasetViewConfiguration,
        four_bit=st.none() | st.booleans(),
        zoom=st.none() | st.floats(min_value=0.01, max_value=100),
        position=st.none() | _vec3(0, 1000),
        layers=st.none()
        | st.dictionaries(
            layer_names(),
            st.builds(LayerViewConfiguration, alpha=st.integers(0, 100)),
            max_size=2,
        ),
    )
    return config.map(lambda c: c.to_json())


def _attachments() -> st.SearchStrategy[AttachmentsSpec]:
    one = st.builds(
        AttachmentSpec,
        name=st.text(max_size=8),
        path=st.text(max_size=12),
        data_format=st.sampled_from(["zarr3", "hdf5", "json"]),
        extras=extras(),
    )
    return st.builds(
        AttachmentsSpec,
        meshes=st.lists(one, min_size=1, max_size=2).map(tuple),
        agglomerates=st.lists(one, max_size=2).map(tuple),
        segment_index=st.none() | one,
        cumsum=st.none() | one,
    )


def _additional_axes() -> st.SearchStrategy[tuple[AdditionalAxisSpec, ...]]:
    def build(names: list[str], data: list[tuple[int, int, int]]) -> Any:
        return tuple(
            AdditionalAxisSpec(name=n, bounds=(low, low + size), index=i)
            for n, (low, size, i) in zip(names, data)
        )

    return st.lists(st.sampled_from(["t", "s", "u"]), unique=True, max_size=2).flatmap(
        lambda names: st.lists(
            st.tuples(st.integers(0, 100), st.integers(0, 100), st.integers(0, 5)),
            min_size=len(names),
            max_size=len(names),
        ).map(lambda data: build(names, data))
    )


@st.composite
def layer_specs(
    draw: st.DrawFn, category: str | None = None, name: str | None = None
) -> LayerSpec:
    """A valid layer (segmentation-only fields only on segmentation layers)."""
    cat = category or draw(st.sampled_from(["color", "segmentation"]))
    data_format = draw(st.sampled_from(["zarr3", "zarr", "wkw"]))
    dtype = draw(st.sampled_from(ALLOWED_DTYPES[cat]))
    num_channels = draw(st.sampled_from([1, 1, 2, 3]))
    mags = draw(st.lists(mag_specs(data_format), max_size=3, unique_by=lambda m: m.mag))
    seg = cat == "segmentation"
    top_left = draw(_vec3(0, 10_000))
    size = draw(_vec3(0, 10_000))
    bbox = BoundingBoxSpec(
        top_left=top_left,
        width=size[0],
        height=size[1],
        depth=size[2],
        axis_order=None if mags else dict(DEFAULT_AXIS_ORDER),
        extras=draw(extras()),
    )
    transform = {"type": "affine", "matrix": [[1.0, 0.0, 0.0, 0.0]] * 4}
    return LayerSpec(
        name=name if name is not None else draw(layer_names()),
        category="segmentation" if seg else "color",
        bounding_box=bbox,
        data_format=data_format,
        mags=tuple(mags),
        default_view_configuration=draw(st.none() | _layer_view_configs()),
        coordinate_transformations=draw(st.sampled_from([(), (transform,)])),
        largest_segment_id=(
            draw(st.none() | st.integers(0, 2**64 - 1)) if seg else None
        ),
        mappings=(
            tuple(draw(st.lists(st.text(max_size=8), max_size=2))) if seg else ()
        ),
        attachments=draw(st.none() | _attachments()) if seg else None,
        additional_axes=draw(_additional_axes()),
        num_channels=num_channels,
        element_class=element_class_of(dtype, num_channels),
        extras=draw(extras()),
    )


@st.composite
def dataset_specs(draw: st.DrawFn, max_layers: int = 3) -> DatasetSpec:
    """A valid dataset spec with up to ``max_layers`` uniquely named layers."""
    names = draw(st.lists(layer_names(), max_size=max_layers, unique=True))
    layers = tuple(draw(layer_specs(name=name)) for name in names)
    return DatasetSpec(
        id=DatasetId(
            name=draw(st.text(max_size=10)),
            team=draw(st.sampled_from(["", None, "team"])),
            extras=draw(extras()),
        ),
        scale=draw(voxel_sizes()),
        data_layers=layers,
        default_view_configuration=draw(st.none() | _dataset_view_configs()),
        extras=draw(extras()),
    )
