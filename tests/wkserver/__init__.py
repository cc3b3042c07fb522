"""A WEBKNOSSOS test server for the client tests (the real server cannot run here).

It implements the routes and JSON shapes of WEBKNOSSOS API v16 (datastore v15) that
the Python client uses — current user, teams, folders, dataset listing / info /
disambiguation / partial and full update / teams / sharing token / delete,
isValidNewName, exploreAndAddRemote, short links, datastores; on the datastore side
zarr streaming (``/data/v15/zarr/{id}/...`` with Range reads), raw data, the
resumable upload (reserve, chunks with test-chunk, finish) and reload triggers.
Shapes follow ``conf/webknossos.latest.routes`` of scalableminds/webknossos as
summarised in the project's server-api notes and what the 4.3.3 client sends and
parses; ``tests/remote/test_server_faithful.py`` runs the 4.3.3 client against it.

Simplifications (documented, not hidden): datasets are served as stored (zarr3 /
zarr v2 files verbatim; the real datastore transcodes every layer, wkw included, to
unsharded zarr3); linked layers are symlinks; exploreAndAddRemote accepts
``file://`` URIs of local datasets (it registers a copy).
"""

from .server import API_VERSION, DATASTORE_API_VERSION, Server, start
from .state import ApiError, DatasetRecord, State

__all__ = [
    "API_VERSION",
    "DATASTORE_API_VERSION",
    "ApiError",
    "DatasetRecord",
    "Server",
    "State",
    "start",
]
