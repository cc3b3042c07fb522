"""Dataset roots for the facade: local directories or object-store prefixes.

The facade keeps a dataset's root as a ``pathlib.Path`` (local), a ``UPath``
(``s3://`` / ``gs://``, as the reference's ``Dataset.path`` gives) or a
:class:`~wkfn.storage.remote.UrlPath` (read-only HTTP). These helpers answer the
questions the facade asks of a root ("is there a dataset?", "is it an empty
folder?") for every kind, and check an object-store root before anything is
written: bucket reachable, credentials accepted, the URL not an object.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from wkfn.errors import DatasetExistsError
from wkfn.storage import location, store_access
from wkfn.storage.files import PROPERTIES_FILE_NAME, properties_exist


def is_object_root(path: object) -> bool:
    """True for an ``s3://`` / ``gs://`` root."""
    return location.is_object_url(path)


def dataset_root(value: object) -> Any:
    """The root object for a path argument: ``Path`` locally, ``UPath`` on a store.

    Raises:
        UnsupportedSchemeError, CredentialsInUrlError: see :func:`location.parse`.
    """
    loc = location.parse(value)
    if loc.is_object_store:
        return store_access.to_upath(loc.url)
    if isinstance(value, Path):
        return value
    if hasattr(value, "storage_options") or not isinstance(value, str | os.PathLike):
        text = loc.url  # a local UPath
    else:
        text = os.fsdecode(os.fspath(value))
    if len(text) > 1:
        text = text.rstrip("/")
    return Path(text)


def url_of(path: object) -> str:
    """The canonical URL of an object-store root (what plans and tasks carry)."""
    return location.parse(path).url


def exec_root(path: Any) -> Any:
    """What the executor gets: the URL string on a store, the path otherwise."""
    return url_of(path) if is_object_root(path) else path


def check_reachable(path: object) -> None:
    """Before writing to a store: bucket exists, credentials work, not an object."""
    if is_object_root(path):
        from wkfn.storage import objects

        url = url_of(path)
        objects.check_bucket(url)
        objects.require_prefix(url)


def has_dataset(path: Any) -> bool:
    """True if a ``datasource-properties.json`` lies at the root."""
    if is_object_root(path):
        return properties_exist(url_of(path))
    return bool((Path(path) / PROPERTIES_FILE_NAME).exists())


def is_file(path: Any) -> bool:
    """The root names a file (an object on a store), not a directory.

    On a store :func:`check_reachable` has refused an object already.
    """
    if is_object_root(path):
        return False
    p = Path(path)
    return p.exists() and not p.is_dir()


def is_nonempty_dir(path: Any) -> bool:
    """The root holds anything (objects below the prefix on a store)."""
    if is_object_root(path):
        from wkfn.storage import objects

        return objects.is_dir(url_of(path))
    p = Path(path)
    return p.is_dir() and any(p.iterdir())


def name_of(path: Any) -> str:
    """The last component of the root (the default dataset name)."""
    if is_object_root(path):
        return location.parse(path).name
    return Path(path).absolute().name


def display(path: Any) -> str:
    """How messages name the root (secrets redacted)."""
    return location.redact(str(path))


def run_root(path: Any) -> Path | str:
    """Where a new dataset's plan runs: the URL string on a store (plans carry
    URLs, never a UPath's options), else the absolute directory."""
    return url_of(path) if is_object_root(path) else Path(path).absolute()


def new_target(path: object, exists_ok: bool) -> tuple[Any, bool]:
    """(root, exists) of a copy's target: refuse a non-empty directory (or a
    prefix with objects below it) that is not a dataset.

    An ``s3://`` / ``gs://`` target gives a ``UPath`` (checked: bucket reachable).
    """
    root = dataset_root(path)
    check_reachable(root)
    if has_dataset(root):
        if not exists_ok:
            raise DatasetExistsError(
                f"cannot copy to {display(root)}: a dataset exists there "
                "(pass exists_ok=True)"
            )
        return root, True
    if is_file(root) or is_nonempty_dir(root):
        raise DatasetExistsError(
            f"cannot copy to {display(root)}: it exists and is not an empty directory"
        )
    return root, False


def same_root(a: object, b: object) -> bool:
    """True if two dataset roots are the same dataset (URLs compared as text,
    local paths resolved; a URL and a local path never are)."""
    first, second = str(a).rstrip("/"), str(b).rstrip("/")
    if location.is_url(first) or location.is_url(second):
        return first == second
    return os.path.realpath(first) == os.path.realpath(second)


__all__ = [
    "check_reachable",
    "dataset_root",
    "display",
    "exec_root",
    "has_dataset",
    "is_file",
    "is_nonempty_dir",
    "is_object_root",
    "name_of",
    "new_target",
    "run_root",
    "same_root",
    "url_of",
]
