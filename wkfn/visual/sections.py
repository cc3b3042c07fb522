"""Sections of one layer as pictures: the part of previews that needs no dataset
opening, so that :meth:`wkfn.View.preview` can use it without importing the code
that opens datasets from paths (:mod:`wkfn.visual.preview`).

Layers are duck-typed facade objects (``name``, ``category``, ``spec``, ``session``,
``get_mag``); n-D layers (extra axes such as time) need an index for every extra
axis (``at={"t": 2}``) and are read straight from their tensorstore array, since the
facade reads ``(c, x, y, z)`` layers only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from wkfn.errors import InvalidArgumentError, UnsupportedLayerError
from wkfn.geometry import BoundingBox, Mag
from wkfn.picture.png import encode_png
from wkfn.picture.render import layer_image, plane
from wkfn.picture.section import AXES, Section, plan_section

if TYPE_CHECKING:
    from wkfn.api.layer import Layer
    from wkfn.api.view import View

__all__ = ["render", "section_image", "section_plane", "view_preview"]


def check_at(layer: Layer, at: Mapping[str, int] | None) -> dict[str, int]:
    axes = layer.spec.additional_axes
    given = dict(at or {})
    unknown = sorted(set(given) - {a.name for a in axes})
    if unknown:
        extra = [a.name for a in axes]
        raise InvalidArgumentError(
            f"layer {layer.name!r} has no axis {unknown[0]!r} (extra axes: {extra})"
        )
    for axis in axes:
        if axis.name not in given:
            raise InvalidArgumentError(
                f"layer {layer.name!r} has the extra axis {axis.name!r} "
                f"[{axis.bounds[0]}, {axis.bounds[1]}): choose an index for it "
                f"(--at {axis.name}={axis.bounds[0]})"
            )
        value = given[axis.name]
        if not axis.bounds[0] <= value < axis.bounds[1]:
            raise InvalidArgumentError(
                f"{axis.name} index {value} is outside the layer's "
                f"{axis.name} range {axis.bounds[0]}..{axis.bounds[1] - 1}"
            )
    return given


def _read_nd(layer: Layer, mag: Mag, section: Section, at: dict[str, int]) -> Any:
    """``(c, x, y, z)`` voxels of a section of an n-D layer at fixed extra indices."""
    import tensorstore as ts

    from wkfn.spec import lookup
    from wkfn.storage import remote, tsspec

    spec = layer.spec
    mag_spec = lookup.get_mag(spec, mag.to_tuple())
    path = layer.session.mag_path(layer.name, mag)
    if remote.is_url(path):
        opened = remote.open_spec(str(path), spec.data_format)
    else:
        opened = tsspec.open_spec(path, spec.data_format)
    store = ts.open(opened).result()
    order = mag_spec.axis_order or spec.bounding_box.axis_order
    if not order or not all(axis in order for axis in "xyz"):
        raise UnsupportedLayerError(
            f"layer {layer.name!r} does not record where x, y, z are in its array"
        )
    channel = mag_spec.channel_index
    if channel is None:
        channel = spec.bounding_box.channel_index
    m = mag.to_tuple()
    index: list[Any] = [slice(None)] * store.rank
    for i, axis in enumerate("xyz"):
        start = section.topleft[i] // m[i]
        stop = (section.topleft[i] + section.size[i]) // m[i]
        index[order[axis]] = slice(start, stop)
    for extra in spec.additional_axes:
        index[extra.index] = at[extra.name]
    data = np.asarray(store[tuple(index)].read().result())
    # remaining dims keep their array order: put channel first, then x, y, z
    kept = sorted(
        [order["x"], order["y"], order["z"]]
        + ([channel] if channel is not None else [])
    )
    positions = [kept.index(order[a]) for a in "xyz"]
    if channel is None:
        return np.transpose(data, positions)[None]
    return np.transpose(data, [kept.index(channel), *positions])


def section_plane(
    layer: Layer, mag: Mag, section: Section, *, at: Mapping[str, int] | None = None
) -> np.ndarray:
    """``(c, rows, cols)`` voxels of one section of ``layer`` at ``mag``."""
    given = check_at(layer, at)
    if layer.spec.additional_axes:
        data = _read_nd(layer, mag, section, given)
    else:
        box = BoundingBox(section.topleft, section.size)
        data = layer.get_mag(mag).read(absolute_bounding_box=box)
    return plane(np.asarray(data), section)


def render(
    layer: Layer, channels: np.ndarray, window: tuple[float, float] | None
) -> np.ndarray:
    return layer_image(
        channels,
        segmentation=layer.category == "segmentation",
        view_configuration=layer.spec.default_view_configuration,
        window=window,
    )


def section_image(
    layer: Layer,
    mag: Mag,
    section: Section,
    *,
    at: Mapping[str, int] | None = None,
    window: tuple[float, float] | None = None,
) -> np.ndarray:
    """``(rows, cols, 3)`` uint8 picture of one section of ``layer`` at ``mag``."""
    return render(layer, section_plane(layer, mag, section, at=at), window)


def view_preview(
    view: View, axis: str = "z", index: int | None = None, *, png: bool = False
) -> np.ndarray | bytes:
    """Backs :meth:`wkfn.View.preview`: the section of the view's own box."""
    if axis not in AXES:
        raise InvalidArgumentError(f"axis must be one of x, y, z, got {axis!r}")
    box = view.bounding_box
    section = plan_section(
        box.topleft.to_tuple(),
        box.size.to_tuple(),
        view.mag.to_tuple(),
        axis,
        index,
    )
    image = section_image(view.layer, view.mag, section)
    return encode_png(image) if png else image
