"""Pure numpy/scipy voxel kernels (no I/O): downsampling and upsampling."""

from wkfn.kernels.downsample import (
    BLOCK_MODES,
    INTERPOLATION_MODES,
    ZOOM_ORDERS,
    downsample_blocks,
    downsample_zoom,
    median_blocks,
    mirror_indices,
    mode_blocks,
)
from wkfn.kernels.upsample import upsample_repeat

__all__ = [
    "BLOCK_MODES",
    "INTERPOLATION_MODES",
    "ZOOM_ORDERS",
    "downsample_blocks",
    "downsample_zoom",
    "median_blocks",
    "mirror_indices",
    "mode_blocks",
    "upsample_repeat",
]
