"""Sections of one layer as pictures: the part of previews that needs no dataset
opening, so that :meth:`wkfn.View.preview` can use it without importing the code
that opens datasets from paths (:mod:`wkfn.visual.preview`).

Layers are duck-typed facade objects (``name``, ``category``, ``spec``, ``session``,
``get_mag``); n-D layers (extra axes such as time) need an index for every extra
axis (``at={"t": 2}``) and are read through the facade's n-D read at those indices.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from wkfn.errors import InvalidArgumentError
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
    """``(1, x, y, z)`` voxels of a section of an n-D layer at fixed extra indices.

    Reads through the facade's n-D read (one dimension per box axis), restricted to
    one index of every extra axis, then drops those axes.
    """
    box = layer.bounding_box.with_topleft_xyz(section.topleft).with_size_xyz(
        section.size
    )
    for extra in layer.spec.additional_axes:
        box = box.with_bounds(extra.name, at[extra.name], 1)
    data = np.asarray(layer.get_mag(mag).read(absolute_bounding_box=box))
    xyz = [box.axes.index(a) for a in "xyz"]
    extra_dims = tuple(i for i in range(data.ndim) if i not in xyz)
    return np.transpose(data, [*extra_dims, *xyz]).reshape(
        (1, *(data.shape[i] for i in xyz))
    )


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
