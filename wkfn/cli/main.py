"""``wkfn``: plan/apply declared datasets and the reference CLI's commands.

Every mutating command accepts ``--dry-run`` (print the plan, change nothing) and
``--executor``/``--jobs``. User mistakes print one ``error:`` line and exit 1.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Annotated

import typer

from wkfn.cli.app import (
    ExecutorOpt,
    JobsOpt,
    app,
    print_plan,
    progress,
    user_errors,
)
from wkfn.cli.visual import write_plan_picture  # also registers preview and serve
from wkfn.errors import WkfnError

__all__ = ["app", "main"]


# ------------------------------------------------------------------ plan / apply


@app.command("plan")
@user_errors
def plan_cmd(
    spec: Annotated[Path, typer.Argument(help="declaration file (.toml or .json)")],
    dataset: Annotated[
        str | None, typer.Option("--dataset", help="dataset directory or s3:// URL")
    ] = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="save the plan to this directory")
    ] = None,
    svg: Annotated[
        Path | None,
        typer.Option("--svg", help="draw the plan to this .svg (or .png) file"),
    ] = None,
) -> None:
    """Compare a declared dataset with the disk and print the plan."""
    from wkfn.declare.planner import load_declaration, plan_declaration
    from wkfn.execute.saved import save_plan

    decl = load_declaration(spec)
    target = dataset or str(spec.with_suffix(""))
    recorder = plan_declaration(decl, target, base_dir=spec.parent, source=str(spec))
    print_plan(recorder.plan)
    if json_out is not None:
        save_plan(recorder.plan, json_out, recorder.payloads)
        typer.echo(f"saved plan to {json_out}")
    if svg is not None:
        write_plan_picture(recorder.plan, svg)
        typer.echo(f"drew the plan to {svg}")


@app.command("apply")
@user_errors
def apply_cmd(
    plan_or_spec: Annotated[
        Path, typer.Argument(help="a saved plan directory or a declaration file")
    ],
    dataset: Annotated[
        str | None, typer.Option("--dataset", help="dataset directory or s3:// URL")
    ] = None,
    executor: ExecutorOpt = "threads",
    jobs: JobsOpt = None,
) -> None:
    """Apply a saved plan or a declaration (resumes an interrupted apply)."""
    from wkfn.cli.executors import open_executor
    from wkfn.execute.apply import apply
    from wkfn.execute.saved import load_plan

    if plan_or_spec.is_dir():
        if dataset is None:
            raise WkfnError("applying a saved plan needs --dataset PATH")
        plan, payloads = load_plan(plan_or_spec)
        target = dataset
    else:
        from wkfn.declare.planner import load_declaration, plan_declaration

        decl = load_declaration(plan_or_spec)
        target = dataset or str(plan_or_spec.with_suffix(""))
        recorder = plan_declaration(
            decl, target, base_dir=plan_or_spec.parent, source=str(plan_or_spec)
        )
        plan, payloads = recorder.plan, recorder.payloads
    if plan.is_empty():
        typer.echo("nothing to do: the dataset already matches")
        return
    with open_executor(executor, jobs) as pool, progress(True) as bar:
        report = apply(plan, target, payloads, executor=pool, progress=bar)
    typer.echo(
        f"applied {report.ops} ops ({report.tasks} tasks) in {report.seconds:.1f} s"
    )


# ------------------------------------------------------------------ inspection


def _dir_size(path: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.path.getsize(os.path.join(root, name))
    return total


@app.command("info")
def info_command(
    path: Annotated[
        str, typer.Argument(help="dataset directory or http(s) URL of a dataset")
    ],
) -> None:
    """Layers, mags, bounding boxes, formats and sizes on disk."""
    info_cmd(path)


@user_errors
def info_cmd(path: str | os.PathLike[str]) -> None:
    """Print layers, mags, bounding boxes, formats and sizes of a dataset.

    ``path`` is a directory or an http(s) URL (a str: a ``Path`` would fold the
    URL's ``//``, which is why the CLI argument is a plain string).
    """
    from wkfn.api.dataset import Dataset
    from wkfn.errors import UnsupportedLayerError
    from wkfn.plan.summary import human_size
    from wkfn.storage.location import is_object_url, redact
    from wkfn.storage.remote import is_url

    remote = is_url(path)
    on_store = is_object_url(path)
    ds = Dataset.open(path if remote or on_store else Path(path), read_only=True)
    unit = ds.voxel_size_with_unit
    typer.echo(f"dataset {ds.name!r} at {redact(str(ds.path))}")
    typer.echo(f"voxel size {tuple(unit.factor)} {unit.unit.value}")
    for name, layer in ds.layers.items():
        bbox = layer.bounding_box
        if layer.spec.additional_axes:
            from wkfn.geometry.nd_check import describe_region

            where = describe_region(bbox)
        else:
            where = f"{tuple(bbox.topleft)}+{tuple(bbox.size)}"
        typer.echo(
            f"layer {name}: {layer.category} {layer.dtype_per_channel} "
            f"x{layer.num_channels} {layer.data_format.value} bbox {where}"
        )
        for mag, view in layer.mags.items():
            try:
                info = view.info
                layout = (
                    f"chunk {tuple(info.chunk_shape)} shard {tuple(info.shard_shape)} "
                    f"{'zstd' if info.compression_mode else 'raw'}"
                )
                dims = view.session.layout(name, mag).dims
                if dims:
                    layout += f" dims ({', '.join(dims)})"
            except UnsupportedLayerError:
                layout = "n-D array (data not readable by wkfn)"
            except (OSError, ValueError) as exc:
                layout = f"UNREADABLE ({exc})"
            if remote:  # HTTP has no directory listing to sum sizes over
                typer.echo(f"  mag {mag.to_layer_name()}: {layout} (remote)")
                continue
            if on_store:
                from wkfn.storage import objects

                size = human_size(objects.total_size(str(view.path)))
                typer.echo(f"  mag {mag.to_layer_name()}: {layout}, {size} stored")
                continue
            size = human_size(_dir_size(Path(view.path)))
            typer.echo(f"  mag {mag.to_layer_name()}: {layout}, {size} on disk")


@app.command("check")
@user_errors
def check_cmd(
    path: Annotated[str, typer.Argument(help="dataset directory or s3:// URL")],
    repair: Annotated[
        bool,
        typer.Option(
            "--repair",
            help="remove what killed runs left behind (journals, arrays the "
            "properties do not list, temporary files)",
        ),
    ] = False,
) -> None:
    """Validate a dataset: properties, arrays present and matching, OME metadata,
    leftovers of killed runs (``--repair`` removes those)."""
    from wkfn.cli.checks import check_dataset_on_disk, repair_leftovers
    from wkfn.storage.location import is_object_url

    if repair:
        for line in repair_leftovers(path):
            typer.echo(f"removed: {line}")
        if not is_object_url(path) and not Path(path).exists():
            return  # an unfinished copy target was removed as a whole
    problems = check_dataset_on_disk(path)
    for problem in problems:
        typer.echo(f"problem: {problem}")
    if problems:
        raise typer.Exit(1)
    from wkfn.storage.location import redact

    typer.echo(f"{redact(path)}: ok")


@app.command("check-equality")
@user_errors
def check_equality_cmd(
    source: Annotated[str, typer.Argument(help="a dataset directory or URL")],
    target: Annotated[str, typer.Argument(help="a dataset directory or URL")],
    layer_name: Annotated[str | None, typer.Option("--layer-name")] = None,
) -> None:
    """Compare two datasets voxel by voxel (all layers, or one)."""
    from wkfn.cli.checks import datasets_equal

    differences = datasets_equal(source, target, layer_name)
    for line in differences:
        typer.echo(line)
    if differences:
        raise typer.Exit(1)
    typer.echo("the datasets are equal")


@app.command("export-as-tiff")
@user_errors
def export_as_tiff_cmd(
    source: Annotated[str, typer.Argument(help="a dataset directory or URL")],
    target: Path,
    layer_name: Annotated[str, typer.Option("--layer-name")] = "color",
    mag: Annotated[str, typer.Option("--mag")] = "1",
    bbox: Annotated[
        str | None, typer.Option("--bbox", help="x,y,z,width,height,depth (Mag 1)")
    ] = None,
    name: Annotated[str, typer.Option("--name", help="file name prefix")] = "",
) -> None:
    """Write one TIFF per z slice of a layer."""
    from wkfn.cli.export import export_as_tiff

    box = None
    if bbox is not None:
        values = [int(v) for v in bbox.split(",")]
        if len(values) != 6:
            raise ValueError(f"--bbox needs 6 integers, got {bbox!r}")
        box = values
    count = export_as_tiff(source, target, layer_name, mag, box, name)
    typer.echo(f"wrote {count} slices to {target}")


def main() -> None:
    """Console-script entry point."""
    # importing them registers the reference CLI's commands, upload and download
    import wkfn.cli.commands
    import wkfn.cli.transfer  # noqa: F401

    app()
