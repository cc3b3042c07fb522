"""The ``wkfn`` typer application and what every command module shares.

Command modules (:mod:`wkfn.cli.main`, :mod:`wkfn.cli.commands`, ...) import the
``app`` and the option types from here and register their commands on it; this
module imports none of them, so the command modules never import each other.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from typing import Annotated, Any, TypeVar

import typer

from wkfn.errors import WkfnError

app = typer.Typer(
    name="wkfn",
    help="Datasets of multi-resolution microscopy volumes: plan, apply, convert.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

F = TypeVar("F", bound=Callable[..., Any])


def executor_option(spec: str) -> str:
    """Refuse an unknown ``--executor`` at parse time, even when there is no work."""
    from wkfn.cli.executors import check_executor_spec

    try:
        return check_executor_spec(spec)
    except WkfnError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


ExecutorOpt = Annotated[
    str,
    typer.Option(
        "--executor",
        help="inline | threads | processes | dask://HOST:PORT | dask://local",
        callback=executor_option,
    ),
]
JobsOpt = Annotated[int | None, typer.Option("--jobs", help="parallel workers")]
DryRunOpt = Annotated[
    bool, typer.Option("--dry-run", help="print the plan, change nothing")
]


def user_errors(fn: F) -> F:
    """Turn expected failures into one readable line and exit code 1."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (WkfnError, FileNotFoundError, NotADirectoryError, ValueError) as exc:
            message = str(exc).strip().replace("\n", " ")
            typer.echo(f"error: {message}", err=True)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


def vec3(text: str | None) -> tuple[int, int, int] | None:
    """``"32"`` or ``"32,32,16"`` (or ``"32x32x16"``) as three ints."""
    if text is None:
        return None
    parts = [int(p) for p in text.replace("x", ",").split(",") if p.strip()]
    if len(parts) == 1:
        parts *= 3
    if len(parts) != 3:
        raise ValueError(f"expected one or three integers, got {text!r}")
    return (parts[0], parts[1], parts[2])


def floats3(text: str) -> tuple[float, float, float]:
    """``"11.2"`` or ``"11.2,11.2,25"`` as three floats."""
    parts = [float(p) for p in text.split(",")]
    if len(parts) == 1:
        parts *= 3
    if len(parts) != 3:
        raise ValueError(f"expected one or three numbers, got {text!r}")
    return (parts[0], parts[1], parts[2])


@contextlib.contextmanager
def progress(enabled: bool) -> Iterator[Callable[[Any], None] | None]:
    """A rich progress bar per stage: ops done/total, bytes, rate, elapsed, ETA."""
    from wkfn.execute.progress_bar import progress_bar

    with progress_bar(enabled) as update:
        yield update


def print_plan(plan: Any) -> None:
    """The plan's summary lines, then the plan itself."""
    from wkfn.plan.summary import summarize

    for line in summarize(plan).lines():
        typer.echo(line)
    typer.echo(str(plan))
