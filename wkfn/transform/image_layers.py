"""Which layers an image import makes: file grouping, layer names and channel splits.

Pure decisions on header information (:class:`ImageFileInfo`): files are grouped
into layers by a :class:`ConversionLayerMapping` (or a callable), layer names are
cleaned, a stack is checked to be uniform, and its channels become one layer or one
layer per channel (:func:`plan_layers`), as in the reference (``webknossos`` 4.3.3).
"""

from __future__ import annotations

import colorsys
import re
from collections.abc import Callable, Sequence
from enum import Enum, unique

import msgspec

from wkfn.errors import UnsupportedImageDataError

#: Image formats whose several channels are RGB(A) of one picture.
RGB_IMAGE_EXTENSIONS = frozenset({"bmp", "gif", "jpeg", "jpg", "png"})


_UNALLOWED_LAYER_NAME_CHARS = re.compile(r"[^A-Za-z0-9_$@\-\.]")


@unique
class ConversionLayerMapping(Enum):
    """Strategies for mapping file paths to layers when importing images.

    Used by ``Dataset.from_images``; the default is ``INSPECT_SINGLE_FILE``. A
    custom callable taking a (relative) ``Path`` and returning a layer name is
    accepted as well.
    """

    INSPECT_SINGLE_FILE = "inspect_single_file"
    """Inspect the first file: 3D data → a layer per file, 2D → a layer per folder."""

    INSPECT_EVERY_FILE = "inspect_every_file"
    """Like INSPECT_SINGLE_FILE, but decided for every file separately."""

    ENFORCE_LAYER_PER_FILE = "enforce_layer_per_file"
    """One layer per input file."""

    ENFORCE_SINGLE_LAYER = "enforce_single_layer"
    """All files form one layer (2D slices stacked along z)."""

    ENFORCE_LAYER_PER_FOLDER = "enforce_layer_per_folder"
    """One layer per folder holding files."""

    ENFORCE_LAYER_PER_TOPLEVEL_FOLDER = "enforce_layer_per_toplevel_folder"
    """One layer per top-level folder (stacks may be split across subfolders)."""


class ImageFileInfo(msgspec.Struct, frozen=True, kw_only=True):
    """Header of one image file (or in-memory frame sequence), as plain data.

    Attributes:
        path: the file (absolute, posix) or a label for in-memory sources.
        reader: ``"tiff"``, ``"pil"`` or ``"frames"``.
        width: columns of one frame (becomes x).
        height: rows of one frame (becomes y).
        depth: frames along z.
        channels: channels per voxel in the source.
        timepoints: time points in the source.
        dtype: numpy dtype name of the source (native byte order).
        rgb: the channels are the colours of one picture (RGB(A) image formats,
            photometric-RGB TIFFs).
    """

    path: str
    reader: str
    width: int
    height: int
    depth: int = 1
    channels: int = 1
    timepoints: int = 1
    dtype: str = "uint8"
    rgb: bool = False


class LayerImport(msgspec.Struct, frozen=True, kw_only=True):
    """One layer an import will create."""

    name: str
    channels: tuple[int, ...]
    num_channels: int
    dtype: str
    color: tuple[int, int, int] | None = None


def clean_layer_name(name: str) -> str:
    """Remove characters the reference does not allow, and leading dots."""
    return _UNALLOWED_LAYER_NAME_CHARS.sub("", name).lstrip(".")


def _parent(rel: str) -> str:
    return rel.rsplit("/", 1)[0] if "/" in rel else ""


def layer_name_for(
    strategy: ConversionLayerMapping,
    rel: str,
    input_name: str,
    has_z: bool,
) -> str:
    """Raw layer name of a file (``rel`` is its posix path relative to the input).

    ``has_z`` tells whether the file (INSPECT_EVERY_FILE) or the first file
    (INSPECT_SINGLE_FILE) holds 3D data. Unlike the reference, the 2D branch of
    INSPECT_SINGLE_FILE names a layer after the whole parent path, so that
    ``top1/sub1`` and ``top2/sub1`` never merge into one layer.
    """
    parent = _parent(rel)
    per_folder = input_name if parent == "" else parent.replace("/", "_")
    if strategy is ConversionLayerMapping.ENFORCE_LAYER_PER_FILE:
        return rel.replace("/", "_")
    if strategy is ConversionLayerMapping.ENFORCE_SINGLE_LAYER:
        return input_name
    if strategy is ConversionLayerMapping.ENFORCE_LAYER_PER_FOLDER:
        return per_folder
    if strategy is ConversionLayerMapping.ENFORCE_LAYER_PER_TOPLEVEL_FOLDER:
        return input_name if parent == "" else rel.split("/", 1)[0]
    # INSPECT_SINGLE_FILE / INSPECT_EVERY_FILE
    return rel if has_z else per_folder


