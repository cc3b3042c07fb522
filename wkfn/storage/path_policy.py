"""Which local paths a dataset's properties may point wkfn at (mags, attachments).

``mags[].path`` and ``attachments.*.path`` in ``datasource-properties.json`` are free
text. The reference follows them wherever they lead (``../../etc``, an absolute
path elsewhere).
wkfn's policy, applied whenever such a path is resolved for use:

1. A URL (``https://``, ``s3://`` ...) is left to the remote readers.
2. A path whose real location (symlinks resolved) lies **inside the dataset
   directory** is always allowed.
3. A path outside is allowed only if it is **another dataset's data of the right
   kind**: for a mag, an existing array directory of the layer's format (``zarr.json``
   with ``"node_type": "array"`` for zarr3, ``.zarray`` for zarr v2, ``header.wkw``
   starting with ``WKW`` for wkw); for an attachment, an existing zarr3 node
   (a directory with ``zarr.json``) or a file named ``*.hdf5`` / ``*.h5`` / ``*.json``.
   This keeps ``add_layer_as_ref``, ``add_mag_as_ref`` and shallow copies working:
   they reference other datasets' mags on purpose, with absolute or ``../`` paths.
4. Anything else outside (a plain folder, a system file, a path that does not
   exist) raises :class:`~wkfn.errors.UnsafePathError` naming the stored path, the
   place it resolves to and the dataset, before anything is read or written.
"""

from __future__ import annotations

import json
import os

from wkfn.errors import UnsafePathError
from wkfn.storage.location import is_url

_ATTACHMENT_FILE_SUFFIXES = (".hdf5", ".h5", ".json")


def _inside(root: str, target: str) -> bool:
    real_root = os.path.realpath(root)
    real = os.path.realpath(target)
    try:
        return os.path.commonpath([real_root, real]) == real_root
    except ValueError:  # different drives on Windows
        return False


def _is_array_dir(path: str, data_format: str) -> bool:
    try:
        if data_format == "zarr3":
            with open(os.path.join(path, "zarr.json"), "rb") as f:
                meta = json.loads(f.read(1 << 20))
            return isinstance(meta, dict) and meta.get("node_type") == "array"
        if data_format == "zarr":
            with open(os.path.join(path, ".zarray"), "rb") as f:
                meta = json.loads(f.read(1 << 20))
            return isinstance(meta, dict) and "shape" in meta
        if data_format == "wkw":
            with open(os.path.join(path, "header.wkw"), "rb") as f:
                return f.read(3) == b"WKW"
    except (OSError, ValueError):
        return False
    return False


def check_mag_path(root: str, stored: str, resolved: str, data_format: str) -> str:
    """Return ``resolved`` if the policy allows reading a mag there, else raise.

    Args:
        root: the dataset directory.
        stored: the path as written in the properties (for the message).
        resolved: ``stored`` resolved against ``root``.
        data_format: the layer's data format (``zarr3``, ``zarr``, ``wkw``).
    """
    if is_url(stored) or _inside(root, resolved):
        return resolved
    if _is_array_dir(resolved, data_format):
        return resolved
    raise UnsafePathError(
        f"mag path {stored!r} of dataset {root} resolves to "
        f"{os.path.realpath(resolved)}, which is outside the dataset and not a "
        f"{data_format} array of another dataset; refusing to read it"
    )


def check_attachment_path(root: str, stored: str, resolved: str) -> str:
    """Return ``resolved`` if the policy allows an attachment there, else raise."""
    if is_url(stored) or _inside(root, resolved):
        return resolved
    if os.path.isfile(os.path.join(resolved, "zarr.json")):
        return resolved
    if os.path.isfile(resolved) and resolved.lower().endswith(
        _ATTACHMENT_FILE_SUFFIXES
    ):
        return resolved
    raise UnsafePathError(
        f"attachment path {stored!r} of dataset {root} resolves to "
        f"{os.path.realpath(resolved)}, which is outside the dataset and not an "
        "attachment (zarr3 node, .hdf5, .h5 or .json file) of another dataset; "
        "refusing to read it"
    )


__all__ = ["check_attachment_path", "check_mag_path"]
