"""Hypothesis strategies for the geometry types (vectors, mags, boxes, voxel sizes).

Why: property tests across wkfn packages need well-distributed but small values (so
chunked iteration stays fast) and a single place that knows what "valid" means.

Example:
    >>> from hypothesis import given
    >>> @given(bounding_boxes())
    ... def test_volume_non_negative(box):
    ...     assert box.volume() >= 0
"""

from __future__ import annotations

from hypothesis import strategies as st

from wkfn.geometry.bbox import BoundingBox, NDBoundingBox
from wkfn.geometry.mag import Mag
from wkfn.geometry.vec import Vec3Float, Vec3Int
from wkfn.geometry.voxel_size import LengthUnit, VoxelSize

__all__ = [
    "aligned_bounding_boxes",
    "bounding_boxes",
    "chunk_shapes",
    "length_units",
    "mags",
    "nd_bounding_boxes",
    "non_empty_bounding_boxes",
    "pow2_vec3",
    "vec3_floats",
    "vec3_ints",
    "voxel_sizes",
]

Vec3 = tuple[int, int, int]


def vec3_ints(min_value: int = -64, max_value: int = 64) -> st.SearchStrategy[Vec3Int]:
    """Vec3Int with each component in ``[min_value, max_value]``."""
    component = st.integers(min_value, max_value)
    return st.builds(Vec3Int, component, component, component)


def pow2_vec3(max_exponent: int = 5) -> st.SearchStrategy[Vec3Int]:
    """Vec3Int whose components are powers of two up to ``2**max_exponent``."""
    component = st.integers(0, max_exponent).map(lambda e: 1 << e)
    return st.builds(Vec3Int, component, component, component)


def mags(max_exponent: int = 4, anisotropic: bool = True) -> st.SearchStrategy[Mag]:
    """Valid mags up to ``2**max_exponent`` per axis (uniform if not anisotropic)."""
    if anisotropic:
        return pow2_vec3(max_exponent).map(Mag)
    return st.integers(0, max_exponent).map(lambda e: Mag(1 << e))


def chunk_shapes(min_value: int = 1, max_value: int = 16) -> st.SearchStrategy[Vec3Int]:
    """Strictly positive Vec3Int, suitable as chunk or grid cell shapes."""
    return vec3_ints(max(1, min_value), max_value)


def bounding_boxes(
    min_topleft: int = -64,
    max_topleft: int = 64,
    max_size: int = 48,
    allow_empty: bool = True,
) -> st.SearchStrategy[BoundingBox]:
    """3D boxes; sizes in ``[0 or 1, max_size]``."""
    return st.builds(
        BoundingBox,
        vec3_ints(min_topleft, max_topleft),
        vec3_ints(0 if allow_empty else 1, max_size),
    )


def non_empty_bounding_boxes(
    min_topleft: int = -64, max_topleft: int = 64, max_size: int = 48
) -> st.SearchStrategy[BoundingBox]:
    """3D boxes with every size component ``>= 1``."""
    return bounding_boxes(min_topleft, max_topleft, max_size, allow_empty=False)


@st.composite
def aligned_bounding_boxes(
    draw: st.DrawFn, mag: Mag | None = None, max_cells: int = 8
) -> BoundingBox:
    """Non-empty boxes whose corners are multiples of ``mag`` (drawn if not given)."""
    m = mag if mag is not None else draw(mags())
    v = m.to_vec3_int()
    cells_tl = draw(vec3_ints(-max_cells, max_cells))
    cells_sz = draw(vec3_ints(1, max_cells))
    return BoundingBox(cells_tl * v, cells_sz * v)


@st.composite
def nd_bounding_boxes(
    draw: st.DrawFn,
    extra_axes: tuple[str, ...] = ("t",),
    max_size: int = 8,
    allow_empty: bool = True,
) -> NDBoundingBox:
    """n-D boxes with ``extra_axes`` in front of x, y, z (axis order shuffled)."""
    axes = draw(st.permutations((*extra_axes, "x", "y", "z")))
    n = len(axes)
    topleft = draw(st.lists(st.integers(-16, 16), min_size=n, max_size=n))
    size = draw(
        st.lists(st.integers(0 if allow_empty else 1, max_size), min_size=n, max_size=n)
    )
    return NDBoundingBox(topleft, size, tuple(axes))


def vec3_floats(
    min_value: float = 1e-3, max_value: float = 1e6
) -> st.SearchStrategy[Vec3Float]:
    """Finite Vec3Float in ``[min_value, max_value]``."""
    component = st.floats(min_value, max_value, allow_nan=False, allow_infinity=False)
    return st.builds(Vec3Float, component, component, component)


def length_units() -> st.SearchStrategy[LengthUnit]:
    """Any :class:`LengthUnit`."""
    return st.sampled_from(list(LengthUnit))


def voxel_sizes() -> st.SearchStrategy[VoxelSize]:
    """Valid voxel sizes in any unit."""
    return st.builds(VoxelSize, vec3_floats(), length_units())


@st.composite
def nd_layer_boxes(
    draw: st.DrawFn,
    names: tuple[str, ...] = ("t", "a", "angle", "s"),
    max_extra: int = 2,
    max_size: int = 64,
) -> NDBoundingBox:
    """Boxes valid as an n-D layer's box: 1..``max_extra`` distinct extra axes (never
    x, y, z or c) among x, y, z in any order, non-negative topleft, positive sizes."""
    extra = draw(
        st.lists(st.sampled_from(names), min_size=1, max_size=max_extra, unique=True)
    )
    axes = draw(st.permutations((*extra, "x", "y", "z")))
    n = len(axes)
    topleft = draw(st.lists(st.integers(0, 4 * max_size), min_size=n, max_size=n))
    size = draw(st.lists(st.integers(1, max_size), min_size=n, max_size=n))
    return NDBoundingBox(topleft, size, tuple(axes))
