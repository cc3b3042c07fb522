"""The raise-site audit's table: one bad-input scenario per raise site of the
reference (webknossos 4.3.3 ``dataset/`` and ``geometry/``) that the public API of
Dataset / Layer / MagView / View / BoundingBox / Mag / VoxelSize reaches.

Each scenario is code both libraries run unchanged (``wk`` is ``webknossos`` or
``wkfn``); ``d`` is a fresh empty directory and :data:`SETUP` defines ``fresh``.
The key names the reference's raise site (``file:line``, 4.3.3) so the table can be
checked against the source. :data:`NOT_AUDITED` is the one documented list of the
raise sites that are not triggered here, with the reason.
"""

from __future__ import annotations

SETUP = """
def fresh(d, fmt="zarr3", read_only=False):
    ds = wk.Dataset(d + "/ds", voxel_size=(1, 1, 1))
    layer = ds.add_layer("color", "color", dtype_per_channel="uint8",
                         data_format=fmt,
                         bounding_box=wk.BoundingBox((0, 0, 0), (64, 64, 64)))
    mag = layer.add_mag(1, chunk_shape=32, shard_shape=64)
    mag.write(np.ones((64, 64, 64), np.uint8), absolute_offset=(0, 0, 0))
    if read_only:
        ds = wk.Dataset.open(d + "/ds", read_only=True)
        layer = ds.get_layer("color")
        mag = layer.get_mag(1)
    return ds, layer, mag
"""

