"""``Layer.export``: a layer's voxels as a TIFF stack, one OME-TIFF or a zipped
OME-Zarr (``.ozx``, NGFF RFC-9), with the reference's (4.3.3) names and results.

Exports read the layer (reads never go through plans) and write files outside the
dataset. ``as_ozx`` builds its OME-Zarr in a temporary wkfn dataset — the copy and
the pyramid are ordinary plans run through that dataset's Session — and packs the
layer directory into the zip. Only 3-D layers (with channels) are exported.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from wkfn.errors import InvalidArgumentError, UnsupportedLayerError
from wkfn.geometry import BoundingBox, Mag, Vec3Int
from wkfn.transform.pyramid import default_coarsest_mag, mags_to_downsample

if TYPE_CHECKING:
    from wkfn.api.layer import Layer
    from wkfn.api.view import MagView

_CHUNK = 32
_SHARD_CAP = Vec3Int(1024, 1024, 1024)
_FLAT_SHARD_CAP = Vec3Int(4096, 4096, 32)  # few z sections: wide, flat shards
_OME_TIFF_LEVELS = 5
_OME_TIFF_MIN_PIXELS = 16


class EmptyExportError(InvalidArgumentError, AssertionError):
    """The requested box does not intersect the layer (the reference asserts)."""


def _tifffile() -> Any:
    try:
        import tifffile
    except ImportError as exc:  # pragma: no cover - tifffile is a test dependency
        raise InvalidArgumentError(
            "exporting TIFFs needs tifffile: pip install 'wkfn[images]'"
        ) from exc
    return tifffile


def _source(layer: Layer, mag: object, access_mode: object) -> MagView:
    if access_mode is not None:
        raise InvalidArgumentError("access_mode can only be passed for remote layers")
    if layer.spec.bounding_box is not None and _extra_axes(layer):
        raise UnsupportedLayerError(
            f"layer {layer.name!r} has axes beyond c, x, y, z: export supports 3-D"
        )
    if mag is None:
        if not layer.mags:
            raise InvalidArgumentError(f"layer {layer.name!r} has no mag to export")
        return layer.get_mag(min(layer.mags))
    return layer.get_mag(mag)


def _extra_axes(layer: Layer) -> bool:
    extra = getattr(layer.spec.bounding_box, "additional_axes", None)
    return bool(extra)


def _box(layer: Layer, bounding_box: BoundingBox | None) -> BoundingBox:
    """The export box in mag 1: the layer box, clipped to ``bounding_box``."""
    box = layer.bounding_box
    if bounding_box is not None:
        box = box.intersected_with(bounding_box, dont_assert=True)
    if box.is_empty():
        raise EmptyExportError(
            f"the requested bounding box {bounding_box} does not intersect the "
            f"layer's bounding box {layer.bounding_box}"
        )
    return box


def _image(plane: np.ndarray) -> np.ndarray:
    """``(c, x, y)`` -> ``(y, x)`` for one channel, else ``(y, x, c)``."""
    out: np.ndarray = plane[0].T if plane.shape[0] == 1 else plane.transpose(2, 1, 0)
    return out


class LayerExport:
    """Exports of one layer, reached as ``layer.export`` (as in the reference)."""

    def __init__(self, layer: Layer) -> None:
        self._layer = layer

    def as_tiff_stack(
        self,
        *,
        output_path: str | os.PathLike[str],
        bounding_box: BoundingBox | None = None,
        mag: Mag | None = None,
        filename_prefix: str = "",
        access_mode: object = None,
    ) -> None:
        """One TIFF per z section under ``output_path``, named ``{z}.tiff`` (or
        ``{prefix}_{z}.tiff``): z in mag 1, zero-padded to the width of the
        largest z. Images are ``(y, x)`` or ``(y, x, c)``; segmentation is
        zlib-compressed."""
        tifffile = _tifffile()
        layer = self._layer
        view = _source(layer, mag, access_mode)
        box = _box(layer, bounding_box).align_with_mag(view.mag, ceil=True)
        out = Path(output_path)
        out.mkdir(parents=True, exist_ok=True)
        compression = "zlib" if layer.category == "segmentation" else None
        top_z = max(layer.bounding_box.bottomright.z, box.bottomright.z) - 1
        digits = max(1, len(str(max(top_z, 0))))
        step = view.mag.z
        slab_depth = step * 32
        for z0 in range(box.topleft.z, box.bottomright.z, slab_depth):
            depth = min(slab_depth, box.bottomright.z - z0)
            slab = box.with_topleft((box.topleft.x, box.topleft.y, z0)).with_size(
                (box.size.x, box.size.y, depth)
            )
            data = view.read(absolute_bounding_box=slab)
            data = data.reshape((-1, *data.shape[-3:]))
            for i in range(data.shape[3]):
                z = z0 + i * step
                name = f"{z:0{digits}d}.tiff"
                if filename_prefix:
                    name = f"{filename_prefix}_{name}"
                with open(out / name, "wb") as f:
                    tifffile.imwrite(
                        f, data=_image(data[:, :, :, i]), compression=compression
                    )

    def as_ome_tiff(
        self,
        *,
        output_path: str | os.PathLike[str],
        bounding_box: BoundingBox | None = None,
        mag: Mag | None = None,
        downsample: bool = True,
        access_mode: object = None,
    ) -> None:
        """One (big)TIFF with OME metadata, axes ``CZYX``, physical sizes in nm;
        with ``downsample`` also sub-resolutions 2, 4, ... 32 in x and y (as long
        as both stay above 16 pixels), taken by striding."""
        tifffile = _tifffile()
        layer = self._layer
        view = _source(layer, mag, access_mode)
        box = _box(layer, bounding_box).align_with_mag(view.mag, ceil=True)
        compression = "zlib" if layer.category == "segmentation" else None
        nm = np.array(layer.dataset.voxel_size_with_unit.to_nanometer()) * np.array(
            view.mag.to_tuple()
        )
        data = view.read(absolute_bounding_box=box)
        data = data.reshape((-1, *data.shape[-3:])).transpose(0, 3, 2, 1)  # c z y x
        metadata: dict[str, Any] = {
            "axes": "CZYX",
            "PhysicalSizeX": nm[0],
            "PhysicalSizeXUnit": "nm",
            "PhysicalSizeY": nm[1],
            "PhysicalSizeYUnit": "nm",
            "PhysicalSizeZ": nm[2],
            "PhysicalSizeZUnit": "nm",
            "Channel": {"Name": [f"Channel {i}" for i in range(layer.num_channels)]},
        }
        factors = [
            2 ** (k + 1)
            for k in range(_OME_TIFF_LEVELS)
            if downsample
            and data.shape[2] // 2 ** (k + 1) > _OME_TIFF_MIN_PIXELS
            and data.shape[3] // 2 ** (k + 1) > _OME_TIFF_MIN_PIXELS
        ]
        with open(output_path, "wb") as f, tifffile.TiffWriter(f, bigtiff=True) as tif:
            tif.write(
                data,
                subifds=len(factors),
                resolution=(nm[0] / 1e7, nm[1] / 1e7),
                metadata=metadata,
                resolutionunit="CENTIMETER",
                compression=compression,
            )
            for factor in factors:
                tif.write(
                    data[:, :, ::factor, ::factor],
                    subfiletype=1,
                    resolution=(factor * nm[0] / 1e7, factor * nm[1] / 1e7),
                    resolutionunit="CENTIMETER",
                    compression=compression,
                )

    def as_ozx(
        self,
        *,
        output_path: str | os.PathLike[str],
        bounding_box: BoundingBox | None = None,
        mag: Mag | None = None,
        downsample: bool = True,
        access_mode: object = None,
        shard_shape: object = None,
        executor: Any = None,
    ) -> None:
        """A zipped OME-Zarr 0.5 (zarr3) of the layer, moved to the origin, with
        an anisotropic pyramid above ``mag`` when ``downsample`` (shards just
        covering the region unless ``shard_shape`` is given)."""
        layer = self._layer
        dataset_class = type(layer.dataset)  # no import: dataset imports layer
        view = _source(layer, mag, access_mode)
        fixed = None if shard_shape is None else Vec3Int.from_vec_or_int(shard_shape)  # type: ignore[arg-type]
        source_box = _box(layer, bounding_box)
        target_box = source_box.with_topleft((0, 0, 0))
        export_mag = view.mag
        with tempfile.TemporaryDirectory() as tmp:
            out_ds = dataset_class(
                Path(tmp) / "export",
                voxel_size_with_unit=layer.dataset.voxel_size_with_unit,
            )
            target = out_ds.add_layer(
                layer.name,
                layer.category,
                dtype=layer.dtype_per_channel,
                num_channels=layer.num_channels,
                data_format="zarr3",
                bounding_box=target_box,
                largest_segment_id=getattr(layer, "largest_segment_id", None),
            )
            target_mag = target.add_mag(
                export_mag, shard_shape=_shard_for(target_box, export_mag, fixed)
            )
            src = source_box.align_with_mag(export_mag, ceil=True)
            dst = target_box.align_with_mag(export_mag, ceil=True)
            with out_ds.transaction():
                target_mag.write(
                    view.read(absolute_bounding_box=src),
                    absolute_offset=dst.topleft,
                    allow_unaligned=True,
                )
            if downsample:
                prev = export_mag
                for step in _pyramid(export_mag, target_box, out_ds.voxel_size):
                    target.downsample_mag(
                        prev,
                        step,
                        shard_shape=_shard_for(target_box, step, fixed),
                        executor=executor,
                    )
                    prev = step
            _zip_layer(Path(target.path), Path(output_path))


def _pyramid(
    mag: Mag, box: BoundingBox, voxel: tuple[float, float, float]
) -> list[Mag]:
    """Coarser mags of an export (z kept for a single section)."""
    coarsest = default_coarsest_mag(box.size.to_tuple())
    start = mag.to_tuple()
    flat = box.size.z == 1
    if flat:
        coarsest = (coarsest[0], coarsest[1], start[2])
    top = tuple(max(c, s) for c, s in zip(coarsest, start))
    steps = mags_to_downsample(start, top, None if flat else voxel)  # type: ignore[arg-type]
    return [Mag(m) for m in steps]


def _shard_for(box: BoundingBox, mag: Mag, fixed: Vec3Int | None) -> Vec3Int:
    """A power-of-two shard just covering the exported region at ``mag``."""
    if fixed is not None:
        return fixed
    local = box.align_with_mag(mag, ceil=True).in_mag(mag).size
    cap = _FLAT_SHARD_CAP if local.z <= _CHUNK * 1 else _SHARD_CAP

    def axis(size: int, limit: int) -> int:
        shard = _CHUNK
        while shard < size and shard < limit:
            shard *= 2
        return min(shard, limit)

    return Vec3Int(axis(local.x, cap.x), axis(local.y, cap.y), axis(local.z, cap.z))


def _zip_layer(layer_dir: Path, output: Path) -> None:
    """Pack a layer directory as RFC-9 zip: zarr.json files first (breadth
    first), then the data files, stored uncompressed, ZIP64, OME comment."""
    metadata = sorted(
        layer_dir.rglob("zarr.json"),
        key=lambda p: (len(p.relative_to(layer_dir).parts), p.as_posix()),
    )
    data = sorted(
        p
        for p in layer_dir.rglob("*")
        if p.is_file()
        and p.name != "zarr.json"
        and not any(part.startswith(".") for part in p.relative_to(layer_dir).parts)
    )
    with open(output, "wb") as out, zipfile.ZipFile(out, mode="w") as zf:
        for path in [*metadata, *data]:
            info = zipfile.ZipInfo.from_file(
                path, path.relative_to(layer_dir).as_posix()
            )
            info.compress_type = zipfile.ZIP_STORED
            with open(path, "rb") as src, zf.open(info, "w", force_zip64=True) as dst:
                dst.write(src.read())
        zf.comment = json.dumps({"ome": {"version": "0.5"}, "jsonFirst": True}).encode()


def export(layer: Layer) -> LayerExport:
    """``layer.export``: the exporter object of this layer."""
    return LayerExport(layer)


__all__ = ["EmptyExportError", "LayerExport", "export"]
