"""Downsampling / upsampling kernels: hand-computed cases and invariants."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import numpy as np
import pytest
import scipy.ndimage
from hypothesis import given, settings
from hypothesis import strategies as st

from wkfn.kernels import downsample as kd
from wkfn.kernels.downsample import (
    block_elements,
    downsample_blocks,
    downsample_zoom,
    median_blocks,
    mirror_indices,
    mode_blocks,
)
from wkfn.kernels.upsample import upsample_repeat

Array = np.ndarray[Any, Any]


def one_block(values: list[int], factors: tuple[int, int, int], dtype: str) -> Array:
    """A single block whose element with order index k is ``values[k]``.

    Order index of (dx, dy, dz) is ``dy + fy*dx + fx*fy*dz`` (y fastest, then x, z).
    """
    fx, fy, fz = factors
    block = np.zeros((1, fx, fy, fz), dtype)
    for dz in range(fz):
        for dx in range(fx):
            for dy in range(fy):
                block[0, dx, dy, dz] = values[dy + fy * dx + fx * fy * dz]
    return block


def brute_mode(data: Array, factors: tuple[int, int, int]) -> Array:
    """Slow reference: Counter per block, ties to the first in block order."""
    fx, fy, fz = factors
    c, sx, sy, sz = data.shape
    out = np.zeros((c, sx // fx, sy // fy, sz // fz), data.dtype)
    for ch in range(c):
        for x in range(sx // fx):
            for y in range(sy // fy):
                for z in range(sz // fz):
                    seq = [
                        data[ch, x * fx + dx, y * fy + dy, z * fz + dz]
                        for dz in range(fz)
                        for dx in range(fx)
                        for dy in range(fy)
                    ]
                    counts = Counter(seq)
                    best = max(counts.values())
                    out[ch, x, y, z] = next(v for v in seq if counts[v] == best)
    return out


def np_median(data: Array, factors: tuple[int, int, int]) -> Array:
    fx, fy, fz = factors
    c, sx, sy, sz = data.shape
    r = data.reshape(c, sx // fx, fx, sy // fy, fy, sz // fz, fz)
    r = r.transpose(0, 1, 3, 5, 2, 4, 6).reshape(c, sx // fx, sy // fy, sz // fz, -1)
    return np.median(r, axis=-1).astype(data.dtype)


# ------------------------------------------------------------------ hand computed


def test_median_even_count_truncates_mean_of_middle_values() -> None:
    block = one_block([1, 2, 3, 4, 10, 20, 30, 40], (2, 2, 2), "uint8")
    # sorted middle values 4 and 10 -> 7
    assert median_blocks(block, (2, 2, 2)).item() == 7
    block = one_block([1, 2, 3, 4, 5, 20, 30, 40], (2, 2, 2), "uint8")
    # middle 4 and 5 -> 4.5 -> 4 (truncated)
    assert median_blocks(block, (2, 2, 2)).item() == 4


def test_median_signed_truncates_towards_zero() -> None:
    block = one_block([-8, -7, -6, -5, -4, -3, 0, 9], (2, 2, 2), "int16")
    # middle -5 and -4 -> -4.5 -> -4
    assert median_blocks(block, (2, 2, 2)).item() == -4


def test_median_uint8_no_overflow() -> None:
    block = one_block([255] * 8, (2, 2, 2), "uint8")
    assert median_blocks(block, (2, 2, 2)).item() == 255


def test_median_odd_and_anisotropic_counts() -> None:
    assert median_blocks(one_block([5, 1], (1, 2, 1), "uint8"), (1, 2, 1)).item() == 3
    four = one_block([9, 1, 4, 6], (2, 2, 1), "uint16")
    assert median_blocks(four, (2, 2, 1)).item() == 5


def test_mode_tie_goes_to_first_in_block_order() -> None:
    # 2 and 7 appear twice each; 7 comes first in block order
    values = [7, 2, 3, 2, 7, 4, 5, 6]
    block = one_block(values, (2, 2, 2), "uint32")
    assert mode_blocks(block, (2, 2, 2)).item() == 7
    # y is the fastest axis: element (dx=0, dy=1) precedes (dx=1, dy=0)
    block = np.zeros((1, 2, 2, 1), np.uint32)
    block[0, 0, 1, 0] = 9  # order index 1
    block[0, 1, 0, 0] = 8  # order index 2
    block[0, 0, 0, 0] = 5  # order index 0 (the only element shared by none)
    block[0, 1, 1, 0] = 4
    assert mode_blocks(block, (2, 2, 1)).item() == 5
    block[0, 0, 0, 0] = 9
    block[0, 1, 1, 0] = 8
    assert mode_blocks(block, (2, 2, 1)).item() == 9


def test_mode_majority_wins_over_order() -> None:
    block = one_block([1, 2, 2, 2, 3, 3, 3, 3], (2, 2, 2), "uint64")
    assert mode_blocks(block, (2, 2, 2)).item() == 3


def test_mode_large_uint64_values() -> None:
    big = np.uint64(2**63 + 5)
    block = one_block([1, int(big), int(big), 1, 7, 7, 7, 0], (2, 2, 2), "uint64")
    assert mode_blocks(block, (2, 2, 2)).item() == 7


def test_max_min() -> None:
    block = one_block([3, 9, 1, 4, 4, 2, 8, 0], (2, 2, 2), "uint8")
    assert downsample_blocks(block, (2, 2, 2), "max").item() == 9
    assert downsample_blocks(block, (2, 2, 2), "min").item() == 0


def test_zoom_modes_are_scipy_zoom_with_reference_parameters() -> None:
    rng = np.random.default_rng(0)
    data = rng.integers(0, 255, (2, 8, 6, 4), dtype=np.uint8)
    for mode, order in (("nearest", 0), ("bilinear", 1), ("bicubic", 2)):
        got = downsample_zoom(data, (2, 2, 2), mode)
        for c in range(2):
            want = scipy.ndimage.zoom(
                data[c],
                [0.5, 0.5, 0.5],
                order=order,
                mode="nearest",
                prefilter=True,
                output=np.uint8,
            )
            np.testing.assert_array_equal(got[c], want)


def test_nearest_hand_computed() -> None:
    data = np.arange(4, dtype=np.uint8).reshape(1, 4, 1, 1)
    # zoom maps output i to input i * (4 - 1) / (2 - 1) = 0, 3
    assert downsample_zoom(data, (2, 1, 1), "nearest").ravel().tolist() == [0, 3]


def test_bilinear_hand_computed() -> None:
    data = np.array([0, 10, 20, 30, 40, 50], np.uint8).reshape(1, 6, 1, 1)
    # outputs sample at 0, 2.5, 5 -> 0, 25, 50
    assert downsample_zoom(data, (2, 1, 1), "bilinear").ravel().tolist() == [0, 25, 50]


def test_unknown_modes_rejected() -> None:
    block = np.zeros((1, 2, 2, 2), np.uint8)
    with pytest.raises(ValueError):
        downsample_blocks(block, (2, 2, 2), "gaussian")
    with pytest.raises(ValueError):
        downsample_zoom(block, (2, 2, 2), "median")
    with pytest.raises(ValueError):
        downsample_blocks(np.zeros((1, 3, 2, 2), np.uint8), (2, 2, 2), "max")


def test_block_elements_order() -> None:
    data = np.arange(8).reshape(1, 2, 2, 2)
    order = [int(e.item()) for e in block_elements(data, (2, 2, 2))]
    # flat index = dx*4 + dy*2 + dz; order index dy + 2*dx + 4*dz
    assert order == [0, 2, 4, 6, 1, 3, 5, 7]


def test_upsample_repeat() -> None:
    data = np.array([[[1, 2]], [[3, 4]]], np.uint8)  # (x=2, y=1, z=2)
    up = upsample_repeat(data[np.newaxis], (2, 2, 1))
    assert up.shape == (1, 4, 2, 2)
    assert up[0, :, 0, 0].tolist() == [1, 1, 3, 3]
    assert up[0, 3, 1, :].tolist() == [3, 4]


# ------------------------------------------------------------------ invariants

factor_st = st.tuples(*(st.sampled_from([1, 2, 4]) for _ in range(3)))


@st.composite
def blocks_of(
    draw: Any, dtype: str, max_value: int
) -> tuple[Array, tuple[int, int, int]]:
    f = draw(factor_st)
    nblocks = draw(st.tuples(*(st.integers(1, 3) for _ in range(3))))
    c = draw(st.integers(1, 2))
    shape = (c, *(n * fa for n, fa in zip(nblocks, f)))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    return rng.integers(0, max_value, shape).astype(dtype), f


@settings(max_examples=60, deadline=None)
@given(blocks_of("uint32", 4))
def test_mode_matches_brute_force(case: tuple[Array, tuple[int, int, int]]) -> None:
    data, f = case
    np.testing.assert_array_equal(mode_blocks(data, f), brute_mode(data, f))


@settings(max_examples=30, deadline=None)
@given(blocks_of("uint64", 3))
def test_mode_sort_path_matches_brute_force(
    case: tuple[Array, tuple[int, int, int]],
) -> None:
    data, f = case
    old = kd.PAIRWISE_MODE_MAX
    kd.PAIRWISE_MODE_MAX = 1
    try:
        got = mode_blocks(data, f)
    finally:
        kd.PAIRWISE_MODE_MAX = old
    np.testing.assert_array_equal(got, brute_mode(data, f))


@settings(max_examples=60, deadline=None)
@given(
    st.one_of(
        blocks_of("uint8", 256),
        blocks_of("uint16", 65536),
        blocks_of("int16", 200),
        blocks_of("uint32", 2**32),
        blocks_of("float32", 1000),
    )
)
def test_median_matches_np_median(case: tuple[Array, tuple[int, int, int]]) -> None:
    data, f = case
    np.testing.assert_array_equal(median_blocks(data, f), np_median(data, f))


@settings(max_examples=40, deadline=None)
@given(
    factor_st,
    st.integers(0, 2**64 - 1),
    st.sampled_from(["median", "mode", "max", "min", "nearest", "bilinear", "bicubic"]),
)
def test_constant_volume_stays_constant(
    f: tuple[int, int, int], value: int, mode: str
) -> None:
    dtype = "uint64" if mode in kd.BLOCK_MODES else "uint16"
    if dtype == "uint16":
        value %= 2**16
    elif mode == "median":
        # like np.median (the reference), the mean of the middle values is taken in
        # float64, exact only below 2**53
        value %= 2**53
    data = np.full((1, 2 * f[0], 2 * f[1], 2 * f[2]), value, dtype)
    out = kd.downsample(data, f, mode)
    assert out.shape == (1, 2, 2, 2)
    assert (out == np.array(value, dtype)).all()


@settings(max_examples=40, deadline=None)
@given(factor_st, st.integers(0, 2**32 - 1))
def test_mode_of_single_label_block(f: tuple[int, int, int], label: int) -> None:
    data = np.full((1, *f), label, np.uint32)
    assert mode_blocks(data, f).item() == label


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 6), st.integers(0, 12), st.integers(0, 12))
def test_mirror_indices_is_np_pad_symmetric(
    length: int, before: int, after: int
) -> None:
    values = np.arange(10, 10 + length)
    padded = np.pad(values, (before, after), mode="symmetric")
    idx = mirror_indices(10 - before, 10 + length + after, 10, 10 + length)
    np.testing.assert_array_equal(idx, padded)


def test_mode_kernel_is_fast_on_uint64() -> None:
    rng = np.random.default_rng(1)
    data = rng.integers(0, 2**40, (1, 128, 128, 128), dtype=np.uint64)
    data[:, ::2] = data[:, 1::2]  # plenty of repeated labels
    started = time.perf_counter()
    mode_blocks(data, (2, 2, 2))
    assert time.perf_counter() - started < 2.0
