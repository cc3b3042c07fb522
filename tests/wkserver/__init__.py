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

Zarr streaming has two modes: by default the stored zarr3 / zarr v2 files are
served as they are (Range reads of shards); with ``server.transcode = True`` every
layer is served as the real datastore does, as unsharded F-order zarr3 with ``.``
chunk keys generated from the stored arrays (``zarr_stream``). Stored wkw layers
are always served that way (as the real datastore does; wkw files are not
range-readable zarr). Simplifications (documented, not hidden): linked layers are
symlinks; users are admins of their organization; exploreAndAddRemote reads the
remote dataset's ``datasource-properties.json`` (``file://`` copies it,
``http(s)://`` and ``s3://`` register it with absolute mag URIs whose data the
datastore routes then fetch from there, see ``remote_source``); ``s3://bucket/key``
goes to the endpoint the server was configured with (``Server.s3_endpoint``), like
a real server configured for one object store.
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
