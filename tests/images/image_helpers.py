"""Helpers for image-import tests: small image files written into tmp_path."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def volume(shape: tuple[int, ...], dtype: str = "uint8", seed: int = 0) -> np.ndarray:
    """Random data with a broad value range (looks like a colour image)."""
    rng = np.random.default_rng(seed)
    info = np.iinfo(dtype) if np.dtype(dtype).kind in "ui" else None
    high = min(int(info.max), 60000) if info is not None else 1000
    return rng.integers(0, high, size=shape).astype(dtype)


def write_slices(folder: Path, stack: np.ndarray, pattern: str = "img_{}.tif") -> None:
    """One 2D TIFF/PNG per z (``stack`` is (z, rows, cols[, c]))."""
    import imageio.v2 as imageio
    import tifffile

    folder.mkdir(parents=True, exist_ok=True)
    for z, img in enumerate(stack):
        path = folder / pattern.format(z)
        if path.suffix in (".tif", ".tiff"):
            tifffile.imwrite(path, img)
        else:
            imageio.imwrite(path, img)
