"""Copies and references of whole layers, and layers for files already on disk.

``add_layer_as_copy`` (convert or copy files), ``add_fs_copy_layer`` (files as they
are), ``add_symlink_layer`` / ``add_layer_as_ref`` (no data copied) and
``add_layer_for_existing_files``; attachment paths are mapped for the new layer.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Sequence

import msgspec

from wkfn.errors import (
    InvalidArgumentError,
    LayerExistsError,
)
from wkfn.plan.ops import (
    CopyTree,
    LinkPath,
    PlanOp,
)
from wkfn.spec import lookup
from wkfn.spec.array import ArrayLayout
from wkfn.spec.dataset import DatasetSpec
from wkfn.spec.dtypes import element_class_of
from wkfn.spec.layer import AttachmentSpec, AttachmentsSpec, LayerSpec, MagSpec
from wkfn.spec.names import mag_dir_name, validate_layer_name
from wkfn.spec.urls import has_url_scheme
from wkfn.transform.attachments import AttachmentKind, copy_target
from wkfn.transform.change import Change, make_change
from wkfn.transform.copy.mags import Parts, copy_mag_into
from wkfn.transform.copy.records import (
    AXIS_ORDER,
    DEFAULT_OPTIONS,
    WRITABLE,
    Box,
    CopyOptions,
    SourceLayer,
    Vec3,
    mag_box,
)


def _check_new_name(
    spec: DatasetSpec | None, name: str, exists_ok: bool, *, offered: bool = False
) -> None:
    """Refuse an existing layer name; ``offered``: the call takes ``exists_ok``
    (so the message says how to add to the layer instead)."""
    validate_layer_name(name)
    if spec is not None and lookup.has_layer(spec, name) and not exists_ok:
        hint = " (pass exists_ok=True to add the mags it lacks)" if offered else ""
        raise LayerExistsError(f"layer {name!r} already exists in the dataset{hint}")


def _map_attachments(
    source: SourceLayer,
    inside: Callable[[str, str], str] | None,
    outside: Callable[[AttachmentKind, AttachmentSpec, str], str] | None = None,
) -> AttachmentsSpec | None:
    """Attachment paths for a new layer.

    Attachments inside the source layer directory get ``inside(absolute, relative)``;
    other local ones ``outside(kind, attachment, absolute)``. ``None`` (and any URL):
    referenced by absolute path.
    """
    from wkfn.transform.attachments import map_attachments

    att = source.spec.attachments
    if att is None:
        return None
    prefix = source.path.rstrip("/") + "/"

    def one(kind: AttachmentKind, a: AttachmentSpec) -> AttachmentSpec:
        if has_url_scheme(a.path):
            return a
        if has_url_scheme(source.root):  # a dataset read over HTTP: reference the URL
            url = source.root.rstrip("/") + "/" + a.path.removeprefix("./")
            return (
                a if posixpath.isabs(a.path) else msgspec.structs.replace(a, path=url)
            )
        absolute = (
            a.path
            if posixpath.isabs(a.path)
            else posixpath.normpath(posixpath.join(source.root, a.path))
        )
        if absolute.startswith(prefix):
            if inside is not None:
                path = inside(absolute, absolute[len(prefix) :])
                return msgspec.structs.replace(a, path=path)
        elif outside is not None:
            return msgspec.structs.replace(a, path=outside(kind, a, absolute))
        return msgspec.structs.replace(a, path=absolute)

    return map_attachments(att, one)


def plan_layer_copy(
    acc: Parts,
    source: SourceLayer,
    new_name: str,
    options: CopyOptions,
    existing: LayerSpec | None = None,
    with_attachments: bool = True,
) -> LayerSpec:
    fmt = options.data_format or source.spec.data_format
    if fmt not in WRITABLE:
        raise InvalidArgumentError(
            f"layer {source.spec.name!r} is stored as {source.spec.data_format!r}; "
            "pass data_format='zarr3', 'zarr' or 'wkw' to convert it"
        )
    mags: list[MagSpec] = list(existing.mags) if existing is not None else []
    for src in source.mags:
        if existing is not None and lookup.has_mag(existing, src.mag):
            continue
        if existing is not None and existing.data_format != fmt:
            options = msgspec.structs.replace(
                options,
                data_format=existing.data_format,
            )
        mags.append(
            copy_mag_into(
                acc,
                layer_name=new_name,
                source=src,
                target_mag=src.mag,
                region=mag_box(source.spec, src.mag),
                sizing_layer=source.spec,
                options=options,
            )
        )
    if existing is not None:
        return msgspec.structs.replace(existing, mags=tuple(mags))
    attachments = None
    if with_attachments:

        def copy_inside(absolute: str, rel: str) -> str:
            target = f"./{new_name}/{rel}"
            acc.create.append(CopyTree(source=absolute, target=target))
            return target

        def copy_outside(kind: AttachmentKind, a: AttachmentSpec, absolute: str) -> str:
            # like add_attachment_as_copy: into the new layer's kind folder
            target = copy_target(new_name, kind, a.name, a.data_format)
            acc.create.append(CopyTree(source=absolute, target=target))
            return target

        attachments = _map_attachments(source, copy_inside, copy_outside)
    return msgspec.structs.replace(
        source.spec,
        name=new_name,
        data_format=fmt,
        mags=tuple(mags),
        attachments=attachments,
    )


def add_layer_as_copy(
    spec: DatasetSpec,
    source: SourceLayer,
    *,
    new_name: str | None = None,
    options: CopyOptions = DEFAULT_OPTIONS,
    exists_ok: bool = False,
    with_attachments: bool = True,
) -> Change:
    """Copy a layer (all its mags) into the dataset, converting where asked.

    With ``exists_ok`` an existing layer of that name gets the mags it lacks.

    Raises:
        InvalidLayerNameError: the name is not a single safe path component.
        LayerExistsError: the layer exists (and not ``exists_ok``).
    """
    name = source.spec.name if new_name is None else new_name
    _check_new_name(spec, name, exists_ok, offered=True)
    acc = Parts()
    existing = lookup.get_layer(spec, name) if lookup.has_layer(spec, name) else None
    layer = plan_layer_copy(acc, source, name, options, existing, with_attachments)
    if existing is not None:
        new = lookup.replace_layer(spec, name, layer)
    else:
        new = lookup.add_layer(spec, layer)
    return make_change(spec, new, acc.stages(), summary=acc.summary or (f"+ {name}",))


def add_fs_copy_layer(
    spec: DatasetSpec, source: SourceLayer, *, new_name: str | None = None
) -> Change:
    """Copy a layer's files as they are; mag and attachment paths point at the copy.

    The layer directory is copied once; mags stored outside it are copied into
    ``./<new_name>/<mag>`` so the new layer never reads another layer's files.
    """
    name = source.spec.name if new_name is None else new_name
    _check_new_name(spec, name, False)
    prefix = source.path.rstrip("/") + "/"
    ops: list[PlanOp] = [CopyTree(source=source.path, target=f"./{name}")]
    mags = []
    for m in source.mags:
        if m.path.startswith(prefix) and "/" not in m.path[len(prefix) :].strip("/"):
            rel = m.path[len(prefix) :].strip("/")
        else:
            rel = mag_dir_name(m.mag)
            ops.append(CopyTree(source=m.path, target=f"./{name}/{rel}"))
        mags.append(
            MagSpec(
                mag=m.mag,
                path=f"./{name}/{rel}",
                cube_length=m.layout.shard_shape[0]
                if m.layout.data_format == "wkw"
                else None,
                axis_order=dict(AXIS_ORDER),
            )
        )
    attachments = _map_attachments(source, lambda _a, rel: f"./{name}/{rel}")
    layer = msgspec.structs.replace(
        source.spec, name=name, mags=tuple(mags), attachments=attachments
    )
    new = lookup.add_layer(spec, layer)
    return make_change(
        spec,
        new,
        [("copy files", ops)],
        summary=(f"+ {name}: files of {source.path} -> ./{name}",),
    )


def ref_layer(source: SourceLayer, name: str, mag_paths: dict[Vec3, str]) -> LayerSpec:
    mags = tuple(
        MagSpec(
            mag=m.mag,
            path=mag_paths[m.mag],
            cube_length=m.layout.shard_shape[0]
            if m.layout.data_format == "wkw"
            else None,
            axis_order=dict(AXIS_ORDER),
        )
        for m in source.mags
    )
    return msgspec.structs.replace(
        source.spec,
        name=name,
        mags=mags,
        attachments=_map_attachments(source, None),
    )


def add_symlink_layer(
    spec: DatasetSpec,
    source: SourceLayer,
    *,
    new_name: str | None = None,
    make_relative: bool = False,
    mag_paths: dict[Vec3, str],
) -> Change:
    """Link ``./<new_name>`` to the source layer directory.

    ``mag_paths`` are the mag paths to record (the resolved source mags, absolute or
    relative to the dataset directory, as computed by the caller), so the layer
    reads the linked data whatever it is called and never another layer's files.
    """
    name = source.spec.name if new_name is None else new_name
    _check_new_name(spec, name, False)
    layer = ref_layer(source, name, mag_paths)
    new = lookup.add_layer(spec, layer)
    op = LinkPath(source=source.path, target=f"./{name}", relative=make_relative)
    return make_change(
        spec, new, [("link", [op])], summary=(f"+ {name}: link to {source.path}",)
    )


def add_layer_as_ref(
    spec: DatasetSpec,
    source: SourceLayer,
    *,
    new_name: str | None = None,
    mag_paths: dict[Vec3, str],
) -> Change:
    """A layer whose mags reference the source arrays (no files are created)."""
    name = source.spec.name if new_name is None else new_name
    _check_new_name(spec, name, False)
    layer = ref_layer(source, name, mag_paths)
    new = lookup.add_layer(spec, layer)
    return make_change(spec, new, summary=(f"+ {name}: reference to {source.path}",))


def add_layer_for_existing_files(
    spec: DatasetSpec,
    *,
    name: str,
    category: str,
    data_format: str,
    dtype_per_channel: str,
    num_channels: int,
    mags: Sequence[tuple[Vec3, str, ArrayLayout]],
    bounding_box: Box,
    largest_segment_id: int | None = None,
    mappings: tuple[str, ...] = (),
) -> Change:
    """Register arrays already under ``./<name>/`` as a new layer (no data ops).

    ``mags`` are ``(mag, directory name, layout)`` as found on disk.
    """
    from wkfn.transform.dataset import add_layer

    change = add_layer(
        spec,
        name=name,
        category=category,
        dtype_per_channel=dtype_per_channel,
        num_channels=num_channels,
        data_format=data_format,
        bounding_box=bounding_box,
        largest_segment_id=largest_segment_id,
        mappings=mappings,
    )
    layer = lookup.get_layer(change.spec, name)
    mag_specs = tuple(
        MagSpec(
            mag=mag,
            path=f"./{name}/{dirname}",
            cube_length=layout.shard_shape[0] if data_format == "wkw" else None,
            axis_order=dict(AXIS_ORDER),
        )
        for mag, dirname, layout in mags
    )
    layer = msgspec.structs.replace(
        layer,
        mags=mag_specs,
        element_class=element_class_of(dtype_per_channel, num_channels),
    )
    new = lookup.replace_layer(change.spec, name, layer)
    return make_change(spec, new, summary=(f"+ layer {name} (existing files)",))
