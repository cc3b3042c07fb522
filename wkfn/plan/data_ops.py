"""Bulk data operations: resampling, region copies and image imports.

Each op reads a bounded source region and writes whole target shards, and can say
how much memory it needs (``memory_estimate``), so an executor can size its pool.
"""

from __future__ import annotations

from wkfn.plan.op_base import Action, Op, Vec3
from wkfn.spec.array import DataFormatName, NDSelect

#: Target bytes a resampling op computes and writes at once; a larger op region
#: (a big shard) is processed and written in pieces of at most this size.
RESAMPLE_PIECE_BYTES = 64 * 1024 * 1024


#: Source bytes a resampling op reads at once (block modes process slabs).
RESAMPLE_SLAB_BYTES = 32 * 1024 * 1024


_ZOOM_MODES = ("nearest", "bilinear", "bicubic")


def region_nbytes(size: Vec3, dtype: str, channels: int) -> int:
    """Bytes of a ``(c, x, y, z)`` region of ``size`` voxels."""
    import numpy as np

    return size[0] * size[1] * size[2] * channels * np.dtype(dtype).itemsize


class ResampleRegion(Op, frozen=True, kw_only=True):
    """Fields shared by down- and upsampling ops (not an op of its own).

    ``offset``/``size`` are in *target* mag voxels; ``fresh`` marks a target array
    created by the same plan (all-zero pieces are then not written at all).
    """

    layer: str
    source_path: str
    source_format: DataFormatName
    source_mag: Vec3
    target_path: str
    target_format: DataFormatName
    target_mag: Vec3
    offset: Vec3
    size: Vec3
    dtype: str
    num_channels: int = 1
    fresh: bool = False
    source_select: NDSelect | None = None
    target_select: NDSelect | None = None

    @property
    def action(self) -> Action:
        return "update"

    def _at(self) -> str:
        """Key part naming the extra-axis point of an n-D op (empty for 3-D)."""
        return "" if self.target_select is None else f"{self.target_select.at}:"

    def _describe(self, verb: str, suffix: str = "") -> str:
        src = "-".join(map(str, self.source_mag))
        dst = "-".join(map(str, self.target_mag))
        at = "" if self.target_select is None else f"{self.target_select.describe()}, "
        return (
            f"~ {verb} {self.layer} {src} -> {dst} at {at}{tuple(self.offset)} "
            f"size {'x'.join(map(str, self.size))}{suffix}"
        )


