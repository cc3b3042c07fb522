"""Preview images of a dataset: a section of a layer at a mag, the mag pyramid
contact sheet and the three orthogonal planes, as RGB arrays or PNG bytes.

Reads go through the facade (local directories and http(s) URLs alike); n-D layers
(extra axes such as time) need an index for every extra axis (``at={"t": 2}``) and
are read straight from their tensorstore array, since the facade reads
``(c, x, y, z)`` layers only.

Example:
    >>> import numpy as np, tempfile, wkfn as wk
    >>> ds = wk.Dataset(tempfile.mkdtemp() + "/ds", voxel_size=(1, 1, 1))
    >>> mag = ds.add_layer("color", "color").add_mag(1)
    >>> mag.write(np.zeros((1, 8, 4, 2), np.uint8), absolute_offset=(0, 0, 0),
    ...           allow_resize=True)
    >>> preview_image(ds).shape  # rows are y, columns x
    (4, 8, 3)
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from wkfn.errors import (
    InvalidArgumentError,
    LayerNotFoundError,
    MagNotFoundError,
)
from wkfn.geometry import Mag
from wkfn.picture.render import default_window
from wkfn.picture.section import AXES, Axis, Section, fit_mag_index, plan_section
from wkfn.picture.sheet import orthogonal_sheet, resize_nearest, row_sheet
from wkfn.picture.window import configured_window
from wkfn.visual.sections import (
    render,
    section_image,
    section_plane,
    view_preview,
)

if TYPE_CHECKING:
    from wkfn.api.dataset import Dataset
    from wkfn.api.layer import Layer

__all__ = [
    "MAX_PIXELS",
    "MAX_SIDE",
    "mag_sheet",
    "open_source",
    "pick_layer",
    "pick_mag",
    "planes_sheet",
    "preview_image",
    "section_image",
    "section_plane",
    "view_preview",
]

MAX_PIXELS = 2048
"""Without an explicit mag, the finest mag whose section fits this many pixels."""
MAX_SIDE = 16384
"""A section longer than this on a side is refused (it would not fit in memory
comfortably and no screen shows it)."""

Vec3 = tuple[int, int, int]


def open_source(source: Dataset | str | os.PathLike[str]) -> Dataset:
    """A dataset object for a Dataset, a directory or an http(s) URL (read-only)."""
    from pathlib import Path

    from wkfn.api.dataset import Dataset
    from wkfn.storage.remote import is_url

    if isinstance(source, Dataset):
        return source
    if is_url(source):
        return Dataset.open(str(source), read_only=True)
    return Dataset.open(Path(source), read_only=True)


def pick_layer(dataset: Dataset, name: str | None) -> Layer:
    """The named layer, else the first colour layer, else the first layer."""
    layers = dataset.layers
    if name is not None:
        if name not in layers:
            raise LayerNotFoundError(
                f"layer {name!r} does not exist; the dataset has {sorted(layers)}"
            )
        return layers[name]
    if not layers:
        raise LayerNotFoundError(f"dataset {dataset.name!r} has no layers")
    colour = [layer for layer in layers.values() if layer.category == "color"]
    return (colour or list(layers.values()))[0]


def _mags(layer: Layer) -> list[Mag]:
    mags = sorted(layer.mags, key=lambda m: (m.max_dim, m.to_tuple()))
    if not mags:
        raise MagNotFoundError(f"layer {layer.name!r} has no mags to show")
    return mags


def _spatial_box(layer: Layer) -> tuple[Vec3, Vec3]:
    box = layer.bounding_box  # n-D layers: the x, y, z part of their box
    return box.topleft_xyz.to_tuple(), box.size_xyz.to_tuple()


def pick_mag(
    layer: Layer,
    mag: object | None,
    axis: Axis | Sequence[Axis],
    max_pixels: int = MAX_PIXELS,
) -> Mag:
    """The given mag (which must exist), else the finest whose section(s) normal to
    ``axis`` (one axis or several) fit ``max_pixels`` per side.

    Raises:
        InvalidArgumentError: ``mag`` is not a mag, or its section would be larger
            than :data:`MAX_SIDE` pixels per side.
        MagNotFoundError: the layer has no such mag (the message lists its mags).
    """
    mags = _mags(layer)
    if mag is not None:
        try:
            wanted = Mag(mag)  # type: ignore[arg-type]
        except (TypeError, ValueError) as exc:
            raise InvalidArgumentError(f"not a mag: {mag!r} ({exc})") from None
        if wanted not in mags:
            names = [m.to_layer_name() for m in mags]
            raise MagNotFoundError(
                f"mag {wanted.to_layer_name()} does not exist in layer "
                f"{layer.name!r}; it has {names}"
            )
        _check_side(layer, wanted, [axis] if isinstance(axis, str) else axis)
        return wanted
    _, size = _spatial_box(layer)
    tuples = [m.to_tuple() for m in mags]
    axes: Sequence[Axis] = [axis] if isinstance(axis, str) else axis
    chosen = mags[max(fit_mag_index(tuples, size, a, max_pixels) for a in axes)]
    _check_side(layer, chosen, axes)
    return chosen


def _check_side(layer: Layer, mag: Mag, axes: Sequence[Axis]) -> None:
    """Refuse a section too large to hold as one picture (before reading it)."""
    _, size = _spatial_box(layer)
    m = mag.to_tuple()
    for axis in axes:
        normal = AXES.index(axis)
        sides = [-(-size[i] // m[i]) for i in range(3) if i != normal]
        if max(sides) > MAX_SIDE:
            raise InvalidArgumentError(
                f"a {axis} section of layer {layer.name!r} at mag "
                f"{mag.to_layer_name()} would be {sides[0]}x{sides[1]} pixels "
                f"(more than {MAX_SIDE} per side): choose a coarser mag"
            )


def _shared_window(
    layer: Layer, planes: Sequence[np.ndarray], window: tuple[float, float] | None
) -> tuple[float, float] | None:
    """One window for all pictures of a sheet, so their brightness compares."""
    if window is not None or layer.category == "segmentation":
        return window
    configured = configured_window(layer.spec.default_view_configuration)
    if configured is not None:
        return configured
    values = np.concatenate([p.reshape(p.shape[0], -1) for p in planes], axis=1)
    return default_window(values[:, None, :])


def _section(layer: Layer, mag: Mag, axis: Axis, index: int | None) -> Section:
    topleft, size = _spatial_box(layer)
    return plan_section(topleft, size, mag.to_tuple(), axis, index)


def preview_image(
    source: Dataset | str | os.PathLike[str],
    *,
    layer: str | None = None,
    mag: object | None = None,
    axis: Axis = "z",
    index: int | None = None,
    at: Mapping[str, int] | None = None,
    window: tuple[float, float] | None = None,
    max_pixels: int = MAX_PIXELS,
) -> np.ndarray:
    """RGB picture of the section of a layer normal to ``axis`` at ``index``.

    Args:
        source: a Dataset, a dataset directory or an http(s) URL.
        layer: layer name (default: the first colour layer).
        mag: mag to read (default: the finest whose section fits 2048 pixels).
        axis: ``"z"`` (x right, y down), ``"y"`` (x right, z down) or ``"x"``
            (z right, y down).
        index: Mag-1 coordinate of the plane (default: the middle of the box).
        at: indices of the extra axes of an n-D layer, e.g. ``{"t": 0}``.
        window: ``(low, high)`` display range; default the layer's
            ``intensityRange``, else the 0.5/99.5 percentiles of the section.
        max_pixels: without ``mag``, the finest mag whose section fits this.

    Raises:
        InvalidArgumentError: an index outside the box, a bad axis, a missing extra
            axis index; MagNotFoundError / LayerNotFoundError for unknown names.
    """
    if axis not in AXES:
        raise InvalidArgumentError(f"axis must be one of x, y, z, got {axis!r}")
    chosen = pick_layer(open_source(source), layer)
    chosen_mag = pick_mag(chosen, mag, axis, max_pixels)
    section = _section(chosen, chosen_mag, axis, index)
    return section_image(chosen, chosen_mag, section, at=at, window=window)


def mag_sheet(
    source: Dataset | str | os.PathLike[str],
    *,
    layer: str | None = None,
    axis: Axis = "z",
    index: int | None = None,
    at: Mapping[str, int] | None = None,
    window: tuple[float, float] | None = None,
    max_pixels: int = MAX_PIXELS,
) -> np.ndarray:
    """The same section at every mag, finest first, side by side (native sizes).

    Mags whose section is larger than ``max_pixels`` on a side are left out (the
    coarsest mag is always shown).
    """
    chosen = pick_layer(open_source(source), layer)
    mags = _mags(chosen)
    _, size = _spatial_box(chosen)
    first = fit_mag_index([m.to_tuple() for m in mags], size, axis, max_pixels)
    planes = [
        section_plane(chosen, mag, _section(chosen, mag, axis, index), at=at)
        for mag in mags[first:]
    ]
    # the finest mag sets the window: coarser mags hold the same data, averaged
    shared = _shared_window(chosen, planes[:1], window)
    return row_sheet([render(chosen, p, shared) for p in planes])


def planes_sheet(
    source: Dataset | str | os.PathLike[str],
    *,
    layer: str | None = None,
    mag: object | None = None,
    position: Sequence[int] | None = None,
    at: Mapping[str, int] | None = None,
    window: tuple[float, float] | None = None,
) -> np.ndarray:
    """xy, xz and yz planes through ``position`` (Mag-1; default the box centre).

    Pixels are stretched to the voxel size's aspect (nearest neighbour), so an
    anisotropic stack does not look squashed along z.
    """
    dataset = open_source(source)
    chosen = pick_layer(dataset, layer)
    chosen_mag = pick_mag(chosen, mag, AXES)
    if position is not None and len(position) != 3:
        raise InvalidArgumentError(f"position needs x, y, z, got {list(position)}")
    point: list[int | None] = list(position) if position is not None else [None] * 3
    planes = {
        axis: section_plane(
            chosen,
            chosen_mag,
            _section(chosen, chosen_mag, axis, point[AXES.index(axis)]),
            at=at,
        )
        for axis in AXES
    }
    shared = _shared_window(chosen, list(planes.values()), window)
    images = {axis: render(chosen, p, shared) for axis, p in planes.items()}
    factor = dataset.voxel_size
    m = chosen_mag.to_tuple()
    # physical size of one pixel along each axis
    step = [factor[i] * m[i] for i in range(3)]
    unit = min(step)
    stretch = [s / unit for s in step]

    def physical(image: np.ndarray, horizontal: int, vertical: int) -> np.ndarray:
        rows = max(1, round(image.shape[0] * stretch[vertical]))
        cols = max(1, round(image.shape[1] * stretch[horizontal]))
        return resize_nearest(image, rows, cols)

    return orthogonal_sheet(
        physical(images["z"], 0, 1),
        physical(images["y"], 0, 2),
        physical(images["x"], 2, 1),
    )
