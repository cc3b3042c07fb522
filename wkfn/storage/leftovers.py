"""What a killed run leaves inside a dataset directory, and removing it.

A run killed by ``kill -9`` (or a power cut) cannot clean up after itself. What it
may leave, none of which the properties list:

* ``journal``: ``.wkfn-journal/<id>.jsonl`` (and its ``.plan.json`` sidecar) of a run
  that did not finish; re-running the same call resumes it.
* ``orphan-array``: a mag array (``<layer>/<mag>``) the properties do not list,
  created by a run that died before writing the properties.
* ``temp``: temporary files and directories: in-place rewrites (``.rechunk-*``),
  tensorstore's ``*.__lock`` files, atomic-write ``.*.tmp`` files, ``*_tmp``,
  half-copied trees (``.<name>.copy-*``) and swapped-out data (``.<name>.old-*``).
* ``unfinished-dataset``: a directory with a journal but no properties: the target
  of a copy that was killed; the same ``copy_dataset`` call resumes it. Also a
  dataset whose ``Dataset.from_images`` was killed before its last layer (its
  record ``.wkfn-journal/<id>.import.json``, see :mod:`wkfn.api._image_resume`).
* a ``journal`` of kind import record: an ``add_layer_from_images`` of several
  layers killed before its last one; the same call imports the rest.

:func:`find_leftovers` lists them (``wkfn check``); :func:`repair` removes them
(``wkfn check --repair``). Runs still in progress hold a lock on their sidecar and
are never reported or touched.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from pathlib import Path
from typing import Literal

import msgspec

from wkfn.storage.files import delete_path
from wkfn.storage.location import is_url

JOURNAL_DIR = ".wkfn-journal"
SIDECAR_SUFFIX = ".plan.json"
IMPORT_SUFFIX = ".import.json"
PROPERTIES = "datasource-properties.json"
REPAIR_HINT = "wkfn check --repair"

Kind = Literal["journal", "orphan-array", "temp", "unfinished-dataset"]

_MAG_NAME = re.compile(r"^\d+(-\d+-\d+)?$")
_TEMP_DIR = re.compile(r"^(\.rechunk-.+|\..+\.(copy|old)-[0-9a-f]+|.+_tmp)$")
_TEMP_FILE = re.compile(r"^(.+\.__lock|\..+\.tmp|.+_tmp)$")
_ARRAY_FILES = (".zarray", "header.wkw")


class Leftover(msgspec.Struct, frozen=True, kw_only=True):
    """One thing a killed run left behind."""

    kind: Kind
    path: str
    """Relative to the dataset directory."""
    note: str

    def __str__(self) -> str:
        return f"{self.kind} {self.path}: {self.note}"


def is_running(sidecar: Path) -> bool:
    """True if a live process holds the lock of this run's sidecar."""
    import fcntl

    try:
        fd = os.open(sidecar, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)  # closing releases a lock taken here
    return False


def dead_journals(root: str | os.PathLike[str]) -> list[Path]:
    """Journal files (maybe not written yet) of runs not running now (killed)."""
    folder = Path(root) / JOURNAL_DIR
    if not folder.is_dir():
        return []
    # a run killed right after writing its sidecar has no journal file yet
    paths = set(folder.glob("*.jsonl")) | {
        folder / (p.name[: -len(SIDECAR_SUFFIX)] + ".jsonl")
        for p in folder.glob("*" + SIDECAR_SUFFIX)
    }
    out = []
    for path in sorted(paths):
        sidecar = path.with_name(path.stem + SIDECAR_SUFFIX)
        if sidecar.exists() and is_running(sidecar):
            continue
        out.append(path)
    return out


def dead_imports(root: str | os.PathLike[str]) -> list[Path]:
    """Records of image imports of several layers that are not running now
    (killed before their last layer; see :mod:`wkfn.api._image_resume`)."""
    folder = Path(root) / JOURNAL_DIR
    if not folder.is_dir():
        return []
    return [p for p in sorted(folder.glob("*" + IMPORT_SUFFIX)) if not is_running(p)]


def read_import(record: Path) -> tuple[list[str], bool]:
    """(layers the killed import creates, whether it creates the dataset) of an
    import record; a torn record counts as creating nothing."""
    try:
        data = json.loads(record.read_text(encoding="utf-8"))
        return [str(x) for x in data["layers"]], bool(data["creates_dataset"])
    except (OSError, ValueError, KeyError, TypeError):
        return [], False


def is_array_dir(path: str) -> bool:
    """True for a directory holding an array's metadata (not a zarr group)."""
    if any(os.path.exists(os.path.join(path, name)) for name in _ARRAY_FILES):
        return True
    meta = os.path.join(path, "zarr.json")
    try:
        with open(meta, encoding="utf-8") as f:
            return bool(json.load(f).get("node_type") == "array")
    except (OSError, ValueError, AttributeError):
        return False


