"""Compare a declaration with the dataset on disk and plan the difference.

Planning drives the ordinary facade in recording mode, so a declared dataset is
built by exactly the code paths a script would use, and planning reads only
metadata (properties, array headers, image headers), never voxels. Planning twice
after applying gives an empty plan: existing layers are kept, existing mags are not
regenerated, compressed mags are not recompressed.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from wkfn.api.dataset import Dataset
from wkfn.api.recorder import Recorder
from wkfn.declare.model import DatasetDecl, LayerDecl, decode_declaration
from wkfn.errors import DeclarationError, WkfnError
from wkfn.geometry import BoundingBox, Mag, VoxelSize
from wkfn.geometry.voxel_size import length_unit_from_str


def load_declaration(path: str | os.PathLike[str]) -> DatasetDecl:
    """Read and validate a declaration file (TOML or JSON)."""
    file = Path(path)
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise DeclarationError(str(file), "$", f"cannot read: {exc}") from exc
    return decode_declaration(data, source=str(file))


def _relative_to(base: Path, value: str) -> str:
    path = Path(value)
    return str(path if path.is_absolute() else (base / path))


def plan_declaration(
    decl: DatasetDecl,
    dataset_path: str | os.PathLike[str],
    *,
    base_dir: Path,
    source: str = "declaration",
) -> Recorder:
    """Record the changes that make ``dataset_path`` match ``decl``.

    Args:
        decl: the declaration.
        dataset_path: where the dataset lives (or will be created).
        base_dir: directory that relative source paths are resolved against (the
            declaration file's directory).
        source: the declaration's file name, for error messages.
    """
    from wkfn.api.locations import dataset_root, has_dataset

    path = dataset_root(dataset_path)
    voxel = VoxelSize(decl.voxel_size, length_unit_from_str(decl.unit))
    if has_dataset(path):
        ds = Dataset.open(path)
        if ds.voxel_size_with_unit.to_nanometer() != voxel.to_nanometer():
            raise DeclarationError(
                source,
                "$.voxel_size",
                f"the dataset at {path} has voxel size {ds.voxel_size} nm; "
                "changing it is not supported",
            )
        with ds.dry_run() as recorder:
            _declare(ds, decl, base_dir, source)
        return recorder
    ds, recorder = Dataset.planned(path, voxel_size_with_unit=voxel, name=decl.name)
    _declare(ds, decl, base_dir, source)
    ds.session.stop_recording()  # planning done: the recorder keeps what it has
    return recorder


def _declare(ds: Dataset, decl: DatasetDecl, base_dir: Path, source: str) -> None:
    if decl.name is not None and ds.name != decl.name:
        ds.name = decl.name
    for i, layer_decl in enumerate(decl.layers):
        where = f"$.layers[{i}]"
        try:
            _declare_layer(ds, layer_decl, where, base_dir, source)
        except DeclarationError:
            raise
        except (WkfnError, ValueError, OSError) as exc:
            # e.g. a missing image folder or a dtype the category does not allow
            raise DeclarationError(source, where, str(exc)) from exc
    if decl.prune:
        declared = {layer.name for layer in decl.layers}
        for name in list(ds.layers):
            if name not in declared:
                ds.delete_layer(name)


def _layout_kwargs(decl: LayerDecl) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"compress": decl.compress}
    if decl.chunk_shape is not None:
        kwargs["chunk_shape"] = decl.chunk_shape
    if decl.shard_shape is not None:
        kwargs["shard_shape"] = decl.shard_shape
    return kwargs


def _declare_layer(
    ds: Dataset, decl: LayerDecl, where: str, base_dir: Path, source: str
) -> None:
    layers = ds.layers
    if decl.name in layers:
        layer = layers[decl.name]
        if (
            layer.category != decl.category
            or str(layer.dtype_per_channel) != decl.dtype
        ):
            raise DeclarationError(
                source,
                where,
                f"layer {decl.name!r} exists as {layer.category} "
                f"{layer.dtype_per_channel}; declared {decl.category} {decl.dtype} "
                "(delete the layer to change its type)",
            )
    elif decl.source is not None and decl.source.images is not None:
        src = decl.source
        images = decl.source.images
        extra: dict[str, Any] = {}
        if src.channel is not None:
            extra["channel"] = src.channel
        layer = ds.add_layer_from_images(
            _relative_to(base_dir, images),
            layer_name=decl.name,
            category=decl.category,
            data_format=decl.data_format,
            dtype=decl.dtype,
            swap_xy=src.swap_xy,
            flip_x=src.flip_x,
            flip_y=src.flip_y,
            flip_z=src.flip_z,
            **_layout_kwargs(decl),
            **extra,
        )
    elif decl.source is not None and decl.source.copy is not None:
        layer = ds.add_layer_as_copy(
            _relative_to(base_dir, decl.source.copy),
            new_layer_name=decl.name,
            data_format=decl.data_format,
            **_layout_kwargs(decl),
        )
    else:
        bbox = None
        if decl.bounding_box is not None:
            bbox = BoundingBox(decl.bounding_box.topleft, decl.bounding_box.size)
        kwargs: dict[str, Any] = {}
        if decl.largest_segment_id is not None:
            kwargs["largest_segment_id"] = decl.largest_segment_id
        layer = ds.add_layer(
            decl.name,
            decl.category,
            dtype=decl.dtype,
            num_channels=decl.num_channels,
            data_format=decl.data_format,
            bounding_box=bbox,
            **kwargs,
        )
        layer.add_mag(1, **_layout_kwargs(decl))
    if decl.downsample is not None:
        coarsest = decl.downsample.coarsest_mag
        layer.downsample(
            coarsest_mag=None if coarsest is None else Mag(coarsest),
            sampling_mode=decl.downsample.sampling_mode,
            interpolation_mode=decl.downsample.interpolation_mode,
            compress=decl.compress,
        )
    if decl.compress:
        for mag_view in layer.mags.values():
            if not mag_view.info.compression_mode:
                mag_view.compress()
