"""``wkfn preview``, ``wkfn serve`` and the picture of ``wkfn plan --svg``.

The pictures are computed by :mod:`wkfn.picture` (pure) from voxels read by
:mod:`wkfn.visual.preview`; PNG files are written with the stdlib encoder, so
``preview`` needs no extra; a plan picture as PNG needs Pillow (``images`` extra).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from wkfn.cli.app import app, user_errors
from wkfn.errors import InvalidArgumentError

__all__ = ["parse_at", "parse_window", "write_plan_picture"]


def parse_at(values: list[str] | None) -> dict[str, int]:
    """``["t=2", "c=0"]`` → ``{"t": 2, "c": 0}`` (indices of extra axes)."""
    out: dict[str, int] = {}
    for value in values or []:
        name, sep, number = value.partition("=")
        try:
            if not sep or not name.strip():
                raise ValueError
            out[name.strip()] = int(number)
        except ValueError:
            raise InvalidArgumentError(
                f"--at expects AXIS=INDEX (e.g. t=0), got {value!r}"
            ) from None
    return out


def parse_window(text: str | None) -> tuple[float, float] | None:
    """``"10,200"`` → ``(10.0, 200.0)``."""
    if text is None:
        return None
    parts = text.split(",")
    try:
        if len(parts) != 2:
            raise ValueError
        return (float(parts[0]), float(parts[1]))
    except ValueError:
        raise InvalidArgumentError(
            f"--window expects LOW,HIGH (e.g. 0,255), got {text!r}"
        ) from None


def write_plan_picture(plan: Any, target: Path) -> None:
    """Draw a plan to ``target``: SVG, or PNG when the name ends in ``.png``."""
    from wkfn.picture.plan_svg import plan_drawing, to_svg

    drawing = plan_drawing(plan)
    suffix = target.suffix.lower()
    if suffix == ".png":
        from wkfn.visual.plan_png import drawing_png

        data = drawing_png(drawing)
        target.write_bytes(data)
    elif suffix == ".svg":
        target.write_text(to_svg(drawing))
    else:
        raise InvalidArgumentError(
            f"the plan picture must end in .svg or .png, got {str(target)!r}"
        )


@app.command("preview")
@user_errors
def preview_cmd(
    dataset: Annotated[str, typer.Argument(help="dataset directory or http(s) URL")],
    output: Annotated[Path, typer.Option("-o", "--output", help="PNG file to write")],
    layer: Annotated[str | None, typer.Option("--layer", help="layer name")] = None,
    mag: Annotated[
        str | None, typer.Option("--mag", help="mag, e.g. 1 or 2-2-1")
    ] = None,
    z: Annotated[
        int | None, typer.Option("--z", help="z section (Mag-1); same as --axis z")
    ] = None,
    axis: Annotated[
        str, typer.Option("--axis", help="x | y | z: the axis the plane is normal to")
    ] = "z",
    index: Annotated[
        int | None, typer.Option("--index", help="plane position on --axis (Mag-1)")
    ] = None,
    at: Annotated[
        list[str] | None,
        typer.Option("--at", help="index of an extra axis of an n-D layer, e.g. t=0"),
    ] = None,
    window: Annotated[
        str | None, typer.Option("--window", help="display range LOW,HIGH")
    ] = None,
    all_mags: Annotated[
        bool, typer.Option("--all-mags", help="the same section at every mag")
    ] = False,
    planes: Annotated[
        bool, typer.Option("--planes", help="xy, xz and yz planes on one sheet")
    ] = False,
) -> None:
    """Write a PNG of a section of a layer (x right, y down for z sections)."""
    from wkfn.picture.png import encode_png
    from wkfn.visual import preview as pv

    if axis not in ("x", "y", "z"):
        raise InvalidArgumentError(f"--axis must be x, y or z, got {axis!r}")
    if z is not None:
        if index is not None or axis != "z":
            raise InvalidArgumentError("give either --z Z or --axis A --index I")
        index = z
    if all_mags and planes:
        raise InvalidArgumentError("give either --all-mags or --planes, not both")
    if output.suffix.lower() != ".png":
        raise InvalidArgumentError(f"the output must be a .png file, got {output}")
    options: dict[str, Any] = {
        "layer": layer,
        "at": parse_at(at),
        "window": parse_window(window),
    }
    source = pv.open_source(dataset)
    if planes:
        position = None
        if index is not None:
            chosen = pv.pick_layer(source, layer).bounding_box
            centre = [t + s // 2 for t, s in zip(chosen.topleft, chosen.size)]
            centre["xyz".index(axis)] = index
            position = centre
        image = pv.planes_sheet(source, mag=mag, position=position, **options)
    elif all_mags:
        if mag is not None:
            raise InvalidArgumentError("--all-mags shows every mag: drop --mag")
        image = pv.mag_sheet(source, axis=axis, index=index, **options)  # type: ignore[arg-type]
    else:
        image = pv.preview_image(source, mag=mag, axis=axis, index=index, **options)  # type: ignore[arg-type]
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(encode_png(image))
    typer.echo(f"wrote {output} ({image.shape[1]}x{image.shape[0]} pixels)")


@app.command("serve")
@user_errors
def serve_cmd(
    dataset: Annotated[Path, typer.Argument(help="dataset directory")],
    port: Annotated[int, typer.Option("--port", help="TCP port (0: any free)")] = 8000,
    host: Annotated[
        str, typer.Option("--host", help="interface to bind")
    ] = "127.0.0.1",
    follow_symlinks: Annotated[
        bool,
        typer.Option(
            "--follow-symlinks", help="also serve symlinked files outside the folder"
        ),
    ] = False,
    verbose: Annotated[bool, typer.Option("--verbose", help="log requests")] = False,
) -> None:
    """Serve a dataset read-only over HTTP (ranges, CORS) for neuroglancer & co."""
    from wkfn.visual.server import DatasetServer

    try:
        server = DatasetServer(
            dataset,
            host=host,
            port=port,
            follow_symlinks=follow_symlinks,
            verbose=verbose,
        )
    except OSError as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise InvalidArgumentError(f"cannot listen on {host}:{port}: {exc}") from None
    typer.echo(f"serving {dataset} read-only at {server.url}", err=False)
    typer.echo(f"open it with wkfn.Dataset.open({server.url!r})")
    typer.echo(f"neuroglancer: {server.neuroglancer_link()}")
    typer.echo("press Ctrl-C to stop", err=True)
    import sys

    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        typer.echo("stopped", err=True)
