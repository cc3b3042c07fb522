"""HTTP front of the WEBKNOSSOS test server: routing, auth, faults, Range reads.

One ``ThreadingHTTPServer`` on 127.0.0.1 answers both the WEBKNOSSOS routes
(``/api/buildinfo``, ``/api/v{N}/...``) and the datastore routes
(``/data/v{N}/...``), as a single-host WEBKNOSSOS deployment does. Auth is the
``X-Auth-Token`` header (user token) or, on datastore routes, ``?token=`` (user or
sharing token); dataset info also takes ``?sharingToken=``. Errors are the server's
``{"messages": [{"error": ...}]}`` JSON.

``faults`` injects failures for resilience tests: each entry ``(method, regex,
status, count)`` answers the next ``count`` matching requests with ``status``
(``0`` = drop the connection without an answer).
"""

from __future__ import annotations

import http.server
import json
import re
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path
from typing import Any

from . import rawdata, remote_source, uploads, zarr_stream
from .state import (
    ApiError,
    DatasetRecord,
    JsonDict,
    State,
    error_body,
    new_id,
    safe_relpath,
)

API_VERSION = 16
"""WEBKNOSSOS HTTP API version whose shapes this server implements."""
DATASTORE_API_VERSION = 15


@dataclass
class Fault:
    method: str
    pattern: str
    status: int
    count: int
    skip: int = 0


@dataclass
class Logged:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    status: int = 0


@dataclass
class Server:
    state: State
    faults: list[Fault] = field(default_factory=list)
    log: list[Logged] = field(default_factory=list)
    transcode: bool = False
    """Serve zarr streaming as the real datastore does (unsharded zarr3, F order,
    ``.`` chunk keys; see ``zarr_stream``) instead of the stored files as they are."""
    delay: float = 0.0
    """Seconds to wait before answering a zarr streaming read (slow server)."""
    s3_endpoint: str | None = None
    """The object store ``s3://bucket/key`` URIs of exploreAndAddRemote reach (a real
    server is configured with its S3 endpoint and credentials the same way)."""
    _httpd: http.server.ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return self.state.url

    def fail(
        self, method: str, pattern: str, status: int, count: int = 1, skip: int = 0
    ) -> None:
        """Answer ``count`` matching requests with ``status`` (0: drop the
        connection), after letting the first ``skip`` matching ones through."""
        self.faults.append(Fault(method, pattern, status, count, skip))

    def requests(self, method: str, pattern: str) -> list[Logged]:
        return [
            r for r in self.log if r.method == method and re.search(pattern, r.path)
        ]

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()


def start(root: Path) -> Server:
    """Start a server storing datasets below ``root`` (a thread; ``stop()`` it)."""
    state = State(root=root)
    root.mkdir(parents=True, exist_ok=True)
    server = Server(state)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(server))
    httpd.daemon_threads = True
    state.port = httpd.server_address[1]
    server._httpd = httpd
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return server


