"""Root group files and per-layer OME-NGFF metadata.

Pure builders (:func:`ome_attributes_v05`, :func:`ome_attributes_v04`,
:func:`group_files`) compute JSON values; :func:`write_group_metadata` writes them.

Example:
    >>> ome_attributes_v04([("1", (1, 1, 1))], (4.0, 4.0, 35.0))["multiscales"][0][
    ...     "datasets"][0]["coordinateTransformations"][0]["scale"]
    [1.0, 4.0, 4.0, 35.0]
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

from wkfn.storage import location
from wkfn.storage.files import write_bytes_atomic

JsonDict = dict[str, Any]
Vec3 = tuple[int, int, int]
Vec3f = tuple[float, float, float]
MagEntry = tuple[str, Vec3]
"""(mag directory name relative to the layer, mag factors)."""

LENGTH_UNIT_NM: dict[str, float] = {
    "yoctometer": 1e-15,
    "zeptometer": 1e-12,
    "attometer": 1e-9,
    "femtometer": 1e-6,
    "picometer": 1e-3,
    "angstrom": 0.1,
    "nanometer": 1.0,
    "micrometer": 1e3,
    "millimeter": 1e6,
    "centimeter": 1e7,
    "decimeter": 1e8,
    "meter": 1e9,
    "hectometer": 1e11,
    "kilometer": 1e12,
    "megameter": 1e15,
    "gigameter": 1e18,
    "terameter": 1e21,
    "petameter": 1e24,
    "exameter": 1e27,
    "zettameter": 1e30,
    "yottameter": 1e33,
    "inch": 2.54e7,
    "foot": 3.048e8,
    "yard": 9.144e8,
    "mile": 1.609344e12,
    "parsec": 3.085677581e25,
    "ym": 1e-15,
    "zm": 1e-12,
    "am": 1e-9,
    "fm": 1e-6,
    "pm": 1e-3,
    "Å": 0.1,
    "nm": 1.0,
    "µm": 1e3,
    "μm": 1e3,
    "um": 1e3,
    "mm": 1e6,
    "cm": 1e7,
    "dm": 1e8,
    "m": 1e9,
    "hm": 1e11,
    "km": 1e12,
    "Mm": 1e15,
    "Gm": 1e18,
    "Tm": 1e21,
    "Pm": 1e24,
    "Em": 1e27,
    "Zm": 1e30,
    "Ym": 1e33,
    "in": 2.54e7,
    "ft": 3.048e8,
    "yd": 9.144e8,
    "mi": 1.609344e12,
    "pc": 3.085677581e25,
}
"""Nanometres per unit, for long names and symbols of the reference's LengthUnit."""


def voxel_size_nm(factor: Sequence[float], unit: str = "nanometer") -> Vec3f:
    """Convert a voxel size to nanometres.

    >>> voxel_size_nm((4, 4, 35), "micrometer")
    (4000.0, 4000.0, 35000.0)
    """
    try:
        k = LENGTH_UNIT_NM[unit]
    except KeyError:
        raise ValueError(f"unknown length unit {unit!r}") from None
    return (_nice(factor[0] * k), _nice(factor[1] * k), _nice(factor[2] * k))


def _nice(v: float) -> float:
    """Drop float noise from a unit conversion (4 µm -> 4000.0, not 4000.000000001)."""
    r = round(float(v), 9)
    return r if abs(r - v) <= abs(v) * 1e-12 else float(v)


def mag_dir_name(mag: Sequence[int]) -> str:
    """Short mag name: ``"2"`` for 2-2-2, ``"2-2-1"`` otherwise."""
    if mag[0] == mag[1] == mag[2]:
        return str(mag[0])
    return f"{mag[0]}-{mag[1]}-{mag[2]}"


def _axis(name: str) -> JsonDict:
    if name == "c":
        return {"name": "c", "type": "channel"}
    if name in ("x", "y", "z"):
        return {"name": name, "type": "space", "unit": "nanometer"}
    if name == "t":
        return {"name": "t", "type": "time"}
    return {"name": name}


def ome_axes(dims: Sequence[str] | None = None) -> list[JsonDict]:
    """Axes of a layer in array order (``c, x, y, z`` unless ``dims`` names the
    dimensions of an n-D layer); spatial units are always nanometre, ``t`` is a
    time axis, other extra axes carry no type (as the reference writes them)."""
    return [_axis(d) for d in (dims or ("c", "x", "y", "z"))]


