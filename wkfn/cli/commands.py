"""The reference CLI's data commands: convert, downsample, upsample, compress, copy.

Each mutating command records its calls into one plan; ``--dry-run`` prints that
plan, otherwise it is applied (journaled, so an interrupted command can be re-run).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from wkfn.cli.app import (
    DryRunOpt,
    ExecutorOpt,
    JobsOpt,
    app,
    floats3,
    print_plan,
    progress,
    user_errors,
    vec3,
)


def _finish(recorder: Any, dry_run: bool, executor: str, jobs: int | None) -> None:
    from wkfn.cli.executors import open_executor

    if dry_run:
        print_plan(recorder.plan)
        return
    if recorder.plan.is_empty():
        typer.echo("nothing to do")
        return
    with open_executor(executor, jobs) as pool, progress(True) as bar:
        report = recorder.apply(executor=pool, progress=bar)
    typer.echo(
        f"applied {report.ops} ops ({report.tasks} tasks) in {report.seconds:.1f} s"
    )


def _layers(ds: Any, layer_name: str | None) -> list[Any]:
    return [ds.get_layer(layer_name)] if layer_name else list(ds.layers.values())


@app.command("convert")
@user_errors
def convert_cmd(
    source: Annotated[Path, typer.Argument(help="image file, folder or glob")],
    target: Annotated[
        str, typer.Argument(help="new dataset: a directory or an s3:// URL")
    ],
    voxel_size: Annotated[str, typer.Option("--voxel-size", help="x,y,z")],
    unit: Annotated[str, typer.Option("--unit")] = "nanometer",
    layer_name: Annotated[str, typer.Option("--layer-name")] = "color",
    category: Annotated[str | None, typer.Option("--category")] = None,
    data_format: Annotated[str, typer.Option("--data-format")] = "zarr3",
    name: Annotated[str | None, typer.Option("--name")] = None,
    chunk_shape: Annotated[str | None, typer.Option("--chunk-shape")] = None,
    shard_shape: Annotated[str | None, typer.Option("--shard-shape")] = None,
    compress: Annotated[bool, typer.Option("--compress/--no-compress")] = True,
    downsample: Annotated[bool, typer.Option("--downsample/--no-downsample")] = True,
    max_mag: Annotated[str | None, typer.Option("--max-mag")] = None,
    interpolation_mode: Annotated[
        str, typer.Option("--interpolation-mode")
    ] = "default",
    sampling_mode: Annotated[str, typer.Option("--sampling-mode")] = "anisotropic",
    batch_size: Annotated[int | None, typer.Option("--batch-size")] = None,
    dry_run: DryRunOpt = False,
    executor: ExecutorOpt = "threads",
    jobs: JobsOpt = None,
) -> None:
    """Convert an image stack into a dataset (then downsample it)."""
    from wkfn.api.dataset import Dataset
    from wkfn.geometry import Mag, VoxelSize
    from wkfn.geometry.voxel_size import length_unit_from_str

    voxel = VoxelSize(floats3(voxel_size), length_unit_from_str(unit))
    ds, recorder = Dataset.planned(target, voxel_size_with_unit=voxel, name=name)
    kwargs: dict[str, Any] = {}
    if chunk_shape:
        kwargs["chunk_shape"] = vec3(chunk_shape)
    if shard_shape:
        kwargs["shard_shape"] = vec3(shard_shape)
    if batch_size:
        kwargs["batch_size"] = batch_size
    ds.add_layer_from_images(
        str(source),
        layer_name=layer_name,
        category=category,
        data_format=data_format,
        compress=compress,
        allow_multiple_layers=True,
        **kwargs,
    )
    if downsample:
        for layer in ds.layers.values():
            layer.downsample(
                coarsest_mag=None if max_mag is None else Mag(max_mag),
                interpolation_mode=interpolation_mode,
                sampling_mode=sampling_mode,
                compress=compress,
            )
    ds.session.stop_recording()
    _finish(recorder, dry_run, executor, jobs)


@app.command("downsample")
@user_errors
def downsample_cmd(
    target: Annotated[str, typer.Argument(help="dataset directory or s3:// URL")],
    layer_name: Annotated[str | None, typer.Option("--layer-name")] = None,
    sampling_mode: Annotated[str, typer.Option("--sampling-mode")] = "anisotropic",
    coarsest_mag: Annotated[str | None, typer.Option("--coarsest-mag")] = None,
    interpolation_mode: Annotated[
        str, typer.Option("--interpolation-mode")
    ] = "default",
    dry_run: DryRunOpt = False,
    executor: ExecutorOpt = "threads",
    jobs: JobsOpt = None,
) -> None:
    """Compute the coarser mags of one or all layers."""
    from wkfn.api.dataset import Dataset
    from wkfn.geometry import Mag

    ds = Dataset.open(target)
    with ds.dry_run() as recorder:
        for layer in _layers(ds, layer_name):
            layer.downsample(
                coarsest_mag=None if coarsest_mag is None else Mag(coarsest_mag),
                sampling_mode=sampling_mode,
                interpolation_mode=interpolation_mode,
            )
    _finish(recorder, dry_run, executor, jobs)


@app.command("upsample")
@user_errors
def upsample_cmd(
    target: Annotated[str, typer.Argument(help="dataset directory or s3:// URL")],
    from_mag: Annotated[str, typer.Option("--from-mag")],
    layer_name: Annotated[str | None, typer.Option("--layer-name")] = None,
    sampling_mode: Annotated[str, typer.Option("--sampling-mode")] = "anisotropic",
    dry_run: DryRunOpt = False,
    executor: ExecutorOpt = "threads",
    jobs: JobsOpt = None,
) -> None:
    """Compute the finer mags (down to mag 1) from ``--from-mag``."""
    from wkfn.api.dataset import Dataset
    from wkfn.geometry import Mag

    ds = Dataset.open(target)
    with ds.dry_run() as recorder:
        for layer in _layers(ds, layer_name):
            layer.upsample(Mag(from_mag), sampling_mode=sampling_mode)
    _finish(recorder, dry_run, executor, jobs)


@app.command("compress")
@user_errors
def compress_cmd(
    target: Annotated[str, typer.Argument(help="dataset directory or s3:// URL")],
    layer_name: Annotated[str | None, typer.Option("--layer-name")] = None,
    mag: Annotated[list[str] | None, typer.Option("--mag", help="repeatable")] = None,
    dry_run: DryRunOpt = False,
    executor: ExecutorOpt = "threads",
    jobs: JobsOpt = None,
) -> None:
    """Compress uncompressed mags in place."""
    from wkfn.api.dataset import Dataset
    from wkfn.geometry import Mag

    ds = Dataset.open(target)
    with ds.dry_run() as recorder:
        for layer in _layers(ds, layer_name):
            wanted = {Mag(m) for m in mag} if mag else None
            for m, view in layer.mags.items():
                if (wanted is None or m in wanted) and not view.info.compression_mode:
                    view.compress()
    _finish(recorder, dry_run, executor, jobs)


@app.command("copy-dataset")
@user_errors
def copy_dataset_cmd(
    source: Annotated[
        str,
        typer.Argument(help="source dataset: a directory, s3:// or http(s) URL"),
    ],
    target: Annotated[str, typer.Argument(help="new dataset: directory or s3:// URL")],
    data_format: Annotated[str | None, typer.Option("--data-format")] = None,
    chunk_shape: Annotated[str | None, typer.Option("--chunk-shape")] = None,
    shard_shape: Annotated[str | None, typer.Option("--shard-shape")] = None,
    exists_ok: Annotated[bool, typer.Option("--exists-ok")] = False,
    dry_run: DryRunOpt = False,
    executor: ExecutorOpt = "threads",
    jobs: JobsOpt = None,
) -> None:
    """Copy (and convert or rechunk) a dataset."""
    from wkfn.api.dataset import Dataset
    from wkfn.cli.executors import open_executor

    ds = Dataset.open(source, read_only=True)
    kwargs: dict[str, Any] = {
        "data_format": data_format,
        "chunk_shape": vec3(chunk_shape),
        "shard_shape": vec3(shard_shape),
    }
    if dry_run:
        print_plan(ds.plan_copy_dataset(target, **kwargs).plan)
        return
    with open_executor(executor, jobs) as pool:
        ds.copy_dataset(target, exists_ok=exists_ok, executor=pool, **kwargs)
    from wkfn.storage.location import redact

    typer.echo(f"copied {redact(source)} to {redact(target)}")
