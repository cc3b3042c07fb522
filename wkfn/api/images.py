"""Image imports: ``Dataset.from_images`` and ``Dataset.add_layer_from_images``.

The work is split the functional way: :mod:`wkfn.api._image_import` finds the input
files and reads their *headers* (``wkfn.images``), the pure planner
(``wkfn.transform.images``) decides layers, z order, target boxes and batches, and
the executor runs one ``ImportImages`` task per z-slab (reading the pixels) on any
executor. Every input problem is found before anything is written; a failing task
rolls its layer back. The functions take the dataset (class) first and are bound as
``Dataset`` methods.
"""

from __future__ import annotations

import os
import shutil
import warnings
from collections.abc import Callable
from concurrent.futures import Executor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wkfn.api import locations
from wkfn.api._image_import import (
    CaptureStats,
    ImportOptions,
    LayerJob,
    check_reader_options,
    frames_info,
    guess_category,
    is_frames,
    jobs_for,
    nothing_found,
    plan_jobs,
    resolve_images,
    typed_failure,
    walk_images,
)
from wkfn.api._image_resume import (
    ImportRecord,
    call_id,
    is_finished_import,
    killed_same_call,
    without_layers,
)
from wkfn.api._parse import parse_voxel_size
from wkfn.api.enums import DEFAULT_DATA_FORMAT
from wkfn.errors import (
    DatasetExistsError,
    ExecutionError,
    InvalidArgumentError,
    UnsupportedImageDataError,
    UnsupportedImageFormatError,
)
from wkfn.execute.image_tasks import combine_stats
from wkfn.images.readers import check_extension, read_header
from wkfn.spec.dataset import DatasetSpec
from wkfn.spec.names import validate_layer_name
from wkfn.storage.files import delete_path
from wkfn.storage.leftovers import REPAIR_HINT, dead_imports, dead_journals
from wkfn.transform import dataset as ds_transform
from wkfn.transform.change import Change, make_change
from wkfn.transform.images import (
    ConversionLayerMapping,
    ImageFileInfo,
    finalize_layer,
    group_files,
    layer_name_for,
)

if TYPE_CHECKING:
    from wkfn.api.dataset import Dataset
    from wkfn.api.layer import Layer


def _run_import(
    ds: Dataset,
    job: LayerJob,
    opts: ImportOptions,
    executor: Executor | None,
    frames: Any = None,
) -> None:
    """Plan one layer against the current spec, apply it, then finalize it.

    The import tasks run on a thread pool unless an executor is given or set; their
    statistics (value range, distinct values) decide the final category and
    ``largest_segment_id``. Inside a dry run only the import itself is recorded.
    """
    (change,) = plan_jobs(ds.spec, [job], opts)
    session = ds.session
    session.check_writable()
    if session.is_recording:
        session.apply(change)
        return
    captures: list[CaptureStats] = []

    def capture(inner: Executor) -> Executor:
        captures.append(CaptureStats(inner, frames))
        return captures[-1]

    before = session.spec

    def finish() -> Change:
        # the layer's final properties, written instead of the import's own:
        # a run killed before them lists nothing and is resumed by a re-run
        stats = combine_stats([r for c in captures for r in c.results])
        rng = None if stats.min is None or stats.max is None else (stats.min, stats.max)
        final = finalize_layer(
            change.spec,
            job.layer.name,
            category=guess_category(job, stats),
            value_range=rng,
            max_value=stats.max_int,
        )
        return make_change(before, final.spec, write_properties=True)

    session.forget_layouts(job.layer.name)
    try:
        session.apply(
            change,
            executor=executor,
            pool="always",
            progress=True,
            wrap=capture,
            finish=finish,
        )
    except ExecutionError as exc:
        raise typed_failure(exc) from exc