def ome_datasets(
    mags: Sequence[MagEntry], voxel_nm: Vec3f, dims: Sequence[str] | None = None
) -> list[JsonDict]:
    """One dataset per mag with its scale transform in nanometres (1.0 on
    non-spatial axes)."""

    def scale(mag: tuple[int, int, int]) -> list[float]:
        return [
            _nice(voxel_nm["xyz".index(d)] * mag["xyz".index(d)])
            if d in ("x", "y", "z")
            else 1.0
            for d in (dims or ("c", "x", "y", "z"))
        ]

    return [
        {
            "path": path,
            "coordinateTransformations": [{"type": "scale", "scale": scale(mag)}],
        }
        for path, mag in mags
    ]


def ome_attributes_v05(
    mags: Sequence[MagEntry], voxel_nm: Vec3f, dims: Sequence[str] | None = None
) -> JsonDict:
    """The ``attributes`` of a zarr3 layer group (OME-NGFF 0.5)."""
    return {
        "ome": {
            "version": "0.5",
            "multiscales": [
                {
                    "axes": ome_axes(dims),
                    "datasets": ome_datasets(mags, voxel_nm, dims),
                }
            ],
        }
    }


def ome_attributes_v04(
    mags: Sequence[MagEntry], voxel_nm: Vec3f, dims: Sequence[str] | None = None
) -> JsonDict:
    """The ``.zattrs`` of a zarr v2 layer group (OME-NGFF 0.4)."""
    return {
        "multiscales": [
            {
                "version": "0.4",
                "axes": ome_axes(dims),
                "datasets": ome_datasets(mags, voxel_nm, dims),
            }
        ]
    }


def layer_dims(layer: Mapping[str, Any]) -> list[str] | None:
    """Dimension names of an n-D layer's arrays in array order (from ``axisOrder``
    and ``additionalAxes`` of its properties entry), or None for a 3-D layer."""
    extras = layer.get("additionalAxes") or []
    if not extras:
        return None
    mags = layer.get("mags") or []
    order = (mags[0].get("axisOrder") if mags else None) or layer.get(
        "boundingBox", {}
    ).get("axisOrder")
    if not isinstance(order, Mapping):
        return None
    named = {int(v): str(k) for k, v in order.items()}
    named.update({int(a["index"]): str(a["name"]) for a in extras})
    if sorted(named) != list(range(len(named))):
        return None
    return [named[i] for i in range(len(named))]


def _voxel_nm(properties: Mapping[str, Any]) -> Vec3f:
    scale = properties.get("scale", [1.0, 1.0, 1.0])
    if isinstance(scale, Mapping):
        return voxel_size_nm(scale["factor"], str(scale.get("unit", "nanometer")))
    return voxel_size_nm(scale)


def _layer_mags(
    root: str, layer: Mapping[str, Any]
) -> tuple[str, list[MagEntry]] | None:
    """The layer directory and its local mags, or None if it gets no OME metadata."""
    name = str(layer["name"])
    layer_dir = os.path.realpath(os.path.join(root, name))
    if not os.path.isdir(layer_dir):
        return None
    mags: list[MagEntry] = []
    for entry in layer.get("mags", []):
        mag = tuple(int(v) for v in entry["mag"])
        if len(mag) != 3:
            continue
        path = entry.get("path")
        if path is None:
            short = mag_dir_name(mag)
            long = f"{mag[0]}-{mag[1]}-{mag[2]}"
            rel = (
                long
                if os.path.isdir(os.path.join(layer_dir, long))
                and not (os.path.isdir(os.path.join(layer_dir, short)))
                else short
            )
            mag_dir = os.path.join(layer_dir, rel)
        else:
            path = str(path)
            if location.is_url(path):
                return None
            mag_dir = os.path.realpath(os.path.join(root, path))
        rel = os.path.relpath(mag_dir, layer_dir)
        if rel.startswith("..") or os.path.isabs(rel) or rel == ".":
            return None
        mags.append((rel.replace(os.sep, "/"), (mag[0], mag[1], mag[2])))
    return layer_dir, mags


