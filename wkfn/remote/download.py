"""Downloading (part of) a WEBKNOSSOS dataset into a normal local dataset.

The data is read through the datastore's zarr streaming route with tensorstore
(the same reads as ``RemoteDataset``), as ordinary wkfn copy ops: a plan whose
``CopyRegion`` ops fetch one block each, written into a local zarr3 dataset, with
the properties last. The plan is applied with a journal, so a download killed at
any point (``kill -9``) continues where it stopped when called again with the same
arguments; a finished download called again does nothing. ``dry_run=True`` returns
the :class:`DownloadPlan` (every block, and the bytes to fetch) instead.

Choices: layers, mags and a bounding box restrict what is fetched (the layers'
bounding boxes become ``bbox``, as in the reference); attachments (meshes,
agglomerates ...) are not downloaded; the default path is ``{name}-{id}`` in the
working directory. An existing dataset at ``path`` is refused unless
``exist_ok=True``, which replaces it (the seed's "overwrite").

This module is shell below the facade: :func:`plan_download` takes the remote
layers as observed facts (:class:`~wkfn.transform.copy.SourceLayer`) and
:func:`run_download` returns the local path; :mod:`wkfn.api.remote_verbs` observes
the layers through the dataset's session and opens the result as a ``Dataset``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import numpy as np

from wkfn.errors import DatasetExistsError, InvalidArgumentError, MagNotFoundError
from wkfn.execute.apply import apply, current_fingerprint
from wkfn.execute.journal import JOURNAL_DIR
from wkfn.geometry import BoundingBox, Mag
from wkfn.plan.ops import CopyRegion
from wkfn.plan.plan import Plan
from wkfn.remote.client import redact
from wkfn.spec.dataset import DatasetSpec
from wkfn.transform import copy as copy_transform
from wkfn.transform.change import Change
from wkfn.transform.copy import SourceLayer


@dataclass(frozen=True)
class DownloadPlan:
    """What a download fetches and writes: the copy plan plus byte counts."""

    source: str
    path: str
    change: Change

    @property
    def plan(self) -> Plan:
        return self.change.plan

    @property
    def regions(self) -> int:
        return sum(1 for op in self.plan.ops if isinstance(op, CopyRegion))

    @property
    def total_bytes(self) -> int:
        """Uncompressed bytes of all blocks fetched."""
        return sum(
            int(np.prod(op.size)) * np.dtype(op.dtype).itemsize * op.num_channels
            for op in self.plan.ops
            if isinstance(op, CopyRegion)
        )

    def __str__(self) -> str:
        head = (
            f"download {self.source} -> {self.path}: {self.regions} region op(s), "
            f"{self.total_bytes} B to fetch (uncompressed)"
        )
        return redact(f"{head}\n{self.plan}")


def _mag_list(mags: Any) -> list[Mag] | None:
    if mags is None:
        return None
    if isinstance(mags, Mag | int | str):
        mags = [mags]
    return [Mag(m) for m in mags]


def plan_download(
    spec: DatasetSpec,
    sources: Sequence[SourceLayer],
    *,
    name: str,
    dataset_id: str,
    source: str,
    bbox: BoundingBox | None = None,
    mags: Any = None,
    path: str | os.PathLike[str] | None = None,
) -> DownloadPlan:
    """The plan of a download (pure: the caller observed the remote layers).

    Args:
        spec: the remote dataset's spec.
        sources: the observed layers to download (all their mags).
        name: the server's name of the dataset (the download's name, as in the
            reference; with ``dataset_id`` also the default path ``{name}-{id}``).
        dataset_id: the server's id of the dataset.
        source: how the remote dataset is named in messages (tokens redacted).
        bbox: restrict every layer to this box.
        mags: restrict to these mags (MagNotFoundError if a layer lacks one).
        path: the local target.
    """
    if bbox is not None and not isinstance(bbox, BoundingBox):
        raise InvalidArgumentError(f"bbox must be a BoundingBox, got {bbox!r}")
    wanted = _mag_list(mags)
    kept: list[SourceLayer] = []
    for src in sources:
        keep = src.mags
        if wanted is not None:
            have = {Mag(m.mag) for m in src.mags}
            missing = [m for m in wanted if m not in have]
            if missing:
                raise MagNotFoundError(
                    f"layer {src.spec.name!r} of {source} has no mag "
                    f"{', '.join(str(m) for m in missing)} (it has "
                    f"{', '.join(sorted(str(m) for m in have))})"
                )
            keep = tuple(m for m in src.mags if Mag(m.mag) in wanted)
        layer = msgspec.structs.replace(
            src.spec,
            mags=tuple(
                m for m in src.spec.mags if Mag(m.mag) in {Mag(k.mag) for k in keep}
            ),
            attachments=None,
        )
        if bbox is not None:
            box = msgspec.structs.replace(
                layer.bounding_box,
                top_left=bbox.topleft.to_tuple(),
                width=bbox.size.x,
                height=bbox.size.y,
                depth=bbox.size.z,
            )
            layer = msgspec.structs.replace(layer, bounding_box=box)
        kept.append(msgspec.structs.replace(src, spec=layer, mags=keep))
    target = Path(os.fspath(path) if path is not None else f"{name}-{dataset_id}")
    change = copy_transform.copy_dataset(
        spec,
        kept,
        name=name,  # the server's name, as the reference names downloads
        options=copy_transform.CopyOptions(data_format="zarr3", compress=True),
    )
    return DownloadPlan(source=source, path=str(target), change=change)


def run_download(
    planned: DownloadPlan, *, exist_ok: bool = False, executor: Any = None
) -> Path:
    """Apply a download plan (resuming an interrupted one); the local dataset's path.

    Raises:
        DatasetExistsError: a dataset is at the target and ``exist_ok`` is False (a
            partial download of the same data is resumed instead).
        WebknossosError / RemoteError: the server failed (after retries).
    """
    target = Path(planned.path)
    plan = planned.plan
    state = current_fingerprint(target)
    if state == plan.target:
        return target  # already downloaded
    if state != "":
        if not exist_ok:
            raise DatasetExistsError(
                f"cannot download to {target}: a dataset exists there "
                "(pass exist_ok=True to replace it, or another path)"
            )
        shutil.rmtree(target)
    elif target.exists() and (
        not target.is_dir()
        or (any(target.iterdir()) and not (target / JOURNAL_DIR).is_dir())
    ):
        raise DatasetExistsError(
            f"cannot download to {target}: it exists and is neither empty nor an "
            "interrupted download"
        )
    target.mkdir(parents=True, exist_ok=True)
    if executor is None and planned.regions > 1:
        with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
            apply(plan, target, executor=pool)
    else:
        apply(plan, target, executor=executor)
    return target


__all__ = ["DownloadPlan", "plan_download", "run_download"]
