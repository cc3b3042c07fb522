"""Where an op's path points: relative paths resolve against the dataset root.

A root may be a local folder or a URL (``s3://bucket/ds``); op paths are written
relative to it, or absolute for a copy's source outside the dataset.
"""

from __future__ import annotations

import os

from wkfn.storage import location


def resolve_path(root: str | os.PathLike[str], path: str) -> str:
    """Resolve a path as written in the properties against the dataset root.

    A root may be a URL (``s3://bucket/ds``): relative paths then resolve to URLs.
    """
    if location.is_url(path):
        return path
    if os.path.isabs(path):
        return path  # a local file outside the dataset (a copy's source)
    if location.is_remote(root):
        from wkfn.storage.location import join

        return join(str(root), path)
    return os.path.normpath(os.path.join(os.fspath(root), path))


def lexists(path: str) -> bool:
    """A local path (or dangling link) exists; always True for URLs (the delete or
    move functions there accept a missing source themselves)."""
    return location.is_remote(path) or os.path.lexists(path)
