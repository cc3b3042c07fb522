"""Adding, matching and deleting the layers of a dataset (``Dataset.add_layer`` ...).

Plain functions taking the dataset first; :class:`~wkfn.api.dataset.Dataset` binds
them as methods. Each one parses the reference's arguments, calls a pure transform
of :mod:`wkfn.transform.dataset` and applies the change through the session.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from wkfn.api._parse import resolve_dtype
from wkfn.api.enums import DEFAULT_DATA_FORMAT, parse_data_format
from wkfn.errors import MismatchError
from wkfn.geometry import BoundingBox
from wkfn.spec import lookup
from wkfn.spec.dtypes import dtype_per_channel_of
from wkfn.transform import dataset as ds_transform
from wkfn.transform.change import make_change

if TYPE_CHECKING:
    from wkfn.api.dataset import Dataset
    from wkfn.api.layer import Layer


def add_layer(
    ds: Dataset,
    layer_name: str,
    category: str,
    dtype_per_layer: Any = None,
    dtype_per_channel: Any = None,
    num_channels: int | None = None,
    data_format: Any = DEFAULT_DATA_FORMAT,
    bounding_box: BoundingBox | None = None,
    *,
    dtype: Any = None,
    **kwargs: Any,
) -> Layer:
    """Add an empty layer (see the reference API for the arguments).

    Raises:
        InvalidLayerNameError: bad or path-traversing name (ValueError).
        LayerExistsError: the name is taken (IndexError).
        InvalidCategoryError: unknown category (RuntimeError).
        ConflictingArgumentsError: several dtype arguments (AttributeError).
        InvalidArgumentError: unknown dtype, ``num_channels < 1``, bad format.
    """
    ds.session.check_writable()
    unknown = set(kwargs) - {"largest_segment_id", "mappings"}
    if unknown:
        raise TypeError(f"add_layer got unexpected arguments: {sorted(unknown)}")
    per_channel, channels = resolve_dtype(
        dtype_per_layer, dtype_per_channel, dtype, num_channels
    )
    largest = kwargs.get("largest_segment_id")
    if largest is not None:
        largest = int(largest)
    box = None
    nd_box = None
    if bounding_box is not None and bounding_box.axes != ("x", "y", "z"):
        nd_box = bounding_box
    elif bounding_box is not None:
        box = (bounding_box.topleft.to_tuple(), bounding_box.size.to_tuple())
    change = ds_transform.add_layer(
        ds.spec,
        name=layer_name,
        category=category,
        dtype_per_channel=per_channel,
        num_channels=channels,
        data_format=parse_data_format(data_format),
        bounding_box=box,
        largest_segment_id=largest,
        mappings=tuple(kwargs.get("mappings") or ()),
        nd_box=nd_box,
    )
    ds.session.apply(change)
    return ds.get_layer(layer_name)


def get_or_add_layer(
    ds: Dataset,
    layer_name: str,
    category: str,
    dtype_per_layer: Any = None,
    dtype_per_channel: Any = None,
    num_channels: int | None = None,
    data_format: Any = DEFAULT_DATA_FORMAT,
    *,
    dtype: Any = None,
    **kwargs: Any,
) -> Layer:
    """The existing layer (after checking it matches) or a new one."""
    if not lookup.has_layer(ds.spec, layer_name):
        return add_layer(
            ds,
            layer_name,
            category,
            dtype_per_layer,
            dtype_per_channel,
            num_channels,
            data_format,
            dtype=dtype,
            **kwargs,
        )
    layer = ds.get_layer(layer_name)
    if layer.category != category:
        raise MismatchError(
            f"layer {layer_name!r} has category {layer.category!r}, not {category!r}"
        )
    if dtype_per_layer is not None or dtype_per_channel is not None or dtype:
        per_channel, _ = resolve_dtype(
            dtype_per_layer, dtype_per_channel, dtype, num_channels
        )
        if np.dtype(per_channel) != layer.dtype_per_channel:
            raise MismatchError(
                f"layer {layer_name!r} has dtype {layer.dtype_per_channel}, "
                f"not {per_channel}"
            )
    if num_channels is not None and num_channels != layer.num_channels:
        raise MismatchError(
            f"layer {layer_name!r} has {layer.num_channels} channels, "
            f"not {num_channels}"
        )
    return layer


def add_layer_like(ds: Dataset, other_layer: Layer, layer_name: str) -> Layer:
    """A new empty layer with the properties (not the data) of ``other_layer``."""
    ds.session.check_writable()
    src = other_layer.spec
    change = ds_transform.add_layer(
        ds.spec,
        name=layer_name,
        category=src.category,
        dtype_per_channel=dtype_per_channel_of(src.element_class, src.num_channels),
        num_channels=src.num_channels,
        data_format=src.data_format,
        bounding_box=(
            src.bounding_box.top_left,
            (src.bounding_box.width, src.bounding_box.height, src.bounding_box.depth),
        ),
        largest_segment_id=src.largest_segment_id,
        mappings=src.mappings,
    )
    if src.default_view_configuration is not None:
        with_view = ds_transform.set_layer_view_configuration(
            change.spec, layer_name, dict(src.default_view_configuration)
        )
        change = make_change(
            ds.spec, with_view.spec, summary=(f"+ layer {layer_name}",)
        )
    ds.session.apply(change)
    return ds.get_layer(layer_name)


def delete_layer(ds: Dataset, layer_name: str) -> None:
    """Remove a layer and its files."""
    ds.session.apply(ds_transform.delete_layer(ds.spec, layer_name))
    ds.session.forget_layouts(layer_name)
