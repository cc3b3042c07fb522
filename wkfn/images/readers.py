"""Image readers: headers (cheap) and frames (pixels), one 2D frame at a time.

TIFF goes through ``tifffile`` (axes from ImageJ/OME/shaped metadata, RGB samples,
multi-page stacks, truncated ImageJ stacks); PNG, JPEG, GIF and BMP through Pillow
(which ``imageio`` and ``pims`` bring along). A frame is returned as
``(c, rows, cols)`` in the file's dtype (native byte order).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from wkfn.errors import CorruptImageError, UnsupportedImageFormatError
from wkfn.transform.images import ImageFileInfo

TIFF_EXTENSIONS = frozenset({"tif", "tiff"})
PIL_EXTENSIONS = frozenset({"png", "jpg", "jpeg", "gif", "bmp"})
SUPPORTED_EXTENSIONS = TIFF_EXTENSIONS | PIL_EXTENSIONS
#: Formats we recognise but cannot read without an optional package.
OPTIONAL_READERS: dict[str, str] = {
    "czi": "pylibCZIrw (pip install pylibCZIrw) — CZI import is not built into wkfn",
    "ims": "h5py (pip install h5py) — IMS import is not built into wkfn",
    "mrc": "mrcfile (pip install mrcfile) — MRC import is not built into wkfn",
    "dm3": "a DM3/DM4 reader — not built into wkfn",
    "dm4": "a DM3/DM4 reader — not built into wkfn",
}


def extension(path: str) -> str:
    """Lower-case extension without the dot (``"tif"``)."""
    name = os.path.basename(path)
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def check_extension(path: str) -> str:
    """The reader kind for ``path`` (``"tiff"`` or ``"pil"``).

    Raises:
        UnsupportedImageFormatError: unknown extension, or a format whose optional
            reader is missing (``install`` says what to install).
    """
    ext = extension(path)
    if ext in TIFF_EXTENSIONS:
        return "tiff"
    if ext in PIL_EXTENSIONS:
        return "pil"
    if ext in OPTIONAL_READERS:
        need = OPTIONAL_READERS[ext]
        raise UnsupportedImageFormatError(
            f".{ext} files need {need}", path=path, install=need
        )
    raise UnsupportedImageFormatError(
        f"unsupported image file extension {ext or '(none)'!r}; supported: "
        f"{', '.join(sorted(SUPPORTED_EXTENSIONS))}",
        path=path,
    )


# ------------------------------------------------------------------ TIFF


class _TiffLayout:
    """How (t, z, c) of a TIFF series map to pages and samples."""

    def __init__(self, tif: Any, path: str) -> None:
        series = tif.series[0]
        page = series.keyframe
        axes = series.axes.upper()
        shape = tuple(int(s) for s in series.shape)
        page_axes = page.axes.upper()
        if not axes.endswith(page_axes):
            raise CorruptImageError(
                f"unsupported TIFF layout: series axes {axes}, page axes {page_axes}",
                path=path,
            )
        self.series = series
        self.dtype = np.dtype(page.dtype or "uint8")
        self.page_axes = page_axes
        self.page_shape = tuple(int(s) for s in page.shape)
        prefix = list(axes[: len(axes) - len(page_axes)])
        self.prefix_shape = shape[: len(prefix)]
        if "Z" not in prefix:
            unknown = [i for i, a in enumerate(prefix) if a not in "TCZ"]
            if unknown:
                prefix[unknown[-1]] = "Z"
        self.prefix_axes = "".join(prefix)
        sizes = dict(zip(prefix, self.prefix_shape))
        samples = self.page_shape[page_axes.index("S")] if "S" in page_axes else 1
        self.channels_in_page = "C" not in sizes and "S" in page_axes
        self.channels = sizes.get("C", samples if self.channels_in_page else 1)
        self.depth = sizes.get("Z", 1)
        self.timepoints = sizes.get("T", 1)
        self.rows = self.page_shape[page_axes.index("Y")]
        self.cols = self.page_shape[page_axes.index("X")]
        self.rgb = bool(
            self.channels_in_page
            and samples == 3
            and int(page.photometric) == 2  # PHOTOMETRIC.RGB
            and self.dtype == np.uint8
        )
        size = os.fstat(tif.filehandle.fileno()).st_size if _has_fileno(tif) else None
        if size is not None:
            ends = [
                int(o) + int(n)
                for o, n in zip(page.dataoffsets, page.databytecounts)
                if int(n) > 0
            ]
            if ends and max(ends) > size:
                raise CorruptImageError(
                    f"TIFF is truncated: pixel data ends at byte {max(ends)}, "
                    f"file has {size} bytes",
                    path=path,
                )
        self.truncated = bool(getattr(series, "is_truncated", False))
        self.dataoffset = series.dataoffset
        self.byteorder = tif.byteorder

    def page_index(self, t: int, z: int, c: int) -> int:
        coords = []
        for axis, size in zip(self.prefix_axes, self.prefix_shape):
            value = {"T": t, "Z": z, "C": c}.get(axis, 0)
            if value >= size:
                raise IndexError(f"{axis}={value} out of range (size {size})")
            coords.append(value)
        if not coords:
            return 0
        return int(np.ravel_multi_index(coords, self.prefix_shape))


def _has_fileno(tif: Any) -> bool:
    try:
        tif.filehandle.fileno()
    except Exception:
        return False
    return True


def _page_to_cyx(data: np.ndarray, page_axes: str) -> np.ndarray:
    """A page as (samples, rows, cols)."""
    keep = [a for a in page_axes if a in "SYX"]
    if len(keep) != len(page_axes):  # other page axes: take their first entry
        index = tuple(slice(None) if a in "SYX" else 0 for a in page_axes)
        data = data[index]
    if "S" not in keep:
        return data.reshape((1, *data.shape))
    order = [keep.index("S"), keep.index("Y"), keep.index("X")]
    return np.transpose(data, order)


class TiffReader:
    """Reads frames of one TIFF file (keeps the file open)."""

    def __init__(self, path: str) -> None:
        import tifffile

        self.path = path
        try:
            self._tif = tifffile.TiffFile(path)
            self.layout = _TiffLayout(self._tif, path)
        except (CorruptImageError, UnsupportedImageFormatError):
            raise
        except Exception as exc:
            raise CorruptImageError(
                f"cannot read TIFF header: {type(exc).__name__}: {exc}", path=path
            ) from exc

    def info(self) -> ImageFileInfo:
        lay = self.layout
        return ImageFileInfo(
            path=self.path,
            reader="tiff",
            width=lay.cols,
            height=lay.rows,
            depth=lay.depth,
            channels=lay.channels,
            timepoints=lay.timepoints,
            dtype=lay.dtype.newbyteorder("=").name,
            rgb=lay.rgb,
        )

    def _page(self, index: int) -> np.ndarray:
        lay = self.layout
        if lay.truncated and lay.dataoffset is not None:
            count = int(np.prod(lay.page_shape))
            raw_dtype = np.dtype(self._tif.byteorder + lay.dtype.str[1:])
            fh = self._tif.filehandle
            fh.seek(lay.dataoffset + index * count * raw_dtype.itemsize)
            buf = fh.read(count * raw_dtype.itemsize)
            if len(buf) < count * raw_dtype.itemsize:
                raise CorruptImageError(
                    f"premature end of file reading frame {index}", path=self.path
                )
            return np.frombuffer(buf, raw_dtype).reshape(lay.page_shape)
        page = lay.series.pages[index]
        if page is None:
            raise CorruptImageError(f"page {index} not found", path=self.path)
        return np.asarray(page.asarray())

    def frame(self, z: int, t: int, channels: Sequence[int]) -> np.ndarray:
        """Frame ``z`` of time point ``t`` as (c, rows, cols)."""
        lay = self.layout
        try:
            if lay.channels_in_page or lay.channels == 1:
                data = _page_to_cyx(self._page(lay.page_index(t, z, 0)), lay.page_axes)
                if channels:
                    data = data[list(channels)]
                elif data.shape[0] != 1:
                    data = data[:1]
                return data
            wanted = list(channels) or [0]
            pages = [
                _page_to_cyx(self._page(lay.page_index(t, z, c)), lay.page_axes)[0]
                for c in wanted
            ]
            return np.stack(pages)
        except CorruptImageError:
            raise
        except Exception as exc:
            raise CorruptImageError(
                f"cannot read frame z={z} t={t}: {type(exc).__name__}: {exc}",
                path=self.path,
            ) from exc

    def close(self) -> None:
        self._tif.close()


# ------------------------------------------------------------------ Pillow


_PIL_MODES: dict[str, tuple[str, int, str | None]] = {
    # mode -> (dtype, channels, convert-to mode or None)
    "1": ("uint8", 1, "L"),
    "L": ("uint8", 1, None),
    "LA": ("uint8", 2, None),
    "P": ("uint8", 3, "RGB"),
    "PA": ("uint8", 4, "RGBA"),
    "RGB": ("uint8", 3, None),
    "RGBA": ("uint8", 4, None),
    "RGBX": ("uint8", 3, "RGB"),
    "CMYK": ("uint8", 3, "RGB"),
    "YCbCr": ("uint8", 3, "RGB"),
    "I;16": ("uint16", 1, None),
    "I;16L": ("uint16", 1, None),
    "I;16B": ("uint16", 1, None),
    "I": ("int32", 1, None),
    "F": ("float32", 1, None),
}


def _pil_mode(img: Any, path: str) -> tuple[str, int, str | None]:
    mode = img.mode
    if mode == "P" and "transparency" in img.info:
        return ("uint8", 4, "RGBA")
    if mode not in _PIL_MODES:
        raise UnsupportedImageFormatError(f"unsupported image mode {mode!r}", path=path)
    return _PIL_MODES[mode]


class PilReader:
    """Reads a 2D image (PNG, JPEG, GIF, BMP) through Pillow."""

    def __init__(self, path: str) -> None:
        from PIL import Image

        Image.MAX_IMAGE_PIXELS = None
        self.path = path
        try:
            with Image.open(path) as img:
                self.width, self.height = img.size
                self.dtype, self.channels, self._convert = _pil_mode(img, path)
        except (CorruptImageError, UnsupportedImageFormatError):
            raise
        except Exception as exc:
            raise CorruptImageError(
                f"cannot read image header: {type(exc).__name__}: {exc}", path=path
            ) from exc

    def info(self) -> ImageFileInfo:
        return ImageFileInfo(
            path=self.path,
            reader="pil",
            width=self.width,
            height=self.height,
            channels=self.channels,
            dtype=self.dtype,
            rgb=self.channels > 1,
        )

    def frame(self, z: int, t: int, channels: Sequence[int]) -> np.ndarray:
        from PIL import Image

        try:
            with Image.open(self.path) as img:
                data = np.asarray(
                    img if self._convert is None else img.convert(self._convert)
                )
        except Exception as exc:
            raise CorruptImageError(
                f"cannot decode image: {type(exc).__name__}: {exc}", path=self.path
            ) from exc
        if data.dtype.byteorder == ">":
            data = data.astype(data.dtype.newbyteorder("="))
        data = data.astype(self.dtype, copy=False)
        cyx = data[np.newaxis] if data.ndim == 2 else np.moveaxis(data, -1, 0)
        if channels:
            return cyx[list(channels)]
        return cyx[:1]

    def close(self) -> None:
        pass


Reader = TiffReader | PilReader


def open_reader(path: str, kind: str | None = None) -> Reader:
    """A reader for ``path`` (kind from the extension when not given)."""
    kind = kind or check_extension(path)
    if not os.path.isfile(path):
        raise CorruptImageError("image file not found", path=path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if kind == "tiff":
            return TiffReader(path)
        if kind == "pil":
            return PilReader(path)
    raise UnsupportedImageFormatError(f"unknown reader {kind!r}", path=path)


def read_header(path: str) -> ImageFileInfo:
    """Header of one image file (reads no pixel data).

    Raises:
        UnsupportedImageFormatError, CorruptImageError: naming the file.
    """
    reader = open_reader(path)
    try:
        return reader.info()
    finally:
        reader.close()


def read_headers(paths: Sequence[str]) -> list[ImageFileInfo]:
    """Headers of many files (2D slices of one stack share a cheap fast path)."""
    return [read_header(p) for p in paths]


__all__ = [
    "OPTIONAL_READERS",
    "SUPPORTED_EXTENSIONS",
    "PilReader",
    "TiffReader",
    "check_extension",
    "extension",
    "open_reader",
    "read_header",
    "read_headers",
]
