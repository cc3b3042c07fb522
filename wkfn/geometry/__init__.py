"""Geometry primitives: vectors, mags, bounding boxes, voxel sizes and grid math.

Everything here is pure (no I/O), immutable and cheap to construct, because it is used
on every read/write. Names match the WEBKNOSSOS Python API (``webknossos`` 4.3.3).
"""

from wkfn.geometry.bbox import DEFAULT_BBOX_NAME, BoundingBox, NDBoundingBox
from wkfn.geometry.grid import (
    align_down3,
    align_up3,
    ceil_div3,
    grid_cell_range,
    grid_cells,
    is_aligned,
    next_pow2,
    shard_index,
    split_box_by_grid,
)
from wkfn.geometry.mag import Mag, MagLike
from wkfn.geometry.vec import (
    Vec3Float,
    Vec3FloatLike,
    Vec3Int,
    Vec3IntLike,
    Vec3IntLikeOrInt,
    VecInt,
    VecIntLike,
    parse_vec3,
)
from wkfn.geometry.voxel_size import (
    LENGTH_UNIT_TO_NANOMETER,
    LengthUnit,
    VoxelSize,
    length_unit_from_str,
    parse_voxel_size,
)

__all__ = [
    "DEFAULT_BBOX_NAME",
    "LENGTH_UNIT_TO_NANOMETER",
    "BoundingBox",
    "LengthUnit",
    "Mag",
    "MagLike",
    "NDBoundingBox",
    "Vec3Float",
    "Vec3FloatLike",
    "Vec3Int",
    "Vec3IntLike",
    "Vec3IntLikeOrInt",
    "VecInt",
    "VecIntLike",
    "VoxelSize",
    "align_down3",
    "align_up3",
    "ceil_div3",
    "grid_cell_range",
    "grid_cells",
    "is_aligned",
    "length_unit_from_str",
    "next_pow2",
    "parse_vec3",
    "parse_voxel_size",
    "shard_index",
    "split_box_by_grid",
]
