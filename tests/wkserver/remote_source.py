"""Datasets added by ``exploreAndAddRemote`` whose data stays elsewhere.

The real server explores the URI (here: it reads the dataset's
``datasource-properties.json``), stores the data source with every mag path made
an absolute URI below the remote dataset, and from then on its datastore reads the
voxels from there: zarr streaming and the raw-data route fetch them from the
remote store. This module does that for ``http(s)://`` (plain GETs with ``Range``)
and ``s3://bucket/key`` (boto3 against the object store the server is configured
with: ``Server.s3_endpoint``; credentials from the request's
``credentialIdentifier`` / ``credentialSecret``, else the AWS environment
variables, as a real server uses its configured credentials). Layers stored as
wkw are refused: wkw files are not explorable over the network. None of this uses
wkfn's own reading code.
"""

from __future__ import annotations

import json
import os
import posixpath
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from .state import ApiError, DatasetRecord, JsonDict, State, new_id

PROPERTIES = "datasource-properties.json"
TIMEOUT = 30.0


@dataclass(frozen=True)
class RemoteStore:
    """How the server reaches one explored dataset's store."""

    s3_endpoint: str | None = None
    key_id: str | None = None
    secret: str | None = None

    def _s3(self) -> Any:
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.s3_endpoint,
            aws_access_key_id=self.key_id or os.environ.get("AWS_ACCESS_KEY_ID"),
            aws_secret_access_key=self.secret
            or os.environ.get("AWS_SECRET_ACCESS_KEY"),
            region_name=os.environ.get("AWS_REGION") or "us-east-1",
        )

    def fetch(self, url: str, byte_range: str | None = None) -> tuple[int, bytes, str]:
        """``(status, body, content-range)`` of ``url``; ApiError 404 if absent."""
        scheme = urllib.parse.urlsplit(url).scheme
        if scheme in ("http", "https"):
            req = urllib.request.Request(url)
            if byte_range:
                req.add_header("Range", byte_range)
            try:
                with urllib.request.urlopen(req, timeout=TIMEOUT) as r:
                    return r.status, r.read(), r.headers.get("Content-Range") or ""
            except urllib.error.HTTPError as e:
                if e.code == 416:
                    return 416, b"", e.headers.get("Content-Range") or ""
                raise ApiError(404 if e.code == 404 else 502, f"{url}: {e}") from e
            except OSError as e:
                raise ApiError(502, f"cannot reach {url}: {e}") from e
        if scheme == "s3":
            if not self.s3_endpoint:
                raise ApiError(400, "this server has no S3 endpoint configured")
            parts = urllib.parse.urlsplit(url)
            kwargs: dict[str, Any] = {
                "Bucket": parts.netloc,
                "Key": parts.path.lstrip("/"),
            }
            if byte_range:
                kwargs["Range"] = byte_range
            client = self._s3()
            try:
                answer = client.get_object(**kwargs)
            except client.exceptions.NoSuchKey as e:
                raise ApiError(404, f"{url} not found") from e
            except Exception as e:  # botocore's ClientError (403, bad range ...)
                code = str(getattr(e, "response", {}).get("Error", {}).get("Code"))
                if code in ("InvalidRange", "416"):
                    return 416, b"", ""
                if code in ("404", "NoSuchBucket"):
                    raise ApiError(404, f"{url} not found") from e
                raise ApiError(502, f"cannot read {url}: {code}") from e
            body = answer["Body"].read()
            status = 206 if byte_range else 200
            return status, body, str(answer.get("ContentRange") or "")
        raise ApiError(400, f"cannot explore {url}: unsupported scheme {scheme!r}")

    def kvstore(self, url: str) -> JsonDict:
        """tensorstore kvstore for the array directory at ``url`` (transcoding and
        raw-data reads)."""
        parts = urllib.parse.urlsplit(url)
        if parts.scheme in ("http", "https"):
            return {"driver": "http", "base_url": url}
        credentials: JsonDict = (
            {"type": "environment"}
            if os.environ.get("AWS_ACCESS_KEY_ID") and not self.key_id
            else {"type": "anonymous"}
        )
        return {
            "driver": "s3",
            "bucket": parts.netloc,
            "path": parts.path.strip("/") + "/",
            "endpoint": self.s3_endpoint,
            "aws_region": os.environ.get("AWS_REGION") or "us-east-1",
            "aws_credentials": credentials,
        }


_stores: dict[str, RemoteStore] = {}
"""dataset id -> how its data is reached"""


def store_of(record: DatasetRecord) -> RemoteStore | None:
    """The remote store of an explored dataset (None for stored datasets)."""
    return _stores.get(record.id)


def _absolute(uri: str, path: str) -> str:
    if "://" in path:
        return path
    parts = urllib.parse.urlsplit(uri)
    joined = posixpath.normpath(posixpath.join(parts.path or "/", path))
    return urllib.parse.urlunsplit(parts._replace(path=joined))


def explore(uri: str, store: RemoteStore) -> JsonDict:
    """The remote dataset's properties with absolute mag URIs (ApiError 400 when
    nothing explorable is there)."""
    uri = uri.rstrip("/")
    try:
        _, raw, _ = store.fetch(f"{uri}/{PROPERTIES}")
        props: JsonDict = json.loads(raw)
    except (ApiError, ValueError) as e:
        raise ApiError(400, f"Exploring {uri} found no dataset: {e}") from e
    for layer in props.get("dataLayers", []):
        if layer.get("dataFormat") not in ("zarr", "zarr3"):
            raise ApiError(
                400,
                f"Exploring {uri}: layer {layer.get('name')!r} is "
                f"{layer.get('dataFormat')}, only zarr/zarr3 can be read remotely",
            )
        for mag in layer.get("mags", []):
            name = "-".join(map(str, mag["mag"]))
            rel = str(mag.get("path") or f"./{layer['name']}/{name}")
            mag["path"] = _absolute(uri + "/", rel)
    return props


def add_explored(
    state: State,
    uri: str,
    props: JsonDict,
    store: RemoteStore,
    organization: str,
    name: str,
) -> DatasetRecord:
    """Register the explored data source (only its properties are stored here)."""
    with state.lock:
        directory = state._free_directory(organization, name)
        target = state.root / organization / directory
        target.mkdir(parents=True)
        (target / PROPERTIES).write_text(json.dumps(props, indent=2))
        record = DatasetRecord(
            id=new_id(),
            name=name,
            directory_name=directory,
            organization=organization,
            folder_id=state.root_folder(organization).id,
            path=target,
            remote_uri=uri,
        )
        state.datasets[record.id] = record
        _stores[record.id] = store
        return record


def remote_file(record: DatasetRecord, rel: str) -> str | None:
    """The remote URL of ``{layer}/{mag}/...`` below the zarr streaming root."""
    parts = rel.split("/", 2)
    if len(parts) < 3:
        return None
    for layer in record.properties().get("dataLayers", []):
        if layer.get("name") != parts[0]:
            continue
        for mag in layer.get("mags", []):
            if "-".join(map(str, mag["mag"])) == parts[1] or (
                len(set(mag["mag"])) == 1 and str(mag["mag"][0]) == parts[1]
            ):
                return f"{str(mag['path']).rstrip('/')}/{parts[2]}"
    return None
