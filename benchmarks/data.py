"""Deterministic synthetic volumes for the benchmarks (numpy only, seeded).

Both generators work slab by slab along z so that temporaries stay small and a
512³ volume is produced in well under three seconds. Arrays are returned in
(x, y, z) order, which is what ``MagView.write`` expects for one channel.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

SEED = 20240611
_SLAB = 16  # z planes per generation slab


def _wobble(n: int, period: float, amp: float, phase: float) -> npt.NDArray[np.float32]:
    t = np.arange(n, dtype=np.float32)
    return (amp * np.sin(t * (2.0 * np.pi / period) + phase)).astype(np.float32)


def color_volume(n: int = 512, seed: int = SEED) -> npt.NDArray[np.uint8]:
    """uint8 (n, n, n): smooth field + thin dark membranes + noise.

    Tuned so that zstd level 5 on 32³ chunks compresses by about 1.5x.
    """
    rng = np.random.default_rng(seed)
    out = np.empty((n, n, n), dtype=np.uint8, order="F")
    x = np.arange(n, dtype=np.float32)[:, None]
    y = np.arange(n, dtype=np.float32)[None, :]
    # smooth, separable low-frequency field (~100..190) on the xy plane
    fxy = 140.0 + 28.0 * np.sin(x * (2 * np.pi / 211.0) + 0.3)
    fxy = fxy + 22.0 * np.sin(y * (2 * np.pi / 173.0) + 1.1)
    period = 48
    wob_y = _wobble(n, 97.0, 6.0, 0.4)[None, :]
    wob_x = _wobble(n, 83.0, 5.0, 1.7)[:, None]
    mem_xy = (((x + wob_y) % period) < 2.0) | (((y + wob_x) % period) < 2.0)
    base_xy = np.where(mem_xy, fxy - 80.0, fxy).astype(np.int16)
    # z-membranes: wavy sheets, z position shifted by an xy-dependent offset
    z_off = np.rint(0.5 * (wob_x + wob_y) + period).astype(np.int16)
    fz = np.rint(15.0 * np.sin(np.arange(n) * (2 * np.pi / 191.0) + 2.3))
    fz = fz.astype(np.int16)
    zs_all = np.arange(n, dtype=np.int16)
    for z0 in range(0, n, _SLAB):
        z1 = min(n, z0 + _SLAB)
        vals = base_xy[:, :, None] + fz[None, None, z0:z1]
        mem_z = ((z_off[:, :, None] + zs_all[None, None, z0:z1]) % period) < 2
        vals[mem_z] -= 80
        np.clip(vals, 0, 255 - 15, out=vals)
        slab = vals.astype(np.uint8)
        noise = rng.integers(0, 256, size=slab.shape, dtype=np.uint8)
        # bell-shaped noise 0..13 (a 3-bit and two 2-bit uniforms)
        slab += (noise & 7) + ((noise >> 4) & 3) + (noise >> 6)
        out[:, :, z0:z1] = slab
    return out


def label_volume(
    n: int = 512, seed: int = SEED + 1, dtype: npt.DTypeLike = np.uint32
) -> npt.NDArray[np.unsignedinteger]:
    """Unsigned labels (n, n, n): wavy boxes, ~1500 ids spread up to ~4.29e9.

    Boxes are ~48 voxels wide with sinusoidally displaced faces; faces are a
    one-voxel background (0) layer. ``dtype`` picks the output dtype directly
    (no uint32 → uint64 intermediate copy).
    """
    rng = np.random.default_rng(seed)
    cell = 48
    ncell = n // cell + 3
    ids = rng.choice(
        np.arange(1, 2**32 - 1, 997, dtype=np.uint64), ncell**3, replace=False
    )
    table = ids.astype(dtype)
    out = np.empty((n, n, n), dtype=dtype, order="F")
    x = np.arange(n, dtype=np.float64)[:, None]
    y = np.arange(n, dtype=np.float64)[None, :]
    wy = _wobble(n, 131.0, 7.0, 0.2)[None, :]
    wx = _wobble(n, 117.0, 6.0, 0.9)[:, None]
    zshift = np.rint(5.0 * np.sin(np.arange(n) * (2 * np.pi / 149.0) + 0.5))
    zshift = zshift.astype(np.int64)
    # xy planes of cell index / border for every integer z-shift
    planes: dict[int, tuple[npt.NDArray[np.intp], npt.NDArray[np.bool_]]] = {}
    for s in np.unique(zshift):
        px = np.rint(x + wy + s + cell).astype(np.int64)
        py = np.rint(y + wx - s + cell).astype(np.int64)
        lin = ((px // cell) * ncell + (py // cell)) * ncell
        border = ((px % cell) < 1) | ((py % cell) < 1)
        planes[int(s)] = (np.ascontiguousarray(lin, dtype=np.intp), border)
    z_off = np.rint(0.5 * (wx + wy) + cell).astype(np.intp)
    for z in range(n):
        lin_xy, border = planes[int(zshift[z])]
        pz = z_off + z
        iz = pz // cell
        plane = table.take(lin_xy + iz)
        plane[border | ((pz % cell) < 1)] = 0
        out[:, :, z] = plane
    return out


def random_offsets(
    count: int, size: int, n: int, seed: int
) -> list[tuple[int, int, int]]:
    """``count`` seeded (x, y, z) offsets so that an ``size``³ box fits in ``n``³."""
    rng = np.random.default_rng(seed)
    hi = max(1, n - size + 1)
    arr = rng.integers(0, hi, size=(count, 3))
    return [(int(a), int(b), int(c)) for a, b, c in arr]


def random_blocks(count: int, size: int, seed: int) -> npt.NDArray[np.uint8]:
    """``count`` seeded uint8 blocks of ``size``³ (shape (count, size, size, size))."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, size=(count, size, size, size), dtype=np.uint8)


def nd_shape(n: int = 512) -> tuple[int, int, int, int]:
    """(t, x, y, z) of the n-D workloads: 64 x 256 x 256 x 64 at n=512 (scaled down
    for smoke runs, at least 4 time points and one 32³ chunk)."""
    return (max(4, n // 8), max(32, n // 2), max(32, n // 2), max(32, n // 8))


def nd_volume(n: int = 512, seed: int = SEED) -> npt.NDArray[np.uint16]:
    """uint16 (t, x, y, z): a smooth moving blob plus noise per time point, so the
    volume compresses like light-sheet data rather than like white noise."""
    t_n, x_n, y_n, z_n = nd_shape(n)
    rng = np.random.default_rng(seed)
    x = np.arange(x_n, dtype=np.float32)[:, None, None]
    y = np.arange(y_n, dtype=np.float32)[None, :, None]
    z = np.arange(z_n, dtype=np.float32)[None, None, :]
    out = np.empty((t_n, x_n, y_n, z_n), dtype=np.uint16)
    for t in range(t_n):
        cx = x_n * (0.3 + 0.4 * t / t_n)
        blob = 3000.0 * np.exp(
            -((x - cx) ** 2 + (y - y_n / 2) ** 2) / (2 * (x_n / 6) ** 2)
            - (z - z_n / 2) ** 2 / (2 * (z_n / 4) ** 2)
        )
        noise = rng.integers(0, 64, (x_n, y_n, z_n), dtype=np.uint16)
        out[t] = (blob + 400.0).astype(np.uint16) + noise
    return out
