"""A writer process for the concurrency tests: one of N independent processes.

``python writer_script.py DATASET P N REGIONS [DELAY]`` writes the regions
``k % N == P`` (of ``REGIONS``, see :func:`region`) with ``allow_unaligned=True``,
value ``k % 250 + 1``, printing ``k`` after each write so a test can kill it mid-way.
``P = -1`` rewrites every region (the "later writer").
"""

from __future__ import annotations

import sys
import time

import numpy as np

EDGE = 15
GRID = (10, 10, 8)


def region(k: int) -> tuple[int, int, int]:
    """Offset of region ``k``: unaligned 15³ boxes on a (10, 10, 8) grid."""
    gx, gy, _ = GRID
    i, j, z = k % gx, (k // gx) % gy, k // (gx * gy)
    return (3 + i * EDGE, 5 + j * EDGE, 7 + z * EDGE)


def value(k: int) -> int:
    """The voxel value region ``k`` holds once written."""
    return k % 250 + 1


def main() -> None:
    path, p, n, total = (
        sys.argv[1],
        int(sys.argv[2]),
        int(sys.argv[3]),
        int(sys.argv[4]),
    )
    delay = float(sys.argv[5]) if len(sys.argv) > 5 else 0.0
    import wkfn as wk

    mag = wk.Dataset.open(path).get_layer("color").get_mag(1)
    mine = [k for k in range(total) if p < 0 or k % n == p]
    np.random.default_rng(p + 1).shuffle(mine)
    for k in mine:
        block = np.full((EDGE, EDGE, EDGE), value(k), np.uint8)
        mag.write(block, absolute_offset=region(k), allow_unaligned=True)
        print(k, flush=True)
        if delay:
            time.sleep(delay)


if __name__ == "__main__":
    main()
