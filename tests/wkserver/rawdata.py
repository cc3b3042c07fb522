"""Reading stored voxels for the datastore routes of the test server.

``read_box`` answers the raw-data route 4.3.3 downloads with:
``GET /data/v15/datasets/{id}/layers/{layer}/data?mag=&x=&y=&z=&width=&height=&depth=``
gives the voxels of the box (x, y, z in Mag-1 voxels; width/height/depth in voxels
of the mag) as raw little-endian bytes in Fortran order (c, x, y, z), with the
header ``MISSING-BUCKETS: []``. ``read_region`` is shared with the transcoding zarr
streaming (``zarr_stream``). Regions outside the stored array are zeros. Arrays are
read directly from the stored files (not through wkfn, so the server does not share
wkfn's reading code): zarr3 / zarr v2 with tensorstore, wkw with the ``wkw``
package (the real datastore reads wkw too, and serves it only transcoded).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import tensorstore as ts

from .remote_source import store_of
from .state import ApiError, DatasetRecord, JsonDict


def mag_of(text: str) -> tuple[int, int, int]:
    parts = [int(p) for p in text.replace("-", ",").split(",") if p]
    if len(parts) == 1:
        parts = parts * 3
    if len(parts) != 3:
        raise ApiError(400, f"invalid mag {text!r}")
    return parts[0], parts[1], parts[2]


def mag_name(mag: tuple[int, int, int]) -> str:
    return str(mag[0]) if len(set(mag)) == 1 else "-".join(map(str, mag))


def find_layer(record: DatasetRecord, layer_name: str) -> JsonDict:
    props = record.properties()
    layer = next(
        (entry for entry in props["dataLayers"] if entry["name"] == layer_name), None
    )
    if layer is None:
        raise ApiError(404, f"layer {layer_name} not found")
    return layer  # type: ignore[no-any-return]


def open_stored(
    record: DatasetRecord, layer: JsonDict, mag: tuple[int, int, int]
) -> Any:
    entry = next(
        (m for m in layer_mags(layer) if tuple(m["mag"]) == mag),
        None,
    )
    if entry is None:
        raise ApiError(404, f"mag {mag} not in layer {layer['name']}")
    fmt = layer.get("dataFormat")
    if fmt not in ("zarr3", "zarr", "wkw"):
        raise ApiError(501, f"test server reads zarr3/zarr/wkw layers, not {fmt}")
    path = str(entry.get("path") or f"./{layer['name']}/{'-'.join(map(str, mag))}")
    array_dir = (record.path / path).resolve() if "://" not in path else Path(path)
    if fmt == "wkw":
        return WkwStored(array_dir, layer, mag)
    store = store_of(record)
    kvstore: JsonDict = (
        store.kvstore(path)
        if store is not None and "://" in path
        else {"driver": "file", "path": str(array_dir)}
    )
    spec: dict[str, Any] = {
        "driver": "zarr3" if fmt == "zarr3" else "zarr",
        "kvstore": kvstore,
        "open": True,
    }
    return ts.open(spec).result()


def layer_mags(layer: JsonDict) -> list[JsonDict]:
    """The layer's mag entries (``mags``, or the old wkw ``wkwResolutions``)."""
    if layer.get("mags"):
        return list(layer["mags"])
    return [
        {"mag": list(mag_of(str(r["resolution"]).strip("[]"))), **r}
        for r in layer.get("wkwResolutions", [])
    ]


class WkwStored:
    """A stored wkw array, read with the ``wkw`` package (``read_region``)."""

    def __init__(self, path: Path, layer: JsonDict, mag: tuple[int, int, int]) -> None:
        import wkw

        if not (path / "header.wkw").is_file():
            raise ApiError(404, f"no wkw array at {path.name}")
        self.dataset = wkw.Dataset.open(str(path))
        box = layer["boundingBox"]
        bottom = [
            t + s
            for t, s in zip(box["topLeft"], (box["width"], box["height"], box["depth"]))
        ]
        channels = int(layer.get("numChannels") or 1)
        self.shape = (channels, *(-(-b // m) for b, m in zip(bottom, mag)))

    def read(self, lo: list[int], size: list[int]) -> np.ndarray:
        data = np.asarray(self.dataset.read(lo, size))
        return data if data.ndim == 4 else data[np.newaxis]


def read_region(arr: Any, lo: list[int], size: list[int]) -> np.ndarray:
    """(c, x, y, z) voxels of the box ``lo`` + ``size`` (mag voxels), zero-padded."""
    if isinstance(arr, WkwStored):
        return arr.read(lo, size)  # wkw reads any box (zeros where nothing is)
    hi = [a + n for a, n in zip(lo, size)]
    channels = int(arr.shape[0])
    out = np.zeros((channels, *size), dtype=arr.dtype.numpy_dtype)
    clip_lo = [max(v, 0) for v in lo]
    clip_hi = [min(h, int(arr.shape[i + 1])) for i, h in enumerate(hi)]
    if all(a < b for a, b in zip(clip_lo, clip_hi)):
        data = (
            arr[
                :,
                clip_lo[0] : clip_hi[0],
                clip_lo[1] : clip_hi[1],
                clip_lo[2] : clip_hi[2],
            ]
            .read()
            .result()
        )
        out[
            :,
            clip_lo[0] - lo[0] : clip_hi[0] - lo[0],
            clip_lo[1] - lo[1] : clip_hi[1] - lo[1],
            clip_lo[2] - lo[2] : clip_hi[2] - lo[2],
        ] = data
    return out


def read_box(record: DatasetRecord, layer_name: str, query: dict[str, str]) -> bytes:
    layer = find_layer(record, layer_name)
    try:
        mag = mag_of(query["mag"])
        start = [int(query[k]) for k in ("x", "y", "z")]
        size = [int(query[k]) for k in ("width", "height", "depth")]
    except (KeyError, ValueError) as e:
        raise ApiError(400, f"bad raw data query: {e}") from e
    arr = open_stored(record, layer, mag)
    out = read_region(arr, [s // m for s, m in zip(start, mag)], size)
    return np.asarray(out, dtype=out.dtype.newbyteorder("<")).tobytes(order="F")
