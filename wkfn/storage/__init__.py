"""The storage shell: the only place wkfn touches array files.

Modules:
    tsspec: pure builders of tensorstore specs and array metadata.
    arrays: the driver API (create/open/read/write/resize arrays, write_regions).
    wkw_array: the wkw backend behind :mod:`arrays`.
    ome: root group files and per-layer OME-NGFF metadata.
    files: atomic writes of ``datasource-properties.json``, delete and move.

Importing this package is cheap; tensorstore and wkw load on first use.
"""