def add_layer_from_images(
    ds: Dataset,
    images: Any,
    layer_name: str,
    category: str | None = "color",
    data_format: Any = DEFAULT_DATA_FORMAT,
    mag: Any = 1,
    chunk_shape: Any = None,
    chunks_per_shard: Any = None,
    compress: bool = True,
    *,
    shard_shape: Any = None,
    topleft: Any = (0, 0, 0),
    swap_xy: bool = False,
    flip_x: bool = False,
    flip_y: bool = False,
    flip_z: bool = False,
    dtype: Any = None,
    use_bioformats: bool | None = None,
    channel: int | None = None,
    timepoint: int | None = None,
    czi_channel: int | None = None,
    batch_size: int | None = None,
    allow_multiple_layers: bool = False,
    max_layers: int = 20,
    truncate_rgba_to_rgb: bool = True,
    executor: Executor | None = None,
    chunk_size: Any = None,
) -> Layer:
    """Create a layer (or several, one per channel) from images.

    ``images`` is a file, a directory (all images below it, natural order), a
    glob string, a list of paths or a ``pims.FramesSequence``. Returns the first
    added layer. See ``Dataset.from_images`` for the conventions; inside
    ``dry_run()`` only the image headers are read. After ``kill -9`` the same call
    resumes, also between two of its layers (:mod:`wkfn.api._image_resume`).

    Raises:
        UnsupportedImageFormatError: nothing readable, unknown extension, a
            format whose optional reader is missing, ``use_bioformats=True``.
        CorruptImageError: an image cannot be decoded (names the file).
        UnsupportedImageDataError: mixed shapes/dtypes, channels that fit no
            layer, too many layers, a dtype the category forbids.
        LeftoverError: a killed import of these layers with other arguments
            left its record (names it and ``wkfn check --repair``).
    """

    ds.session.check_writable()
    validate_layer_name(layer_name)
    if chunk_size is not None:
        warnings.warn(
            "chunk_size is deprecated, use chunk_shape",
            DeprecationWarning,
            stacklevel=2,
        )
        chunk_shape = chunk_shape if chunk_shape is not None else chunk_size
    del czi_channel  # only meaningful for CZI, which wkfn cannot read
    opts = ImportOptions(
        data_format=data_format,
        mag=mag,
        chunk_shape=chunk_shape,
        shard_shape=shard_shape,
        chunks_per_shard=chunks_per_shard,
        compress=compress,
        topleft=topleft,
        swap_xy=swap_xy,
        flip_x=flip_x,
        flip_y=flip_y,
        flip_z=flip_z,
        batch_size=batch_size,
    )
    frames = None
    if is_frames(images):
        if use_bioformats:
            check_reader_options(use_bioformats, [])
        frames = images
        infos = [frames_info(images)]
    else:
        paths = resolve_images(images)
        check_reader_options(use_bioformats, paths)
        infos = [read_header(p) for p in paths]
    jobs = jobs_for(
        infos,
        layer_name,
        category=category,
        dtype=dtype,
        channel=channel,
        timepoint=timepoint,
        allow_multiple_layers=allow_multiple_layers,
        max_layers=max_layers,
        truncate_rgba_to_rgb=truncate_rgba_to_rgb,
        cap=True,
    )
    names = [job.layer.name for job in jobs]
    root = ds.session.root
    record = None
    todo = jobs
    if len(jobs) > 1 and isinstance(root, Path) and not ds.session.is_recording:
        # killed between its layers, the same call imports the rest
        cid = call_id(plan_jobs(without_layers(ds.spec, names), jobs, opts))
        if killed_same_call(root, cid, names, creates_dataset=False):
            todo = [job for job in jobs if job.layer.name not in ds.layers]
        plan_jobs(ds.spec, todo, opts)  # validate every layer before writing
        record = ImportRecord(root, cid, names, creates=False)
    else:
        plan_jobs(ds.spec, jobs, opts)  # validate every layer before writing
    try:
        for job in todo:
            _run_import(ds, job, opts, executor, frames)
    except BaseException:
        if record is not None:  # kept if a layer of it is listed: resumable
            record.close(done=not any(name in ds.layers for name in names))
        raise
    if record is not None:
        record.close(done=True)
    return ds.get_layer(jobs[0].layer.name)


