"""``wkfn upload`` and ``wkfn download``: datasets to and from a WEBKNOSSOS server.

Both take the server from ``--url`` (else ``WK_URL``) and the user token from
``--token`` (else ``WK_TOKEN``), and both are plans: ``--dry-run`` prints what would
be sent or fetched, with byte counts, and changes nothing. ``download`` is
journaled (an interrupted download resumes when run again), ``upload`` is resumable
(only the chunks the server lacks are sent on the next run). Mistakes and server
failures print one ``error:`` line (tokens redacted) and exit 1, like the other
commands.

The reference CLI's spellings work too: ``webknossos download TARGET --url
<dataset URL>`` (a dataset link in ``--url`` names the dataset), ``--layer`` /
``--mag`` repeated, ``upload --dataset-name`` and ``--webknossos-url``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Any

import typer

from wkfn.cli.app import DryRunOpt, ExecutorOpt, JobsOpt, app, user_errors
from wkfn.errors import InvalidArgumentError

__all__ = ["parse_bbox", "parse_link", "split_list"]

UrlOpt = Annotated[
    str | None,
    typer.Option(
        "--url",
        "--webknossos-url",
        help="WEBKNOSSOS server (default: $WK_URL, else https://webknossos.org)",
        show_default=False,
    ),
]
TokenOpt = Annotated[
    str | None,
    typer.Option(
        "--token",
        help="user token (https://webknossos.org/account/token; default: $WK_TOKEN)",
        show_default=False,
    ),
]

_DATASET_LINK = re.compile(r"https?://[^?#]*/(datasets|links)/", re.IGNORECASE)


def split_list(values: list[str] | None) -> list[str]:
    """Repeated and comma-separated option values as one list (``a,b`` ``c``)."""
    return [v.strip() for value in values or [] for v in value.split(",") if v.strip()]


def parse_bbox(text: str | None) -> Any:
    """``x,y,z,width,height,depth`` (Mag-1 voxels) as a ``BoundingBox``."""
    if text is None:
        return None
    from wkfn.geometry import BoundingBox

    try:
        values = [int(v) for v in text.split(",")]
    except ValueError:
        values = []
    if len(values) != 6 or any(v < 0 for v in values[3:]):
        raise InvalidArgumentError(
            f"--bbox needs x,y,z,width,height,depth (six integers), got {text!r}"
        )
    return BoundingBox.from_tuple6(tuple(values))


def parse_link(text: str) -> Any:
    """``DATASET_ID:LAYER[:NEW_LAYER_NAME]`` as a ``LayerToLink``."""
    from wkfn.remote.upload import LayerToLink

    parts = text.split(":")
    if len(parts) not in (2, 3) or not all(parts):
        raise InvalidArgumentError(
            f"--link needs DATASET_ID:LAYER or DATASET_ID:LAYER:NEW_NAME, got {text!r}"
        )
    return LayerToLink(parts[0], parts[1], parts[2] if len(parts) == 3 else None)


def _context(url: str | None, token: str | None) -> Any:
    from wkfn.remote.context import webknossos_context

    return webknossos_context(url=url, token=token or os.environ.get("WK_TOKEN"))


@app.command("download")
@user_errors
def download_cmd(
    target: Annotated[
        Path | None,
        typer.Argument(help="local directory for the dataset (default: <name>-<id>)"),
    ] = None,
    dataset: Annotated[
        str | None,
        typer.Option(
            "--dataset", help="dataset name, id, URL or sharing link on the server"
        ),
    ] = None,
    url: UrlOpt = None,
    token: TokenOpt = None,
    organization: Annotated[
        str | None,
        typer.Option("--organization", help="organization of a dataset named"),
    ] = None,
    layers: Annotated[
        list[str] | None,
        typer.Option(
            "--layers", "--layer", help="layers to fetch (comma-separated or repeated)"
        ),
    ] = None,
    mags: Annotated[
        list[str] | None,
        typer.Option(
            "--mags", "--mag", help="mags to fetch, e.g. 1,2-2-1 (or repeated)"
        ),
    ] = None,
    bbox: Annotated[
        str | None,
        typer.Option("--bbox", help="x,y,z,width,height,depth (Mag-1 voxels)"),
    ] = None,
    exist_ok: Annotated[
        bool, typer.Option("--exist-ok", help="replace a dataset at the target")
    ] = False,
    dry_run: DryRunOpt = False,
    executor: ExecutorOpt = "threads",
    jobs: JobsOpt = None,
) -> None:
    """Download (part of) a dataset from a WEBKNOSSOS server."""
    from wkfn.api.dataset import Dataset
    from wkfn.cli.executors import open_executor
    from wkfn.geometry import Mag
    from wkfn.remote.client import redact

    server = url
    if dataset is None:
        if url is None or not _DATASET_LINK.match(url):
            raise InvalidArgumentError(
                "name the dataset: --dataset NAME|ID|URL, or --url <dataset URL>"
            )
        dataset, server = url, None  # the reference's `download --url <link>`
    box = parse_bbox(bbox)
    mag_list = [Mag(m) for m in split_list(mags)] or None
    layer_list = split_list(layers) or None
    with _context(server, token):
        kwargs: dict[str, Any] = {
            "organization_id": organization,
            "bbox": box,
            "layers": layer_list,
            "mags": mag_list,
            "path": target,
            "exist_ok": exist_ok,
        }
        if dry_run:
            typer.echo(str(Dataset.download(dataset, dry_run=True, **kwargs)))
            return
        with open_executor(executor, jobs) as pool:
            local = Dataset.download(dataset, executor=pool, **kwargs)
        typer.echo(f"downloaded {redact(dataset)} to {local.path}")


@app.command("upload")
@user_errors
def upload_cmd(
    source: Annotated[Path, typer.Argument(help="local dataset directory")],
    url: UrlOpt = None,
    token: TokenOpt = None,
    new_name: Annotated[
        str | None,
        typer.Option(
            "--new-name",
            "--dataset-name",
            help="name on the server (default: the dataset's name)",
        ),
    ] = None,
    links: Annotated[
        list[str] | None,
        typer.Option(
            "--link",
            help="link a layer of a dataset on the server instead of sending the "
            "local one: DATASET_ID:LAYER[:NEW_NAME] (repeatable)",
        ),
    ] = None,
    folder: Annotated[
        str | None,
        typer.Option("--folder", help="folder path on the server, e.g. org/Sub"),
    ] = None,
    jobs: Annotated[
        int | None, typer.Option("--jobs", help="chunks sent in parallel (5)")
    ] = None,
    dry_run: DryRunOpt = False,
) -> None:
    """Upload a local dataset to a WEBKNOSSOS server (resumable)."""
    from wkfn.api.dataset import Dataset

    if jobs is not None and jobs < 1:
        raise InvalidArgumentError(f"--jobs must be at least 1, got {jobs}")
    ds = Dataset.open(source, read_only=True)
    to_link = [parse_link(text) for text in links or []]
    with _context(url, token):
        if dry_run:
            typer.echo(str(ds.upload(new_name, to_link, dry_run=True)))
            return
        remote_folder = None
        if folder is not None:
            from wkfn.remote.admin import RemoteFolder

            remote_folder = RemoteFolder.get_by_path(folder)
        remote = ds.upload(new_name, to_link, jobs, folder=remote_folder)
        typer.echo(f"uploaded {source} as {remote.name!r}: {remote.url}")
