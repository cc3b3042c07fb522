"""Dataset-to-dataset transforms: copy, convert, rechunk, compress, link, reference.

Everything here is pure. What the planners need to know about storage (the layout of
each source array, which of its shards exist) is observed by the caller and passed in
as :class:`SourceMag` / :class:`SourceLayer` records; paths of sources in *other*
datasets are absolute, paths inside the target dataset are ``./<layer>/<mag>``.

Copies between identical layouts are file copies (:class:`CopyTree`); everything else
is decoded and re-encoded in bounded blocks (:class:`CopyRegion`), each block covering
whole target shards, so no two ops of a stage ever write the same shard.

==================  ==============================================
``records``         sources, options, target layouts
``regions``         conversion in bounded blocks
``mags``            mag copies and references
``layers``          layer copies, references, existing files
``datasets``        dataset copies (deep and shallow)
``rechunk``         in-place rechunking and compression
==================  ==============================================
"""

from __future__ import annotations

from wkfn.transform.copy.datasets import (
    copy_dataset,
    new_dataset_spec,
    shallow_copy_dataset,
    summarize,
)
from wkfn.transform.copy.layers import (
    add_fs_copy_layer,
    add_layer_as_copy,
    add_layer_as_ref,
    add_layer_for_existing_files,
    add_symlink_layer,
    plan_layer_copy,
    ref_layer,
)
from wkfn.transform.copy.mags import (
    Parts,
    add_mag_as_copy,
    add_mag_as_ref,
    copy_mag_into,
    extend_box,
)
from wkfn.transform.copy.rechunk import (
    RechunkItem,
    rechunk_layout,
    rechunk_mags,
    rechunk_mags_switching,
)
from wkfn.transform.copy.records import (
    AXIS_ORDER,
    DEFAULT_OPTIONS,
    GROW_BLOCK_BYTES,
    MAX_BLOCK_BYTES,
    WRITABLE,
    Box,
    CopyOptions,
    SourceLayer,
    SourceMag,
    Vec3,
    describe_layout,
    mag_box,
    same_storage,
    target_layout,
)
from wkfn.transform.copy.regions import region_ops

__all__ = [
    "AXIS_ORDER",
    "DEFAULT_OPTIONS",
    "GROW_BLOCK_BYTES",
    "MAX_BLOCK_BYTES",
    "WRITABLE",
    "Box",
    "CopyOptions",
    "Parts",
    "RechunkItem",
    "SourceLayer",
    "SourceMag",
    "Vec3",
    "add_fs_copy_layer",
    "add_layer_as_copy",
    "add_layer_as_ref",
    "add_layer_for_existing_files",
    "add_mag_as_copy",
    "add_mag_as_ref",
    "add_symlink_layer",
    "copy_dataset",
    "copy_mag_into",
    "describe_layout",
    "extend_box",
    "mag_box",
    "new_dataset_spec",
    "plan_layer_copy",
    "rechunk_layout",
    "rechunk_mags",
    "rechunk_mags_switching",
    "ref_layer",
    "region_ops",
    "same_storage",
    "shallow_copy_dataset",
    "summarize",
    "target_layout",
]