def _layer_mags_objects(
    root: str, layer: Mapping[str, Any]
) -> tuple[str, list[MagEntry]] | None:
    """:func:`_layer_mags` for a dataset on an object store.

    A "directory" exists there when objects lie below its prefix. Whether a mag
    lives in ``1`` or ``1-1-1`` is asked of the arrays' metadata objects (HEADs sent
    together), not of a listing of the layer, which grows with its chunks.
    """
    from wkfn.storage import objects

    name = str(layer["name"])
    layer_dir = location.join(root, name)
    meta = "zarr.json" if layer.get("dataFormat") == "zarr3" else ".zarray"
    entries: list[tuple[tuple[int, int, int], str | None]] = []
    for entry in layer.get("mags", []):
        mag = tuple(int(v) for v in entry["mag"])
        if len(mag) == 3:
            path = entry.get("path")
            entries.append(
                ((mag[0], mag[1], mag[2]), None if path is None else str(path))
            )
    probes: list[str] = []
    for mag, path in entries:
        if path is None:
            for rel in (mag_dir_name(mag), f"{mag[0]}-{mag[1]}-{mag[2]}"):
                probes.append(location.join(layer_dir, rel, meta))
        elif not location.is_remote(path):
            probes.append(location.join(root, path, meta))
    found = dict(zip(probes, objects.which_exist(probes))) if probes else {}
    if not any(found.values()) and not objects.is_dir(layer_dir):
        return None
    mags: list[MagEntry] = []
    for mag, path in entries:
        if path is None:
            short = mag_dir_name(mag)
            long = f"{mag[0]}-{mag[1]}-{mag[2]}"
            has_long = found[location.join(layer_dir, long, meta)]
            has_short = found[location.join(layer_dir, short, meta)]
            rel = long if has_long and not has_short else short
        else:
            if location.is_remote(path):
                return None
            inside = location.relative_to(location.join(root, path), layer_dir)
            if inside is None:
                return None
            rel = inside[2:]
        mags.append((rel, mag))
    return layer_dir, mags


def group_files(properties: Mapping[str, Any]) -> dict[str, JsonDict]:
    """Root group files for the formats used: ``{"zarr.json": ..., ".zgroup": ...}``."""
    formats = {layer.get("dataFormat") for layer in properties.get("dataLayers", [])}
    out: dict[str, JsonDict] = {}
    if "zarr3" in formats:
        out["zarr.json"] = {"zarr_format": 3, "node_type": "group"}
    if "zarr" in formats:
        out[".zgroup"] = {"zarr_format": 2}
    return out


def _dump(obj: Any) -> bytes:
    return json.dumps(obj, indent=4).encode()


def _read_json(path: str) -> Any:
    try:
        if location.is_object_url(path):
            from wkfn.storage import objects

            return json.loads(objects.read_bytes(path))
        with open(path, "rb") as f:
            return json.loads(f.read())
    except (FileNotFoundError, ValueError):
        return None


def write_group_metadata(
    dataset_root: str | os.PathLike[str], properties: Mapping[str, Any]
) -> None:
    """Write root group files and OME-NGFF metadata of every local zarr layer.

    ``dataset_root`` may be an object-store URL (``s3://bucket/ds``).
    """
    on_store = location.is_object_url(dataset_root)
    root = str(dataset_root).rstrip("/") if on_store else os.fspath(dataset_root)
    join = location.join if on_store else os.path.join
    for name, content in group_files(properties).items():
        write_bytes_atomic(join(root, name), _dump(content))
    voxel_nm = _voxel_nm(properties)
    for layer in properties.get("dataLayers", []):
        fmt = layer.get("dataFormat")
        if fmt not in ("zarr3", "zarr"):
            continue
        found = (
            _layer_mags_objects(root, layer) if on_store else _layer_mags(root, layer)
        )
        if found is None:
            continue
        layer_dir, mags = found
        dims = layer_dims(layer)
        if fmt == "zarr3":
            group_path = join(layer_dir, "zarr.json")
            existing = _read_json(group_path)
            attributes: JsonDict = {}
            if isinstance(existing, dict) and isinstance(
                existing.get("attributes"), dict
            ):
                attributes = dict(existing["attributes"])
            attributes["ome"] = ome_attributes_v05(mags, voxel_nm, dims)["ome"]
            group = {"zarr_format": 3, "node_type": "group", "attributes": attributes}
            write_bytes_atomic(group_path, _dump(group))
        else:
            write_bytes_atomic(join(layer_dir, ".zgroup"), _dump({"zarr_format": 2}))
            write_bytes_atomic(
                join(layer_dir, ".zattrs"),
                _dump(ome_attributes_v04(mags, voxel_nm, dims)),
            )