def _listed_paths(root: Path) -> set[str] | None:
    """Absolute, normalised paths of the mags the properties list (None: no file)."""
    try:
        props = json.loads((root / PROPERTIES).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return set()  # unreadable properties: ``wkfn check`` reports those
    out: set[str] = set()
    for layer in props.get("dataLayers", []) or []:
        name = str(layer.get("name", ""))
        for mag in layer.get("mags", []) or []:
            path = mag.get("path")
            if path is None:
                value = mag.get("mag")
                vec = value if isinstance(value, list) else [value] * 3
                path = _mag_dir(vec)
                path = f"./{name}/{path}"
            if is_url(path):
                continue
            out.add(os.path.normpath(os.path.join(root, str(path))))
        if layer.get("wkwResolutions"):
            for res in layer["wkwResolutions"]:
                value = res.get("resolution")
                vec = value if isinstance(value, list) else [value] * 3
                out.add(os.path.normpath(os.path.join(root, name, _mag_dir(vec))))
    return out


def _mag_dir(vec: list[int]) -> str:
    if len(set(vec)) == 1:
        return str(vec[0])
    return "-".join(str(v) for v in vec)


def find_leftovers(root: str | os.PathLike[str]) -> list[Leftover]:
    """Everything a killed run left in the dataset directory ``root``."""
    base = Path(root)
    if not base.is_dir():
        return []
    out: list[Leftover] = []
    journals = dead_journals(base)
    imports = dead_imports(base)
    listed = _listed_paths(base)
    if any(read_import(record)[1] for record in imports):
        out.append(
            Leftover(
                kind="unfinished-dataset",
                path=".",
                note="Dataset.from_images creating this dataset was killed before "
                "its last layer; run the same call again to finish it",
            )
        )
        return out
    if listed is None and journals:
        out.append(
            Leftover(
                kind="unfinished-dataset",
                path=".",
                note="a run creating this dataset was killed before writing "
                "its properties; run the same call again to finish it",
            )
        )
        return out
    for journal in journals:
        sidecar = journal.with_name(journal.stem + SIDECAR_SUFFIX)
        what = "a facade call" if sidecar.exists() else "`wkfn apply`"
        out.append(
            Leftover(
                kind="journal",
                path=str(journal.relative_to(base)),
                note=f"{what} was killed here; run it again to resume it",
            )
        )
    for record in imports:
        layers = ", ".join(read_import(record)[0])
        out.append(
            Leftover(
                kind="journal",
                path=str(record.relative_to(base)),
                note=f"an image import (layers {layers}) was killed before its "
                "last layer; run it again to import the rest",
            )
        )
    for dirpath, dirs, files in os.walk(base):
        here = Path(dirpath)
        rel = here.relative_to(base)
        if rel.parts and rel.parts[0] == JOURNAL_DIR:
            dirs[:] = []
            continue
        for name in sorted(files):
            if _TEMP_FILE.match(name):
                out.append(
                    Leftover(
                        kind="temp",
                        path=str(rel / name),
                        note="temporary file of a killed write",
                    )
                )
        keep = []
        for name in sorted(dirs):
            full = here / name
            if full.is_symlink():
                continue  # foreign data: never ours to judge
            if _TEMP_DIR.match(name) and (rel.parts or not name.endswith("_tmp")):
                out.append(
                    Leftover(
                        kind="temp",
                        path=str(rel / name),
                        note="temporary directory of a killed rewrite or copy",
                    )
                )
                continue
            if (
                listed is not None
                and len(rel.parts) == 1
                and _MAG_NAME.match(name)
                and os.path.normpath(full) not in listed
                and is_array_dir(str(full))
            ):
                out.append(
                    Leftover(
                        kind="orphan-array",
                        path=str(rel / name),
                        note="array not listed in the properties (a killed run "
                        "created it)",
                    )
                )
                continue
            keep.append(name)
        dirs[:] = keep
    return out


def repair(root: str | os.PathLike[str]) -> list[Leftover]:
    """Remove every leftover of killed runs; returns what was removed.

    An unfinished dataset (a killed copy's target) is removed as a whole.
    """
    base = Path(root)
    found = find_leftovers(base)
    for item in found:
        if item.kind == "unfinished-dataset":
            delete_path(base)
            return found
    for item in found:
        target = base / item.path
        if item.kind == "journal":
            with contextlib.suppress(FileNotFoundError):
                target.unlink()
            target.with_name(target.stem + SIDECAR_SUFFIX).unlink(missing_ok=True)
        else:
            delete_path(target)
    with contextlib.suppress(OSError):
        (base / JOURNAL_DIR).rmdir()  # only once empty
    return found


def remove_temp_below(path: str | os.PathLike[str]) -> int:
    """Delete temp files and directories (see module docs) below ``path``.

    Only for paths no other process writes to (a resumed run's own arrays).
    """
    top = os.fspath(path)
    if not os.path.isdir(top):
        return 0
    removed = 0
    for dirpath, dirs, files in os.walk(top):
        for name in files:
            if _TEMP_FILE.match(name):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(os.path.join(dirpath, name))
                removed += 1
        for name in list(dirs):
            if _TEMP_DIR.match(name) and not os.path.islink(
                os.path.join(dirpath, name)
            ):
                delete_path(os.path.join(dirpath, name))
                dirs.remove(name)
                removed += 1
    return removed


def remove_stale_siblings(path: str | os.PathLike[str]) -> int:
    """Delete ``.<name>.copy-*`` / ``.<name>.old-*`` next to ``path``: a half-copied
    tree or swapped-out data of a killed copy or swap of ``path``."""
    full = os.path.normpath(os.fspath(path))
    parent, name = os.path.split(full)
    if not os.path.isdir(parent):
        return 0
    pattern = re.compile(rf"^\.{re.escape(name)}\.(copy|old)-[0-9a-f]+$")
    removed = 0
    for entry in os.scandir(parent):
        if pattern.match(entry.name) and not entry.is_symlink():
            delete_path(entry.path)
            removed += 1
    return removed


__all__ = [
    "IMPORT_SUFFIX",
    "REPAIR_HINT",
    "Leftover",
    "dead_imports",
    "dead_journals",
    "find_leftovers",
    "is_array_dir",
    "read_import",
    "remove_stale_siblings",
    "remove_temp_below",
    "repair",
]
