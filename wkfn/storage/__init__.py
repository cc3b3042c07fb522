"""The storage shell: the only place wkfn touches array files.

Modules:
    tsspec: pure builders of tensorstore specs and array metadata.
    arrays: the driver API (create/open/read/write/resize arrays, write_regions).
    wkw_array: the wkw backend behind :mod:`arrays`.
    ome: root group files and per-layer OME-NGFF metadata.
    files: atomic writes of ``datasource-properties.json``, delete and move.

tensorstore is imported with this package (about 30 ms): the first read or write of
a session should not pay for it (the reference pays it at import as well). wkw and
the image libraries still load on first use.
"""

import tensorstore as _tensorstore  # noqa: F401  (see the docstring)