SCENARIOS: dict[str, tuple[str, str]] = {
    # ---------------------------------------------------------------- Dataset
    "both-voxel-size-forms": (
        "dataset.py:201",
        "wk.Dataset(d + '/x', voxel_size=(1, 1, 1), "
        "voxel_size_with_unit=wk.VoxelSize((1, 1, 1)))",
    ),
    "read-only-missing": (
        "dataset.py:214",
        "wk.Dataset(d + '/x', voxel_size=(1, 1, 1), read_only=True)",
    ),
    "exist-ok-false-non-empty": (
        "dataset.py:221",
        "import os; os.makedirs(d + '/x'); open(d + '/x/f', 'w').close()\n"
        "wk.Dataset(d + '/x', voxel_size=(1, 1, 1), exist_ok=False)",
    ),
    "path-is-a-file": (
        "dataset.py:239",
        "open(d + '/x', 'w').close()\nwk.Dataset(d + '/x', voxel_size=(1, 1, 1))",
    ),
    "new-without-voxel-size": ("dataset.py:249", "wk.Dataset(d + '/x')"),
    "voxel-size-mismatch": (
        "dataset.py:274",
        "fresh(d)\nwk.Dataset(d + '/ds', voxel_size=(2, 2, 2), exist_ok=True)",
    ),
    "name-mismatch": (
        "dataset.py:279",
        "fresh(d)\nwk.Dataset(d + '/ds', voxel_size=(1, 1, 1), name='other', "
        "exist_ok=True)",
    ),
    "color-dtype-not-allowed": (
        "dataset.py:882",
        "ds, _, _ = fresh(d)\nds.add_layer('x', 'color', dtype='float16')",
    ),
    "segmentation-dtype-not-allowed": (
        "dataset.py:889",
        "ds, _, _ = fresh(d)\nds.add_layer('x', 'segmentation', dtype='float64')",
    ),
    "add-layer-existing": (
        "dataset.py:901",
        "ds, _, _ = fresh(d)\nds.add_layer('color', 'color')",
    ),
    "add-layer-bad-category": (
        "dataset.py:941",
        "ds, _, _ = fresh(d)\nds.add_layer('x', 'blah')",
    ),
    "add-layer-like-existing": (
        "dataset.py:956",
        "ds, layer, _ = fresh(d)\nds.add_layer_like(layer, 'color')",
    ),
    "delete-layer-missing": (
        "dataset.py:1314",
        "ds, _, _ = fresh(d)\nds.delete_layer('nope')",
    ),
    "add-layer-as-copy-existing": (
        "dataset.py:1429",
        "ds, layer, _ = fresh(d)\nds.add_layer_as_copy(layer, 'color')",
    ),
    "add-symlink-layer-existing": (
        "dataset.py:1531",
        "ds, layer, _ = fresh(d)\n"
        "other = wk.Dataset(d + '/o', voxel_size=(1, 1, 1))\n"
        "other.add_layer('color', 'color')\nother.add_symlink_layer(layer, 'color')",
    ),
    "add-layer-as-ref-existing": (
        "dataset.py:1649",
        "ds, layer, _ = fresh(d)\n"
        "other = wk.Dataset(d + '/o', voxel_size=(1, 1, 1))\n"
        "other.add_layer('color', 'color')\nother.add_layer_as_ref(layer, 'color')",
    ),
    "add-fs-copy-layer-existing": (
        "dataset.py:1701",
        "ds, layer, _ = fresh(d)\n"
        "other = wk.Dataset(d + '/o', voxel_size=(1, 1, 1))\n"
        "other.add_layer('color', 'color')\nother.add_fs_copy_layer(layer, 'color')",
    ),
    "segmentation-layer-missing": (
        "abstract_dataset.py:332 (segmentation)",
        "ds, _, _ = fresh(d)\nds.get_segmentation_layer('nope')",
    ),
    "segmentation-layer-of-color": (
        "dataset.py get_segmentation_layer (TypeError)",
        "ds, _, _ = fresh(d)\nds.get_segmentation_layer('color')",
    ),
    "dtype-and-dtype-per-channel": (
        "abstract_dataset.py:81",
        "ds, _, _ = fresh(d)\n"
        "ds.add_layer('x', 'color', dtype='uint8', dtype_per_channel='uint8')",
    ),
    "read-only-add-layer": (
        "abstract_dataset.py:155",
        "ds, _, _ = fresh(d, read_only=True)\nds.add_layer('x', 'color')",
    ),
    "read-only-delete-layer": (
        "abstract_dataset.py:155 (delete)",
        "ds, _, _ = fresh(d, read_only=True)\nds.delete_layer('color')",
    ),
    "get-layer-missing": (
        "abstract_dataset.py:332",
        "ds, _, _ = fresh(d)\nds.get_layer('nope')",
    ),
    "open-missing": ("abstract_dataset.py:523", "wk.Dataset.open(d + '/nothing')"),
    "unknown-dtype-string": (
        "numpy (dtype)",
        "ds, _, _ = fresh(d)\nds.add_layer('x', 'color', dtype='notadtype')",
    ),
    "unknown-data-format": (
        "enum DataFormat",
        "ds, _, _ = fresh(d)\nds.add_layer('x', 'color', data_format='foo')",
    ),
    # ---------------------------------------------------------------- Layer
    "add-mag-shard-and-chunks-per-shard": (
        "layer.py:97",
        "_, layer, _ = fresh(d)\nlayer.add_mag(2, shard_shape=64, chunks_per_shard=2)",
    ),
    "add-mag-chunk-larger-than-shard": (
        "layer.py:108",
        "_, layer, _ = fresh(d)\nlayer.add_mag(2, chunk_shape=64, shard_shape=32)",
    ),
    "rename-layer-onto-existing": (
        "layer.py:265",
        "ds, layer, _ = fresh(d)\nds.add_layer('other', 'color')\nlayer.name = 'other'",
    ),
    "shard-shape-not-power-of-two": (
        "layer.py:359",
        "_, layer, _ = fresh(d)\nlayer.add_mag(2, chunk_shape=32, shard_shape=96)",
    ),
    "chunk-shape-not-power-of-two": (
        "layer.py:364",
        "_, layer, _ = fresh(d)\nlayer.add_mag(2, chunk_shape=24, shard_shape=96)",
    ),
    "get-or-add-mag-chunk-mismatch": (
        "layer.py:491",
        "_, layer, _ = fresh(d)\nlayer.get_or_add_mag(1, chunk_shape=16)",
    ),
    "get-or-add-mag-shard-mismatch": (
        "layer.py:499",
        "_, layer, _ = fresh(d)\n"
        "layer.get_or_add_mag(1, chunk_shape=32, shard_shape=128)",
    ),
    "get-or-add-mag-compress-mismatch": (
        "layer.py:507",
        "_, layer, _ = fresh(d)\n"
        "layer.get_or_add_mag(1, chunk_shape=32, shard_shape=64, compress=False)",
    ),
    "delete-mag-missing": (
        "layer.py:554",
        "_, layer, _ = fresh(d)\nlayer.delete_mag(8)",
    ),
    "add-mag-from-zarrarray-not-an-array": (
        "layer.py:968",
        "import os; os.makedirs(d + '/empty')\n_, layer, _ = fresh(d)\n"
        "layer.add_mag_from_zarrarray(2, d + '/empty')",
    ),
    "downsample-from-missing-mag": (
        "layer.py:1077",
        "_, layer, _ = fresh(d)\nlayer.downsample(from_mag=wk.Mag(2))",
    ),
    "downsample-bad-sampling-mode": (
        "layer.py:1104",
        "_, layer, _ = fresh(d)\nlayer.downsample(sampling_mode='sideways')",
    ),
    "downsample-mag-target-finer": (
        "layer.py:1189",
        "_, layer, _ = fresh(d)\nlayer.add_mag(2)\n"
        "layer.downsample_mag(wk.Mag(2), wk.Mag(1))",
    ),
    "downsample-mag-target-exists": (
        "layer.py:1193",
        "_, layer, _ = fresh(d)\nlayer.add_mag(2)\n"
        "layer.downsample_mag(wk.Mag(1), wk.Mag(2))",
    ),
    "downsample-mag-from-missing": (
        "layer.py:1203",
        "_, layer, _ = fresh(d)\nlayer.downsample_mag(wk.Mag(2), wk.Mag(4))",
    ),
    "upsample-from-missing": (
        "layer.py:1447",
        "_, layer, _ = fresh(d)\nlayer.upsample(from_mag=wk.Mag(4))",
    ),
    "downsample-bad-interpolation": (
        "_downsampling_utils.py:327",
        "_, layer, _ = fresh(d)\n"
        "layer.downsample(coarsest_mag=wk.Mag(2), interpolation_mode='wobbly')",
    ),
    "invalid-layer-name": (
        "abstract_layer.py:62",
        "ds, _, _ = fresh(d)\nds.add_layer('a/b', 'color')",
    ),
    "read-only-layer-bounding-box": (
        "abstract_layer.py:127",
        "_, layer, _ = fresh(d, read_only=True)\n"
        "layer.bounding_box = wk.BoundingBox((0, 0, 0), (8, 8, 8))",
    ),
    "add-mag-existing": (
        "abstract_layer.py:215",
        "_, layer, _ = fresh(d)\nlayer.add_mag(1)",
    ),
    "read-only-add-mag": (
        "abstract_layer.py:221",
        "_, layer, _ = fresh(d, read_only=True)\nlayer.add_mag(2)",
    ),
    "get-mag-missing": (
        "abstract_layer.py:411",
        "_, layer, _ = fresh(d)\nlayer.get_mag(8)",
    ),
    # ---------------------------------------------------------------- View / MagView
    "write-read-only-view": (
        "view.py:390",
        "_, _, mag = fresh(d)\n"
        "v = mag.get_view(absolute_offset=(0, 0, 0), size=(8, 8, 8), read_only=True)\n"
        "v.write(np.zeros((8, 8, 8), np.uint8))",
    ),
    "write-2d-data": (
        "view.py:431",
        "_, _, mag = fresh(d)\nmag.write(np.zeros((8, 8), np.uint8), "
        "absolute_offset=(0, 0, 0), allow_unaligned=True)",
    ),
    "write-shape-not-box": (
        "view.py:496",
        "_, _, mag = fresh(d)\nmag.write(np.zeros((8, 8, 8), np.uint8), "
        "absolute_bounding_box=wk.BoundingBox((0, 0, 0), (4, 4, 4)), "
        "allow_unaligned=True)",
    ),
    "write-unaligned": (
        "view.py:623",
        "_, _, mag = fresh(d)\n"
        "mag.write(np.zeros((8, 8, 8), np.uint8), absolute_offset=(3, 0, 0))",
    ),
    "zarr-array-of-wkw": (
        "mag_view.py:337",
        "_, _, mag = fresh(d, fmt='wkw')\nmag.get_zarr_array()",
    ),
    "write-outside-layer-without-resize": (
        "mag_view.py:434",
        "_, _, mag = fresh(d)\nmag.write(np.zeros((64, 64, 64), np.uint8), "
        "absolute_offset=(64, 0, 0))",
    ),
    "read-only-mag-write": (
        "mag_view.py:209",
        "_, _, mag = fresh(d, read_only=True)\n"
        "mag.write(np.zeros((64, 64, 64), np.uint8), absolute_offset=(0, 0, 0))",
    ),
    "merge-chunks-per-shard": (
        "mag_view.py:799 (assert)",
        "ds, _, mag = fresh(d)\n"
        "o = ds.add_layer('o', 'color', dtype_per_channel='uint8', "
        "bounding_box=wk.BoundingBox((0, 0, 0), (64, 64, 64)))\n"
        "mag.merge_with_view(o.add_mag(1, chunk_shape=32, shard_shape=64), None)",
    ),
    "merge-dtype": (
        "mag_view.py:802 (assert)",
        "ds, _, mag = fresh(d)\n"
        "o = ds.add_layer('o', 'color', dtype_per_channel='uint16', "
        "bounding_box=wk.BoundingBox((0, 0, 0), (64, 64, 64)))\n"
        "mag.merge_with_view(o.add_mag(1, chunk_shape=32, shard_shape=32), None)",
    ),
    "merge-read-only": (
        "mag_view.py:209 (merge)",
        "ds, _, mag = fresh(d, read_only=True)\nmag.merge_with_view(mag, None)",
    ),
    "export-access-mode-local": (
        "export.py:116",
        "_, layer, _ = fresh(d)\n"
        "layer.export.as_tiff_stack(output_path=d + '/t', access_mode='direct')",
    ),
    "export-empty-box": (
        "export.py:100 (assert)",
        "_, layer, _ = fresh(d)\nlayer.export.as_tiff_stack(output_path=d + '/t', "
        "bounding_box=wk.BoundingBox((100, 0, 0), (4, 4, 4)))",
    ),
    "write-layer-bad-shape": (
        "view.py:496 (write_layer)",
        "ds, _, _ = fresh(d)\nds.write_layer('x', 'color', np.zeros((4, 4), np.uint8))",
    ),
    "write-layer-many-dims": (
        "nd_bounding_box.py:926",
        "ds, _, _ = fresh(d)\n"
        "ds.write_layer('x', 'color', np.zeros((2, 2, 4, 4, 4), np.uint8))",
    ),
    # ---------------------------------------------------------------- geometry
    "mag-from-garbage": ("mag.py:36", "wk.Mag('x')"),
    "mag-two-values": ("mag.py:36 (tuple)", "wk.Mag((1, 2))"),
    "vec3int-two-values": ("vec_int.py:108", "wk.Vec3Int((1, 2))"),
    "vec3int-from-string": ("vec_int.py:108 (str)", "wk.Vec3Int('abc')"),
    "vec3float-two-values": ("vec3_float.py:77", "wk.Vec3Float((1.0, 2.0))"),
    "vec3float-garbage": ("vec3_float.py:75", "wk.Vec3Float(('a', 'b', 'c'))"),
    "voxel-size-two-values": ("vec3_float.py:77 (VoxelSize)", "wk.VoxelSize((1, 2))"),
    "bbox-from-auto-garbage": ("bounding_box.py:191", "wk.BoundingBox.from_auto(5)"),
    "bbox-two-values": (
        "vec_int.py:108 (BoundingBox)",
        "wk.BoundingBox((0, 0), (1, 1, 1))",
    ),
    "bbox-intersect-disjoint": (
        "nd_bounding_box.py (assert)",
        "wk.BoundingBox((0, 0, 0), (1, 1, 1)).intersected_with("
        "wk.BoundingBox((5, 5, 5), (1, 1, 1)))",
    ),
    "ndbbox-axes-differ": (
        "nd_bounding_box.py:491",
        "a = wk.NDBoundingBox((0, 0, 0, 0), (1, 1, 1, 1), axes=('x', 'y', 'z', 't'),"
        " index=(1, 2, 3, 0))\n"
        "b = wk.NDBoundingBox((0, 0, 0), (1, 1, 1), axes=('x', 'y', 'z'),"
        " index=(1, 2, 3))\na.intersected_with(b)",
    ),
    "ndbbox-get-bounds-missing-axis": (
        "nd_bounding_box.py:376",
        "wk.NDBoundingBox((0, 0, 0), (1, 1, 1), axes=('x', 'y', 'z'),"
        " index=(1, 2, 3)).get_bounds('t')",
    ),
}
"""Scenario id -> (reference raise site, code)."""

