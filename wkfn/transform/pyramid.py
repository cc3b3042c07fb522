"""The mag ladder of a pyramid: modes, default coarsest mag, sampling schemes.

Which mags a downsampling (or upsampling) creates, in which order, following the
reference library (webknossos 4.3.3): anisotropic steps that keep the voxel size
nearly isotropic, isotropic steps, or steps that keep z (``constant_z``).

Examples:
    >>> mags_to_downsample((1, 1, 1), (4, 4, 4), (11.24, 11.24, 25.0))
    [(2, 2, 1), (4, 4, 2)]
    >>> default_coarsest_mag((1000, 50, 3))
    (16, 16, 16)
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from wkfn.errors import InvalidArgumentError, UnknownModeError
from wkfn.geometry.grid import is_pow2
from wkfn.spec.names import mag_dir_name

Vec3 = tuple[int, int, int]


Step = tuple[Vec3, Vec3]


INTERPOLATION_MODES = ("median", "mode", "nearest", "bilinear", "bicubic", "max", "min")


SAMPLING_MODES = ("anisotropic", "isotropic", "constant_z")


ZOOM_MODES = ("nearest", "bilinear", "bicubic")


def parse_interpolation_mode(mode: str, category: str) -> str:
    """Normalise an interpolation mode name (case-insensitive; ``"default"``)."""
    if not isinstance(mode, str):
        raise InvalidArgumentError(f"interpolation_mode must be a string, got {mode!r}")
    name = mode.lower()
    if name == "default":
        return "mode" if category == "segmentation" else "median"
    if name not in INTERPOLATION_MODES:
        raise UnknownModeError(
            f"unknown interpolation_mode {mode!r}; expected 'default' or one of "
            f"{', '.join(INTERPOLATION_MODES)}"
        )
    return name


def parse_sampling_mode(mode: object) -> str:
    """Normalise a sampling mode (enum member or value; ``"auto"`` = anisotropic).

    Like the reference, values are case-sensitive.
    """
    value = getattr(mode, "value", mode)
    if not isinstance(value, str):
        raise InvalidArgumentError(f"sampling_mode must be a string, got {mode!r}")
    name = value
    if name == "auto":
        return "anisotropic"
    if name not in SAMPLING_MODES:
        raise InvalidArgumentError(
            f"unknown sampling_mode {mode!r}; expected one of "
            f"{', '.join(SAMPLING_MODES)} (or 'auto')"
        )
    return name


def check_mag(mag: Sequence[int], what: str) -> Vec3:
    """A mag as a tuple of three positive powers of two."""
    if len(mag) != 3 or not all(isinstance(m, int) and is_pow2(m) for m in mag):
        raise InvalidArgumentError(
            f"{what} must be three positive powers of two, got {tuple(mag)}"
        )
    return (mag[0], mag[1], mag[2])


def default_coarsest_mag(size: Vec3) -> Vec3:
    """The reference's default: ``max(2**ceil(log2(max(x, y) / 100)), 4)``."""
    longest = max(size[0], size[1])
    if longest <= 0:
        return (4, 4, 4)
    m = max(int(2 ** math.ceil(math.log2(longest / 100))), 4)
    return (m, m, m)


def _ratio(mag: Vec3, voxel: Sequence[float]) -> float:
    sizes = [m * v for m, v in zip(mag, voxel)]
    return max(sizes) / min(sizes)


def mags_to_downsample(
    from_mag: Vec3,
    coarsest_mag: Vec3,
    voxel_size: Sequence[float] | None,
    align_mags: Sequence[Vec3] = (),
) -> list[Vec3]:
    """The mags between ``from_mag`` (exclusive) and ``coarsest_mag`` (inclusive).

    ``voxel_size`` None means isotropic steps (each axis doubles, clamped to the
    coarsest mag); otherwise the anisotropic rule: double either all axes or only
    the axes with the smallest physical voxel extent, whichever keeps the voxels
    closer to cubic. A mag of ``align_mags`` (mags of other layers) with twice the
    current ``max_dim`` is preferred, so layers stay aligned.

    Raises:
        InvalidArgumentError: the coarsest mag can not be reached.
    """
    if any(f > c for f, c in zip(from_mag, coarsest_mag)):
        raise InvalidArgumentError(
            f"the coarsest mag {mag_dir_name(coarsest_mag)} is finer than the "
            f"from_mag {mag_dir_name(from_mag)} on some axis"
        )
    mags: list[Vec3] = []
    current = from_mag
    while max(current) < max(coarsest_mag):
        aligned = [m for m in align_mags if max(m) == 2 * max(current)]
        if aligned:
            nxt = aligned[0]
        else:
            if voxel_size is None:
                cand: Vec3 = (current[0] * 2, current[1] * 2, current[2] * 2)
            else:
                sizes = [c * v for c, v in zip(current, voxel_size)]
                smallest = min(sizes)
                all_axes: Vec3 = (current[0] * 2, current[1] * 2, current[2] * 2)
                b = tuple(c * 2 if s == smallest else c for c, s in zip(current, sizes))
                some_axes: Vec3 = (b[0], b[1], b[2])
                if _ratio(all_axes, voxel_size) < _ratio(some_axes, voxel_size):
                    cand = all_axes
                else:
                    cand = some_axes
            nxt = (
                min(cand[0], coarsest_mag[0]),
                min(cand[1], coarsest_mag[1]),
                min(cand[2], coarsest_mag[2]),
            )
            if nxt == current:
                raise InvalidArgumentError(
                    f"The coarsest mag {mag_dir_name(coarsest_mag)} can not be "
                    f"reached from {mag_dir_name(from_mag)}"
                )
            if voxel_size is not None and max(nxt) == max(current):
                current = nxt
                continue
        mags.append(nxt)
        current = nxt
    return mags


def mags_to_upsample(
    from_mag: Vec3,
    finest_mag: Vec3,
    voxel_size: Sequence[float] | None,
    align_mags: Sequence[Vec3] = (),
) -> list[Vec3]:
    """Mags from ``from_mag`` (exclusive) down to ``finest_mag`` (inclusive)."""
    ladder = mags_to_downsample(finest_mag, from_mag, voxel_size, align_mags)
    return [*list(reversed(ladder))[1:], finest_mag]


def sampling_ladder(
    from_mag: Vec3,
    coarsest_mag: Vec3,
    sampling_mode: str,
    voxel_size: Sequence[float],
    align_mags: Sequence[Vec3] = (),
) -> list[Vec3]:
    """The ladder for a parsed sampling mode (constant_z keeps z of ``from_mag``)."""
    if sampling_mode == "anisotropic":
        return mags_to_downsample(from_mag, coarsest_mag, voxel_size, align_mags)
    if sampling_mode == "constant_z":
        coarsest_mag = (coarsest_mag[0], coarsest_mag[1], from_mag[2])
    return mags_to_downsample(from_mag, coarsest_mag, None, align_mags)


def check_distinct_max_dims(mags: Sequence[Vec3]) -> None:
    """Two mags with the same ``max_dim`` confuse WEBKNOSSOS: refuse them."""
    seen: dict[int, Vec3] = {}
    for m in mags:
        if max(m) in seen and seen[max(m)] != m:
            raise InvalidArgumentError(
                f"mags {mag_dir_name(seen[max(m)])} and {mag_dir_name(m)} have the "
                "same max_dim, which WEBKNOSSOS cannot display; pass "
                "force_sampling_scheme=True to create them anyway"
            )
        seen[max(m)] = m
