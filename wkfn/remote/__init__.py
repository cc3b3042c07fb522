"""Talking to a WEBKNOSSOS server: context, HTTP client, routes, upload, download.

``webknossos_context`` chooses server and token; :mod:`wkfn.remote.client` sends
requests (timeouts, bounded retries, typed errors with tokens redacted);
:mod:`wkfn.remote.api` names the routes; :mod:`wkfn.remote.resolve` turns names and
links into dataset ids; :mod:`wkfn.remote.upload` and :mod:`wkfn.remote.download`
move datasets. The facade class ``RemoteDataset`` lives in
:mod:`wkfn.api.remote_dataset`.
"""

from wkfn.remote.admin import RemoteFolder, Team
from wkfn.remote.client import (
    WebknossosAuthError,
    WebknossosError,
    WebknossosNotFoundError,
    WebknossosRequestError,
    WebknossosServerError,
)
from wkfn.remote.context import login, webknossos_context
from wkfn.remote.resolve import RemoteDatasetNotFoundError
from wkfn.remote.upload import (
    DatasetNameRefusedError,
    LayerToLink,
    UploadFailedError,
)

__all__ = [
    "DatasetNameRefusedError",
    "LayerToLink",
    "RemoteDatasetNotFoundError",
    "RemoteFolder",
    "Team",
    "UploadFailedError",
    "WebknossosAuthError",
    "WebknossosError",
    "WebknossosNotFoundError",
    "WebknossosRequestError",
    "WebknossosServerError",
    "login",
    "webknossos_context",
]
