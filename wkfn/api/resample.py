"""Facade methods for multi-resolution pyramids (downsample / upsample).

Plain functions taking the layer (or dataset) first, bound as methods by ``Layer``
and ``Dataset``; each parses arguments, calls the pure planner in
``wkfn.transform.downsample`` and applies the plan through the session (or records it
inside ``Dataset.dry_run()``). Every check happens while planning, before anything is
written.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from concurrent.futures import Executor
from typing import TYPE_CHECKING, Any

from wkfn.api._parse import optional_vec3 as _vec
from wkfn.api.sampling_modes import SamplingModes
from wkfn.errors import (
    InvalidArgumentError,
    MagNotFoundError,
    SourceMagNotFoundError,
)
from wkfn.geometry import Mag
from wkfn.spec import lookup
from wkfn.spec.array import ArrayLayout
from wkfn.spec.names import mag_dir_name
from wkfn.transform import downsample as planner
from wkfn.transform.change import Change

if TYPE_CHECKING:
    from wkfn.api.dataset import Dataset
    from wkfn.api.layer import Layer
    from wkfn.api.view import MagView

Vec3 = tuple[int, int, int]


def _mag(value: object, name: str) -> Vec3:
    try:
        return Mag(value).to_tuple()  # type: ignore[arg-type]
    except InvalidArgumentError as exc:
        raise InvalidArgumentError(f"{name}: {exc}") from None


def _chain(start: Vec3, targets: Sequence[Vec3]) -> list[tuple[Vec3, Vec3]]:
    """Steps ``start -> t0 -> t1 -> ...``: each target is made from the one before."""
    return list(zip([start, *targets[:-1]], targets))


def _interpolation(mode: object, category: str) -> str:
    if not isinstance(mode, str):
        raise InvalidArgumentError(f"interpolation_mode must be a string, got {mode!r}")
    return planner.parse_interpolation_mode(mode, category)


def _sampling(mode: object) -> str:
    return SamplingModes.parse(mode).value  # type: ignore[arg-type]


def _existing_layouts(layer: Layer) -> dict[Vec3, ArrayLayout]:
    return layer.session.existing_layouts(layer.name)


def _align_mags(layer: Layer, align_with_other_layers: object) -> list[Vec3]:
    if align_with_other_layers is False or align_with_other_layers is None:
        return []
    spec: Any
    if align_with_other_layers is True:
        spec = layer.session.spec
    else:
        spec = getattr(align_with_other_layers, "spec", None)
        if spec is None:
            raise InvalidArgumentError(
                "align_with_other_layers must be a bool or a Dataset, got "
                f"{align_with_other_layers!r}"
            )
    return [m.mag for lay in spec.data_layers for m in lay.mags]


def _run_change(layer: Layer, change: Change, executor: Executor | None) -> None:
    layer.session.apply(change, executor=executor, pool="bulk")


def _from_mag(layer: Layer, from_mag: object, from_mag_view: MagView | None) -> Vec3:
    if from_mag_view is not None:
        from_mag = from_mag_view.mag
    if from_mag is None:
        mags = [Mag(m.mag) for m in layer.spec.mags]
        if not mags:
            raise MagNotFoundError(
                f"Failed to downsample data of layer {layer.name!r}: the layer "
                "has no mag to start from (add mag 1 first)"
            )
        return max(mags).to_tuple()
    parsed = _mag(from_mag, "from_mag")
    if not lookup.has_mag(layer.spec, parsed):
        raise SourceMagNotFoundError(
            f"Failed to downsample data. The from_mag ({mag_dir_name(parsed)}) "
            f"does not exist in layer {layer.name!r}"
        )
    return parsed


def _plan_steps(
    layer: Layer,
    steps: Sequence[tuple[Vec3, Vec3]],
    *,
    interpolation_mode: str,
    compress: object,
    buffer_shape: object,
    chunk_shape: object,
    shard_shape: object,
    allow_overwrite: bool,
    only_setup: bool,
) -> Change:
    layer.session.check_writable()
    return planner.plan_downsample(
        layer.session.spec,
        layer.name,
        steps,
        _existing_layouts(layer),
        interpolation=_interpolation(interpolation_mode, layer.category),
        compress=bool(compress),
        chunk_shape=_vec(chunk_shape, "chunk_shape"),
        shard_shape=_vec(shard_shape, "shard_shape"),
        buffer_shape=_vec(buffer_shape, "buffer_shape"),
        allow_overwrite=bool(allow_overwrite),
        only_setup=bool(only_setup),
    )


# ------------------------------------------------------------------ API
def downsample(
    layer: Layer,
    *,
    from_mag: object = None,
    coarsest_mag: object = None,
    interpolation_mode: str = "default",
    compress: bool = True,
    sampling_mode: str | SamplingModes = SamplingModes.ANISOTROPIC,
    align_with_other_layers: object = True,
    buffer_shape: object = None,
    chunk_shape: object = None,
    shard_shape: object = None,
    force_sampling_scheme: bool = False,
    allow_overwrite: bool = False,
    only_setup_mags: bool = False,
    from_mag_view: MagView | None = None,
    executor: Executor | None = None,
) -> None:
    """Compute coarser mags from ``from_mag`` (default: the coarsest existing).

    The ladder runs up to ``coarsest_mag`` (default
    ``max(2**ceil(log2(max(x, y) / 100)), 4)``); mags that already exist are
    kept (``from_mag`` defaults to the coarsest existing mag). A layer of depth 1
    is always downsampled with ``CONSTANT_Z``.

    Raises:
        ReadOnlyError: the dataset is read-only.
        MagNotFoundError: the layer has no mags, or ``from_mag`` is missing.
        InvalidArgumentError: unknown interpolation or sampling mode, a coarsest
            mag finer than ``from_mag``, mags that are not powers of two.
    """
    layer.session.check_writable()
    mode = _sampling(sampling_mode)
    interpolation = _interpolation(interpolation_mode, layer.category)
    start = _from_mag(layer, from_mag, from_mag_view)
    bbox = layer.bounding_box
    size = bbox.size.to_tuple()
    if size[2] == 1 and mode != SamplingModes.CONSTANT_Z.value:
        warnings.warn(
            "[INFO] The layer has a depth of 1: sampling mode CONSTANT_Z is used.",
            stacklevel=2,
        )
        mode = SamplingModes.CONSTANT_Z.value
    coarsest = (
        planner.default_coarsest_mag(size)
        if coarsest_mag is None
        else _mag(coarsest_mag, "coarsest_mag")
    )
    if any(s > c for s, c in zip(start, coarsest)) and coarsest_mag is not None:
        raise InvalidArgumentError(
            f"coarsest_mag {mag_dir_name(coarsest)} is finer than the mag "
            f"{mag_dir_name(start)} to downsample from"
        )
    if mode == "constant_z":
        coarsest = (coarsest[0], coarsest[1], start[2])
    if any(s > c for s, c in zip(start, coarsest)):
        return  # the default coarsest mag is already covered
    ladder = planner.sampling_ladder(
        start,
        coarsest,
        mode,
        layer.dataset.voxel_size,
        _align_mags(layer, align_with_other_layers),
    )
    _check_scheme(layer, start, ladder, force_sampling_scheme)
    steps = _chain(start, ladder)
    change = _plan_steps(
        layer,
        steps,
        interpolation_mode=interpolation,
        compress=compress,
        buffer_shape=buffer_shape,
        chunk_shape=chunk_shape,
        shard_shape=shard_shape,
        allow_overwrite=allow_overwrite,
        only_setup=only_setup_mags,
    )
    _run_change(layer, change, executor)


def _check_scheme(layer: Layer, start: Vec3, ladder: list[Vec3], force: bool) -> None:
    try:
        planner.check_distinct_max_dims([start, *ladder])
    except InvalidArgumentError:
        if not force:
            raise
        warnings.warn(
            "[WARNING] The sampling scheme creates mags with the same max_dim, "
            "which WEBKNOSSOS cannot display correctly.",
            stacklevel=3,
        )


def downsample_mag(
    layer: Layer,
    from_mag: object,
    target_mag: object,
    *,
    interpolation_mode: str = "default",
    compress: bool = True,
    buffer_shape: object = None,
    chunk_shape: object = None,
    shard_shape: object = None,
    allow_overwrite: bool = False,
    only_setup_mag: bool = False,
    from_mag_view: MagView | None = None,
    executor: Executor | None = None,
) -> None:
    """Compute ``target_mag`` from ``from_mag`` (one step, any power-of-two ratio).

    Raises:
        MagNotFoundError: ``from_mag`` does not exist.
        InvalidArgumentError: ``target_mag`` finer than ``from_mag`` on an axis,
            or existing without ``allow_overwrite``.
    """
    layer.session.check_writable()
    start = _from_mag(layer, from_mag, from_mag_view)
    target = _mag(target_mag, "target_mag")
    change = _plan_steps(
        layer,
        [(start, target)],
        interpolation_mode=interpolation_mode,
        compress=compress,
        buffer_shape=buffer_shape,
        chunk_shape=chunk_shape,
        shard_shape=shard_shape,
        allow_overwrite=allow_overwrite,
        only_setup=only_setup_mag,
    )
    _run_change(layer, change, executor)


def downsample_mag_list(
    layer: Layer,
    from_mag: object,
    target_mags: Sequence[object],
    *,
    interpolation_mode: str = "default",
    compress: bool = True,
    buffer_shape: object = None,
    chunk_shape: object = None,
    shard_shape: object = None,
    allow_overwrite: bool = False,
    only_setup_mags: bool = False,
    executor: Executor | None = None,
) -> None:
    """Compute each of ``target_mags`` from the previous one (the first from
    ``from_mag``); each target must be at least the previous one on every axis.
    """
    layer.session.check_writable()
    start = _from_mag(layer, from_mag, None)
    targets = [_mag(t, "target_mags") for t in target_mags]
    prev = start
    for t in targets:
        if any(p > q for p, q in zip(prev, t)):
            raise InvalidArgumentError(
                f"target mags must not get finer: {mag_dir_name(t)} follows "
                f"{mag_dir_name(prev)}"
            )
        prev = t
    steps = _chain(start, targets)
    change = _plan_steps(
        layer,
        steps,
        interpolation_mode=interpolation_mode,
        compress=compress,
        buffer_shape=buffer_shape,
        chunk_shape=chunk_shape,
        shard_shape=shard_shape,
        allow_overwrite=allow_overwrite,
        only_setup=only_setup_mags,
    )
    _run_change(layer, change, executor)


def redownsample(
    layer: Layer,
    *,
    interpolation_mode: str = "default",
    compress: bool = True,
    buffer_shape: object = None,
    chunk_shape: object = None,
    shard_shape: object = None,
    executor: Executor | None = None,
) -> None:
    """Recompute every mag from the finest one (existing arrays are rewritten)."""
    layer.session.check_writable()
    mags = sorted((Mag(m.mag) for m in layer.spec.mags), key=lambda m: m.max_dim)
    if not mags:
        raise MagNotFoundError(f"layer {layer.name!r} has no mags to recompute")
    finest, rest = mags[0].to_tuple(), [m.to_tuple() for m in mags[1:]]
    if not rest:
        return
    steps = _chain(finest, rest)
    change = _plan_steps(
        layer,
        steps,
        interpolation_mode=interpolation_mode,
        compress=compress,
        buffer_shape=buffer_shape,
        chunk_shape=chunk_shape,
        shard_shape=shard_shape,
        allow_overwrite=True,
        only_setup=False,
    )
    _run_change(layer, change, executor)


def upsample(
    layer: Layer,
    from_mag: object,
    *,
    from_mag_view: MagView | None = None,
    finest_mag: object = 1,
    compress: bool = True,
    sampling_mode: str | SamplingModes = SamplingModes.ANISOTROPIC,
    align_with_other_layers: object = True,
    buffer_shape: object = None,
    chunk_shape: object = None,
    shard_shape: object = None,
    executor: Executor | None = None,
) -> None:
    """Create the finer mags from ``from_mag`` down to ``finest_mag``.

    Voxels are replicated (nearest neighbour). ``buffer_shape`` is accepted for
    compatibility; wkfn bounds memory per op itself.

    Raises:
        MagNotFoundError: ``from_mag`` does not exist.
        InvalidArgumentError: a mag of the ladder exists already, or
            ``finest_mag`` is coarser than ``from_mag``.
    """
    layer.session.check_writable()
    mode = _sampling(sampling_mode)
    _vec(buffer_shape, "buffer_shape")
    if from_mag_view is not None:
        from_mag = from_mag_view.mag
    start = _mag(from_mag, "from_mag")
    if not lookup.has_mag(layer.spec, start):
        raise SourceMagNotFoundError(
            f"Failed to upsample data. The from_mag ({mag_dir_name(start)}) "
            f"does not exist in layer {layer.name!r}"
        )
    finest = _mag(finest_mag, "finest_mag")
    if any(f > s for f, s in zip(finest, start)):
        raise InvalidArgumentError(
            f"finest_mag {mag_dir_name(finest)} is coarser than from_mag "
            f"{mag_dir_name(start)}"
        )
    if finest == start:
        return
    ladder = planner.sampling_ladder(
        finest,
        start,
        mode,
        layer.dataset.voxel_size,
        _align_mags(layer, align_with_other_layers),
    )
    targets = [*list(reversed(ladder))[1:], finest]
    steps = _chain(start, targets)
    change = planner.plan_upsample(
        layer.session.spec,
        layer.name,
        steps,
        _existing_layouts(layer),
        compress=bool(compress),
        chunk_shape=_vec(chunk_shape, "chunk_shape"),
        shard_shape=_vec(shard_shape, "shard_shape"),
    )
    _run_change(layer, change, executor)


def downsample_dataset(
    ds: Dataset,
    *,
    sampling_mode: str | SamplingModes = SamplingModes.ANISOTROPIC,
    coarsest_mag: object = None,
    interpolation_mode: str = "default",
    compress: bool = True,
    executor: Executor | None = None,
) -> None:
    """Downsample every layer (see :meth:`Layer.downsample`)."""
    ds.session.check_writable()
    _sampling(sampling_mode)
    for layer in list(ds.layers.values()):
        _interpolation(interpolation_mode, layer.category)
    for layer in list(ds.layers.values()):
        layer.downsample(
            sampling_mode=sampling_mode,
            coarsest_mag=coarsest_mag,
            interpolation_mode=interpolation_mode,
            compress=compress,
            executor=executor,
        )


__all__ = [
    "SamplingModes",
    "downsample",
    "downsample_dataset",
    "downsample_mag",
    "downsample_mag_list",
    "redownsample",
    "upsample",
]
