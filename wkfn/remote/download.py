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
"""

from __future__ import annotations

import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import numpy as np

from wkfn.errors import DatasetExistsError, InvalidArgumentError, MagNotFoundError
from wkfn.geometry import BoundingBox, Mag
from wkfn.plan.ops import CopyRegion
from wkfn.plan.plan import Plan
from wkfn.transform.change import Change


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
        from wkfn.remote.client import redact

        return redact(f"{head}\n{self.plan}")


def _mag_list(mags: Any) -> list[Mag] | None:
    if mags is None:
        return None
    if isinstance(mags, Mag | int | str):
        mags = [mags]
    return [Mag(m) for m in mags]


def plan_download(
    remote: Any,
    *,
    bbox: BoundingBox | None = None,
    layers: list[str] | str | None = None,
    mags: Any = None,
    path: str | os.PathLike[str] | None = None,
) -> DownloadPlan:
    """The plan of a download (pure apart from reading the remote metadata)."""
    from wkfn.api._observe import source_layer as _source_layer
    from wkfn.transform import copy as copy_transform

    names = [layers] if isinstance(layers, str) else list(layers or remote.layers)
    for name in names:
        remote.get_layer(name)  # LayerNotFoundError (IndexError) naming it
    if bbox is not None and not isinstance(bbox, BoundingBox):
        raise InvalidArgumentError(f"bbox must be a BoundingBox, got {bbox!r}")
    wanted = _mag_list(mags)
    sources = []
    for name in names:
        layer = remote.get_layer(name)
        src = _source_layer(layer)
        keep = src.mags
        if wanted is not None:
            have = {Mag(m.mag) for m in src.mags}
            missing = [m for m in wanted if m not in have]
            if missing:
                raise MagNotFoundError(
                    f"layer {name!r} of {remote!r} has no mag "
                    f"{', '.join(str(m) for m in missing)} (it has "
                    f"{', '.join(sorted(str(m) for m in have))})"
                )
            keep = tuple(m for m in src.mags if Mag(m.mag) in wanted)
        spec = msgspec.structs.replace(
            src.spec,
            mags=tuple(
                m for m in src.spec.mags if Mag(m.mag) in {Mag(k.mag) for k in keep}
            ),
            attachments=None,
        )
        if bbox is not None:
            box = msgspec.structs.replace(
                spec.bounding_box,
                top_left=bbox.topleft.to_tuple(),
                width=bbox.size.x,
                height=bbox.size.y,
                depth=bbox.size.z,
            )
            spec = msgspec.structs.replace(spec, bounding_box=box)
        sources.append(msgspec.structs.replace(src, spec=spec, mags=keep))
    target = Path(
        os.fspath(path) if path is not None else f"{remote.name}-{remote.dataset_id}"
    )
    change = copy_transform.copy_dataset(
        remote.spec,
        sources,
        name=remote.name,  # the server's name, as the reference names downloads
        options=copy_transform.CopyOptions(data_format="zarr3", compress=True),
    )
    return DownloadPlan(source=repr(remote), path=str(target), change=change)


def download_remote(
    remote: Any,
    sharing_token: str | None = None,
    bbox: BoundingBox | None = None,
    layers: list[str] | str | None = None,
    mags: Any = None,
    path: str | os.PathLike[str] | None = None,
    exist_ok: bool = False,
    *,
    bounding_box: BoundingBox | None = None,
    dry_run: bool = False,
    executor: Any = None,
) -> Any:
    """Download ``remote`` (a RemoteDataset); the local ``Dataset`` (or the plan).

    Raises:
        DatasetExistsError: a dataset is at ``path`` and ``exist_ok`` is False (a
            partial download of the same data is resumed instead).
        LayerNotFoundError / MagNotFoundError: unknown layer or mag (IndexError).
        WebknossosError / RemoteError: the server failed (after retries).
    """
    from wkfn.api.dataset import Dataset
    from wkfn.execute.apply import apply, current_fingerprint
    from wkfn.execute.journal import JOURNAL_DIR

    if bounding_box is not None:
        if bbox is not None:
            raise InvalidArgumentError("give bbox or bounding_box, not both")
        bbox = bounding_box
    if sharing_token is not None and sharing_token != remote._sharing_token:
        from wkfn.api.remote_dataset import RemoteDataset
        from wkfn.remote.resolve import Resolved

        remote = RemoteDataset._from_resolved(
            Resolved(remote._context, remote.dataset_id, sharing_token)
        )
    planned = plan_download(remote, bbox=bbox, layers=layers, mags=mags, path=path)
    if dry_run:
        return planned
    target = Path(planned.path)
    plan = planned.plan
    state = current_fingerprint(target)
    if state == plan.target:
        return Dataset.open(target)  # already downloaded
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
    return Dataset.open(target)


__all__ = ["DownloadPlan", "download_remote", "plan_download"]
