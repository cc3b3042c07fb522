"""Listing datasets on a WEBKNOSSOS server and the server-side verbs that are not
about one opened dataset: ``explore_and_add_remote``, ``trigger_reload_in_datastore``,
``announce_manual_upload``.

Listing is one ``GET /datasets`` request; the datasets open lazily on access, in the
context that was active when the list was made. Tag filters keep datasets that
carry **all** given tags (the seed document's contract; 4.3.3 keeps a dataset
with any of them).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from wkfn.api.remote_session import open_facade
from wkfn.errors import InvalidArgumentError
from wkfn.remote import api
from wkfn.remote.admin import RemoteFolder
from wkfn.remote.client import datastore_url, request
from wkfn.remote.context import Context, current, run_in, webknossos_context
from wkfn.remote.resolve import Resolved, resolve

if TYPE_CHECKING:
    from wkfn.api.remote_dataset import RemoteDataset


class RemoteDatasetMapping(Mapping[str, "RemoteDataset"]):
    """Read-only mapping key -> RemoteDataset, each opened on first access."""

    def __init__(self, ids: dict[str, str], context: Context) -> None:
        self._ids = ids
        self._context = context
        self._opened: dict[str, RemoteDataset] = {}

    def __getitem__(self, key: str) -> RemoteDataset:
        if key not in self._opened:
            where = Resolved(self._context, self._ids[key], None)
            self._opened[key] = open_facade(where)
        return self._opened[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)

    def __repr__(self) -> str:
        return (
            "{" + ", ".join(f"{k!r}: <dataset {v}>" for k, v in self._ids.items()) + "}"
        )


def list_remote(
    organization_id: str | None = None,
    tags: str | Sequence[str] | None = None,
    name: str | None = None,
    folder: RemoteFolder | str | None = None,
    *,
    key: str = "id",
) -> RemoteDatasetMapping:
    """Datasets of the organization (default: the user's), filtered; keyed by
    ``id`` or ``name`` (with ``name``, the first dataset of a repeated name wins)."""
    ctx = current()
    org = organization_id or api.organization_id(ctx)
    wanted = [tags] if isinstance(tags, str) else list(tags or [])
    folder_id = folder.id if isinstance(folder, RemoteFolder) else folder
    ids: dict[str, str] = {}
    for item in api.dataset_list(
        organization_id=org, name=name, folder_id=folder_id, ctx=ctx
    ):
        have = set(item.get("tags") or [])
        if not all(t in have for t in wanted):
            continue
        if name is not None and item.get("name") != name:
            continue
        k = str(item["id"]) if key == "id" else str(item.get("name"))
        ids.setdefault(k, str(item["id"]))
    return RemoteDatasetMapping(ids, ctx)


def explore_and_add_remote(
    dataset_uri: str | os.PathLike[str],
    dataset_name: str,
    folder_path: str | None = None,
    *,
    folder: RemoteFolder | str | None = None,
) -> RemoteDataset:
    """Register data stored elsewhere (S3, GCS, HTTPS) as a dataset on the server."""
    if folder_path is not None and folder is not None:
        raise InvalidArgumentError("give folder_path or folder, not both")
    if isinstance(folder, str):
        folder_path = folder
        folder = None
    if folder_path is not None:
        folder = RemoteFolder.get_by_path(folder_path)
    body: dict[str, Any] = {
        "remoteUri": str(dataset_uri),
        "datasetName": dataset_name,
        "folderId": None if folder is None else folder.id,
    }
    new_id = api.explore_and_add_remote(body)
    return open_facade(Resolved(current(), new_id, None))


def trigger_reload_in_datastore(
    dataset_name: str | None = None,
    organization: str | None = None,
    token: str | None = None,
    *,
    dataset_name_or_url: str | None = None,
    organization_id: str | None = None,
    webknossos_url: str | None = None,
    dataset_id: str | None = None,
    datastore_url: str | None = None,
) -> None:
    """Ask the dataset's datastore to re-read its files (after manual changes).

    Sent to the datastore that holds the dataset (4.3.3 sends it to the first
    upload datastore). ``token`` (deprecated) is used as the user token.
    """
    if token is not None:
        warnings.warn(
            "trigger_reload_in_datastore(token=...) is deprecated, use "
            "webknossos_context(token=...)",
            DeprecationWarning,
            stacklevel=3,
        )
    org = organization_id or organization
    name = dataset_name_or_url or dataset_name
    with webknossos_context(url=webknossos_url, token=token or current().token):
        where = resolve(name, org, None, None, dataset_id)
        info = api.dataset_info(where.dataset_id, None, where.context)
        store = datastore_url or str(info["dataStore"]["url"])
        owner = str(info.get("owningOrganization") or org)
        run_in(where.context, api.trigger_reload, store, owner, where.dataset_id)


def announce_manual_upload(
    dataset_name: str,
    organization: str,
    initial_team_ids: list[str],
    folder_id: str,
    token: str | None = None,
) -> None:
    """Deprecated seed API: reserve a dataset whose files an admin places on the
    datastore's disk by hand
    (``POST {datastore}/data/v15/datasets/reserveManualUpload``).

    Creates the dataset entry (name, teams, folder) before the files exist; call
    :func:`trigger_reload_in_datastore` once they are in place.
    """
    warnings.warn(
        "announce_manual_upload is deprecated: use Dataset.upload, or "
        "RemoteDataset.explore_and_add_remote for data stored elsewhere",
        DeprecationWarning,
        stacklevel=3,
    )
    with webknossos_context(token=token or current().token):
        store = api.upload_datastore()
        body = {
            "datasetName": dataset_name,
            "organization": organization,
            "initialTeamIds": list(initial_team_ids),
            "folderId": folder_id,
            "requireUniqueName": False,
        }
        request(
            "POST",
            datastore_url(store, "/datasets/reserveManualUpload"),
            json_body=body,
        )
