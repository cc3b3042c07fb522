"""``RemoteDataset``: a dataset on a WEBKNOSSOS server, with the reference's names.

Voxel data is read through the datastore's zarr streaming route with the same
machinery as ``Dataset.open(url)`` (tensorstore's http kvstore, read-only); the
user token of the context it was opened in goes with every read, also after the
``with webknossos_context(...)`` block, and only to that datastore. Server-side
properties (``name``, ``description``, ``tags``, ``is_public``, ``folder``,
``allowed_teams``, ``metadata``, ``sharing_token``) are re-read on every access and
written straight to the server (``PATCH .../updatePartial`` with only the changed
key). Writing voxel data is refused with :class:`ReadOnlyError`.

The dataset's state (URL root, spec, server identity and context) is its
:class:`~wkfn.api.remote_session.RemoteSession`; this module only adds the
reference's names. Importing it registers ``RemoteDataset`` as the facade the server
verbs return (:func:`~wkfn.api.remote_session.register_facade`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, MutableMapping, Sequence
from typing import Any

from wkfn.api import remote_verbs
from wkfn.api._session import Session
from wkfn.api.dataset import Dataset
from wkfn.api.remote_listing import list_remote
from wkfn.api.remote_session import RemoteSession, register_facade
from wkfn.errors import InvalidArgumentError
from wkfn.geometry import BoundingBox
from wkfn.remote import api
from wkfn.remote.admin import RemoteFolder, Team
from wkfn.remote.context import run_in
from wkfn.remote.download import DownloadPlan
from wkfn.remote.resolve import Resolved, resolve

MetadataValue = str | int | float | Sequence[str]


def _metadata_entry(key: str, value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        raise InvalidArgumentError(f"metadata {key!r}: booleans are not supported")
    if isinstance(value, str):
        return {"key": key, "type": "string", "value": value}
    if isinstance(value, int | float):
        return {"key": key, "type": "number", "value": value}
    if isinstance(value, Sequence) and all(isinstance(v, str) for v in value):
        return {"key": key, "type": "string[]", "value": list(value)}
    raise InvalidArgumentError(
        f"metadata {key!r}: values must be a string, a number or a list of strings, "
        f"got {value!r}"
    )


def _metadata_value(entry: Mapping[str, Any]) -> MetadataValue:
    value = entry.get("value")
    if entry.get("type") == "string[]":
        return [str(v) for v in value or []]
    if isinstance(value, str | int | float):
        return value
    return str(value)


class RemoteMetadata(MutableMapping[str, Any]):
    """The dataset's metadata on the server; every change is written at once.

    Each access reads the server's current metadata; a change sends only the
    ``metadata`` key (not the whole dataset object as 4.3.3 does), so concurrent
    edits of other properties are not overwritten.
    """

    def __init__(self, session: RemoteSession) -> None:
        self._session = session

    def _read(self) -> dict[str, MetadataValue]:
        info = self._session.info()
        return {
            str(e["key"]): _metadata_value(e)
            for e in info.get("metadata") or []
            if isinstance(e, dict) and "key" in e
        }

    def _write(self, values: Mapping[str, Any]) -> None:
        entries = [_metadata_entry(k, v) for k, v in values.items()]
        self._session.update(metadata=entries)

    def __getitem__(self, key: str) -> MetadataValue:
        return self._read()[key]

    def __setitem__(self, key: str, value: MetadataValue) -> None:
        _metadata_entry(key, value)  # refuse bad values before any request
        values = self._read()
        values[key] = value
        self._write(values)

    def __delitem__(self, key: str) -> None:
        values = self._read()
        del values[key]
        self._write(values)

    def __iter__(self) -> Iterator[str]:
        return iter(self._read())

    def __len__(self) -> int:
        return len(self._read())

    def __repr__(self) -> str:
        return f"RemoteMetadata({self._read()!r})"


class RemoteDataset(Dataset):
    """A dataset on a WEBKNOSSOS server (open with :meth:`Dataset.open_remote`).

    Its session is a :class:`~wkfn.api.remote_session.RemoteSession`: reads work
    like on a local ``Dataset``; voxel writes raise ``ReadOnlyError``.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError(
            "RemoteDataset is not created directly: use Dataset.open_remote(name or "
            "URL) or RemoteDataset.open(...)"
        )

    # ------------------------------------------------------------------ opening
    @classmethod
    def open(  # type: ignore[override]
        cls,
        dataset_name_or_url: str | None = None,
        organization_id: str | None = None,
        sharing_token: str | None = None,
        webknossos_url: str | None = None,
        dataset_id: str | None = None,
    ) -> RemoteDataset:
        """Open a dataset on the server by name, id, dataset URL or sharing link."""
        return cls.from_resolved(
            resolve(
                dataset_name_or_url,
                organization_id,
                sharing_token,
                webknossos_url,
                dataset_id,
            )
        )

    @classmethod
    def of_session(cls, session: Session) -> RemoteDataset:
        """The facade over an open :class:`RemoteSession` (no I/O)."""
        if not isinstance(session, RemoteSession):
            raise TypeError(f"a RemoteDataset needs a RemoteSession, got {session!r}")
        made = super().of_session(session)
        assert isinstance(made, RemoteDataset)
        return made

    @classmethod
    def from_resolved(cls, where: Resolved) -> RemoteDataset:
        """Open the dataset ``where`` points to (reads its properties)."""
        return cls.of_session(RemoteSession(where))

    @property
    def session(self) -> RemoteSession:
        """The read-only session over the server's zarr streaming route."""
        session = super().session
        assert isinstance(session, RemoteSession)
        return session

    # ------------------------------------------------------------------ identity
    @property
    def dataset_id(self) -> str:
        """The server's id of the dataset."""
        return self.session.dataset_id

    @property
    def organization_id(self) -> str:
        """The organization owning the dataset."""
        return self.session.organization

    @property
    def url(self) -> str:
        """``{server}/datasets/{id}`` (where the dataset opens in WEBKNOSSOS)."""
        return self.session.url

    @property
    def read_only(self) -> bool:
        """Always True: voxel data of a remote dataset is not written."""
        return True

    def __repr__(self) -> str:
        return self.session.describe()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RemoteDataset):
            return NotImplemented
        mine, theirs = self.session, other.session
        return (mine.context.url, mine.dataset_id) == (
            theirs.context.url,
            theirs.dataset_id,
        )

    def __hash__(self) -> int:
        return hash((self.session.context.url, self.session.dataset_id))

    # ------------------------------------------------------------------ properties
    @property
    def name(self) -> str:
        """The dataset's name on the server; assigning renames it there."""
        return str(self.session.info()["name"])

    @name.setter
    def name(self, value: str) -> None:
        if not isinstance(value, str) or not value:
            raise InvalidArgumentError(
                f"a dataset name must be a non-empty string, got {value!r}"
            )
        self.session.update(name=value)

    @property
    def display_name(self) -> str:
        """The name shown in WEBKNOSSOS (the server's ``name``)."""
        return self.name

    @display_name.setter
    def display_name(self, value: str) -> None:
        self.name = value

    @property
    def directory_name(self) -> str:
        """The dataset's directory on the datastore (used in old URLs)."""
        return str(self.session.info().get("directoryName", ""))

    @property
    def description(self) -> str | None:
        """Free-text (markdown) description, None when unset."""
        value = self.session.info().get("description")
        return None if value is None else str(value)

    @description.setter
    def description(self, value: str | None) -> None:
        if value is not None and not isinstance(value, str):
            raise InvalidArgumentError(
                f"description must be a string or None, got {value!r}"
            )
        self.session.update(description=value)

    @description.deleter
    def description(self) -> None:
        self.session.update(description=None)

    @property
    def tags(self) -> tuple[str, ...]:
        """Tags of the dataset."""
        return tuple(str(t) for t in self.session.info().get("tags") or [])

    @tags.setter
    def tags(self, tags: Sequence[str]) -> None:
        if isinstance(tags, str) or not all(isinstance(t, str) for t in tags):
            raise InvalidArgumentError(
                f"tags must be a sequence of strings, got {tags!r}"
            )
        self.session.update(tags=list(tags))

    @property
    def is_public(self) -> bool:
        """Whether anyone may view the dataset without logging in."""
        return bool(self.session.info().get("isPublic"))

    @is_public.setter
    def is_public(self, value: bool) -> None:
        if not isinstance(value, bool):
            raise InvalidArgumentError(f"is_public must be a bool, got {value!r}")
        self.session.update(is_public=value)

    @property
    def sharing_token(self) -> str:
        """A token that lets anyone read the dataset (``?token=`` in links)."""
        return api.sharing_token(self.dataset_id, self.session.context)

    @property
    def allowed_teams(self) -> tuple[Team, ...]:
        """Teams with access; assign Team objects or team ids."""
        return tuple(
            Team(str(t["id"]), str(t["name"]), str(t.get("organization", "")))
            for t in self.session.info().get("allowedTeams") or []
        )

    @allowed_teams.setter
    def allowed_teams(self, teams: Sequence[Team | str]) -> None:
        ids = []
        for team in teams:
            if isinstance(team, Team):
                ids.append(team.id)
            elif isinstance(team, str):
                ids.append(team)
            else:
                raise InvalidArgumentError(
                    f"expected a Team or a team id, got {team!r}"
                )
        api.update_teams(self.dataset_id, ids, self.session.context)

    @property
    def folder(self) -> RemoteFolder:
        """The folder holding the dataset; assign a RemoteFolder to move it."""
        folder_id = str(self.session.info().get("folderId"))
        folder: RemoteFolder = run_in(
            self.session.context, RemoteFolder.get_by_id, folder_id
        )
        return folder

    @folder.setter
    def folder(self, folder: RemoteFolder | str) -> None:
        folder_id = folder.id if isinstance(folder, RemoteFolder) else folder
        if not isinstance(folder_id, str):
            raise InvalidArgumentError(
                f"expected a RemoteFolder or its id, got {folder!r}"
            )
        self.session.update(folder_id=folder_id)

    @property
    def metadata(self) -> RemoteMetadata:
        """Key-value metadata (strings, numbers, lists of strings), written through."""
        return RemoteMetadata(self.session)

    @metadata.setter
    def metadata(self, values: Mapping[str, Any] | None) -> None:
        entries = [_metadata_entry(k, v) for k, v in (values or {}).items()]
        self.session.update(metadata=entries)

    @property
    def created(self) -> int:
        """Creation time (milliseconds since the epoch, as the server sends it)."""
        return int(self.session.info().get("created") or 0)

    @property
    def used_storage_bytes(self) -> int:
        """Bytes the dataset occupies on the server."""
        return int(self.session.info().get("usedStorageBytes") or 0)

    def delete(self) -> None:
        """Delete the dataset on the server (irreversible)."""
        api.delete_dataset(self.dataset_id, self.session.context)

    # ------------------------------------------------------------------ verbs
    def download(  # type: ignore[override]
        self,
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
    ) -> Dataset | DownloadPlan:
        """Download (part of) this dataset into a local ``Dataset`` (the plan if
        ``dry_run``); see :func:`wkfn.api.remote_verbs.download_remote`."""
        result = remote_verbs.download_remote(
            self.session,
            sharing_token,
            bbox,
            layers,
            mags,
            path,
            exist_ok,
            bounding_box=bounding_box,
            dry_run=dry_run,
            executor=executor,
        )
        return result if isinstance(result, DownloadPlan) else Dataset.open(result)

    @classmethod
    def list(
        cls,
        organization_id: str | None = None,
        tags: str | Sequence[str] | None = None,
        name: str | None = None,
        folder: RemoteFolder | str | None = None,
    ) -> Mapping[str, RemoteDataset]:
        """Datasets visible to the user, keyed by id (opened lazily on access)."""
        return list_remote(organization_id, tags, name, folder, key="id")


register_facade(RemoteDataset.of_session)

__all__ = ["RemoteDataset", "RemoteMetadata"]
