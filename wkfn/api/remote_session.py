"""The session of a dataset on a WEBKNOSSOS server, and how the verbs get its facade.

:class:`RemoteSession` is a :class:`~wkfn.api._session.Session` over the datastore's
zarr streaming route (read-only, like ``Dataset.open(url)``) that also knows where
the dataset lives on the server: its id, the context (server and user token) it was
opened in, the sharing token and the datastore. Voxel reads go through the
inherited session; server-side properties are read and written through
:meth:`RemoteSession.info` / :meth:`RemoteSession.update`.

The facade class ``RemoteDataset`` subclasses ``Dataset``, whose server methods
(``open_remote``, ``upload`` ...) return ``RemoteDataset`` objects. So that imports
point one way (``remote_dataset -> dataset -> remote_verbs -> remote_session``),
the verbs do not import the class: :mod:`wkfn.api.remote_dataset` registers its
constructor here when it is imported (``import wkfn`` does), and the verbs call
:func:`open_facade`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from wkfn.api._session import Session, load_spec
from wkfn.errors import ReadOnlyError
from wkfn.remote import api
from wkfn.remote.client import redact
from wkfn.remote.context import Context
from wkfn.remote.resolve import Resolved
from wkfn.storage import remote as http_storage

if TYPE_CHECKING:
    from wkfn.api.remote_dataset import RemoteDataset

#: Facade keyword -> server field, for ``PATCH .../updatePartial``.
_SERVER_KEYS = {
    "name": "name",
    "description": "description",
    "tags": "tags",
    "is_public": "isPublic",
    "folder_id": "folderId",
    "metadata": "metadata",
}


class RemoteSession(Session):
    """A read-only session over a dataset on a WEBKNOSSOS server.

    Attributes:
        dataset_id: the server's id of the dataset.
        context: server and user token it was opened in; the token goes with every
            read (also after the ``webknossos_context`` block), only to its datastore.
        sharing_token: the sharing token it was opened with, if any.
        datastore: URL of the datastore serving its voxel data.
        organization: the organization owning it.
    """

    def __init__(self, where: Resolved) -> None:
        ctx = where.context
        info = api.dataset_info(where.dataset_id, where.sharing_token, ctx)
        store = str(info.get("dataStore", {}).get("url") or ctx.url)
        root = api.zarr_url(store, where.dataset_id)
        self.dataset_id = where.dataset_id
        self.context: Context = ctx
        self.sharing_token = where.sharing_token
        self.datastore = store
        self.organization = str(info.get("owningOrganization") or "")
        self.register_token()
        url_root = http_storage.UrlPath(root)
        super().__init__(url_root, load_spec(url_root), read_only=True)

    def register_token(self) -> None:
        """Let reads of this dataset's datastore route carry the context's token
        (a header) and the sharing token (``?token=``, added to each request only:
        the root URL, and so every plan and journal, stays token-free)."""
        prefix = api.zarr_url(self.datastore, self.dataset_id)
        if self.context.token:
            http_storage.register_token(prefix, self.context.token)
        if self.sharing_token:
            http_storage.register_sharing_token(prefix, self.sharing_token)

    @property
    def url(self) -> str:
        """``{server}/datasets/{id}`` (where the dataset opens in WEBKNOSSOS)."""
        return f"{self.context.url}/datasets/{self.dataset_id}"

    def describe(self) -> str:
        """``RemoteDataset('<url>')`` with tokens redacted (the facade's repr)."""
        return f"RemoteDataset({redact(self.url, self.context)!r})"

    def check_writable(self) -> None:
        """Always raises: voxel data and layers on a server are not written."""
        raise ReadOnlyError(
            f"{self.describe()} is a dataset on a WEBKNOSSOS server: its voxel data "
            "and layers cannot be changed over the network. Download it "
            "(RemoteDataset.download), change the copy and upload that "
            "(Dataset.upload)."
        )

    # ------------------------------------------------------------------ server I/O
    def info(self) -> dict[str, Any]:
        """The server's current description of the dataset (one request)."""
        return api.dataset_info(self.dataset_id, self.sharing_token, self.context)

    def update(self, **changes: Any) -> None:
        """Write only the given server-side properties (``updatePartial``)."""
        body = {_SERVER_KEYS[k]: v for k, v in changes.items()}
        api.update_partial(self.dataset_id, body, self.context)

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Unpickled in a worker process: register the token for its reads again."""
        super().__setstate__(state)
        self.register_token()


# --------------------------------------------------------------------------- facade

_facade: list[Callable[[RemoteSession], RemoteDataset]] = []


def register_facade(make: Callable[[RemoteSession], RemoteDataset]) -> None:
    """Set the constructor of the facade over a :class:`RemoteSession`
    (``RemoteDataset.of_session``; called once, when that module is imported)."""
    _facade[:] = [make]


def open_facade(where: Resolved) -> RemoteDataset:
    """The ``RemoteDataset`` of a resolved dataset (opens its session)."""
    if not _facade:
        raise RuntimeError(
            "wkfn.api.remote_dataset is not imported (import wkfn does that)"
        )
    return _facade[0](RemoteSession(where))


__all__ = ["RemoteSession", "open_facade", "register_facade"]
