"""Attachments of a segmentation layer: ``layer.attachments``.

An attachment is a file or folder WEBKNOSSOS reads next to a segmentation layer: a
mesh file, an agglomerate graph, a segment index, segment statistics, a cumsum file
or a connectome. The layer's ``attachments`` key in ``datasource-properties.json``
lists them with a name, a path and a data format.

:class:`Attachments` (returned by ``SegmentationLayer.attachments``) holds the
session and the layer name, reads from the current spec on every access, so it never
goes stale, and plans every mutation with :mod:`wkfn.transform.attachments` and
applies it (or records it in a dry run) through the session. The attachment values
live in :mod:`wkfn.api.attachment_types` and are re-exported here.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

from wkfn.api._parse import deprecated
from wkfn.api._session import Session
from wkfn.api.attachment_types import (
    ATTACHMENT_CLASSES,
    AgglomerateAttachment,
    Attachment,
    AttachmentDataFormat,
    AttachmentPath,
    ConnectomeAttachment,
    CumsumAttachment,
    MeshAttachment,
    PathLike,
    SegmentIndexAttachment,
    SegmentStatisticsAttachment,
    is_url_path,
)
from wkfn.errors import InvalidArgumentError
from wkfn.execute.paths import resolve_path
from wkfn.spec.layer import AttachmentSpec
from wkfn.storage import path_policy, remote
from wkfn.transform import attachments as att_transform
from wkfn.transform.attachments import AttachmentKind

_A = TypeVar("_A", bound="Attachment")


class Attachments:
    """The attachments of one segmentation layer (``layer.attachments``).

    Reading gives tuples (``meshes``, ``agglomerates``, ``connectomes``) or a single
    attachment / ``None`` (``segment_index``, ``segment_statistics``, ``cumsum``).
    Iterating yields all of them. Mutations refuse read-only datasets and are
    recorded inside ``Dataset.dry_run()``.
    """

    def __init__(self, session: Session, layer_name: str) -> None:
        self._session = session
        self._layer_name = layer_name

    # ------------------------------------------------------------------ reading
    @property
    def _root(self) -> Any:
        """The dataset's resolved root (a ``UrlPath`` for a remote dataset)."""
        return self._session.root.resolve()

    def _entries(self, kind: AttachmentKind) -> tuple[AttachmentSpec, ...]:
        atts = att_transform.attachments_of(self._session.layer_spec(self._layer_name))
        return att_transform.entries(atts, kind)

    def _resolve(self, stored: str) -> AttachmentPath:
        if is_url_path(stored):
            return stored
        root = self._root
        resolved = resolve_path(root, stored)
        if isinstance(root, remote.UrlPath):
            return Path(resolved)
        local = os.fspath(root)
        return Path(path_policy.check_attachment_path(local, stored, resolved))

    def _wrap(self, kind: AttachmentKind, spec: AttachmentSpec) -> Attachment:
        return ATTACHMENT_CLASSES[kind](spec, self._resolve(spec.path))

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
            f"{self._layer_name}."
        )

    # ------------------------------------------------------------------ changing
    def _stored_entry(self, attachment: Attachment) -> AttachmentSpec:
        """The properties entry equal to ``attachment`` (or its own, to be refused)."""
        for spec in self._entries(attachment.container_name):
            if self._wrap(attachment.container_name, spec) == attachment:
                return spec
        return attachment.properties

    def add_attachment_as_ref(
        self, attachment: Attachment, *, new_name: str | None = None
    ) -> Attachment:
        """Record ``attachment`` (its files stay where they are) and return it.

        The path is recorded symlink-free: ``./…`` when inside this dataset,
        absolute (or as URL) otherwise. Single-valued kinds (segment index,
        segment statistics, cumsum) are replaced; a taken name in the other kinds
        raises ``ValueError``.
        """
        session = self._session
        session.check_writable()
        name = attachment.name if new_name is None else new_name
        att_transform.validate_attachment_name(name)
        if is_url_path(attachment.path):
            stored = str(attachment.path)
        else:
            stored = att_transform.stored_path(
                os.path.realpath(attachment.path), os.fspath(self._root)
            )
        spec = AttachmentSpec(
            name=name, path=stored, data_format=attachment.data_format.value
        )
        change = att_transform.add_attachment(
            session.spec, self._layer_name, attachment.container_name, spec
        )
        session.apply(change)
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
        session = self._session
        session.check_writable()
        if is_url_path(attachment.path):
            raise InvalidArgumentError(
                f"cannot copy the remote attachment {attachment.path}; add it with "
                "add_attachment_as_ref instead"
            )
        source = os.path.realpath(attachment.path)
        change = att_transform.add_attachment_as_copy(
            session.spec,
            self._layer_name,
            attachment.container_name,
            name=attachment.name,
            data_format=attachment.data_format.value,
            source=source,
        )
        if not os.path.exists(source):
            raise FileNotFoundError(f"attachment files {source} do not exist")
        target = resolve_path(
            session.local_root(),
            att_transform.copy_target(
                self._layer_name,
                attachment.container_name,
                attachment.name,
                attachment.data_format.value,
            ),
        )
        if os.path.lexists(target):
            raise FileExistsError(f"cannot copy the attachment: {target} exists")
        session.apply(change)
        return self._get_attachment(type(attachment), attachment.name)

    def delete_attachment(self, attachment: Attachment) -> None:
        """Forget ``attachment``; its files are kept (as in the reference).

        Raises:
            KeyError / ValueError: the layer has no such attachment
                (``AttachmentNotFoundError`` is both).
        """
        session = self._session
        session.check_writable()
        change = att_transform.delete_attachment(
            session.spec,
            self._layer_name,
            attachment.container_name,
            self._stored_entry(attachment),
        )
        session.apply(change)

    def rename_attachment(self, attachment: Attachment, *, new_name: str) -> Attachment:
        """Give ``attachment`` another name (files and path stay) and return it."""
        session = self._session
        session.check_writable()
        change = att_transform.rename_attachment(
            session.spec,
            self._layer_name,
            attachment.container_name,
            self._stored_entry(attachment),
            new_name,
        )
        session.apply(change)
        return self._get_attachment(type(attachment), new_name)

    # ------------------------------------------------------------------ legacy
    def add_attachments(self, *other: Attachment) -> list[Attachment]:
        """Deprecated alias: ``add_attachment_as_ref`` for each attachment."""
        deprecated("add_attachments", "add_attachment_as_ref")
        return [self.add_attachment_as_ref(a) for a in other]

    def add_copy_attachments(self, *other: Attachment) -> list[Attachment]:
        """Deprecated alias: ``add_attachment_as_copy`` for each attachment."""
        deprecated("add_copy_attachments", "add_attachment_as_copy")
        return [self.add_attachment_as_copy(a) for a in other]

    def _legacy_add(
        self,
        cls: type[_A],
        method: str,
        path: PathLike,
        name: str,
        data_format: AttachmentDataFormat | str,
    ) -> _A:
        deprecated(method, f"{cls.__name__}.from_path_and_name + add_attachment_as_ref")
        attachment = cls.from_path_and_name(
            path,
            name,
            data_format=data_format,
            dataset_path=self._root,
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
        layer_dir = Path(self._root) / self._layer_name
        if not layer_dir.is_dir():
            return
        root = self._root
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
]
