"""Shard locks: shards map to lock bytes; a lock dies with the process holding it."""

from __future__ import annotations

import doctest
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from wkfn.storage import shard_locks

ROOT = str(Path(__file__).resolve().parents[2])


def test_doctests() -> None:
    assert doctest.testmod(shard_locks).failed == 0


small = st.integers(0, 40)
edge = st.integers(1, 16)


@given(st.tuples(small, small, small), st.tuples(small, small, small), edge)
def test_shards_of_boxes_matches_brute_force(
    offset: tuple[int, int, int], size: tuple[int, int, int], shard: int
) -> None:
    got = shard_locks.shards_of_boxes([(offset, size)], (shard, shard, shard))
    want = {
        (x // shard, y // shard, z // shard)
        for x in range(offset[0], offset[0] + size[0])
        for y in range(offset[1], offset[1] + size[1])
        for z in range(offset[2], offset[2] + size[2])
    }
    assert got == want


@given(st.tuples(small, small, small), st.tuples(small, small, small))
def test_lock_bytes_are_distinct_and_never_the_metadata_byte(
    a: tuple[int, int, int], b: tuple[int, int, int]
) -> None:
    assert shard_locks.lock_byte(a) >= 1
    assert (shard_locks.lock_byte(a) == shard_locks.lock_byte(b)) == (a == b)


HOLDER = """
import sys, time
from wkfn.storage import shard_locks
with shard_locks.hold(sys.argv[1], [(0, 0, 0)]):
    print("held", flush=True)
    time.sleep(600)
"""


def test_a_killed_holder_releases_its_lock(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": ROOT}
    env.pop("WKFN_FILE_LOCKING", None)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "held"
    acquired = threading.Event()

    def take() -> None:
        with shard_locks.hold(str(tmp_path), [(0, 0, 0), (1, 0, 0)]):
            acquired.set()

    waiter = threading.Thread(target=take, daemon=True)
    waiter.start()
    assert not acquired.wait(0.5)  # blocked behind the live holder
    with shard_locks.hold(str(tmp_path), [(1, 0, 0)]):  # other shards are free
        pass
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait(timeout=60)
    assert acquired.wait(60)  # the OS released the dead holder's lock
    waiter.join(60)
    assert os.listdir(tmp_path) == []  # the dataset holds no lock files
    assert os.path.getsize(shard_locks.anchor_path(str(tmp_path))) == 0
