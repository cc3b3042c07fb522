"""``wkfn export-as-tiff``: one TIFF file per z slice of a layer."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from wkfn.api.dataset import Dataset
from wkfn.errors import InvalidArgumentError
from wkfn.geometry import BoundingBox, Mag


def export_as_tiff(
    source: str | os.PathLike[str],
    target: str | os.PathLike[str],
    layer_name: str,
    mag: str,
    bbox: Sequence[int] | None,
    prefix: str,
) -> int:
    """Write z slices as ``<prefix><z:06d>.tif`` (rows = y, columns = x)."""
    try:
        import tifffile
    except ImportError as exc:
        raise InvalidArgumentError(
            "export-as-tiff needs tifffile: pip install 'wkfn[images]'"
        ) from exc
    ds = Dataset.open(source, read_only=True)
    view = ds.get_layer(layer_name).get_mag(Mag(mag))
    box = view.bounding_box if bbox is None else BoundingBox.from_tuple6(tuple(bbox))
    box = box.align_with_mag(view.mag, ceil=True)
    out = Path(target)
    out.mkdir(parents=True, exist_ok=True)
    step = view.mag.z * max(1, min(32, box.size.z // view.mag.z))
    count = 0
    for z0 in range(box.topleft.z, box.bottomright.z, step):
        depth = min(step, box.bottomright.z - z0)
        slab = box.with_topleft_xyz((box.topleft.x, box.topleft.y, z0)).with_size_xyz(
            (box.size.x, box.size.y, depth)
        )
        data = view.read(absolute_bounding_box=slab)  # (c, x, y, z)
        for i in range(data.shape[3]):
            image = data[:, :, :, i].transpose(2, 1, 0)  # (y, x, c)
            if image.shape[2] == 1:
                image = image[:, :, 0]
            z = z0 // view.mag.z + i
            tifffile.imwrite(out / f"{prefix}{z:06d}.tif", image)
            count += 1
    return count
