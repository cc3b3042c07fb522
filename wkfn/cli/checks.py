"""Validation and comparison of datasets on disk (``check``, ``check-equality``)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from wkfn.api.dataset import Dataset
from wkfn.errors import PropertiesError, WkfnError
from wkfn.spec.check import check_dataset
from wkfn.spec.codec import to_json_obj
from wkfn.storage import location, objects
from wkfn.storage.leftovers import find_leftovers, repair
from wkfn.storage.ome import group_files


def check_dataset_on_disk(path: str | os.PathLike[str]) -> list[str]:
    """Every problem found: properties, arrays (present, dtype, channels), OME files,
    leftovers of killed runs (local datasets: resumable runs are local-only)."""
    from wkfn.api.locations import dataset_root

    root: Any = dataset_root(path)  # a Path, or a UPath on an object store
    leftovers = (
        []
        if location.is_object_url(root)
        else [
            f"leftover {item} (`wkfn check --repair` removes it)"
            for item in find_leftovers(root)
        ]
    )
    if leftovers and not (root / "datasource-properties.json").exists():
        return leftovers
    try:
        ds = Dataset.open(root, read_only=True)
    except PropertiesError as exc:
        return [f"{jp}: {msg}" for jp, msg in exc.issues] + leftovers
    problems = [f"{jp}: {msg}" for jp, msg in check_dataset(ds.spec, strict=False)]
    problems.extend(leftovers)
    for name, layer in ds.layers.items():
        for mag, view in layer.mags.items():
            where = f"{name}/{mag.to_layer_name()}"
            if not _exists(view.path):
                problems.append(f"{where}: array missing at {view.path}")
                continue
            try:
                info = view.info
            except (OSError, ValueError, WkfnError) as exc:
                problems.append(f"{where}: array unreadable: {exc}")
                continue
            if info.voxel_type != layer.dtype_per_channel:
                problems.append(
                    f"{where}: array dtype {info.voxel_type}, "
                    f"properties say {layer.dtype_per_channel}"
                )
            if info.num_channels != layer.num_channels:
                problems.append(
                    f"{where}: array has {info.num_channels} channels, "
                    f"properties say {layer.num_channels}"
                )
    props = to_json_obj(ds.spec)
    for rel in group_files(props):
        if not _exists(root / rel):
            problems.append(f"{rel}: root group metadata missing")
    problems.extend(_check_ome(root, props))
    return problems


def repair_leftovers(path: str | os.PathLike[str]) -> list[str]:
    """Remove the leftovers of killed runs (see :mod:`wkfn.storage.leftovers`);
    nothing to do on an object store (no resumable runs there)."""
    if location.is_object_url(path):
        return []
    return [str(item) for item in repair(path)]


def _exists(path: Any) -> bool:
    """A local path, or an object / prefix on a store."""
    if location.is_object_url(path):
        return objects.exists(str(path))
    return Path(path).exists()


def _read_text(path: str) -> str:
    if location.is_object_url(path):
        return objects.read_bytes(path).decode()
    return Path(path).read_text()


def _check_ome(root: Any, props: dict[str, object]) -> list[str]:
    """Each zarr/zarr3 layer's OME-NGFF metadata must match its mags and voxel size."""
    from wkfn.storage import ome

    problems: list[str] = []
    voxel = ome._voxel_nm(props)
    layers = props.get("dataLayers", [])
    assert isinstance(layers, list)
    for layer in layers:
        fmt = layer.get("dataFormat")
        entry = (
            ome._layer_mags_objects(str(root), layer)
            if location.is_object_url(root)
            else ome._layer_mags(str(root), layer)
        )
        if fmt not in ("zarr3", "zarr") or entry is None:
            continue
        layer_dir, mags = entry
        dims = ome.layer_dims(layer)
        name = "zarr.json" if fmt == "zarr3" else ".zattrs"
        file = f"{layer_dir.rstrip('/')}/{name}"
        if fmt == "zarr3":
            want = ome.ome_attributes_v05(mags, voxel, dims)["ome"]
        else:
            want = ome.ome_attributes_v04(mags, voxel, dims)["multiscales"]
        try:
            found = json.loads(_read_text(file))
        except (OSError, json.JSONDecodeError) as exc:
            problems.append(f"{layer['name']}: OME metadata unreadable: {exc}")
            continue
        got = (
            found.get("attributes", {}).get("ome")
            if fmt == "zarr3"
            else found.get("multiscales")
        )
        if got != want:
            problems.append(
                f"{layer['name']}: OME metadata in {name} does not match the "
                "layer's mags and voxel size"
            )
    return problems


def datasets_equal(
    a: str | os.PathLike[str], b: str | os.PathLike[str], layer_name: str | None
) -> list[str]:
    """Differences between two datasets (empty when voxels and structure match)."""
    left = Dataset.open(a, read_only=True)
    right = Dataset.open(b, read_only=True)
    names = [layer_name] if layer_name else list(left.layers)
    out: list[str] = []
    if layer_name is None and set(left.layers) != set(right.layers):
        out.append(f"layers differ: {sorted(left.layers)} vs {sorted(right.layers)}")
    for name in names:
        if name not in right.layers:
            out.append(f"layer {name} missing in {b}")
            continue
        la, lb = left.get_layer(name), right.get_layer(name)
        if la.bounding_box != lb.bounding_box:
            out.append(f"{name}: bounding boxes differ")
        for mag, view in la.mags.items():
            if mag not in lb.mags:
                out.append(f"{name}/{mag}: missing in {b}")
                continue
            other = lb.get_mag(mag)
            step = (view.info.shard_shape * mag.to_vec3_int()).pairmin((512, 512, 512))
            for box in view.bounding_box.chunk(step):
                if not np.array_equal(
                    view.read(absolute_bounding_box=box),
                    other.read(absolute_bounding_box=box),
                ):
                    out.append(f"{name}/{mag}: voxels differ in {box}")
                    break
    return out