NOT_AUDITED: dict[str, str] = {
    "dataset.py:246": "re-raises an OS error of mkdir with its own type; not a check",
    "dataset.py:268": "constructor without voxel size on an existing dataset: 4.3.3 "
    "warns and opens (the raise is behind a deprecated path)",
    "dataset.py:460, 529": "server-only (transfer mode, upload folders); "
    "see tests/remote for the server's typed errors",
    "dataset.py:1523, 1694; layer.py:263": "remote layers (symlink/rename of a "
    "RemoteLayer): server-only",
    "dataset.py:1661": "add_layer_as_ref of a layer whose mags have different "
    "paths conventions: needs a hand-edited foreign dataset; wkfn's path policy "
    "(storage/path_policy.py) covers the unsafe cases",
    "remote_dataset.py, remote_layer.py, remote_folder.py, transfer_mode.py": (
        "server-only"
    ),
    "layer.py:148": "internal: mag directory discovery of add_layer_for_existing_files",
    "layer.py:512-521": "zarr3 codec configuration objects (Zarr3Config) wkfn does "
    "not take",
    "layer.py:691": "same check as layer.py:97 (downsample's shard arguments)",
    "layer.py:909": "add_mag_as_copy onto an existing directory: wkfn refuses earlier "
    "with MagExistsError (IndexError) because the mag is in the properties",
    "downsample / upsample with int mags": "the reference crashes with "
    "AttributeError ('int' object has no attribute 'to_layer_name'); wkfn accepts "
    "ints, so the scenarios pass Mag objects",
    "_downsampling_utils.py:327": "unreachable in 4.3.3: the enum lookup raises "
    "KeyError first (the scenario downsample-bad-interpolation audits that)",
    "layer.py:1126, _downsampling_utils.py:131": "downsample sampling/coarsest mag "
    "combinations the reference rejects only for hand-built voxel sizes",
    "layer.py:1198, 1442": "from_mag_view not matching from_mag: an internal "
    "argument of the reference's mag-copy helpers",
    "layer.py:1367": "redownsample without a source mag: unreachable from the API",
    "layer.py:1465": "upsample's sampling_mode is checked by the enum before this site",
    "layer.py:1573": "as_segmentation_layer: not provided (see wkfn/api/parity.py)",
    "view.py:110, mag_view.py:143-146, mag_view.py:314, mag_view.py:902": "internal "
    "constructors (View(...), MagView.create, MagView.__init__ of a detached mag)",
    "view.py:880, 963": "n-D layers read into (c, x, y, z): wkfn reads n-D layers "
    "only through NDBoundingBox-free paths (UnsupportedLayerError)",
    "geometry/vec_int.py:89, 136, 206-309": "VecInt with axes (n-D vectors): wkfn "
    "exposes Vec3Int / VecInt without named axes here",
    "geometry/nd_bounding_box.py:266, 294, 911": "internal helpers of n-D boxes "
    "(axis lookups of normalized boxes, scalar data)",
    "geometry/normalized_bounding_box.py:25": "NormalizedBoundingBox: not provided",
    "_metadata.py": "server metadata objects (FolderMetadata / DatasetMetadata)",
    "_image_conversion/*": "image readers (from_images); covered by "
    "tests/images (CorruptImageError, UnsupportedImageError)",
    "segmentation_layer/attachments/*": "covered by tests/api attachment tests "
    "(typed errors there follow the same rule)",
    "_utils/buffered_slice_writer.py": "internal buffer states",
    "layer/view/_array.py": "array backend internals (wkw/tensorstore wrappers)",
    "layer/_transform_utils.py": "coordinate transformations of the server's "
    "annotation format",
}
"""Reference raise sites not triggered by :data:`SCENARIOS`, with the reason."""
