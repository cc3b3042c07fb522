"""Image readers for ``Dataset.from_images`` (I/O: headers and pixels)."""

from wkfn.images.readers import (
    SUPPORTED_EXTENSIONS,
    check_extension,
    open_reader,
    read_header,
    read_headers,
)

__all__ = [
    "SUPPORTED_EXTENSIONS",
    "check_extension",
    "open_reader",
    "read_header",
    "read_headers",
]
