"""Attachment values: one file or folder WEBKNOSSOS reads next to a segmentation layer.

:class:`Attachment` and its kinds (mesh, agglomerate, segment index, segment
statistics, cumsum, connectome) mirror the reference's classes: a name, a path (an
absolute local path or a URL) and a data format, built from a properties entry or
with ``from_path_and_name``. They hold no reference to a layer; the collection
:class:`~wkfn.api.attachments.Attachments` adds and removes them.
"""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import ClassVar, Self

from wkfn.errors import InvalidArgumentError
from wkfn.spec.layer import AttachmentSpec
from wkfn.storage import location
from wkfn.transform import attachments as att_transform
from wkfn.transform.attachments import AttachmentKind

PathLike = str | os.PathLike[str]


AttachmentPath = Path | str
"""A local attachment path (absolute :class:`~pathlib.Path`) or a URL string."""


class AttachmentDataFormat(StrEnum):
    """Storage formats of attachments (the reference's ``AttachmentDataFormat``)."""

    Zarr3 = "zarr3"
    HDF5 = "hdf5"
    JSON = "json"
    NeuroglancerPrecomputed = "neuroglancerPrecomputed"

    def __str__(self) -> str:
        return self.value


def parse_attachment_format(value: object) -> AttachmentDataFormat:
    if isinstance(value, AttachmentDataFormat):
        return value
    if isinstance(value, str):
        for fmt in AttachmentDataFormat:
            if value.lower() == fmt.value.lower():
                return fmt
    raise InvalidArgumentError(
        f"unknown attachment data_format {value!r} "
        f"(expected one of {[f.value for f in AttachmentDataFormat]})"
    )


def is_url_path(path: object) -> bool:
    return isinstance(path, str) and location.is_remote(path)


class Attachment:
    """Base of the attachment kinds: a named file or folder in one data format.

    Attributes:
        name: attachment name (letters, digits, ``_ $ @ - .``; no leading dot).
        path: absolute local path, or the URL string of a remote attachment.
        data_format: one of the formats the kind allows.
        container_name: the field of ``Attachments`` holding this kind (camelCased,
            also the folder copies go to, e.g. ``segment_index`` → ``segmentIndex``).
        type_name: the kind's name towards WEBKNOSSOS (e.g. ``"segmentIndex"``).
    """

    container_name: ClassVar[AttachmentKind]
    type_name: ClassVar[str]
    name: str
    path: AttachmentPath
    data_format: AttachmentDataFormat

    def __init__(self, properties: AttachmentSpec, path: AttachmentPath) -> None:
        """Wrap a properties entry; ``path`` is where it resolves to.

        Raises:
            TypeError: called on the abstract ``Attachment`` class.
            InvalidArgumentError: the name or the data format is not allowed.
        """
        if type(self) is Attachment or not hasattr(type(self), "container_name"):
            raise TypeError(
                "Attachment is abstract; use MeshAttachment, AgglomerateAttachment, "
                "SegmentIndexAttachment, SegmentStatisticsAttachment, "
                "CumsumAttachment or ConnectomeAttachment"
            )
        fmt = parse_attachment_format(properties.data_format)
        att_transform.validate_attachment_name(properties.name)
        if fmt.value not in att_transform.FORMATS[self.container_name]:
            allowed = tuple(
                AttachmentDataFormat(v)
                for v in att_transform.FORMATS[self.container_name]
            )
            raise InvalidArgumentError(
                f"{fmt} is not a valid data_format for {type(self).__name__}. "
                f"Allowed: {allowed}"
            )
        if fmt.value != properties.data_format:
            import msgspec

            properties = msgspec.structs.replace(properties, data_format=fmt.value)
        self._properties = properties
        self.name = properties.name
        self.path = path
        self.data_format = fmt

    @property
    def properties(self) -> AttachmentSpec:
        """The properties entry this attachment stands for."""
        return self._properties

    @classmethod
    def from_path_and_name(
        cls,
        path: PathLike,
        name: str,
        *,
        data_format: AttachmentDataFormat | str,
        dataset_path: PathLike | None = None,
    ) -> Self:
        """An attachment of this kind for the files at ``path``.

        A relative ``path`` is taken relative to ``dataset_path`` when given, else to
        the working directory. The recorded properties path is ``./…`` when the
        files are inside ``dataset_path`` and absolute otherwise; URLs stay as
        they are.
        """
        fmt = parse_attachment_format(data_format)
        if is_url_path(path):
            url = str(path)
            return cls(AttachmentSpec(name=name, path=url, data_format=fmt.value), url)
        local = Path(os.fspath(path))
        root = None if dataset_path is None else Path(os.fspath(dataset_path))
        if not local.is_absolute():
            local = (root / local) if root is not None else local.resolve()
        stored = att_transform.stored_path(
            os.path.realpath(local),
            None if root is None else os.path.realpath(root.absolute()),
        )
        return cls(
            AttachmentSpec(name=name, path=stored, data_format=fmt.value),
            Path(os.path.normpath(local.absolute())),
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Attachment):
            return False
        return (
            self.name == other.name
            and self.path == other.path
            and self.data_format == other.data_format
        )

    __hash__ = None  # type: ignore[assignment]  # mutable like the reference's

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(path={self.path!r}, name={self.name}, "
            f"data_format={self.data_format})"
        )


class MeshAttachment(Attachment):
    """Precomputed meshes (``zarr3``, ``hdf5`` or ``neuroglancerPrecomputed``)."""

    container_name: ClassVar[AttachmentKind] = "meshes"
    type_name: ClassVar[str] = "mesh"


class AgglomerateAttachment(Attachment):
    """An agglomerate graph (mapping of segments to agglomerates; zarr3 or hdf5)."""

    container_name: ClassVar[AttachmentKind] = "agglomerates"
    type_name: ClassVar[str] = "agglomerate"


class SegmentIndexAttachment(Attachment):
    """Where each segment occurs (zarr3 or hdf5); at most one per layer."""

    container_name: ClassVar[AttachmentKind] = "segment_index"
    type_name: ClassVar[str] = "segmentIndex"


class SegmentStatisticsAttachment(Attachment):
    """Per-segment statistics (zarr3); at most one per layer."""

    container_name: ClassVar[AttachmentKind] = "segment_statistics"
    type_name: ClassVar[str] = "segmentStatistics"


class CumsumAttachment(Attachment):
    """Cumulative segment counts (zarr3 or json); at most one per layer."""

    container_name: ClassVar[AttachmentKind] = "cumsum"
    type_name: ClassVar[str] = "cumsum"


class ConnectomeAttachment(Attachment):
    """A synaptic connectome (zarr3 or hdf5)."""

    container_name: ClassVar[AttachmentKind] = "connectomes"
    type_name: ClassVar[str] = "connectome"


ATTACHMENT_CLASSES: dict[AttachmentKind, type[Attachment]] = {
    cls.container_name: cls
    for cls in (
        MeshAttachment,
        AgglomerateAttachment,
        SegmentIndexAttachment,
        SegmentStatisticsAttachment,
        CumsumAttachment,
        ConnectomeAttachment,
    )
}
