"""Attachments of a segmentation layer: ``layer.attachments``.

An attachment is a file or folder WEBKNOSSOS reads next to a segmentation layer: a
mesh file, an agglomerate graph, a segment index, segment statistics, a cumsum file
or a connectome. The layer's ``attachments`` key in ``datasource-properties.json``
lists them with a name, a path and a data format.

The classes mirror the reference's names and behaviour. ``Attachments`` (returned by
``SegmentationLayer.attachments``) reads from the dataset's current spec on every
access, so it never goes stale, and every mutation is planned by
:mod:`wkfn.transform.attachments` and applied (or recorded in a dry run) through the
dataset, like every other facade call.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Self, TypeVar

from wkfn.errors import InvalidArgumentError
from wkfn.execute.executor import resolve_path
from wkfn.spec.layer import AttachmentSpec
from wkfn.storage import path_policy
from wkfn.transform import attachments as att_transform
from wkfn.transform.attachments import AttachmentKind

if TYPE_CHECKING:
    from wkfn.api.dataset import Dataset
    from wkfn.api.layer import SegmentationLayer

PathLike = str | os.PathLike[str]
AttachmentPath = Path | str
"""A local attachment path (absolute :class:`~pathlib.Path`) or a URL string."""

_A = TypeVar("_A", bound="Attachment")


class AttachmentDataFormat(StrEnum):
    """Storage formats of attachments (the reference's ``AttachmentDataFormat``)."""

    Zarr3 = "zarr3"
    HDF5 = "hdf5"
    JSON = "json"
    NeuroglancerPrecomputed = "neuroglancerPrecomputed"

    def __str__(self) -> str:
        return self.value


def _parse_format(value: object) -> AttachmentDataFormat:
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


def _is_url(path: object) -> bool:
    return isinstance(path, str) and "://" in path


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
        fmt = _parse_format(properties.data_format)
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
        fmt = _parse_format(data_format)
        if _is_url(path):
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


_CLASSES: dict[AttachmentKind, type[Attachment]] = {
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


def _deprecated(old: str, new: str) -> None:
    warnings.warn(
        f"[DEPRECATION] `{old}` is deprecated, please use `{new}` instead",
        DeprecationWarning,
        stacklevel=3,
    )


class Attachments:
    """The attachments of one segmentation layer (``layer.attachments``).

    Reading gives tuples (``meshes``, ``agglomerates``, ``connectomes``) or a single
    attachment / ``None`` (``segment_index``, ``segment_statistics``, ``cumsum``).
    Iterating yields all of them. Mutations refuse read-only datasets and are
    recorded inside ``Dataset.dry_run()``.
    """

    def __init__(self, layer: SegmentationLayer) -> None:
        self._layer = layer

    # ------------------------------------------------------------------ reading
    @property
    def _dataset(self) -> Dataset:
        return self._layer.dataset

    def _entries(self, kind: AttachmentKind) -> tuple[AttachmentSpec, ...]:
        atts = att_transform.attachments_of(self._layer._spec)
        return att_transform.entries(atts, kind)

    def _resolve(self, stored: str) -> AttachmentPath:
        if _is_url(stored):
            return stored
        root = os.fspath(self._dataset.resolved_path)
        resolved = resolve_path(root, stored)
        return Path(path_policy.check_attachment_path(root, stored, resolved))

    def _wrap(self, kind: AttachmentKind, spec: AttachmentSpec) -> Attachment:
        return _CLASSES[kind](spec, self._resolve(spec.path))

    def _typed(self, cls: type[_A]) -> tuple[_A, ...]:
        out: list[_A] = []
        for spec in self._entries(cls.container_name):
            out.append(cls(spec, self._resolve(spec.path)))
        return tuple(out)

    def _single(self, cls: type[_A]) -> _A | None:
        items = self._typed(cls)
        return items[0] if items else None

    @property
    def meshes(self) -> tuple[MeshAttachment, ...]:
        """Mesh files."""
        return self._typed(MeshAttachment)

    @property
    def agglomerates(self) -> tuple[AgglomerateAttachment, ...]:
        """Agglomerate graphs."""
        return self._typed(AgglomerateAttachment)

    @property
    def segment_index(self) -> SegmentIndexAttachment | None:
        """The segment index, if any."""
        return self._single(SegmentIndexAttachment)

    @property
    def segment_statistics(self) -> SegmentStatisticsAttachment | None:
        """The segment statistics, if any."""
        return self._single(SegmentStatisticsAttachment)

    @property
    def cumsum(self) -> CumsumAttachment | None:
        """The cumsum file, if any."""
        return self._single(CumsumAttachment)

    @property
    def connectomes(self) -> tuple[ConnectomeAttachment, ...]:
        """Connectome files."""
        return self._typed(ConnectomeAttachment)

    @property
    def is_empty(self) -> bool:
        """True if the layer has no attachments at all."""
        return not any(True for _ in self)

    def __iter__(self) -> Iterator[Attachment]:
        for kind in att_transform.KINDS:
            for spec in self._entries(kind):
                yield self._wrap(kind, spec)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({list(self)})"

    def _get_attachment(self, attachment_type: type[_A], name: str) -> _A:
        for attachment in self._typed(attachment_type):
            if attachment.name == name:
                return attachment
        raise KeyError(
            f"Attachment {attachment_type.__name__}/{name} not found in "
            f"{self._layer.name}."
        )

    # ------------------------------------------------------------------ changing
    def _stored_entry(self, attachment: Attachment) -> AttachmentSpec:
        """The properties entry equal to ``attachment`` (or its own, to be refused)."""
        for spec in self._entries(attachment.container_name):
            if self._wrap(attachment.container_name, spec) == attachment:
                return spec
        return attachment._properties

    def add_attachment_as_ref(
        self, attachment: Attachment, *, new_name: str | None = None
    ) -> Attachment:
        """Record ``attachment`` (its files stay where they are) and return it.

        The path is recorded symlink-free: ``./…`` when inside this dataset,
        absolute (or as URL) otherwise. Single-valued kinds (segment index,
        segment statistics, cumsum) are replaced; a taken name in the other kinds
        raises ``ValueError``.
        """
        ds = self._dataset
        ds._check_writable()
        name = attachment.name if new_name is None else new_name
        att_transform.validate_attachment_name(name)
        if _is_url(attachment.path):
            stored = str(attachment.path)
        else:
            stored = att_transform.stored_path(
                os.path.realpath(attachment.path), os.fspath(ds.resolved_path)
            )
        spec = AttachmentSpec(
            name=name, path=stored, data_format=attachment.data_format.value
        )
        change = att_transform.add_attachment(
            ds._spec, self._layer.name, attachment.container_name, spec
        )
        ds._apply(change)
        return self._get_attachment(type(attachment), name)

    def add_attachment_as_copy(self, attachment: Attachment) -> Attachment:
        """Copy the files of ``attachment`` into this layer and record the copy.

        The copy goes to ``<layer>/<kind folder>/<name>`` (file formats get their
        format as suffix, e.g. ``segmentIndex/<name>.hdf5``) and is recorded as
        ``./…``. Names and formats are checked before anything is written.

        Raises:
            FileNotFoundError: the source does not exist.
            FileExistsError: the target already exists.
            InvalidArgumentError: a remote source (only local files are copied).
        """
        ds = self._dataset
        ds._check_writable()
        if _is_url(attachment.path):
            raise InvalidArgumentError(
                f"cannot copy the remote attachment {attachment.path}; add it with "
                "add_attachment_as_ref instead"
            )
        source = os.path.realpath(attachment.path)
        change = att_transform.add_attachment_as_copy(
            ds._spec,
            self._layer.name,
            attachment.container_name,
            name=attachment.name,
            data_format=attachment.data_format.value,
            source=source,
        )
        if not os.path.exists(source):
            raise FileNotFoundError(f"attachment files {source} do not exist")
        target = resolve_path(
            ds.path,
            att_transform.copy_target(
                self._layer.name,
                attachment.container_name,
                attachment.name,
                attachment.data_format.value,
            ),
        )
        if os.path.lexists(target):
            raise FileExistsError(f"cannot copy the attachment: {target} exists")
        ds._apply(change)
        return self._get_attachment(type(attachment), attachment.name)

    def delete_attachment(self, attachment: Attachment) -> None:
        """Forget ``attachment``; its files are kept (as in the reference).

        Raises:
            KeyError / ValueError: the layer has no such attachment
                (``AttachmentNotFoundError`` is both).
        """
        ds = self._dataset
        ds._check_writable()
        change = att_transform.delete_attachment(
            ds._spec,
            self._layer.name,
            attachment.container_name,
            self._stored_entry(attachment),
        )
        ds._apply(change)

    def rename_attachment(self, attachment: Attachment, *, new_name: str) -> Attachment:
        """Give ``attachment`` another name (files and path stay) and return it."""
        ds = self._dataset
        ds._check_writable()
        change = att_transform.rename_attachment(
            ds._spec,
            self._layer.name,
            attachment.container_name,
            self._stored_entry(attachment),
            new_name,
        )
        ds._apply(change)
        return self._get_attachment(type(attachment), new_name)

    # ------------------------------------------------------------------ legacy
    def add_attachments(self, *other: Attachment) -> list[Attachment]:
        """Deprecated alias: ``add_attachment_as_ref`` for each attachment."""
        _deprecated("add_attachments", "add_attachment_as_ref")
        return [self.add_attachment_as_ref(a) for a in other]

    def add_copy_attachments(self, *other: Attachment) -> list[Attachment]:
        """Deprecated alias: ``add_attachment_as_copy`` for each attachment."""
        _deprecated("add_copy_attachments", "add_attachment_as_copy")
        return [self.add_attachment_as_copy(a) for a in other]

    def _legacy_add(
        self,
        cls: type[_A],
        method: str,
        path: PathLike,
        name: str,
        data_format: AttachmentDataFormat | str,
    ) -> _A:
        _deprecated(
            method, f"{cls.__name__}.from_path_and_name + add_attachment_as_ref"
        )
        attachment = cls.from_path_and_name(
            path,
            name,
            data_format=data_format,
            dataset_path=self._dataset.resolved_path,
        )
        added = self.add_attachment_as_ref(attachment)
        assert isinstance(added, cls)
        return added

    def add_mesh(
        self, path: PathLike, *, name: str, data_format: AttachmentDataFormat | str
    ) -> MeshAttachment:
        """Deprecated: reference a mesh file."""
        return self._legacy_add(MeshAttachment, "add_mesh", path, name, data_format)

    def add_agglomerate(
        self, path: PathLike, *, name: str, data_format: AttachmentDataFormat | str
    ) -> AgglomerateAttachment:
        """Deprecated: reference an agglomerate file."""
        return self._legacy_add(
            AgglomerateAttachment, "add_agglomerate", path, name, data_format
        )

    def add_connectome(
        self, path: PathLike, *, name: str, data_format: AttachmentDataFormat | str
    ) -> ConnectomeAttachment:
        """Deprecated: reference a connectome file."""
        return self._legacy_add(
            ConnectomeAttachment, "add_connectome", path, name, data_format
        )

    def set_segment_index(
        self, path: PathLike, *, name: str, data_format: AttachmentDataFormat | str
    ) -> SegmentIndexAttachment:
        """Deprecated: reference (replace) the segment index."""
        return self._legacy_add(
            SegmentIndexAttachment, "set_segment_index", path, name, data_format
        )

    def set_cumsum(
        self, path: PathLike, *, name: str, data_format: AttachmentDataFormat | str
    ) -> CumsumAttachment:
        """Deprecated: reference (replace) the cumsum file."""
        return self._legacy_add(CumsumAttachment, "set_cumsum", path, name, data_format)

    def detect_legacy_attachments(self) -> None:
        """Record attachments stored in the layer folder without properties entries.

        Older datasets keep ``<layer>/<kind folder>/*.hdf5`` files (meshes,
        agglomerates, connectomes, segment index) and ``agglomerates/cumsum.json``
        without listing them; this adds them as ``./…`` references.
        """
        layer_dir = Path(self._dataset.resolved_path) / self._layer.name
        if not layer_dir.is_dir():
            return
        root = self._dataset.resolved_path
        for cls in (
            MeshAttachment,
            AgglomerateAttachment,
            ConnectomeAttachment,
            SegmentIndexAttachment,
        ):
            folder = layer_dir / att_transform.kind_dir(cls.container_name)
            for file in sorted(folder.glob("*.hdf5")):
                self.add_attachment_as_ref(
                    cls.from_path_and_name(
                        file, file.stem, data_format="hdf5", dataset_path=root
                    )
                )
        cumsum = layer_dir / "agglomerates" / "cumsum.json"
        if cumsum.exists():
            self.add_attachment_as_ref(
                CumsumAttachment.from_path_and_name(
                    cumsum, "cumsum", data_format="json", dataset_path=root
                )
            )


class SegmentationAttachmentsMixin:
    """Adds ``attachments`` to ``SegmentationLayer``."""

    @property
    def attachments(self) -> Attachments:
        """Access, add and remove the attachments of this layer.

        Example::

            mesh = MeshAttachment.from_path_and_name(
                mesh_path, "meshfile", data_format="zarr3"
            )
            layer.attachments.add_attachment_as_ref(mesh)
            layer.attachments.meshes[0].path
            layer.attachments.delete_attachment(layer.attachments.meshes[0])
        """
        return Attachments(self)  # type: ignore[arg-type]


__all__ = [
    "AgglomerateAttachment",
    "Attachment",
    "AttachmentDataFormat",
    "Attachments",
    "ConnectomeAttachment",
    "CumsumAttachment",
    "MeshAttachment",
    "SegmentIndexAttachment",
    "SegmentStatisticsAttachment",
    "SegmentationAttachmentsMixin",
]