def group_files(
    rel_paths: Sequence[str],
    name_of: Callable[[str], str],
    layer_name: str | None = None,
) -> dict[str, list[str]]:
    """Group relative paths by (cleaned) layer name, keeping input order.

    ``layer_name`` renames a single group, or prefixes every group name when
    there are several.

    Raises:
        UnsupportedImageDataError: a file maps to an empty layer name.
    """
    groups: dict[str, list[str]] = {}
    for rel in rel_paths:
        name = clean_layer_name(str(name_of(rel)))
        if not name:
            raise UnsupportedImageDataError(
                "could not determine a layer name for this file", path=rel
            )
        groups.setdefault(name, []).append(rel)
    if layer_name is not None:
        if len(groups) == 1:
            groups = {layer_name: next(iter(groups.values()))}
        else:
            groups = {f"{layer_name}_{k}": v for k, v in groups.items()}
    return groups


def guess_segmentation_path(path: str) -> bool:
    """The reference's path heuristic: "segmentation" or "labels" in the path."""
    low = path.lower()
    return "segmentation" in low or "labels" in low


def check_uniform(files: Sequence[ImageFileInfo]) -> ImageFileInfo:
    """The common header of the files of one layer.

    Raises:
        UnsupportedImageDataError: no files, or a file whose frame shape, dtype,
            channels or time points differ from the first file's (naming it).
    """
    if not files:
        raise UnsupportedImageDataError("no image files for this layer")
    first = files[0]
    for f in files[1:]:
        for what, a, b in (
            ("shape (rows, columns)", (f.height, f.width), (first.height, first.width)),
            ("dtype", f.dtype, first.dtype),
            ("channel count", f.channels, first.channels),
            ("time points", f.timepoints, first.timepoints),
        ):
            if a != b:
                raise UnsupportedImageDataError(
                    f"image {what} {a} differs from {b} of {first.path}; all images "
                    "of one layer must agree",
                    path=f.path,
                )
    return first


def channel_layer_color(index: int) -> tuple[int, int, int]:
    """Colour of the layer split off from channel ``index`` (red, green, blue…)."""
    if index < 3:
        return ((255, 0, 0), (0, 255, 0), (0, 0, 255))[index]
    hue = ((index - 3) * 0.618033988749895) % 1.0
    r, g, b = colorsys.hsv_to_rgb(hue, 0.85, 1.0)
    return (round(r * 255), round(g * 255), round(b * 255))


def _fits_one_layer(n: int, dtype: str) -> bool:
    return n == 1 or (n == 3 and dtype == "uint8")


def plan_layers(
    info: ImageFileInfo,
    name: str,
    *,
    dtype: str | None,
    channel: int | None,
    allow_multiple_layers: bool,
    truncate_rgba_to_rgb: bool,
) -> list[LayerImport]:
    """The layers one source becomes (channel selection and splitting).

    Follows the reference: ``channel`` pins one channel; two channels default to
    the first; three or more default to the first three. RGB(A) sources stay one
    layer (RGBA truncated unless ``truncate_rgba_to_rgb=False``); other channels
    become ``<name>__channel<i>`` layers if ``allow_multiple_layers``, else one
    layer if they are three uint8 channels, else an error.

    Raises:
        UnsupportedImageDataError: a bad ``channel`` or channels that fit no layer.
    """
    src_dtype = info.dtype
    layer_dtype = dtype or src_dtype
    raw = info.channels
    if channel is not None:
        if not 0 <= channel < raw:
            raise UnsupportedImageDataError(
                f"channel {channel} selected, but the images have {raw} channel(s)",
                path=info.path,
            )
        return [
            LayerImport(
                name=name, channels=(channel,), num_channels=1, dtype=layer_dtype
            )
        ]
    if raw == 1:
        return [LayerImport(name=name, channels=(), num_channels=1, dtype=layer_dtype)]
    written = 3 if raw == 4 and truncate_rgba_to_rgb else raw
    first3 = LayerImport(
        name=name, channels=(0, 1, 2), num_channels=3, dtype=layer_dtype
    )
    if info.rgb and _fits_one_layer(written, layer_dtype):
        return [first3]
    if not allow_multiple_layers:
        if _fits_one_layer(raw, layer_dtype):
            return [first3]
        raise UnsupportedImageDataError(
            f"cannot write these {raw} channels of {layer_dtype} into a single "
            "layer: WEBKNOSSOS only combines three uint8 channels (RGB) in one "
            "layer. Set allow_multiple_layers=True to write one layer per channel, "
            "or channel=<index> to import a single channel.",
            path=info.path,
        )
    return [
        LayerImport(
            name=f"{name}__channel{i}",
            channels=(i,),
            num_channels=1,
            dtype=layer_dtype,
            color=channel_layer_color(i),
        )
        for i in range(raw)
    ]
