"""The closed union of plan operations.

An op is plain data: it names *what* to change on storage, never holds a callable or a
voxel array. Voxel payloads are referenced by :class:`PayloadRef` and live in a separate
mapping (in memory for facade calls, a directory of ``.npy`` files for saved plans).

Paths are as written in ``datasource-properties.json``: relative ones (``"./color/1"``)
are resolved against the dataset root given to the executor, so a plan is relocatable.

The storage ops (arrays, paths, properties) live here; the bulk data ops in
:mod:`wkfn.plan.data_ops` and the base classes in :mod:`wkfn.plan.op_base`, both
re-exported.
"""

from __future__ import annotations

from typing import Any, Literal

from wkfn.plan.data_ops import (
    RESAMPLE_PIECE_BYTES,
    RESAMPLE_SLAB_BYTES,
    CopyRegion,
    DownsampleRegion,
    ImportImages,
    ResampleRegion,
    UpsampleRegion,
)
from wkfn.plan.op_base import Action, Op, PayloadRef, Vec3, fmt3
from wkfn.spec.array import ArrayLayout, DataFormatName, NDSelect


class CreateArray(Op, frozen=True, kw_only=True):
    """Create an empty array (and its parent directories) for one mag."""

    layer: str
    mag: str
    path: str
    layout: ArrayLayout
    exist_ok: bool = False
    """Accept an existing array of the same layout (set when resuming a plan)."""

    @property
    def action(self) -> Action:
        return "create"

    def key(self) -> str:
        return f"create:{self.path}"

    def describe(self) -> str:
        lay = self.layout
        chans = f" x{lay.num_channels}" if lay.num_channels != 1 else ""
        shard = "" if lay.data_format == "zarr" else f" shard {fmt3(lay.shard_shape)}"
        codec = "" if lay.compress else " raw"
        return (
            f"+ array {self.layer}/{self.mag} {lay.data_format} {lay.dtype}{chans}"
            f" chunk {fmt3(lay.chunk_shape)}{shard}{codec}"
        )


class ResizeArray(Op, frozen=True, kw_only=True):
    """Set the exclusive upper bound of an existing array (metadata only)."""

    layer: str
    mag: str
    path: str
    data_format: DataFormatName
    shape: Vec3

    @property
    def action(self) -> Action:
        return "update"

    def key(self) -> str:
        return f"resize:{self.path}:{self.shape}"

    def describe(self) -> str:
        return f"~ array {self.layer}/{self.mag} shape -> {fmt3(self.shape)}"


class WriteRegion(Op, frozen=True, kw_only=True):
    """Write a payload into an array at ``offset`` (mag voxels, x, y, z).

    ``select`` is the extra-axis point of an n-D array the ``(c, x, y, z)`` payload
    goes to (``None`` for 3-D arrays).
    """

    layer: str
    mag: str
    path: str
    data_format: DataFormatName
    offset: Vec3
    payload: PayloadRef
    select: NDSelect | None = None

    @property
    def action(self) -> Action:
        return "update"

    def key(self) -> str:
        at = "" if self.select is None else f"{self.select.at}:"
        return f"write:{self.path}:{at}{self.offset}:{self.payload.key}"

    def describe(self) -> str:
        size = self.payload.shape[1:]
        if self.select is not None:
            ends = [o + n - 1 for o, n in zip(self.offset, size)]
            region = ", ".join(
                f"{a}={o}" if o == e else f"{a}={o}..{e}"
                for a, o, e in zip("xyz", self.offset, ends)
            )
            return (
                f"~ write {self.layer}/{self.mag} at {self.select.describe()}, "
                f"{region} {self.payload.dtype}"
            )
        return (
            f"~ write {self.layer}/{self.mag} at {tuple(self.offset)}"
            f" size {'x'.join(map(str, size))} {self.payload.dtype}"
        )

    def memory_estimate(self) -> int:
        return self.payload.nbytes


class DeletePath(Op, frozen=True, kw_only=True):
    """Remove a layer or mag directory (symlinks are removed, never followed)."""

    path: str
    what: Literal["layer", "mag"]

    @property
    def action(self) -> Action:
        return "delete"

    def key(self) -> str:
        return f"delete:{self.path}"

    def describe(self) -> str:
        return f"- {self.what} {self.path}"


class MovePath(Op, frozen=True, kw_only=True):
    """Rename a directory inside the dataset (layer rename)."""

    source: str
    target: str

    @property
    def action(self) -> Action:
        return "update"

    def key(self) -> str:
        return f"move:{self.source}:{self.target}"

    def describe(self) -> str:
        return f"~ move {self.source} -> {self.target}"


class WriteProperties(Op, frozen=True, kw_only=True):
    """Write ``datasource-properties.json`` (atomically) and the group metadata.

    ``properties`` is the JSON object exactly as it will be written. Group metadata
    (root ``zarr.json`` / ``.zgroup`` and per-layer OME-NGFF attributes) is derived
    from it by the executor.
    """

    properties: dict[str, Any]
    summary: tuple[str, ...] = ()

    @property
    def action(self) -> Action:
        return "update"

    def key(self) -> str:
        return "properties"

    def describe(self) -> str:
        if not self.summary:
            return "~ properties datasource-properties.json"
        return "~ properties " + "; ".join(self.summary)


class CopyTree(Op, frozen=True, kw_only=True):
    """Copy files as they are (no decoding), e.g. a mag between identical layouts."""

    source: str
    target: str

    @property
    def action(self) -> Action:
        return "create"

    def key(self) -> str:
        return f"copytree:{self.target}"

    def describe(self) -> str:
        return f"+ files {self.target} <- {self.source}"


class LinkPath(Op, frozen=True, kw_only=True):
    """Create a symbolic link ``target`` pointing at ``source``."""

    source: str
    target: str
    relative: bool = False

    @property
    def action(self) -> Action:
        return "create"

    def key(self) -> str:
        return f"link:{self.target}"

    def describe(self) -> str:
        kind = "relative link" if self.relative else "link"
        return f"+ {kind} {self.target} -> {self.source}"


class ReplacePath(Op, frozen=True, kw_only=True):
    """Swap a finished temporary directory into place (in-place recompression).

    Readers never see a missing mag: the old directory is renamed aside, the new one
    renamed in, and only then is the old one deleted.
    """

    source: str
    target: str

    @property
    def action(self) -> Action:
        return "update"

    def key(self) -> str:
        return f"replace:{self.target}"

    def describe(self) -> str:
        return f"~ replace {self.target} <- {self.source}"


PlanOp = (
    CreateArray
    | ResizeArray
    | WriteRegion
    | DeletePath
    | MovePath
    | WriteProperties
    | DownsampleRegion
    | UpsampleRegion
    | CopyRegion
    | CopyTree
    | LinkPath
    | ReplacePath
    | ImportImages
)
"""Every op the executor understands."""


__all__ = [
    "RESAMPLE_PIECE_BYTES",
    "RESAMPLE_SLAB_BYTES",
    "Action",
    "CopyRegion",
    "CopyTree",
    "CreateArray",
    "DeletePath",
    "DownsampleRegion",
    "ImportImages",
    "LinkPath",
    "MovePath",
    "Op",
    "PayloadRef",
    "PlanOp",
    "ReplacePath",
    "ResampleRegion",
    "ResizeArray",
    "UpsampleRegion",
    "WriteProperties",
    "WriteRegion",
]
