"""The ``Dataset`` methods that talk to a WEBKNOSSOS server (seed names).

``Dataset`` binds these functions as its class/static/instance methods
(``open_remote``, ``download``, ``upload``, ``get_remote_datasets``,
``explore_and_add_remote``, ``trigger_reload_in_datastore``,
``announce_manual_upload``); they delegate to :mod:`wkfn.api.remote_dataset`,
:mod:`wkfn.api.remote_listing`, :mod:`wkfn.remote.download` and
:mod:`wkfn.remote.upload`. Nothing here imports ``wkfn.api.dataset`` at import
time, so ``dataset.py`` can import this module.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wkfn.api.remote_dataset import RemoteDataset


def open_remote(
    cls: Any,
    /,
    dataset_name_or_url: str,
    organization_id: str | None = None,
    sharing_token: str | None = None,
    webknossos_url: str | None = None,
    dataset_id: str | None = None,
) -> RemoteDataset:
    """Open a dataset on a WEBKNOSSOS server by name, id, URL or sharing link.

    A URL (``.../datasets/<id>[/view][?token=...]``, ``.../datasets/<org>/<name>``
    or a short link ``.../links/<key>``) carries server and sharing token itself;
    then ``organization_id``, ``sharing_token`` and ``webknossos_url`` must be None.
    A name is looked up in ``organization_id`` (default: the user's organization)
    on ``webknossos_url`` (default: the context's).
    """
    from wkfn.api.remote_dataset import RemoteDataset

    return RemoteDataset.open(
        dataset_name_or_url, organization_id, sharing_token, webknossos_url, dataset_id
    )


def download(
    cls: Any,
    /,
    dataset_name_or_url: str,
    organization_id: str | None = None,
    sharing_token: str | None = None,
    webknossos_url: str | None = None,
    bbox: Any = None,
    layers: list[str] | str | None = None,
    mags: list[Any] | None = None,
    path: str | os.PathLike[str] | None = None,
    exist_ok: bool = False,
    *,
    dry_run: bool = False,
    executor: Any = None,
) -> Any:
    """Download (part of) a dataset into a new local dataset; see
    :func:`wkfn.remote.download.download_remote`. ``dry_run=True`` returns the
    plan (what would be fetched, with byte counts) instead."""
    from wkfn.api.remote_dataset import RemoteDataset
    from wkfn.remote.download import download_remote

    remote = RemoteDataset.open(
        dataset_name_or_url, organization_id, sharing_token, webknossos_url
    )
    return download_remote(
        remote,
        bbox=bbox,
        layers=layers,
        mags=mags,
        path=path,
        exist_ok=exist_ok,
        dry_run=dry_run,
        executor=executor,
    )


def upload(
    self: Any,
    /,
    new_dataset_name: str | None = None,
    layers_to_link: list[Any] | None = None,
    jobs: int | None = None,
    *,
    folder: Any = None,
    initial_team_ids: Sequence[str] | None = None,
    dry_run: bool = False,
) -> Any:
    """Upload this dataset to the context's WEBKNOSSOS server; see
    :func:`wkfn.remote.upload.upload_dataset`. ``dry_run=True`` returns the plan
    (files to send with byte counts, layers linked) instead."""
    from wkfn.remote.upload import upload_dataset

    return upload_dataset(
        self,
        new_dataset_name=new_dataset_name,
        layers_to_link=layers_to_link,
        jobs=jobs,
        folder=folder,
        initial_team_ids=initial_team_ids,
        dry_run=dry_run,
    )


def get_remote_datasets(
    organization_id: str | None = None,
    tags: str | Sequence[str] | None = None,
) -> Mapping[str, RemoteDataset]:
    """Datasets on the server keyed by **name** (the seed contract; the first of a
    repeated name wins; ``RemoteDataset.list`` keys by id), opened lazily. ``tags``
    keeps datasets carrying all given tags."""
    from wkfn.api.remote_listing import list_remote

    return list_remote(organization_id, tags, key="name")


def explore_and_add_remote(
    cls: Any,
    /,
    dataset_uri: str | os.PathLike[str],
    dataset_name: str,
    folder_path: str | None = None,
    **kwargs: Any,
) -> RemoteDataset:
    """Register data stored elsewhere as a dataset on the server."""
    from wkfn.api.remote_listing import explore_and_add_remote as run

    return run(dataset_uri, dataset_name, folder_path, **kwargs)


def trigger_reload_in_datastore(
    cls: Any,
    /,
    dataset_name: str | None = None,
    organization: str | None = None,
    token: str | None = None,
    **kwargs: Any,
) -> None:
    """Make the datastore re-read the dataset's files."""
    from wkfn.api.remote_listing import trigger_reload_in_datastore as run

    run(dataset_name, organization, token, **kwargs)


def announce_manual_upload(
    cls: Any,
    /,
    dataset_name: str,
    organization: str,
    initial_team_ids: list[str],
    folder_id: str,
    token: str | None = None,
) -> None:
    """Deprecated: reserve a dataset whose files are placed on the datastore by hand."""
    from wkfn.api.remote_listing import announce_manual_upload as run

    run(dataset_name, organization, initial_team_ids, folder_id, token)
