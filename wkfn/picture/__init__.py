"""Pictures as pure functions: windowing, colour maps, sections, sheets, PNG bytes,
plan drawings and neuroglancer states. No I/O: the shell (``wkfn.visual``) reads the
voxels, writes the files and serves them."""
