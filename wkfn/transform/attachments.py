"""Attachment transforms: add (by reference or as a file copy), rename, delete.

Attachments are files next to a segmentation layer that WEBKNOSSOS reads directly
(meshes, agglomerate graphs, segment indices, …). They live under the layer's
``attachments`` key in ``datasource-properties.json``; each entry names a path,
written ``./<layer>/…`` when the files are inside the dataset and absolute (or as a
URL) otherwise.

Everything here is pure: the caller resolves paths on disk and passes strings in.
Copies become :class:`CopyTree` ops into ``./<layer>/<kind dir>/<name>[.<ext>]``,
the folder layout the reference library uses; a reference or a deletion only
changes the properties (deleting an attachment never removes its files, like the
reference).
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from typing import Final, Literal, get_args

import msgspec

from wkfn.errors import (
    AttachmentExistsError,
    AttachmentNotFoundError,
    InvalidArgumentError,
)
from wkfn.plan.ops import CopyTree
from wkfn.spec import lookup
from wkfn.spec.dataset import DatasetSpec
from wkfn.spec.layer import AttachmentSpec, AttachmentsSpec, LayerSpec
from wkfn.spec.names import LAYER_NAME_RE
from wkfn.spec.urls import has_url_scheme
from wkfn.transform.change import Change, make_change

__all__ = [
    "FORMATS",
    "KINDS",
    "SINGLE_KINDS",
    "AttachmentExistsError",
    "AttachmentKind",
    "AttachmentNotFoundError",
    "add_attachment",
    "add_attachment_as_copy",
    "attachments_of",
    "copy_target",
    "delete_attachment",
    "entries",
    "kind_dir",
    "map_attachments",
    "rename_attachment",
    "stored_path",
    "validate_attachment_name",
    "validate_data_format",
]

AttachmentKind = Literal[
    "meshes",
    "agglomerates",
    "segment_index",
    "segment_statistics",
    "cumsum",
    "connectomes",
]
"""Field of :class:`AttachmentsSpec` (the reference's ``container_name``)."""

KINDS: Final[tuple[AttachmentKind, ...]] = get_args(AttachmentKind)
SINGLE_KINDS: Final[frozenset[AttachmentKind]] = frozenset(
    {"segment_index", "segment_statistics", "cumsum"}
)
"""Kinds holding at most one attachment; adding another replaces it."""

FORMATS: Final[dict[AttachmentKind, tuple[str, ...]]] = {
    "meshes": ("zarr3", "hdf5", "neuroglancerPrecomputed"),
    "agglomerates": ("zarr3", "hdf5"),
    "segment_index": ("zarr3", "hdf5"),
    "segment_statistics": ("zarr3",),
    "cumsum": ("zarr3", "json"),
    "connectomes": ("zarr3", "hdf5"),
}
"""``dataFormat`` values each kind accepts."""

_DIRECTORY_FORMATS: Final = ("zarr3", "neuroglancerPrecomputed")


def validate_attachment_name(name: object) -> str:
    """Return ``name`` if it is a valid attachment name.

    Names follow the layer-name rule (letters, digits, ``_ $ @ - .``, not starting
    with a dot), so a name is always one path component inside the kind folder and
    can never escape the dataset.

    Raises:
        InvalidArgumentError: not a str or not matching the rule.
    """
    if not isinstance(name, str) or LAYER_NAME_RE.fullmatch(name) is None:
        raise InvalidArgumentError(
            f"Name {name!r} is not allowed. It must only contain letters, numbers, "
            "underscores, hyphens and dots (and not start with a dot)."
        )
    return name


def validate_data_format(kind: AttachmentKind, data_format: str) -> str:
    """Return ``data_format`` if attachments of ``kind`` may use it.

    Raises:
        InvalidArgumentError: e.g. ``"json"`` for meshes.
    """
    allowed = FORMATS[kind]
    if data_format not in allowed:
        raise InvalidArgumentError(
            f"{data_format} is not a valid data_format for {kind} attachments. "
            f"Allowed: {allowed}"
        )
    return data_format


def kind_dir(kind: AttachmentKind) -> str:
    """Folder of a kind inside the layer directory (camelCase of the kind).

    Example:
        >>> kind_dir("segment_index")
        'segmentIndex'
    """
    head, *rest = kind.split("_")
    return head + "".join(part.capitalize() for part in rest)


def copy_target(
    layer_name: str, kind: AttachmentKind, name: str, data_format: str
) -> str:
    """Properties path a copied attachment gets.

    Directory formats keep the bare name, file formats get their format as suffix.

    Example:
        >>> copy_target("seg", "meshes", "m1", "zarr3")
        './seg/meshes/m1'
        >>> copy_target("seg", "cumsum", "cumsum", "json")
        './seg/cumsum/cumsum.json'
    """
    validate_attachment_name(name)
    leaf = (
        name if data_format in _DIRECTORY_FORMATS else f"{name}.{data_format.lower()}"
    )
    return f"./{layer_name}/{kind_dir(kind)}/{leaf}"


def stored_path(absolute: str, dataset_root: str | None) -> str:
    """How a path is written in the properties: ``./…`` inside the dataset.

    ``absolute`` is a normalised absolute path or a URL; ``dataset_root`` the
    absolute dataset directory (``None``: always absolute). URLs stay as they are.

    Example:
        >>> stored_path("/data/ds/seg/meshes/m", "/data/ds")
        './seg/meshes/m'
        >>> stored_path("/elsewhere/m", "/data/ds")
        '/elsewhere/m'
    """
    if has_url_scheme(absolute):
        return absolute
    if not posixpath.isabs(absolute):
        raise InvalidArgumentError(f"expected an absolute path, got {absolute!r}")
    path = posixpath.normpath(absolute)
    if dataset_root is not None:
        root = posixpath.normpath(dataset_root).rstrip("/") + "/"
        if path.startswith(root):
            return "./" + path[len(root) :]
    return path


def attachments_of(layer: LayerSpec) -> AttachmentsSpec:
    """A layer's attachments (empty for layers without any).

    Raises:
        InvalidArgumentError: the layer is not a segmentation layer.
    """
    if layer.category != "segmentation":
        raise InvalidArgumentError(
            f"layer {layer.name!r} is not a segmentation layer; only those have "
            "attachments"
        )
    return layer.attachments if layer.attachments is not None else AttachmentsSpec()


def entries(atts: AttachmentsSpec, kind: AttachmentKind) -> tuple[AttachmentSpec, ...]:
    """The attachments of one kind as a tuple (0 or 1 items for single kinds)."""
    if kind in SINGLE_KINDS:
        one: AttachmentSpec | None = getattr(atts, kind)
        return () if one is None else (one,)
    items: tuple[AttachmentSpec, ...] = getattr(atts, kind)
    return items


def _with_entries(
    atts: AttachmentsSpec, kind: AttachmentKind, items: tuple[AttachmentSpec, ...]
) -> AttachmentsSpec:
    if kind in SINGLE_KINDS:
        if len(items) > 1:
            raise InvalidArgumentError(f"{kind} holds at most one attachment")
        return msgspec.structs.replace(atts, **{kind: items[0] if items else None})
    return msgspec.structs.replace(atts, **{kind: items})


def map_attachments(
    atts: AttachmentsSpec,
    fn: Callable[[AttachmentKind, AttachmentSpec], AttachmentSpec],
) -> AttachmentsSpec:
    """``atts`` with every attachment replaced by ``fn(kind, attachment)``.

    Keeps unknown keys; used when a layer's files move (rename) or are copied.
    """
    out = atts
    for kind in KINDS:
        items = entries(atts, kind)
        if items:
            out = _with_entries(out, kind, tuple(fn(kind, a) for a in items))
    return out


def _is_empty(atts: AttachmentsSpec) -> bool:
    return not atts.extras and all(not entries(atts, kind) for kind in KINDS)


def _replace_attachments(
    spec: DatasetSpec,
    layer: LayerSpec,
    kind: AttachmentKind,
    items: tuple[AttachmentSpec, ...],
) -> DatasetSpec:
    new_atts = _with_entries(attachments_of(layer), kind, items)
    new_layer = msgspec.structs.replace(
        layer, attachments=None if _is_empty(new_atts) else new_atts
    )
    return lookup.replace_layer(spec, layer.name, new_layer)


def _checked(kind: AttachmentKind, attachment: AttachmentSpec) -> None:
    if kind not in KINDS:
        raise InvalidArgumentError(f"unknown attachment kind {kind!r}")
    validate_attachment_name(attachment.name)
    validate_data_format(kind, attachment.data_format)
    path = attachment.path
    if not has_url_scheme(path) and not posixpath.isabs(path):
        if not path.startswith("./"):
            raise InvalidArgumentError(
                f"attachment path {path!r} must be absolute, a URL or './…'"
            )
        if posixpath.normpath(path).split("/")[0] == "..":
            raise InvalidArgumentError(
                f"attachment path {path!r} would escape the dataset"
            )


def _added(
    spec: DatasetSpec,
    layer_name: str,
    kind: AttachmentKind,
    attachment: AttachmentSpec,
) -> DatasetSpec:
    """The spec with ``attachment`` added (a single kind is replaced)."""
    _checked(kind, attachment)
    layer = lookup.get_layer(spec, layer_name)
    current = entries(attachments_of(layer), kind)
    if kind in SINGLE_KINDS:
        return _replace_attachments(spec, layer, kind, (attachment,))
    if any(a.name == attachment.name for a in current):
        raise AttachmentExistsError(
            f"Attachment with name {attachment.name} already exists in {kind}."
        )
    return _replace_attachments(spec, layer, kind, (*current, attachment))


def add_attachment(
    spec: DatasetSpec,
    layer_name: str,
    kind: AttachmentKind,
    attachment: AttachmentSpec,
) -> Change:
    """Record an attachment whose files stay where they are (a reference).

    Single-valued kinds (segment index, segment statistics, cumsum) are replaced;
    the other kinds refuse a second attachment of the same name.

    Raises:
        AttachmentExistsError: the name is taken in a list kind.
        InvalidArgumentError: bad name, format or path, or not a segmentation layer.
    """
    new = _added(spec, layer_name, kind, attachment)
    return make_change(
        spec,
        new,
        summary=(f"{layer_name} +{kind} {attachment.name} -> {attachment.path}",),
    )


def add_attachment_as_copy(
    spec: DatasetSpec,
    layer_name: str,
    kind: AttachmentKind,
    *,
    name: str,
    data_format: str,
    source: str,
) -> Change:
    """Copy an attachment's files (at absolute ``source``) into the layer.

    The copy goes to :func:`copy_target` and is recorded with that ``./…`` path.
    Everything is checked before the plan is built, so a refused copy writes nothing.

    Raises:
        AttachmentExistsError: the name is taken in a list kind.
        InvalidArgumentError: bad name or format, or ``source`` is not absolute.
    """
    if has_url_scheme(source) or not posixpath.isabs(source):
        raise InvalidArgumentError(
            f"attachment copies need an absolute local source path, got {source!r}"
        )
    target = copy_target(layer_name, kind, name, data_format)
    attachment = AttachmentSpec(name=name, path=target, data_format=data_format)
    new = _added(spec, layer_name, kind, attachment)
    op = CopyTree(source=posixpath.normpath(source), target=target)
    return make_change(
        spec,
        new,
        [("copy", [op])],
        summary=(f"{layer_name} +{kind} {name} (copy of {source})",),
    )


def _position(
    layer: LayerSpec, kind: AttachmentKind, attachment: AttachmentSpec
) -> int:
    current = entries(attachments_of(layer), kind)
    for index, item in enumerate(current):
        if (item.name, item.path, item.data_format) == (
            attachment.name,
            attachment.path,
            attachment.data_format,
        ):
            return index
    raise AttachmentNotFoundError(
        f"Attachment {attachment.name!r} ({attachment.path}) is not part of {kind} "
        f"of layer {layer.name!r}."
    )


def delete_attachment(
    spec: DatasetSpec,
    layer_name: str,
    kind: AttachmentKind,
    attachment: AttachmentSpec,
) -> Change:
    """Remove an attachment entry (matched by name, stored path and format).

    The files are kept, wherever they are: like the reference, deleting an
    attachment only forgets it.

    Raises:
        AttachmentNotFoundError: no such entry.
    """
    layer = lookup.get_layer(spec, layer_name)
    index = _position(layer, kind, attachment)
    current = entries(attachments_of(layer), kind)
    new = _replace_attachments(
        spec, layer, kind, current[:index] + current[index + 1 :]
    )
    return make_change(spec, new, summary=(f"{layer_name} -{kind} {attachment.name}",))


def rename_attachment(
    spec: DatasetSpec,
    layer_name: str,
    kind: AttachmentKind,
    attachment: AttachmentSpec,
    new_name: str,
) -> Change:
    """Give an attachment entry another name (its files and path stay).

    Raises:
        AttachmentNotFoundError: no such entry.
        AttachmentExistsError: ``new_name`` is taken in a list kind.
        InvalidArgumentError: ``new_name`` is not a valid name.
    """
    validate_attachment_name(new_name)
    layer = lookup.get_layer(spec, layer_name)
    index = _position(layer, kind, attachment)
    current = entries(attachments_of(layer), kind)
    if any(i != index and a.name == new_name for i, a in enumerate(current)):
        raise AttachmentExistsError(
            f"Attachment with name {new_name} already exists in {kind}."
        )
    renamed = msgspec.structs.replace(current[index], name=new_name)
    items = (*current[:index], renamed, *current[index + 1 :])
    new = _replace_attachments(spec, layer, kind, items)
    return make_change(
        spec,
        new,
        summary=(f"{layer_name} ~{kind} {attachment.name} -> {new_name}",),
    )
