"""PNG encoding of numpy images with the standard library (zlib), no Pillow needed.

Example:
    >>> import numpy as np
    >>> data = encode_png(np.zeros((2, 3, 3), dtype=np.uint8))
    >>> data[:8] == PNG_SIGNATURE
    True
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

__all__ = ["PNG_SIGNATURE", "encode_png"]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunk(kind: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(kind + body) & 0xFFFFFFFF
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


def encode_png(image: np.ndarray, *, level: int = 6) -> bytes:
    """Encode an ``(h, w)`` grey or ``(h, w, 3)`` RGB ``uint8`` image as PNG bytes.

    Rows use filter type 0 (none); ``level`` is the zlib compression level.

    Raises:
        ValueError: the array is not uint8, or not 2-D / ``(h, w, 3)``, or empty.
    """
    if image.dtype != np.uint8:
        raise ValueError(f"PNG images must be uint8, got {image.dtype}")
    if image.ndim == 2:
        colour_type, planes = 0, 1
    elif image.ndim == 3 and image.shape[2] == 3:
        colour_type, planes = 2, 3
    else:
        raise ValueError(f"expected an (h, w) or (h, w, 3) image, got {image.shape}")
    height, width = image.shape[:2]
    if height == 0 or width == 0:
        raise ValueError(f"cannot encode an empty image of shape {image.shape}")
    rows = np.ascontiguousarray(image).reshape(height, width * planes)
    raw = np.zeros((height, width * planes + 1), dtype=np.uint8)
    raw[:, 1:] = rows  # a leading 0 per row: filter "none"
    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    return b"".join(
        (
            PNG_SIGNATURE,
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", zlib.compress(raw.tobytes(), level)),
            _chunk(b"IEND", b""),
        )
    )
