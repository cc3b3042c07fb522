"""The ``wkfn`` command line (typer + rich)."""
