"""The declaration file format (TOML or JSON), as msgspec records (pure).

Example (TOML)::

    name = "sample"
    voxel_size = [11.24, 11.24, 25.0]

    [[layers]]
    name = "color"
    category = "color"
    dtype = "uint8"
    shard_shape = [256, 256, 256]
    source = { images = "slices/" }
    downsample = { coarsest_mag = 8 }

Unknown keys are errors (a typo must not be silently ignored); every problem is
reported with its key path.
"""

from __future__ import annotations

import json
import tomllib
from typing import Any, Literal

import msgspec

from wkfn.errors import DeclarationError
from wkfn.spec.schema import strip_generated_docs

Vec3List = tuple[int, int, int]


class Strict(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Base of declaration records: immutable, keyword-only, unknown keys rejected."""


class SourceDecl(Strict, frozen=True, kw_only=True):
    """Where the layer's voxels come from: exactly one of ``images`` or ``copy``."""

    images: str | None = None
    """An image stack to import: a folder, a file or a glob."""
    copy: str | None = None
    """A layer of another dataset to copy: ``path/to/dataset/layer_name``."""
    swap_xy: bool = False
    flip_x: bool = False
    flip_y: bool = False
    flip_z: bool = False
    channel: int | None = None


class BoundingBoxDecl(Strict, frozen=True, kw_only=True):
    """A Mag-1 box."""

    topleft: Vec3List = (0, 0, 0)
    size: Vec3List


class DownsampleDecl(Strict, frozen=True, kw_only=True):
    """Mags to derive from mag 1 (existing mags are kept, never regenerated)."""

    coarsest_mag: int | Vec3List | None = None
    sampling_mode: Literal["anisotropic", "isotropic", "constant_z"] = "anisotropic"
    interpolation_mode: str = "default"


class LayerDecl(Strict, frozen=True, kw_only=True):
    """One layer the dataset must have."""

    name: str
    category: Literal["color", "segmentation"] = "color"
    dtype: str = "uint8"
    num_channels: int = 1
    data_format: Literal["zarr3", "zarr", "wkw"] = "zarr3"
    chunk_shape: Vec3List | None = None
    shard_shape: Vec3List | None = None
    compress: bool = True
    bounding_box: BoundingBoxDecl | None = None
    largest_segment_id: int | None = None
    source: SourceDecl | None = None
    downsample: DownsampleDecl | None = None


class DatasetDecl(Strict, frozen=True, kw_only=True):
    """A whole dataset: voxel size and layers."""

    voxel_size: tuple[float, float, float]
    unit: str = "nanometer"
    name: str | None = None
    layers: tuple[LayerDecl, ...] = ()
    prune: bool = False
    """Delete layers that exist on disk but are not declared."""


def decode_declaration(data: bytes | str, *, source: str = "spec") -> DatasetDecl:
    """Parse a TOML or JSON declaration.

    Raises:
        DeclarationError: syntax errors, unknown keys, wrong types, impossible
            layouts; the message names the file and the key path.
    """
    text = data.decode() if isinstance(data, bytes) else data
    try:
        raw: Any = (
            json.loads(text)
            if source.endswith(".json") or text.lstrip().startswith("{")
            else tomllib.loads(text)
        )
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise DeclarationError(source, "$", f"cannot parse: {exc}") from exc
    try:
        decl = msgspec.convert(raw, type=DatasetDecl)
    except msgspec.ValidationError as exc:
        message, _, where = str(exc).partition(" - at `")
        raise DeclarationError(source, where.rstrip("`") or "$", message) from exc
    for problem in check_declaration(decl):
        raise DeclarationError(source, *problem)
    return decl


def check_declaration(decl: DatasetDecl) -> list[tuple[str, str]]:
    """Cross-field problems as ``(key path, message)``."""
    problems: list[tuple[str, str]] = []
    if not all(v > 0 for v in decl.voxel_size):
        problems.append(("$.voxel_size", f"must be positive, got {decl.voxel_size}"))
    names = [layer.name for layer in decl.layers]
    for i, layer in enumerate(decl.layers):
        where = f"$.layers[{i}]"
        if layer.name in names[:i]:
            problems.append((f"{where}.name", f"duplicate layer {layer.name!r}"))
        chunk = layer.chunk_shape or (32, 32, 32)
        for key, shape in (("chunk_shape", chunk), ("shard_shape", layer.shard_shape)):
            if shape is not None and not all(s > 0 and s & (s - 1) == 0 for s in shape):
                problems.append((f"{where}.{key}", f"not a power of two: {shape}"))
        if layer.shard_shape is not None and any(
            s % c for s, c in zip(layer.shard_shape, chunk)
        ):
            problems.append(
                (
                    f"{where}.shard_shape",
                    f"{layer.shard_shape} is not a multiple of chunk_shape {chunk}",
                )
            )
        if layer.data_format == "zarr" and layer.shard_shape not in (None, chunk):
            problems.append(
                (f"{where}.shard_shape", "zarr (v2) has no shards; omit shard_shape")
            )
        if layer.source is not None and (layer.source.images is None) == (
            layer.source.copy is None
        ):
            problems.append((f"{where}.source", "give exactly one of images, copy"))
        if layer.num_channels < 1:
            problems.append((f"{where}.num_channels", "must be >= 1"))
    return problems


def declaration_schema() -> dict[str, Any]:
    """JSON Schema of the declaration format."""
    schema = strip_generated_docs(msgspec.json.schema(DatasetDecl))
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "wkfn dataset declaration"
    return schema
