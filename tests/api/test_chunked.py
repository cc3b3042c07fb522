"""Chunk iteration of views: for_each_chunk, map_chunk, for_zipped_chunks,
content_is_equal, pickling of views and writes from worker processes."""

from __future__ import annotations

import json
import multiprocessing
import pickle
import subprocess
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import wkfn as wk
from wkfn.api.chunked import ChunkShapeError
from wkfn.api.view import MagView, View
from wkfn.geometry import BoundingBox

LAYER_BOX = BoundingBox((8, 0, 4), (80, 64, 48))


def _make(path: Path, data_format: str = "zarr3") -> tuple[wk.Dataset, MagView]:
    """A layer with shard 16³ (chunk 8, 2 chunks per shard) at mag 1 and mag 2.

    zarr (v2) has no shards: there the chunk is 16³.
    """
    ds = wk.Dataset(path, voxel_size=(1, 1, 1))
    layer = ds.add_layer("c", "color", data_format=data_format)
    layer.bounding_box = LAYER_BOX
    chunk, per_shard = (16, 1) if data_format == "zarr" else (8, 2)
    m1 = layer.add_mag(1, chunk_shape=chunk, chunks_per_shard=per_shard)
    layer.add_mag(2, chunk_shape=chunk, chunks_per_shard=per_shard)
    return ds, m1


def _box(view: View) -> tuple[tuple[int, ...], tuple[int, ...]]:
    b = view.bounding_box
    return (tuple(b.topleft), tuple(b.size))


# ---------------------------------------------------------- top-level worker funcs


def _fill_chunk(args: tuple[View, int]) -> None:
    """Write ``index + 1`` into the whole chunk."""
    view, index = args
    shape = view.bounding_box.in_mag(view.mag).size
    view.write(np.full(tuple(shape), index + 1, dtype=np.uint8))


def _chunk_box(view: View) -> BoundingBox:
    return view.bounding_box