def _existing_target(
    cls: type[Dataset],
    out: Path,
    created: DatasetSpec,
    changes: list[Change],
    names: list[str],
) -> tuple[Dataset | None, bool]:
    """What ``from_images`` finds at an existing local ``out``: ``(dataset,
    False)`` left by a killed run of this call (its record is there: resume it),
    ``(dataset, True)`` if a finished run of it made the dataset, ``(None,
    False)`` if no dataset is there (creating it then raises).

    Listed layers of a killed run were imported completely (the properties are
    each layer's commit point); a half-imported layer resumes from its journal
    when :func:`_run_import` plans it again against the same spec.

    Raises:
        DatasetExistsError: a dataset of another name or voxel size is there, or
            a finished one this call would not produce.
        LeftoverError: a killed import with other arguments left it.
    """
    if not (out / "datasource-properties.json").exists():
        return None, False
    ds = cls.open(out)
    killed = bool(dead_imports(out) or dead_journals(out))
    if killed and (ds.spec.id.name, ds.spec.scale) != (created.id.name, created.scale):
        raise DatasetExistsError(
            f"cannot import into {out}: a killed run left a dataset there with "
            f"another name or voxel size ({ds.spec.id.name!r}, "
            f"{ds.spec.scale.factor} {ds.spec.scale.unit}); run the killed call "
            f"again with its arguments, or remove it (`{REPAIR_HINT} {out}` "
            "removes only the leftovers)"
        )
    if killed_same_call(out, call_id(changes), names, creates_dataset=True):
        return ds, False
    if not killed and is_finished_import(ds, changes):
        return ds, True  # a finished script run again
    leftovers = f" and a killed run left files there (`{REPAIR_HINT} {out}`)"
    raise DatasetExistsError(
        f"cannot import into {out}: a dataset exists there{leftovers if killed else ''}"
        " and it differs from what this import would produce"
    )


