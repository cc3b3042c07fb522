"""The ``Dataset`` methods that talk to a WEBKNOSSOS server (seed names).

``Dataset`` binds these functions as its class/static/instance methods
(``open_remote``, ``download``, ``upload``, ``get_remote_datasets``,
``explore_and_add_remote``, ``trigger_reload_in_datastore``,
``announce_manual_upload``); ``RemoteDataset.download`` uses
:func:`download_remote`. They work on a :class:`~wkfn.api.remote_session.RemoteSession`
and the shell below the facade (:mod:`wkfn.remote.download`,
:mod:`wkfn.remote.upload`, :mod:`wkfn.api.remote_listing`); a ``RemoteDataset`` is
made with :func:`~wkfn.api.remote_session.open_facade`, a local dataset with the
``cls`` a method is called on, so nothing here imports the facade classes.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wkfn.api import remote_listing
from wkfn.api._observe import source_layer
from wkfn.api.remote_session import RemoteSession, open_facade
from wkfn.errors import InvalidArgumentError
from wkfn.geometry import BoundingBox
from wkfn.remote.download import DownloadPlan, plan_download, run_download
from wkfn.remote.resolve import Resolved, resolve
from wkfn.remote.upload import upload_dataset

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
    return open_facade(
        resolve(
            dataset_name_or_url,
            organization_id,
            sharing_token,
            webknossos_url,
            dataset_id,
        )
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
    """Download (part of) a dataset into a new local dataset (a ``cls``); see
    :func:`download_remote`. ``dry_run=True`` returns the plan (what would be
    fetched, with byte counts) instead."""
    session = RemoteSession(
        resolve(dataset_name_or_url, organization_id, sharing_token, webknossos_url)
    )
    result = download_remote(
        session,
        bbox=bbox,
        layers=layers,
        mags=mags,
        path=path,
        exist_ok=exist_ok,
        dry_run=dry_run,
        executor=executor,
    )
    return result if isinstance(result, DownloadPlan) else cls.open(result)


def download_remote(
    session: RemoteSession,
    sharing_token: str | None = None,
    bbox: BoundingBox | None = None,
    layers: list[str] | str | None = None,
    mags: Any = None,
    path: str | os.PathLike[str] | None = None,
    exist_ok: bool = False,
    *,
    bounding_box: BoundingBox | None = None,
    dry_run: bool = False,
    executor: Any = None,
) -> DownloadPlan | Path:
    """Download the dataset of ``session`` (or part of it); the local path (or the
    plan if ``dry_run``). See :mod:`wkfn.remote.download` for resuming and choices.

    Raises:
        DatasetExistsError: a dataset is at ``path`` and ``exist_ok`` is False (a
            partial download of the same data is resumed instead).
        LayerNotFoundError / MagNotFoundError: unknown layer or mag (IndexError).
        WebknossosError / RemoteError: the server failed (after retries).
    """
    if bounding_box is not None:
        if bbox is not None:
            raise InvalidArgumentError("give bbox or bounding_box, not both")
        bbox = bounding_box
    if sharing_token is not None and sharing_token != session.sharing_token:
        session = RemoteSession(
            Resolved(session.context, session.dataset_id, sharing_token)
        )
    names = [layers] if isinstance(layers, str) else list(layers or ())
    if not names:
        names = [layer.name for layer in session.spec.data_layers]
    for name in names:
        session.layer_spec(name)  # LayerNotFoundError (IndexError) naming it
    planned = plan_download(
        session.spec,
        [source_layer(session, name) for name in names],
        name=str(session.info()["name"]),
        dataset_id=session.dataset_id,
        source=session.describe(),
        bbox=bbox,
        mags=mags,
        path=path,
    )
    if dry_run:
        return planned
    return run_download(planned, exist_ok=exist_ok, executor=executor)


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
    """Upload this dataset to the context's WEBKNOSSOS server; the new
    ``RemoteDataset`` (see :func:`wkfn.remote.upload.upload_dataset`).
    ``dry_run=True`` returns the plan (files to send with byte counts, layers
    linked) instead."""
    result = upload_dataset(
        self,
        new_dataset_name=new_dataset_name,
        layers_to_link=layers_to_link,
        jobs=jobs,
        folder=folder,
        initial_team_ids=initial_team_ids,
        dry_run=dry_run,
    )
    return open_facade(result) if isinstance(result, Resolved) else result


def get_remote_datasets(
    organization_id: str | None = None,
    tags: str | Sequence[str] | None = None,
) -> Mapping[str, RemoteDataset]:
    """Datasets on the server keyed by **name** (the seed contract; the first of a
    repeated name wins; ``RemoteDataset.list`` keys by id), opened lazily. ``tags``
    keeps datasets carrying all given tags."""
    return remote_listing.list_remote(organization_id, tags, key="name")


def explore_and_add_remote(
    cls: Any,
    /,
    dataset_uri: str | os.PathLike[str],
    dataset_name: str,
    folder_path: str | None = None,
    **kwargs: Any,
) -> RemoteDataset:
    """Register data stored elsewhere as a dataset on the server."""
    return remote_listing.explore_and_add_remote(
        dataset_uri, dataset_name, folder_path, **kwargs
    )


def trigger_reload_in_datastore(
    cls: Any,
    /,
    dataset_name: str | None = None,
    organization: str | None = None,
    token: str | None = None,
    **kwargs: Any,
) -> None:
    """Make the datastore re-read the dataset's files."""
    remote_listing.trigger_reload_in_datastore(
        dataset_name, organization, token, **kwargs
    )


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
    remote_listing.announce_manual_upload(
        dataset_name, organization, initial_team_ids, folder_id, token
    )
