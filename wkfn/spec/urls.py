"""Telling a URL from a local path, without I/O.

Paths in ``datasource-properties.json``, in plans and in the shell are plain
strings: a local path (absolute, or relative like ``./color/1``) or a URL
(``s3://bucket/ds/color/1``, ``gs://...``, ``https://...``). Everything that has to
choose between the two asks :func:`has_url_scheme`; the storage layer reuses it
(:mod:`wkfn.storage.location`), so the pure core and the shell decide alike.

Example:
    >>> has_url_scheme("s3://bucket/ds"), has_url_scheme("./color/1")
    (True, False)
    >>> url_scheme("GCS://b/x"), url_scheme("/tmp/x")
    ('gcs', None)
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["SCHEME_RE", "has_url_scheme", "url_scheme"]

SCHEME_RE: Final = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
"""A URL's scheme and ``://`` at the start of a string (RFC 3986 scheme syntax)."""


def url_scheme(path: object) -> str | None:
    """The lower-cased scheme if ``str(path)`` starts with ``scheme://``, else None."""
    match = SCHEME_RE.match(str(path))
    return match.group(1).lower() if match else None


def has_url_scheme(path: object) -> bool:
    """True if ``str(path)`` is a URL (``scheme://...``), False for a local path.

    Takes any object so that a ``UPath`` (whose ``str`` is its URL) answers like
    its string; a ``pathlib`` path never does (it collapses ``//`` to ``/``).
    """
    return SCHEME_RE.match(str(path)) is not None