def from_images(
    cls: type[Dataset],
    input_path: str | os.PathLike[str],
    output_path: str | os.PathLike[str],
    voxel_size: tuple[float, float, float] | None = None,
    name: str | None = None,
    *,
    map_filepath_to_layer_name: ConversionLayerMapping
    | Callable[[Path], str] = ConversionLayerMapping.INSPECT_SINGLE_FILE,
    z_slices_sort_key: Callable[[Path], Any] | None = None,
    voxel_size_with_unit: Any = None,
    layer_name: str | None = None,
    layer_category: str | None = None,
    data_format: Any = DEFAULT_DATA_FORMAT,
    chunk_shape: Any = None,
    shard_shape: Any = None,
    chunks_per_shard: Any = None,
    compress: bool = True,
    swap_xy: bool = False,
    flip_x: bool = False,
    flip_y: bool = False,
    flip_z: bool = False,
    use_bioformats: bool | None = None,
    max_layers: int = 20,
    batch_size: int | None = None,
    executor: Executor | None = None,
) -> Dataset:
    """Import a folder (or a file) of images as a new dataset.

    Files are grouped into layers by ``map_filepath_to_layer_name`` (a
    :class:`ConversionLayerMapping` or a callable taking the file's path relative
    to the input and returning a layer name); the files of a layer are sorted
    with ``z_slices_sort_key`` (natural order by default) and stacked along z.
    All headers are read and every layer is planned before the dataset is
    created, so bad input leaves nothing behind. After ``kill -9`` the same call
    resumes; run again after it finished, it returns the dataset it made
    (:mod:`wkfn.api._image_resume`).

    Raises:
        UnsupportedImageFormatError, CorruptImageError,
        UnsupportedImageDataError: see ``add_layer_from_images``.
        DatasetExistsError: a dataset this call would not produce is there.
        LeftoverError: a killed import with other arguments left the dataset
            there (names its record and ``wkfn check --repair``).
    """
    from natsort import natsort_keygen

    parsed = parse_voxel_size(voxel_size, voxel_size_with_unit, None)
    if parsed is None:
        raise InvalidArgumentError(
            "Please supply either voxel_size or voxel_size_with_unit."
        )
    src = os.path.abspath(os.fspath(input_path))
    if os.path.isfile(src):
        check_extension(src)
        root, rels = os.path.dirname(src), [os.path.basename(src)]
    elif os.path.isdir(src):
        files, seen = walk_images(src)
        if not files:
            raise nothing_found(src, seen)
        root = src
        rels = [os.path.relpath(f, src).replace(os.sep, "/") for f in files]
    else:
        raise UnsupportedImageFormatError("no such file or directory", path=src)
    check_reader_options(use_bioformats, rels)
    input_name = os.path.basename(root)
    headers: dict[str, ImageFileInfo] = {}

    def header(rel: str) -> ImageFileInfo:
        if rel not in headers:
            headers[rel] = read_header(os.path.join(root, rel))
        return headers[rel]

    strategy = map_filepath_to_layer_name
    if isinstance(strategy, ConversionLayerMapping):
        first_has_z = (
            strategy is ConversionLayerMapping.INSPECT_SINGLE_FILE
            and header(rels[0]).depth > 1
        )

        def name_of(rel: str) -> str:
            if strategy is ConversionLayerMapping.INSPECT_EVERY_FILE:
                has_z = header(rel).depth > 1
            else:
                has_z = first_has_z
            return layer_name_for(strategy, rel, input_name, has_z)

    elif callable(strategy):
        custom = strategy

        def name_of(rel: str) -> str:
            return str(custom(Path(rel)))

    else:
        raise InvalidArgumentError(
            "map_filepath_to_layer_name must be a ConversionLayerMapping or a "
            f"callable, got {strategy!r}"
        )
    groups = group_files(rels, name_of, layer_name)
    sort_key = z_slices_sort_key or natsort_keygen()
    opts = ImportOptions(
        data_format=data_format,
        mag=1,
        chunk_shape=chunk_shape,
        shard_shape=shard_shape,
        chunks_per_shard=chunks_per_shard,
        compress=compress,
        topleft=(0, 0, 0),
        swap_xy=swap_xy,
        flip_x=flip_x,
        flip_y=flip_y,
        flip_z=flip_z,
        batch_size=batch_size,
    )
    jobs: list[LayerJob] = []
    for group_name, members in groups.items():
        ordered = sorted((Path(root) / r for r in members), key=sort_key)
        infos = [header(os.path.relpath(p, root).replace(os.sep, "/")) for p in ordered]
        jobs.extend(
            jobs_for(
                infos,
                group_name,
                category=layer_category,
                dtype=None,
                channel=None,
                timepoint=None,
                allow_multiple_layers=True,
                max_layers=max_layers,
                truncate_rgba_to_rgb=True,
                cap=False,
            )
        )
    if len(jobs) > max_layers:
        raise UnsupportedImageDataError(
            f"the input would become {len(jobs)} layers, more than "
            f"max_layers={max_layers}",
            path=src,
        )
    out = locations.dataset_root(output_path)  # a Path, or a UPath on a store
    factor, unit = parsed
    probe = ds_transform.create_dataset(
        name=name or locations.name_of(out), voxel_size=factor, unit=unit
    )
    changes = plan_jobs(probe.spec, jobs, opts)  # every check before any write
    names = [job.layer.name for job in jobs]
    on_store = locations.is_object_root(out)
    existed = locations.is_nonempty_dir(out) if on_store else out.exists()
    # the same call after kill -9 resumes the killed import (no journals on stores)
    resumed = None
    if existed and not on_store:
        resumed, finished = _existing_target(cls, out, probe.spec, changes, names)
        if resumed is not None and finished:
            return resumed
    ds = resumed or cls(
        out,
        voxel_size_with_unit=voxel_size_with_unit,
        voxel_size=voxel_size,
        name=name,
        exist_ok=False,
    )
    # the record of the whole call: a kill between two layers is resumable too
    record = (
        None if on_store else ImportRecord(out, call_id(changes), names, creates=True)
    )
    try:
        for job in jobs:
            if resumed is not None and job.layer.name in ds.layers:
                continue  # imported by the killed run (its properties list it)
            _run_import(ds, job, opts, executor)
    except BaseException:
        if record is not None:
            record.close(done=not existed)  # a new dataset is removed below
        if not existed and on_store:
            delete_path(locations.exec_root(out))
        elif not existed:
            shutil.rmtree(out, ignore_errors=True)
        raise
    if record is not None:
        record.close(done=True)
    return ds


__all__ = ["ConversionLayerMapping", "add_layer_from_images", "from_images"]
