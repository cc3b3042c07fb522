"""Mags referenced from another dataset are read-only here: no write, resize or
overwrite through the referencing dataset may change the other dataset's files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import wkfn as wk
from wkfn.errors import ReadOnlyError


@pytest.fixture
def pair(tmp_path: Path) -> tuple[wk.Dataset, wk.Dataset]:
    a = wk.Dataset(tmp_path / "A", voxel_size=(1, 1, 1))
    a.add_layer("c", "color").add_mag(1).write(
        np.ones((1, 64, 64, 32), np.uint8), allow_resize=True
    )
    b = wk.Dataset(tmp_path / "B", voxel_size=(1, 1, 1))
    b.add_layer_as_ref(a.get_layer("c"))
    return a, b


def test_writes_through_a_reference_are_refused(
    pair: tuple[wk.Dataset, wk.Dataset],
) -> None:
    a, b = pair
    mag = b.get_layer("c").get_mag(1)
    assert (
        mag.read_only
        and mag.get_view(absolute_offset=(0, 0, 0), size=(32, 32, 32)).read_only
    )
    with pytest.raises(ReadOnlyError):
        mag.write(np.zeros((1, 32, 32, 32), np.uint8), absolute_offset=(0, 0, 0))
    with pytest.raises(RuntimeError):  # the reference raises RuntimeError too
        mag.write(
            np.zeros((1, 32, 32, 32), np.uint8),
            absolute_offset=(64, 0, 0),
            allow_resize=True,
        )
    assert a.get_layer("c").get_mag(1).read().min() == 1
    assert b.get_layer("c").get_mag(1).read().min() == 1


def test_pure_planner_refuses_foreign_mags(
    pair: tuple[wk.Dataset, wk.Dataset],
) -> None:
    from wkfn.plan.ops import PayloadRef
    from wkfn.transform.data import write_region

    _, b = pair
    with pytest.raises(ReadOnlyError, match="belong to another dataset"):
        write_region(
            b.spec,
            "c",
            (1, 1, 1),
            offset=(0, 0, 0),
            size=(32, 32, 32),
            payload=PayloadRef(key="k", dtype="uint8", shape=(1, 32, 32, 32)),
        )


def test_downsample_reads_the_reference_and_writes_locally(
    pair: tuple[wk.Dataset, wk.Dataset], tmp_path: Path
) -> None:
    a, b = pair
    layer = b.get_layer("c")
    layer.downsample(coarsest_mag=2)
    assert (tmp_path / "B" / "c" / "2").exists()
    assert not (tmp_path / "A" / "c" / "2").exists()
    assert layer.get_mag(2).read().min() == 1
    assert not layer.get_mag(2).read_only
    assert a.get_layer("c").get_mag(1).read().min() == 1


def test_downsample_never_overwrites_a_referenced_mag(
    pair: tuple[wk.Dataset, wk.Dataset], tmp_path: Path
) -> None:
    a, _ = pair
    a.get_layer("c").downsample(coarsest_mag=2)
    before = a.get_layer("c").get_mag(2).read()
    c = wk.Dataset(tmp_path / "C", voxel_size=(1, 1, 1))
    layer = c.add_layer_as_ref(a.get_layer("c"))
    with pytest.raises(ReadOnlyError, match="belong to another dataset"):
        layer.downsample_mag(
            from_mag=wk.Mag(1), target_mag=wk.Mag(2), allow_overwrite=True
        )
    assert np.array_equal(a.get_layer("c").get_mag(2).read(), before)


def test_symlinked_layers_are_read_only_like_the_reference(tmp_path: Path) -> None:
    """The reference marks a symlinked layer's mags read-only as well."""
    a = wk.Dataset(tmp_path / "A", voxel_size=(1, 1, 1))
    a.add_layer("c", "color").add_mag(1).write(
        np.ones((1, 32, 32, 32), np.uint8), allow_resize=True
    )
    b = wk.Dataset(tmp_path / "B", voxel_size=(1, 1, 1))
    with pytest.warns(DeprecationWarning):
        layer = b.add_symlink_layer(a.get_layer("c"))
    assert layer.get_mag(1).read_only
    with pytest.raises(RuntimeError):
        layer.get_mag(1).write(np.zeros((1, 32, 32, 32), np.uint8))
    assert a.get_layer("c").get_mag(1).read().min() == 1