class _Reply(Exception):
    def __init__(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.status, self.body, self.headers = status, body, headers


def _json(value: Any, status: int = 200) -> _Reply:
    return _Reply(
        status, json.dumps(value).encode(), {"Content-Type": "application/json"}
    )


def _handler(server: Server) -> type[http.server.BaseHTTPRequestHandler]:
    state = server.state

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def _send(self, reply: _Reply) -> None:
            self.send_response(reply.status)
            for key, value in reply.headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(reply.body)

        def _handle(self) -> None:
            parts = urllib.parse.urlsplit(self.path)
            path = urllib.parse.unquote(parts.path)
            query = dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            entry = Logged(self.command, path, query, dict(self.headers.items()))
            server.log.append(entry)
            injected = _injected(server, self.command, path)
            if injected is not None:
                entry.status = injected
                if injected == 0:
                    self.close_connection = True
                    self.connection.close()
                    return
                self._send(_Reply(injected, error_body("injected"), {}))
                return
            try:
                route(
                    self.command,
                    path,
                    query,
                    body,
                    {k.lower(): v for k, v in self.headers.items()},
                )
                reply = _Reply(404, error_body(f"no route {path}"), {})
            except _Reply as r:
                reply = r
            except ApiError as e:
                reply = _Reply(
                    e.status,
                    error_body(e.message),
                    {"Content-Type": "application/json"},
                )
            entry.status = reply.status
            self._send(reply)

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = _handle

    def route(
        method: str,
        path: str,
        query: dict[str, str],
        body: bytes,
        headers: dict[str, str],
    ) -> None:
        token = headers.get("x-auth-token") or None
        if path == "/api/buildinfo":
            raise _json(
                {
                    "webknossos": {"name": "webknossos", "version": "test"},
                    "httpApiVersioning": {
                        "currentApiVersion": API_VERSION,
                        "oldestSupportedApiVersion": 5,
                    },
                    "localDataStoreEnabled": True,
                    "localTracingStoreEnabled": True,
                }
            )
        m = re.fullmatch(r"/api(?:/v(\d+))?(/.*)", path)
        if m:
            wk_route(method, m.group(2), query, body, token)
        m = re.fullmatch(r"/data(?:/v(\d+))?(/.*)", path)
        if m:
            datastore_route(method, m.group(2), query, body, headers, token)

    def parse_body(body: bytes) -> Any:
        try:
            return json.loads(body or b"null")
        except ValueError as e:
            raise ApiError(400, f"invalid JSON: {e}") from e

    def wk_route(
        method: str, r: str, query: dict[str, str], body: bytes, token: str | None
    ) -> None:
        if method == "GET" and r == "/user":
            user = state.require_user(token)
            raise _json(user.to_json(state.teams))
        if method == "GET" and r == "/datastores":
            raise _json([state.datastore_json()])
        if method == "GET" and r == "/teams":
            user = state.require_user(token)
            raise _json(
                [
                    t.to_json()
                    for t in state.teams.values()
                    if t.organization == user.organization
                ]
            )
        if method == "GET" and r == "/folders/tree":
            user = state.require_user(token)
            raise _json(
                [
                    {"id": f.id, "name": f.name, "parent": f.parent, "isEditable": True}
                    for f in state.folders.values()
                    if f.organization == user.organization
                ]
            )
        if method == "GET" and r == "/folders/root":
            user = state.require_user(token)
            f = state.root_folder(user.organization)
            raise _json({"id": f.id, "name": f.name, "parent": None})
        m = re.fullmatch(r"/shortLinks/byKey/([^/]+)", r)
        if method == "GET" and m:
            link = state.short_links.get(m.group(1))
            if link is None:
                raise ApiError(404, "short link not found")
            raise _json({"longLink": link, "key": m.group(1), "_id": new_id()})
        if method == "GET" and r == "/datasets":
            list_datasets(query, token)
        if method == "POST" and r == "/datasets/exploreAndAddRemote":
            explore_and_add(parse_body(body), token)
        m = re.fullmatch(r"/datasets/disambiguate/([^/]+)/([^/]+)/toId", r)
        if method == "GET" and m:
            org, name = m.groups()
            for rec in state.datasets.values():
                if rec.organization == org and rec.directory_name == name:
                    state.readable(rec.id, token, None)
                    raise _json(
                        {
                            "id": rec.id,
                            "name": rec.name,
                            "organization": org,
                            "directoryName": rec.directory_name,
                        }
                    )
            raise ApiError(404, f"Dataset {org}/{name} does not exist")
        m = re.fullmatch(r"/datasets/([^/]+)/isValidNewName", r)
        if method == "GET" and m:
            state.require_user(token)
            problems = state.name_problems(m.group(1))
            raise _json({"isValid": not problems, "errors": problems})
        m = re.fullmatch(r"/datasets/([0-9a-f]{24})(/[A-Za-z]+)?", r)
        if m:
            dataset_route(method, m.group(1), m.group(2) or "", query, body, token)

    def list_datasets(query: dict[str, str], token: str | None) -> None:
        user = state.user(token)
        org = query.get("organizationId") or (user.organization if user else None)
        search = query.get("searchQuery")
        folder = query.get("folderId")
        out = []
        for rec in state.datasets.values():
            visible = rec.is_public or (
                user is not None and user.organization == rec.organization
            )
            if not visible or (org is not None and rec.organization != org):
                continue
            if search and search.lower() not in rec.name.lower():
                continue
            if folder and rec.folder_id != folder:
                continue
            if query.get("compact") == "true":
                out.append({"id": rec.id, "name": rec.name, "tags": rec.tags})
            else:
                out.append(state.dataset_json(rec))
        raise _json(out)

    def explore_and_add(body: Any, token: str | None) -> None:
        user = state.require_user(token)
        try:
            uri, name = str(body["remoteUri"]), str(body["datasetName"])
        except (KeyError, TypeError) as e:
            raise ApiError(400, f"malformed body: {e}") from e
        if state.name_problems(name):
            raise ApiError(400, "; ".join(state.name_problems(name)))
        scheme = urllib.parse.urlsplit(uri).scheme
        if scheme in ("http", "https", "s3"):
            store = remote_source.RemoteStore(
                server.s3_endpoint,
                body.get("credentialIdentifier"),
                body.get("credentialSecret"),
            )
            props = remote_source.explore(uri, store)
            rec = remote_source.add_explored(
                state, uri, props, store, user.organization, name
            )
            if body.get("folderId"):
                rec.folder_id = str(body["folderId"])
            raise _json(rec.id)
        src = (
            Path(urllib.parse.urlsplit(uri).path) if uri.startswith("file://") else None
        )
        if src is None or not (src / "datasource-properties.json").is_file():
            raise ApiError(400, f"Exploring {uri} found no dataset")
        rec = state.add_dataset_from(src, user.organization, name)
        rec.remote_uri = uri
        if body.get("folderId"):
            rec.folder_id = str(body["folderId"])
        raise _json(rec.id)

    def dataset_route(
        method: str,
        dataset_id: str,
        sub: str,
        query: dict[str, str],
        body: bytes,
        token: str | None,
    ) -> None:
        if method == "GET" and sub == "":
            rec = state.readable(dataset_id, token, query.get("sharingToken"))
            raise _json(state.dataset_json(rec))
        if method == "GET" and sub == "/sharingToken":
            rec = state.writable(dataset_id, token)
            with state.lock:
                if rec.sharing_token is None:
                    rec.sharing_token = new_id()
            raise _json({"sharingToken": rec.sharing_token})
        if method == "DELETE" and sub == "":
            rec = state.writable(dataset_id, token)
            with state.lock:
                del state.datasets[rec.id]
            raise _Reply(200, b"", {})
        if method == "PATCH" and sub == "/teams":
            rec = state.writable(dataset_id, token)
            ids = parse_body(body)
            if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
                raise ApiError(400, "expected a JSON list of team ids")
            for team_id in ids:
                team = state.teams.get(team_id)
                if team is None or team.organization != rec.organization:
                    raise ApiError(400, f"team {team_id} does not exist")
            rec.team_ids = list(ids)
            raise _Reply(200, b"", {})
        if method == "PATCH" and sub in ("", "/updatePartial"):
            rec = state.writable(dataset_id, token)
            update(rec, parse_body(body), partial=sub == "/updatePartial")
            if sub == "":
                raise _json(state.dataset_json(rec))
            raise _Reply(200, b"", {})

    def update(rec: Any, body: Any, *, partial: bool) -> None:
        if not isinstance(body, dict):
            raise ApiError(400, "expected a JSON object")
        checks: dict[str, Any] = {
            "name": lambda v: isinstance(v, str) and v,
            "description": lambda v: v is None or isinstance(v, str),
            "tags": lambda v: (
                isinstance(v, list) and all(isinstance(t, str) for t in v)
            ),
            "isPublic": lambda v: isinstance(v, bool),
            "folderId": lambda v: isinstance(v, str) and v in state.folders,
            "metadata": lambda v: (
                isinstance(v, list) and all(_metadata_ok(e) for e in v)
            ),
        }
        for key, ok in checks.items():
            if key in body and not ok(body[key]):
                raise ApiError(400, f"invalid value for {key}: {body[key]!r}")
        with state.lock:
            if "name" in body:
                rec.name = body["name"]
            if "description" in body:
                rec.description = body["description"]
            if "tags" in body:
                rec.tags = list(body["tags"])
            if "isPublic" in body:
                rec.is_public = body["isPublic"]
            if "folderId" in body:
                rec.folder_id = body["folderId"]
            if "metadata" in body:
                rec.metadata = [
                    {"key": e["key"], "type": e["type"], "value": e["value"]}
                    for e in body["metadata"]
                ]
            if partial and "dataSource" in body:
                props = body["dataSource"]
                if not isinstance(props, dict) or "dataLayers" not in props:
                    raise ApiError(400, "invalid dataSource")
                (rec.path / "datasource-properties.json").write_text(json.dumps(props))

    def datastore_route(
        method: str,
        r: str,
        query: dict[str, str],
        body: bytes,
        headers: dict[str, str],
        token: str | None,
    ) -> None:
        data_token = token or query.get("token")
        m = re.fullmatch(r"/zarr/([0-9a-f]{24})/?(.*)", r)
        if m and method in ("GET", "HEAD"):
            rec = state.readable(m.group(1), data_token, query.get("token"))
            if server.delay:
                time.sleep(server.delay)
            serve_zarr(rec, m.group(2), headers)
        m = re.fullmatch(r"/datasets/([0-9a-f]{24})/layers/([^/]+)/data", r)
        if m and method == "GET":
            rec = state.readable(m.group(1), data_token, query.get("token"))
            data = rawdata.read_box(rec, m.group(2), query)
            raise _Reply(
                200,
                data,
                {"Content-Type": "application/octet-stream", "MISSING-BUCKETS": "[]"},
            )
        if method == "POST" and r == "/datasets/reserveManualUpload":
            reserve_manual(parse_body(body), token)
        if method == "POST" and r == "/datasets/upload/dataset/reserveUpload":
            uploads.reserve(state, token, parse_body(body))
            raise _Reply(200, b"", {})
        if method == "POST" and r == "/datasets/upload/dataset/finishUpload":
            dataset_id = uploads.finish(state, token, query.get("uploadId", ""))
            raise _json({"datasetId": dataset_id})
        if r == "/datasets/upload/dataset":
            if method == "GET":
                found = uploads.has_chunk(state, token, query)
                raise _Reply(200 if found else 204, b"", {})
            if method == "POST":
                form, data = parse_multipart(headers, body)
                uploads.store_chunk(state, token, {**query, **form}, data)
                raise _Reply(200, b"", {})
        m = re.fullmatch(r"/triggers/reload/([^/]+)/([0-9a-f]{24})", r)
        if m and method == "POST":
            rec = state.writable(m.group(2), token)
            if rec.organization != m.group(1):
                raise ApiError(404, f"Dataset {m.group(2)} not in {m.group(1)}")
            state.reloads.append((m.group(1), m.group(2)))
            raise _Reply(200, b"", {})

    def reserve_manual(body: Any, token: str | None) -> None:
        user = state.require_user(token)
        if not isinstance(body, dict):
            raise ApiError(400, "expected a JSON object")
        name, org = str(body.get("datasetName")), str(body.get("organization"))
        if org != user.organization:
            raise ApiError(403, f"you may not add datasets to organization {org}")
        if state.name_problems(name):
            raise ApiError(400, "; ".join(state.name_problems(name)))
        folder = str(body.get("folderId") or state.root_folder(org).id)
        if folder not in state.folders:
            raise ApiError(400, f"folder {folder} does not exist")
        teams = [str(t) for t in body.get("initialTeamIds") or []]
        if any(t not in state.teams for t in teams):
            raise ApiError(400, "unknown team id")
        with state.lock:
            directory = state._free_directory(org, name)
            path = state.root / org / directory
            path.mkdir()
            rec = DatasetRecord(
                id=new_id(),
                name=name,
                directory_name=directory,
                organization=org,
                folder_id=folder,
                path=path,
                team_ids=teams,
            )
            state.datasets[rec.id] = rec
        raise _json({"id": rec.id, "directoryName": directory})

    def serve_zarr(rec: Any, rel: str, headers: dict[str, str]) -> None:
        rel = rel.rstrip("/")
        if rel and (server.transcode or zarr_stream.always_transcoded(rec, rel)):
            served = zarr_stream.serve(rec, safe_relpath(rel))
            if served is None:
                raise ApiError(404, f"{rel} not found")
            raise _Reply(200, served[0], {"Content-Type": served[1]})
        if rel in ("", "datasource-properties.json"):
            if rel == "":
                raise _json({"datasetId": rec.id})
            props = rec.properties()
            for layer in props.get("dataLayers", []):
                if layer.get("dataFormat") == "wkw":
                    zarr_stream.transcode_layer(layer)
                for mag in layer.get("mags", []):
                    path = str(mag.get("path") or "")
                    if not path or path.startswith("/") or "://" in path:
                        name = "-".join(map(str, mag["mag"]))
                        mag["path"] = f"./{layer['name']}/{name}"
            raise _json(props)
        rel = safe_relpath(rel)
        rng = headers.get("range")
        store = remote_source.store_of(rec)
        remote = None if store is None else remote_source.remote_file(rec, rel)
        if store is not None and remote is not None:  # explored: fetch from there
            status, body, content_range = store.fetch(remote, rng)
            extra = {"Content-Range": content_range} if content_range else {}
            raise _Reply(status, body, {"Accept-Ranges": "bytes", **extra})
        target = rec.path / rel
        if not target.is_file():
            raise ApiError(404, f"{rel} not found")
        data = target.read_bytes()
        if rng is None:
            raise _Reply(200, data, {"Accept-Ranges": "bytes"})
        m = re.fullmatch(r"bytes=(\d*)-(\d*)", rng.strip())
        if m is None or m.groups() == ("", ""):
            raise ApiError(400, f"bad range {rng}")
        first, last = m.groups()
        if first == "":
            lo, hi = max(len(data) - int(last), 0), len(data)
        else:
            lo = int(first)
            hi = min(int(last) + 1, len(data)) if last else len(data)
        if lo >= len(data) or hi <= lo:
            raise _Reply(416, b"", {"Content-Range": f"bytes */{len(data)}"})
        raise _Reply(
            206, data[lo:hi], {"Content-Range": f"bytes {lo}-{hi - 1}/{len(data)}"}
        )

    return Handler


def _injected(server: Server, method: str, path: str) -> int | None:
    """The status of the first fault that fires for this request, if any."""
    with server.state.lock:
        for fault in server.faults:
            if (
                fault.count > 0
                and fault.method == method
                and re.search(fault.pattern, path)
            ):
                if fault.skip > 0:
                    fault.skip -= 1
                    continue
                fault.count -= 1
                return fault.status
    return None


def _metadata_ok(entry: Any) -> bool:
    if not isinstance(entry, dict) or not isinstance(entry.get("key"), str):
        return False
    kind, value = entry.get("type"), entry.get("value")
    if kind == "string":
        return isinstance(value, str)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "string[]":
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    return False


def parse_multipart(
    headers: dict[str, str], body: bytes
) -> tuple[dict[str, str], bytes]:
    """Form fields and the ``file`` part of a multipart/form-data body."""
    ctype = headers.get("content-type") or ""
    if "multipart/form-data" not in ctype:
        raise ApiError(415, f"expected multipart/form-data, got {ctype!r}")
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {ctype}\r\n\r\n".encode() + body
    )
    form: dict[str, str] = {}
    data: bytes | None = None
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        if name == "file":
            data = payload
        elif isinstance(name, str):
            form[name] = payload.decode()
    if data is None:
        raise ApiError(400, "multipart body without a file part")
    return form, data


__all__ = ["API_VERSION", "DATASTORE_API_VERSION", "JsonDict", "Server", "start"]