class DownsampleRegion(ResampleRegion, frozen=True, kw_only=True):
    """Compute one block of a coarser mag from a finer one.

    ``offset``/``size`` are in *target* mag voxels (one target shard, or a bounded
    block of chunks for unsharded formats); ``valid_offset``/``valid_size`` are the
    layer's data box in *source* mag voxels, outside of which the source is
    mirror-padded. ``tile_shape`` (target voxels) is the reference library's
    processing tile and ``job_shape`` its job grid (absolute, target voxels; tiles
    start afresh in every job cell): padding is applied per tile and the zoom modes
    (nearest, bilinear, bicubic) resample whole tiles, so results match it voxel for
    voxel.
    ``fresh`` marks a target array created by the same plan (all-zero pieces are
    then not written at all).
    """

    valid_offset: Vec3
    valid_size: Vec3
    interpolation: str
    tile_shape: Vec3 = (512, 512, 512)
    job_shape: Vec3 = (1024, 1024, 1024)

    def key(self) -> str:
        return f"downsample:{self.target_path}:{self._at()}{self.offset}"

    def describe(self) -> str:
        return self._describe("downsample", f" ({self.interpolation})")

    @property
    def factors(self) -> Vec3:
        """Per-axis ratio target mag / source mag."""
        t, s = self.target_mag, self.source_mag
        return (t[0] // s[0], t[1] // s[1], t[2] // s[2])

    def memory_estimate(self) -> int:
        out = min(
            region_nbytes(self.size, self.dtype, self.num_channels),
            RESAMPLE_PIECE_BYTES,
        )
        f = self.factors
        if self.interpolation in _ZOOM_MODES:
            tile = (
                min(self.tile_shape[0], self.size[0] + self.tile_shape[0]) * f[0],
                self.tile_shape[1] * f[1],
                self.tile_shape[2] * f[2],
            )
            # source tile + float64 spline coefficients + output tile
            per = region_nbytes(tile, self.dtype, 1) + (
                8 * tile[0] * tile[1] * tile[2]
                if self.interpolation == "bicubic"
                else 0
            )
            return out + per + region_nbytes(self.tile_shape, self.dtype, 1)
        # the target piece and its encoded copy; per source slab: the decoded
        # read, its mirrored copy, the block elements and the sorting temporaries
        # (measured: a 256³ uint8 median op from 512³ peaks at +212 MiB)
        source = min(
            region_nbytes(self.size, self.dtype, self.num_channels)
            * f[0]
            * f[1]
            * f[2],
            RESAMPLE_SLAB_BYTES,
        )
        return 2 * out + 6 * source


class UpsampleRegion(ResampleRegion, frozen=True, kw_only=True):
    """Compute one block of a finer mag from a coarser one.

    Every source voxel is replicated ``source_mag / target_mag`` times per axis.
    """

    def key(self) -> str:
        return f"upsample:{self.target_path}:{self._at()}{self.offset}"

    def describe(self) -> str:
        return self._describe("upsample")

    def memory_estimate(self) -> int:
        # output piece + the source piece + np.repeat temporaries
        return 3 * min(
            region_nbytes(self.size, self.dtype, self.num_channels),
            RESAMPLE_PIECE_BYTES,
        )


class CopyRegion(Op, frozen=True, kw_only=True):
    """Decode a region of one array and encode it into another (same mag voxels).

    Used for format conversion, rechunking and compression; the source may belong
    to another dataset (absolute path).
    """

    layer: str
    mag: str
    source_path: str
    source_format: DataFormatName
    target_path: str
    target_format: DataFormatName
    offset: Vec3
    size: Vec3
    dtype: str
    num_channels: int = 1
    keep_zeros: bool = False
    """Write all-zero blocks too (a merge overlays erased chunks; a copy into a
    fresh array skips them)."""
    source_select: NDSelect | None = None
    target_select: NDSelect | None = None

    @property
    def action(self) -> Action:
        return "update"

    def key(self) -> str:
        at = "" if self.target_select is None else f"{self.target_select.at}:"
        return f"copy:{self.target_path}:{at}{self.offset}"

    def describe(self) -> str:
        at = "" if self.target_select is None else f"{self.target_select.describe()}, "
        return (
            f"~ copy {self.layer}/{self.mag} {self.source_format} -> "
            f"{self.target_format} at {at}{tuple(self.offset)} "
            f"size {'x'.join(map(str, self.size))}"
        )

    def memory_estimate(self) -> int:
        import numpy as np

        count = self.num_channels
        for s in self.size:
            count *= s
        return count * np.dtype(self.dtype).itemsize


class ImportImages(Op, frozen=True, kw_only=True):
    """Read image slices and write them as one z-slab of a mag array.

    ``slices`` lists, per target z (in write order, flips applied), the index into
    ``files`` and the frame (z index) inside that file. Frames are read as
    ``(c, rows, cols)``; rows become y and columns x unless ``swap_xy``.
    ``offset``/``size`` are the slab in mag voxels (x, y, z); the slab spans the
    whole layer in x and y and is aligned to the array's shards in z.
    """

    layer: str
    mag: str
    path: str
    data_format: DataFormatName
    reader: str
    files: tuple[str, ...]
    slices: tuple[tuple[int, int], ...]
    timepoint: int = 0
    channels: tuple[int, ...] = ()
    source_dtype: str
    dtype: str
    swap_xy: bool = False
    flip_x: bool = False
    flip_y: bool = False
    offset: Vec3
    size: Vec3
    samples: int = 1

    @property
    def action(self) -> Action:
        return "update"

    def key(self) -> str:
        return f"import:{self.path}:{self.offset}"

    def describe(self) -> str:
        names = [self.files[i].rsplit("/", 1)[-1] for i, _ in self.slices]
        first, last = (names[0], names[-1]) if names else ("", "")
        src = first if first == last else f"{first}..{last}"
        nfiles = len({i for i, _ in self.slices})
        chans = f" channels {list(self.channels)}" if self.channels else ""
        conv = (
            self.dtype
            if self.dtype == self.source_dtype
            else f"{self.source_dtype}->{self.dtype}"
        )
        return (
            f"~ import {self.layer}/{self.mag} at {tuple(self.offset)} size "
            f"{'x'.join(map(str, self.size))} {conv}{chans} <- {src} "
            f"({len(self.slices)} slices, {nfiles} files, {self.reader})"
        )

    def memory_estimate(self) -> int:
        import numpy as np

        count = max(1, len(self.channels))
        for s in self.size:
            count *= s
        return 2 * count * np.dtype(self.dtype).itemsize
