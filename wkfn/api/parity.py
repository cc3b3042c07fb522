"""Reference names of View / MagView / Layer that wkfn adds as plain functions (bound
as one-line methods and properties on the classes), and the one documented list of
the reference's public names wkfn does not have.

``tests/interop/test_reference_parity.py`` runs ``dir()`` on the reference's
``Dataset``, ``Layer``, ``SegmentationLayer``, ``MagView``, ``View`` and
``BoundingBox`` (webknossos 4.3.3, in ``.venv-ref``) and fails for every public name
that wkfn lacks unless :data:`NOT_PROVIDED` lists it here with the reason.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from wkfn.errors import InvalidArgumentError

if TYPE_CHECKING:
    from wkfn.api.enums import DataFormat
    from wkfn.api.layer import Layer
    from wkfn.api.view import MagView, View

_SERVER = "provided by the server issue (remote datasets, upload/download)"

NOT_PROVIDED: dict[str, dict[str, str]] = {
    "Dataset": {
        "publish_to_preliminary_dataset": _SERVER,
        "trigger_dataset_import": _SERVER,
        "fs_copy_dataset": "deprecated in 4.3.3 (copy_dataset already copies files "
        "directly when it can)",
    },
    "Layer": {
        "as_segmentation_layer": "a cast of the reference's class hierarchy; wkfn "
        "opens segmentation layers as SegmentationLayer already",
        "is_foreign": "not yet: wkfn tracks foreign data per mag (MagView.is_foreign)",
        "is_remote_to_dataset": "not yet: see is_foreign",
    },
    "MagView": {
        "create": "internal constructor of the reference ('do not use manually'); "
        "use Layer.add_mag",
        "merge_chunk": "internal task function of the reference's merge_with_view",
        "normalized_bounding_box": "n-D (channel axis) bounding boxes are not "
        "supported yet; bounding_box is the 3-D box",
    },
    "View": {
        "normalized_bounding_box": "n-D (channel axis) bounding boxes are not "
        "supported yet; bounding_box is the 3-D box",
    },
    "BoundingBox": {
        "denormalize": "n-D bounding boxes are not supported yet",
        "from_axes": "n-D bounding boxes are not supported yet",
        "normalize_axes": "n-D bounding boxes are not supported yet",
        "with_index_xyz": "n-D bounding boxes are not supported yet",
        "xyz_array_to_bbox_shape": "n-D bounding boxes are not supported yet",
    },
}
"""Class name -> reference public name -> why wkfn does not provide it."""
NOT_PROVIDED["SegmentationLayer"] = dict(NOT_PROVIDED["Layer"])


def get_dtype(view: View) -> np.dtype[Any]:
    """The dtype per channel of the view's data, e.g. ``uint8``.

    Always a ``numpy.dtype`` (the reference's annotation); the reference itself
    returns the scalar type (``numpy.uint8``) for wkw mags, which compares equal.
    """
    return np.dtype(view.layer.dtype_per_channel)


def data_format(view: View) -> DataFormat:
    """The data format this view reads and writes."""
    return view.layer.data_format


def num_channels(view: View) -> int:
    """Number of channels of the view's data."""
    return view.layer.num_channels


def write_cxyz(view: View, data: np.ndarray, **kwargs: Any) -> None:
    """Write ``(c, x, y, z)`` data; the keyword arguments are those of ``write``.

    Raises:
        InvalidArgumentError: ``data`` is not 4-dimensional.
    """
    if np.ndim(data) != 4:
        raise InvalidArgumentError(
            f"write_cxyz needs (c, x, y, z) data, got shape {np.shape(data)}"
        )
    view.write(data, **kwargs)


def is_foreign(mag_view: MagView) -> bool:
    """True if this mag's files belong to another dataset (a reference)."""
    return mag_view.session.mag_is_foreign(mag_view.layer.name, mag_view.mag)


def resolved_path(layer: Layer) -> Path:
    """Absolute, symlink-free directory of the layer."""
    return Path(os.path.realpath(os.fspath(layer.path)))


def is_mag_view_foreign(layer: Layer, mag: MagView) -> bool:
    """True if ``mag``'s files belong to another dataset (a reference)."""
    return is_foreign(mag)


__all__ = [
    "NOT_PROVIDED",
    "data_format",
    "get_dtype",
    "is_foreign",
    "is_mag_view_foreign",
    "num_channels",
    "resolved_path",
    "write_cxyz",
]