def _slow_first_box(view: View) -> BoundingBox:
    """Earlier chunks finish later: completion order is the reverse of chunk order."""
    time.sleep(max(0.0, 0.2 - 0.02 * (view.bounding_box.topleft.z // 16)))
    return view.bounding_box


def _downsample_pair(args: tuple[View, View, int]) -> None:
    src, tgt, _ = args
    tgt.write(src.read()[:, ::2, ::2, ::2])


def _fail_on_third(args: tuple[View, int]) -> None:
    if args[1] == 2:
        raise KeyError("chunk 2 failed")


def _expected_fill(view: View, shape: tuple[int, int, int]) -> np.ndarray:
    """What ``_fill_chunk`` leaves in ``view`` with ``chunk_shape``."""
    out = np.zeros(tuple(view.bounding_box.size), dtype=np.uint8)
    origin = view.bounding_box.topleft
    for i, box in enumerate(view.bounding_box.chunk(shape, shape)):
        lo = box.topleft - origin
        hi = lo + box.size
        out[lo.x : hi.x, lo.y : hi.y, lo.z : hi.z] = i + 1
    return out


# ---------------------------------------------------------------- for_each_chunk


def test_for_each_chunk_default_is_one_shard_per_chunk(tmp_path: Path) -> None:
    ds, _ = _make(tmp_path / "ds")
    m2 = ds.get_layer("c").get_mag(2)
    got: list[tuple[Any, int, bool]] = []
    m2.for_each_chunk(lambda a: got.append((_box(a[0]), a[1], a[0].read_only)))
    expected = [
        (b.topleft.to_tuple(), b.size.to_tuple())
        for b in m2.bounding_box.chunk((32, 32, 32), (32, 32, 32))
    ]
    assert [g[0] for g in got] == expected
    assert [g[1] for g in got] == list(range(len(expected)))
    assert not any(g[2] for g in got)
    # 8..88 on a 32-grid: [8,32) [32,64) [64,88); y: 2; z 4..52: [4,32) [32,52)
    assert len(got) == 3 * 2 * 2
    assert sum(BoundingBox(*g[0]).volume() for g in got) == LAYER_BOX.volume()


def test_for_each_chunk_writes_inline(tmp_path: Path, data_format: str) -> None:
    _, m1 = _make(tmp_path / "ds", data_format)
    m1.for_each_chunk(_fill_chunk, chunk_shape=(32, 32, 16))
    expected = _expected_fill(m1, (32, 32, 16))
    assert expected.min() >= 1
    np.testing.assert_array_equal(m1.read()[0], expected)


def test_for_each_chunk_on_read_only_view_yields_read_only_chunks(
    tmp_path: Path,
) -> None:
    _, m1 = _make(tmp_path / "ds")
    ro = m1.get_view(read_only=True)
    got: list[View] = []
    ro.for_each_chunk(lambda a: got.append(a[0]), chunk_shape=(8, 8, 8))
    assert len(got) == len(list(LAYER_BOX.chunk((8, 8, 8), (8, 8, 8))))
    assert all(v.read_only for v in got)
    with pytest.raises(wk.ReadOnlyError):
        got[0].write(np.zeros((8, 8, 8), np.uint8))


@pytest.mark.parametrize(
    ("read_only", "shape"),
    [
        (False, (8, 8, 8)),  # a storage chunk, but not a whole shard
        (False, (16, 16, 24)),
        (True, (12, 8, 8)),  # not a multiple of the storage chunk
        (True, (0, 8, 8)),
        (False, (-16, 16, 16)),
    ],
)
def test_for_each_chunk_refuses_bad_chunk_shapes_before_any_work(
    tmp_path: Path, read_only: bool, shape: tuple[int, int, int]
) -> None:
    _, m1 = _make(tmp_path / "ds")
    view = m1.get_view(read_only=True) if read_only else m1
    calls: list[int] = []
    with pytest.raises(ChunkShapeError) as info:
        view.for_each_chunk(lambda a: calls.append(a[1]), chunk_shape=shape)
    assert calls == []
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, AssertionError)  # what the reference raises


def test_mag2_chunk_shape_rule_uses_the_mag(tmp_path: Path) -> None:
    ds, _ = _make(tmp_path / "ds")
    m2 = ds.get_layer("c").get_mag(2)
    with pytest.raises(ChunkShapeError, match="16"):
        m2.for_each_chunk(lambda a: None, chunk_shape=(16, 16, 16))  # needs 32
    seen: list[int] = []
    m2.get_view(read_only=True).for_each_chunk(
        lambda a: seen.append(a[1]), chunk_shape=(16, 16, 16)
    )
    assert len(seen) == len(list(m2.bounding_box.chunk(16, 16)))


def test_errors_in_chunks_propagate(tmp_path: Path) -> None:
    _, m1 = _make(tmp_path / "ds")
    with pytest.raises(KeyError, match="chunk 2"):
        m1.for_each_chunk(_fail_on_third)
    with ThreadPoolExecutor(2) as pool, pytest.raises(KeyError, match="chunk 2"):
        m1.for_each_chunk(_fail_on_third, executor=pool)


def test_progress_is_shown_only_with_a_description(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, m1 = _make(tmp_path / "ds")
    m1.for_each_chunk(lambda a: None)
    assert capsys.readouterr().err == ""
    n = len(list(LAYER_BOX.chunk(16, 16)))
    m1.for_each_chunk(lambda a: None, progress_desc="Filling")
    err = capsys.readouterr().err
    assert "Filling" in err
    assert f"{n}/{n}" in err


# ---------------------------------------------------------------- map_chunk


def test_map_chunk_returns_results_in_chunk_order(tmp_path: Path) -> None:
    _, m1 = _make(tmp_path / "ds")
    expected = list(LAYER_BOX.chunk((80, 64, 16), (80, 64, 16)))
    ro = m1.get_view(read_only=True)
    assert ro.map_chunk(_chunk_box, chunk_shape=(80, 64, 16)) == expected
    with ThreadPoolExecutor(4) as pool:
        got = ro.map_chunk(_slow_first_box, chunk_shape=(80, 64, 16), executor=pool)
    assert got == expected


def test_map_chunk_reads_data(tmp_path: Path) -> None:
    _, m1 = _make(tmp_path / "ds")
    data = np.random.default_rng(3).integers(0, 200, (80, 64, 48), dtype=np.uint8)
    m1.write(data, absolute_offset=(8, 0, 4))
    sums = m1.map_chunk(lambda v: int(v.read().sum(dtype=np.int64)))
    assert len(sums) == len(list(LAYER_BOX.chunk(16, 16)))
    assert sum(sums) == int(data.sum(dtype=np.int64))


# ---------------------------------------------------------------- for_zipped_chunks


def test_for_zipped_chunks_downsamples_into_mag2(tmp_path: Path) -> None:
    ds, m1 = _make(tmp_path / "ds")
    m2 = ds.get_layer("c").get_mag(2)
    data = np.random.default_rng(5).integers(0, 255, (80, 64, 48), dtype=np.uint8)
    m1.write(data, absolute_offset=(8, 0, 4))
    seen: list[tuple[Any, Any, int]] = []

    def record_and_downsample(args: tuple[View, View, int]) -> None:
        seen.append((_box(args[0]), _box(args[1]), args[2]))
        _downsample_pair(args)

    m1.for_zipped_chunks(record_and_downsample, m2)
    # default: pairmax of shard extents (16 at mag 1, 32 at mag 2) = 32 for both
    assert [s[0] for s in seen] == [s[1] for s in seen]
    assert [s[0] for s in seen] == [
        (b.topleft.to_tuple(), b.size.to_tuple())
        for b in LAYER_BOX.chunk((32, 32, 32), (32, 32, 32))
    ]
    assert [s[2] for s in seen] == list(range(len(seen)))
    np.testing.assert_array_equal(m2.read()[0], data[::2, ::2, ::2])


def test_for_zipped_chunks_with_explicit_shapes_and_ratio(tmp_path: Path) -> None:
    ds = wk.Dataset(tmp_path / "ds", voxel_size=(1, 1, 1))
    layer = ds.add_layer("c", "color")
    layer.bounding_box = BoundingBox((0, 0, 0), (64, 64, 64))
    m1 = layer.add_mag(1, chunk_shape=8, chunks_per_shard=2)
    half = m1.get_view(absolute_offset=(0, 0, 0), size=(64, 64, 32))
    pairs: list[tuple[Any, Any]] = []
    m1.for_zipped_chunks(
        lambda a: pairs.append((_box(a[0]), _box(a[1]))),
        half,
        source_chunk_shape=(32, 32, 32),
        target_chunk_shape=(32, 32, 16),
    )
    assert len(pairs) == 8
    assert pairs[1] == (((0, 0, 32), (32, 32, 32)), ((0, 0, 16), (32, 32, 16)))
    with pytest.raises(ChunkShapeError, match="ratio"):
        m1.for_zipped_chunks(
            lambda a: None,
            half,
            source_chunk_shape=(32, 32, 32),
            target_chunk_shape=(32, 32, 32),
        )


def test_for_zipped_chunks_argument_errors(tmp_path: Path) -> None:
    ds, m1 = _make(tmp_path / "ds")
    m2 = ds.get_layer("c").get_mag(2)
    calls: list[int] = []
    with pytest.raises(ChunkShapeError, match="both"):
        m1.for_zipped_chunks(
            lambda a: calls.append(a[2]), m2, source_chunk_shape=(32, 32, 32)
        )
    with pytest.raises(ChunkShapeError, match="both"):
        m1.for_zipped_chunks(
            lambda a: calls.append(a[2]), m2, target_chunk_shape=(32, 32, 32)
        )
    with pytest.raises(ChunkShapeError, match="target_chunk_shape"):
        m1.for_zipped_chunks(  # mag 2 shard extent is 32: 16 is not a multiple
            lambda a: calls.append(a[2]),
            m2,
            source_chunk_shape=(16, 16, 16),
            target_chunk_shape=(16, 16, 16),
        )
    assert calls == []


def test_for_zipped_chunks_with_an_empty_view_is_a_no_op(tmp_path: Path) -> None:
    ds, m1 = _make(tmp_path / "ds")
    empty = ds.add_layer("e", "color").add_mag(1)
    assert empty.bounding_box.is_empty()
    calls: list[int] = []
    m1.for_zipped_chunks(lambda a: calls.append(a[2]), empty)
    empty.for_zipped_chunks(lambda a: calls.append(a[2]), m1)
    assert calls == []


# ---------------------------------------------------------------- content_is_equal


def test_content_is_equal(tmp_path: Path) -> None:
    ds, m1 = _make(tmp_path / "ds")
    data = np.random.default_rng(7).integers(1, 255, (80, 64, 48), dtype=np.uint8)
    m1.write(data, absolute_offset=(8, 0, 4))
    other = ds.add_layer("d", "color")
    other.bounding_box = BoundingBox((32, 16, 0), (80, 64, 48))  # elsewhere
    o1 = other.add_mag(1, chunk_shape=8, chunks_per_shard=4)  # other shards
    o1.write(data, absolute_offset=(32, 16, 0))
    assert m1.content_is_equal(o1)
    assert o1.content_is_equal(m1, chunk_shape=(8, 16, 24))
    with ThreadPoolExecutor(2) as pool:
        assert m1.content_is_equal(o1, executor=pool)
    changed = data.copy()
    changed[79, 63, 47] ^= 1
    o1.write(changed, absolute_offset=(32, 16, 0))
    assert not m1.content_is_equal(o1)
    with ThreadPoolExecutor(2) as pool:
        assert not m1.content_is_equal(o1, executor=pool)
    # different size → False without reading
    part = m1.get_view(absolute_offset=(8, 0, 4), size=(16, 16, 16))
    assert not m1.content_is_equal(part)
    assert part.content_is_equal(
        o1.get_view(absolute_offset=(32, 16, 0), size=(16, 16, 16))
    )
    with pytest.raises(ChunkShapeError):
        m1.content_is_equal(o1, chunk_shape=(4, 8, 8))


# ---------------------------------------------------------------- pickling


def test_views_pickle_round_trip(tmp_path: Path) -> None:
    _, m1 = _make(tmp_path / "ds")
    data = np.arange(80 * 64 * 48, dtype=np.uint32).reshape(80, 64, 48) % 251
    m1.write(data.astype(np.uint8), absolute_offset=(8, 0, 4))
    sub = m1.get_view(absolute_offset=(16, 16, 4), size=(32, 16, 16), read_only=True)
    for view in (m1, sub):
        copy = pickle.loads(pickle.dumps(view))
        assert type(copy) is type(view)
        assert copy.bounding_box == view.bounding_box
        assert copy.mag == view.mag
        assert copy.read_only == view.read_only
        np.testing.assert_array_equal(copy.read(), view.read())
    # a write through an unpickled view lands on disk
    copy = pickle.loads(
        pickle.dumps(m1.get_view(absolute_offset=(16, 0, 16), size=(16, 16, 16)))
    )
    copy.write(np.full((16, 16, 16), 9, np.uint8))
    assert (m1.read(absolute_offset=(16, 0, 16), size=(16, 16, 16)) == 9).all()


def test_dataset_pickle_drops_executor_and_refuses_dry_run(tmp_path: Path) -> None:
    ds, m1 = _make(tmp_path / "ds")
    with ThreadPoolExecutor(1) as pool:
        ds.executor = pool
        copy = pickle.loads(pickle.dumps(m1))
        assert copy.layer.dataset.executor is None
        assert ds.executor is pool
    ds.executor = None
    with ds.dry_run(), pytest.raises(TypeError, match="dry_run"):
        pickle.dumps(m1)


def test_executor_inside_transaction_runs_inline_and_records(tmp_path: Path) -> None:
    ds, m1 = _make(tmp_path / "ds")
    with ThreadPoolExecutor(2) as pool, ds.dry_run() as rec:
        with pytest.warns(UserWarning, match="inline"):
            m1.for_each_chunk(_fill_chunk, chunk_shape=(32, 32, 16), executor=pool)
        assert rec.changes  # recorded, not written
    assert not m1.read().any()
    rec.apply()
    np.testing.assert_array_equal(m1.read()[0], _expected_fill(m1, (32, 32, 16)))


# ---------------------------------------------------------------- other processes


def _check_parallel_fill(ds_path: Path, executor: Any) -> None:
    ds, m1 = _make(ds_path)
    props = ds_path / "datasource-properties.json"
    before = props.read_bytes()
    assert not m1.read().any()  # the parent has read (and cached) the empty state
    shape = (32, 32, 16)
    m1.for_each_chunk(_fill_chunk, chunk_shape=shape, executor=executor)
    expected = _expected_fill(m1, shape)
    np.testing.assert_array_equal(m1.read()[0], expected)
    # the workers wrote voxels only: the properties are untouched and valid
    assert props.read_bytes() == before
    json.loads(before)
    reopened = wk.Dataset.open(ds_path)
    assert reopened.get_layer("c").bounding_box == LAYER_BOX
    np.testing.assert_array_equal(
        reopened.get_layer("c").get_mag(1).read()[0], expected
    )
    # zipped writes into mag 2 from the workers
    m2 = ds.get_layer("c").get_mag(2)
    m1.for_zipped_chunks(_downsample_pair, m2, executor=executor)
    np.testing.assert_array_equal(m2.read()[0], expected[::2, ::2, ::2])
    assert props.read_bytes() == before
    ro = m1.get_view(read_only=True)
    assert ro.map_chunk(_chunk_box, executor=executor) == list(LAYER_BOX.chunk(16, 16))
    assert m1.content_is_equal(reopened.get_layer("c").get_mag(1), executor=executor)


@pytest.mark.parametrize("data_format", ["zarr3", "zarr", "wkw"])
def test_for_each_chunk_in_spawned_processes(tmp_path: Path, data_format: str) -> None:
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(2, mp_context=ctx) as pool:
        _check_parallel_fill_fmt(tmp_path / "ds", pool, data_format)


def _check_parallel_fill_fmt(path: Path, executor: Any, data_format: str) -> None:
    if data_format == "zarr3":
        _check_parallel_fill(path, executor)
        return
    _, m1 = _make(path, data_format)
    m1.for_each_chunk(_fill_chunk, chunk_shape=(16, 32, 16), executor=executor)
    np.testing.assert_array_equal(m1.read()[0], _expected_fill(m1, (16, 32, 16)))


def test_for_each_chunk_on_dask_local_cluster(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with (
            distributed.LocalCluster(
                n_workers=2,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
            ) as cluster,
            distributed.Client(cluster) as client,
        ):
            executor = client.get_executor()
            _check_parallel_fill(tmp_path / "ds", executor)
            # the same call twice (data changed in between) is recomputed
            ds = wk.Dataset.open(tmp_path / "ds")
            m1 = ds.get_layer("c").get_mag(1)
            twin = ds.add_layer_like(ds.get_layer("c"), "twin")
            t1 = twin.add_mag(1, chunk_shape=8, chunks_per_shard=2)
            t1.write(m1.read(), absolute_offset=(8, 0, 4))
            assert m1.content_is_equal(t1, executor=executor)
            t1.write(np.zeros((16, 16, 16), np.uint8), absolute_offset=(16, 0, 16))
            assert not m1.content_is_equal(t1, executor=executor)


# ---------------------------------------------------------------- reference


_REFERENCE_SCRIPT = """
import json, sys, tempfile

def run(wk, path):
    ds = wk.Dataset(path, voxel_size=(1, 1, 1))
    layer = ds.add_layer("c", "color", data_format="zarr3")
    layer.bounding_box = wk.BoundingBox((8, 0, 4), (80, 64, 48))
    m1 = layer.add_mag(1, chunk_shape=8, chunks_per_shard=2)
    m2 = layer.add_mag(2, chunk_shape=8, chunks_per_shard=2)
    m4 = layer.add_mag(4, chunk_shape=8, chunks_per_shard=(2, 2, 1))
    out = {}

    def dump(b):
        return [list(b.topleft), list(b.size)]

    def collect(key, view, **kw):
        got = []
        view.for_each_chunk(
            lambda a: got.append([dump(a[0].bounding_box), a[1], a[0].read_only]),
            **kw,
        )
        out[key] = got

    def zipped(key, src, tgt, **kw):
        got = []
        src.for_zipped_chunks(
            lambda a: got.append(
                [dump(a[0].bounding_box), dump(a[1].bounding_box), a[2]]
            ),
            tgt,
            **kw,
        )
        out[key] = got

    collect("m1_default", m1)
    collect("m2_default", m2)
    collect("m4_default", m4)
    collect("m2_64", m2, chunk_shape=(64, 64, 64))
    collect("m2_ro_16", m2.get_view(read_only=True), chunk_shape=(16, 16, 16))
    collect("m4_ro_32", m4.get_view(read_only=True), chunk_shape=(32, 32, 32))
    collect("m1_sub", m1.get_view(absolute_offset=(24, 16, 8), size=(48, 32, 32)))
    zipped("zip_default", m1, m2)
    zipped("zip_m4", m1, m4, source_chunk_shape=(64, 64, 64),
           target_chunk_shape=(64, 64, 64))
    zipped("zip_ratio", m1, m1.get_view(absolute_offset=(8, 0, 4),
                                         size=(80, 64, 24)),
           source_chunk_shape=(32, 32, 32), target_chunk_shape=(32, 32, 16))
    try:
        m1.for_each_chunk(lambda a: None, chunk_shape=(8, 8, 8))
        out["bad_shape"] = "no error"
    except AssertionError:
        out["bad_shape"] = "AssertionError"
    return out

if __name__ == "__main__":
    import webknossos as wk
    print(json.dumps(run(wk, tempfile.mkdtemp() + "/ds")))
"""


@pytest.mark.reference
def test_chunk_boxes_match_the_reference(tmp_path: Path, ref_python: str) -> None:
    python = ref_python
    script = tmp_path / "ref_chunks.py"
    script.write_text(_REFERENCE_SCRIPT)
    proc = subprocess.run(
        [python, str(script)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    expected = json.loads(proc.stdout.strip().splitlines()[-1])
    namespace: dict[str, Any] = {"__name__": "wkfn_chunks"}
    exec(compile(_REFERENCE_SCRIPT, str(script), "exec"), namespace)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = json.loads(json.dumps(namespace["run"](wk, str(tmp_path / "wkfn_ds"))))
    assert set(got) == set(expected)
    for key in expected:
        assert got[key] == expected[key], key
    assert expected["bad_shape"] == "AssertionError"
    assert len(expected["m1_default"]) > 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))
