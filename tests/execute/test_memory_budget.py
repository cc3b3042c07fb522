"""The in-flight memory bound of an execution (``WKFN_MEMORY_LIMIT``)."""

from __future__ import annotations

import threading
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import wkfn as wk
from wkfn.errors import InvalidArgumentError
from wkfn.execute.inline import InlineExecutor
from wkfn.execute.memory_budget import (
    DEFAULT_MEMORY_LIMIT,
    MEMORY_LIMIT_ENV,
    in_flight_window,
    memory_limit,
    parse_size,
)
from wkfn.plan.ops import DownsampleRegion


def test_sizes_parse_with_units() -> None:
    assert parse_size("1000") == 1000
    assert parse_size("512M") == 512 * 1000**2
    assert parse_size("512MiB") == 512 * 1024**2
    assert parse_size(" 2 GiB ") == 2 * 1024**3
    assert parse_size("1.5g") == 1_500_000_000
    assert parse_size("none") is None


@pytest.mark.parametrize("bad", ["", "-1G", "0", "12 parsecs", "G", "1e9"])
def test_bad_sizes_name_the_value(bad: str) -> None:
    with pytest.raises(InvalidArgumentError, match=MEMORY_LIMIT_ENV):
        parse_size(bad)


def test_limit_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(MEMORY_LIMIT_ENV, raising=False)
    assert memory_limit() == DEFAULT_MEMORY_LIMIT
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "300MiB")
    assert memory_limit() == 300 * 1024**2
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "none")
    assert memory_limit() is None


@settings(max_examples=200, deadline=None)
@given(
    costs=st.lists(st.integers(0, 1000), max_size=40),
    limit=st.one_of(st.none(), st.integers(1, 3000)),
)
def test_window_keeps_order_and_bound(costs: list[int], limit: int | None) -> None:
    held: list[int] = []
    peak = 0
    order: list[int] = []

    def submit(i: int) -> Future[Any]:
        nonlocal peak
        held.append(costs[i])
        fut: Future[Any] = Future()
        fut.set_result(i)
        if len(held) > 1 and limit is not None:
            peak = max(peak, sum(held))
        return fut

    for i, fut in in_flight_window(range(len(costs)), submit, costs.__getitem__, limit):
        assert fut.result() == i
        order.append(i)
        held.remove(costs[i])
    assert order == list(range(len(costs)))
    if limit is not None:
        assert peak <= limit  # only a single task may exceed the limit
    if limit is None and costs:
        assert not held


def test_window_bounds_running_tasks_on_threads() -> None:
    """With a limit of 2.5 tasks, never more than 2 run at once on 4 threads."""
    running = 0
    most = 0
    lock = threading.Lock()
    gate = threading.Event()

    def task(i: int) -> int:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        gate.wait(0.02)
        with lock:
            running -= 1
        return i

    with ThreadPoolExecutor(4) as pool:
        results = [
            fut.result()
            for _, fut in in_flight_window(
                range(12), lambda i: pool.submit(task, i), lambda _i: 100, 250
            )
        ]
    assert results == list(range(12))
    assert most <= 2


class _Counting(Executor):
    """A thread pool that records how many downsample ops ran at the same time."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(4)
        self._lock = threading.Lock()
        self.running = 0
        self.most = 0
        self.count = 0

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        if not any(isinstance(a, DownsampleRegion) for a in args):
            return self._pool.submit(fn, *args, **kwargs)

        def counted() -> Any:
            with self._lock:
                self.running += 1
                self.count += 1
                self.most = max(self.most, self.running)
            try:
                return fn(*args, **kwargs)
            finally:
                with self._lock:
                    self.running -= 1

        return self._pool.submit(counted)

    def shutdown(self, wait: bool = True, **kwargs: Any) -> None:
        self._pool.shutdown(wait=wait)


def _pyramid(tmp_path: Path, name: str, executor: Executor | None) -> list[Any]:
    rng = np.random.default_rng(5)
    data = rng.integers(0, 255, (96, 96, 64), dtype=np.uint8)
    ds = wk.Dataset(tmp_path / name, voxel_size=(1, 1, 1))
    layer = ds.add_layer("color", wk.COLOR_CATEGORY, dtype_per_channel="uint8")
    mag = layer.add_mag(1, chunk_shape=16, shard_shape=32)
    mag.write(data, absolute_offset=(0, 0, 0), allow_resize=True)
    layer.downsample(
        coarsest_mag=wk.Mag(4),
        sampling_mode="isotropic",
        shard_shape=32,
        chunk_shape=16,
        executor=executor,
    )
    return [layer.get_mag(m).read() for m in (2, 4)]


def test_downsample_under_a_tiny_limit_runs_one_op_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = _pyramid(tmp_path, "free", InlineExecutor())
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "1KiB")  # below every op's estimate
    pool = _Counting()
    try:
        got = _pyramid(tmp_path, "bounded", pool)
    finally:
        pool.shutdown()
    assert pool.count > 4  # the pyramid is several ops per mag...
    assert pool.most == 1  # ...that ran one after the other
    for a, b in zip(expected, got):
        np.testing.assert_array_equal(a, b)


def test_without_a_limit_the_same_ops_overlap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The control of the test above: the counting pool does see overlap."""
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "none")
    pool = _Counting()
    try:
        _pyramid(tmp_path, "free", pool)
    finally:
        pool.shutdown()
    assert pool.most > 1
