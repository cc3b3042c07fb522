"""Is the dataset on disk what a plan would produce? (a finished call run again)

Re-running a script whose copy (or image import) had finished should return the
existing dataset when it is what the call would produce, and otherwise refuse
with one clear error (issue 17). The properties are written last, so properties
equal to the plan's target mean the data is there; but the properties do not hold
every fact of an array: a zarr3 layer's chunk shape, shard shape and compression
live in each mag's ``zarr.json`` only. So besides the properties this module
compares the layout of every array the plan creates (:class:`CreateArray`) or
copies file by file (:class:`CopyTree` of an array, which keeps the source's
layout) with the array on disk, and says what differs in the caller's terms
(``chunk_shape (32, 32, 32) on disk, (16, 16, 16) requested``).

:func:`wkfn.execute.resumable.finished_differences` combines these checks for a
finished target; :func:`plan_differences` says how a killed run's arrays differ
from a new call's (the message of its :class:`~wkfn.errors.LeftoverError`).

Array extents are not compared: they follow from the bounding boxes (which are in
the properties), and a wkw array's extent is only observed from its files.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TypeGuard

import msgspec
from msgspec import to_builtins

from wkfn.errors import WkfnError
from wkfn.execute.paths import resolve_path
from wkfn.plan.ops import CopyTree, CreateArray, MovePath, ReplacePath
from wkfn.plan.plan import Plan
from wkfn.spec.array import ArrayLayout
from wkfn.spec.codec import decode_properties
from wkfn.spec.dataset import DatasetSpec
from wkfn.storage.arrays import array_exists, read_layout
from wkfn.storage.files import read_properties_bytes
from wkfn.storage.ts_array import METADATA_FILE

#: the layout facts a call chooses (the extent follows from the bounding box)
_COMPARED = (
    "data_format",
    "dtype",
    "num_channels",
    "chunk_shape",
    "shard_shape",
    "compress",
    "dims",
)


def _fact(name: str, found: object, wanted: object, there: str = "on disk") -> str:
    return f"{name} {found} {there}, {wanted} requested"


def compare_layouts(
    where: str, found: ArrayLayout, wanted: ArrayLayout, there: str = "on disk"
) -> list[str]:
    """``<where>: <fact> <found> <there>, <wanted> requested`` per differing fact."""
    return [
        f"{where}: {_fact(name, getattr(found, name), getattr(wanted, name), there)}"
        for name in _COMPARED
        if getattr(found, name) != getattr(wanted, name)
    ]


def _grouped(lines: list[str]) -> list[str]:
    """``<where>: <what>`` lines as ``<what>: <where>, <where>...`` (one per what)."""
    grouped: dict[str, list[str]] = {}
    for line in lines:
        where, what = line.split(": ", 1)
        grouped.setdefault(what, []).append(where)
    return [f"{what}: {', '.join(wheres)}" for what, wheres in grouped.items()]


def plan_differences(killed: Plan, plan: Plan) -> list[str]:
    """How the arrays a killed run was creating differ from those ``plan``
    creates at the same paths (``chunk_shape (32, 32, 32) in the killed run,
    (16, 16, 16) requested: color/1``), and paths only one of them creates."""
    theirs = {_where(op.path): op.layout for op in killed.ops if _is_create(op)}
    mine = {_where(op.path): op.layout for op in plan.ops if _is_create(op)}
    copied_by_them, copied_by_me = _file_copies(killed), _file_copies(plan)
    lines: list[str] = []
    for path, layout in mine.items():
        if path in theirs:
            there = "in the killed run"
            lines.extend(compare_layouts(path, theirs[path], layout, there))
        elif path in copied_by_them:
            lines.append(
                f"{path}: re-encoded by this call, file-copied by the killed run"
            )
    lines.extend(
        f"{path}: re-encoded by the killed run, file-copied by this call"
        for path in theirs
        if path not in mine and path in copied_by_me
    )
    return _grouped(lines)


def _file_copies(plan: Plan) -> set[str]:
    return {_where(op.target) for op in plan.ops if isinstance(op, CopyTree)}


def _is_create(op: object) -> TypeGuard[CreateArray]:
    return isinstance(op, CreateArray)


def layout_differences(root: str | os.PathLike[str], plan: Plan) -> list[str]:
    """What differs between the arrays ``plan`` creates or copies and those at
    ``root`` (empty if every one is there with the planned layout), one line per
    difference, the arrays it concerns grouped (``chunk_shape (32, 32, 32) on
    disk, (16, 16, 16) requested: color/1, color/2``)."""
    lines: list[str] = []
    moved = {
        os.path.normpath(op.source): op.target
        for op in plan.ops
        if isinstance(op, ReplacePath | MovePath)
    }
    for op in plan.ops:
        if isinstance(op, CreateArray):
            final = moved.get(os.path.normpath(op.path), op.path)  # a temp array
            lines.extend(_created(Path(root), msgspec.structs.replace(op, path=final)))
        elif isinstance(op, CopyTree) and "://" not in op.source:
            lines.extend(_copied(Path(root), op))
    return _grouped(lines)


def _where(path: str) -> str:
    return os.path.normpath(path)


def _read(path: str, data_format: str, dims: tuple[str, ...] | None) -> ArrayLayout:
    return read_layout(path, data_format, dims)


def _created(root: Path, op: CreateArray) -> list[str]:
    path = resolve_path(root, op.path)
    wanted = op.layout
    if not array_exists(path, wanted.data_format):
        return [f"{_where(op.path)}: no {wanted.data_format} array on disk"]
    try:
        found = _read(path, wanted.data_format, wanted.dims or None)
    except (OSError, ValueError, KeyError, WkfnError) as e:
        return [f"{_where(op.path)}: unreadable array ({e})"]
    return compare_layouts(_where(op.path), found, wanted)


def _copied(root: Path, op: CopyTree) -> list[str]:
    """A file copy keeps the source's layout: compare the target's with it."""
    source = resolve_path(root, op.source)
    target = resolve_path(root, op.target)
    where = _where(op.target)
    for data_format in METADATA_FILE:
        if not array_exists(source, data_format):
            continue
        if not array_exists(target, data_format):
            return [f"{where}: no {data_format} array on disk"]
        try:
            wanted = _read(source, data_format, None)
            found = _read(target, data_format, None)
        except (OSError, ValueError, KeyError, WkfnError):
            # an n-D array: its dims are not known here; compare the metadata
            name = METADATA_FILE[data_format]
            if _bytes(source, name) != _bytes(target, name):
                return [f"{where}: array metadata ({name}) differs from {op.source}"]
            return []
        return compare_layouts(where, found, wanted)
    if not os.path.lexists(target):
        return [f"{where}: missing"]
    return []


def _bytes(directory: str, name: str) -> bytes | None:
    try:
        with open(os.path.join(directory, name), "rb") as f:
            return f.read()
    except OSError:
        return None


def spec_differences(found: DatasetSpec, wanted: DatasetSpec) -> list[str]:
    """What differs between two dataset properties, named like the facade
    (``voxel_size``, ``layers``, ``layer 'color': bounding_box``)."""
    out = []
    if found.scale != wanted.scale:
        out.append(_fact("voxel_size", _scale(found), _scale(wanted)))
    if found.id != wanted.id:
        out.append(_fact("id", to_builtins(found.id), to_builtins(wanted.id)))
    out.extend(
        _fact(name, getattr(found, name), getattr(wanted, name))
        for name in found.__struct_fields__
        if name not in ("scale", "id", "data_layers")
        and getattr(found, name) != getattr(wanted, name)
    )
    names = [lay.name for lay in found.data_layers]
    wanted_names = [lay.name for lay in wanted.data_layers]
    if names != wanted_names:
        return [*out, f"layers {names} on disk, {wanted_names} requested"]
    for have, want in zip(found.data_layers, wanted.data_layers, strict=True):
        fields = [
            name
            for name in have.__struct_fields__
            if getattr(have, name) != getattr(want, name)
        ]
        if type(have) is not type(want):
            fields = ["category"]
        if fields:
            out.append(f"layer {have.name!r}: {', '.join(fields)} differ")
    return out


def _scale(spec: DatasetSpec) -> str:
    return f"{spec.scale.factor} {spec.scale.unit}"


def _on_disk(root: Path) -> DatasetSpec | None:
    source = str(root / "datasource-properties.json")
    try:
        return decode_properties(read_properties_bytes(root), source=source)
    except (OSError, ValueError, WkfnError):
        return None


def properties_differences(
    root: str | os.PathLike[str], planned: DatasetSpec
) -> list[str]:
    """What differs between the properties at ``root`` and ``planned``."""
    found = _on_disk(Path(root))
    if found is None:
        return ["its properties cannot be read"]
    return spec_differences(found, planned) or ["the properties differ"]


def summarize(differences: list[str], limit: int = 5) -> str:
    """The first ``limit`` differences, ``; ``-joined, with a count of the rest."""
    head = "; ".join(differences[:limit])
    more = len(differences) - limit
    return f"{head}; and {more} more" if more > 0 else head


__all__ = [
    "compare_layouts",
    "layout_differences",
    "plan_differences",
    "properties_differences",
    "spec_differences",
    "summarize",
]
