"""Uploading a local dataset to WEBKNOSSOS: planned, parallel, resumable.

``plan_upload`` lists what would be sent (every file with its size, the layers that
are linked instead of sent) without any request; printing the plan is the dry run.
``upload_dataset`` runs it with the datastore's resumable protocol:

1. ``isValidNewName`` (a refused name fails here, before anything is reserved);
2. ``reserveUpload`` with an upload id that is remembered in a small state file
   (``$WKFN_CACHE_DIR`` or ``~/.cache/wkfn``, keyed by server, organization, name
   and the files' sizes and mtimes), never inside the dataset;
3. the chunks, ``jobs`` in parallel on one pooled connection set, each request
   retried with backoff; on a later call for the same upload every chunk is first
   tested (``GET``: 200 = already there) and only missing ones are sent;
4. ``finishUpload`` (the server assembles and moves the dataset in one step; on the
   test server finishing twice gives the same id), then the state file is removed.

Only what the dataset needs is sent: the properties, the root ``zarr.json`` and
the files of the layers that are not linked (hidden files such as journals and
tensorstore lock files are skipped). Layers in ``layers_to_link`` are linked on
the server (``layersToLink``); a local layer of the same name is left out.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
import uuid
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from wkfn.errors import InvalidArgumentError
from wkfn.remote import api
from wkfn.remote.client import (
    WebknossosError,
    WebknossosNotFoundError,
    WebknossosRequestError,
    api_url,
    datastore_url,
    redact,
    request,
)
from wkfn.remote.context import Context, current
from wkfn.remote.resolve import Resolved
from wkfn.storage.location import is_url

CHUNK_SIZE = 32 * 1024 * 1024
"""Bytes per chunk request (the reference uses 100 MiB; smaller resumes finer)."""
DEFAULT_JOBS = 5
CACHE_ENV = "WKFN_CACHE_DIR"


class LayerToLink(NamedTuple):
    """A layer of a dataset already on the server, linked into the upload."""

    dataset_id: str
    layer_name: str
    new_layer_name: str | None = None
    organization_id: str | None = None

    @classmethod
    def from_remote_layer(
        cls, layer: Any, new_layer_name: str | None = None
    ) -> LayerToLink:
        """The link for a layer of a :class:`RemoteDataset`."""
        dataset_id = getattr(layer.dataset, "dataset_id", None)
        if dataset_id is None:
            raise InvalidArgumentError(
                f"layer {layer.name!r} is not a layer of a dataset on a WEBKNOSSOS "
                "server (open it with Dataset.open_remote first)"
            )
        return cls(str(dataset_id), layer.name, new_layer_name)

    def as_json(self) -> dict[str, Any]:
        return {
            "datasetId": self.dataset_id,
            "layerName": self.layer_name,
            "newLayerName": self.new_layer_name,
        }


class UploadFailedError(WebknossosError):
    """Chunks could not be sent after the retries; calling ``upload`` again with
    the same arguments resumes (only the missing chunks are sent)."""


class DatasetNameRefusedError(WebknossosRequestError):
    """The server refused the new dataset's name (nothing was reserved)."""


@dataclass(frozen=True)
class UploadFile:
    """One file to send: its path in the dataset, size, and where its bytes are."""

    relpath: str
    size: int
    source: str | None = None
    content: bytes | None = field(default=None, repr=False)
    mtime_ns: int = 0

    def read(self, offset: int, size: int) -> bytes:
        if self.content is not None:
            return self.content[offset : offset + size]
        assert self.source is not None
        with open(self.source, "rb") as f:
            f.seek(offset)
            return f.read(size)


@dataclass(frozen=True)
class UploadPlan:
    """What an upload sends (no request is made to compute it)."""

    dataset_path: str
    server: str
    name: str
    files: tuple[UploadFile, ...]
    links: tuple[LayerToLink, ...]
    left_out: tuple[str, ...]

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files)

    def lines(self) -> list[str]:
        out = [
            f"upload {self.dataset_path} -> {self.server} as {self.name!r}: "
            f"{len(self.files)} files, {self.total_bytes} B"
        ]
        out += [f"+ send {f.relpath} ({f.size} B)" for f in self.files]
        out += [
            f"~ link layer {link.new_layer_name or link.layer_name} from dataset "
            f"{link.dataset_id} (layer {link.layer_name}, 0 B sent)"
            for link in self.links
        ]
        out += [
            f"- leave out local layer {name} (linked instead)" for name in self.left_out
        ]
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())


def _as_link(item: Any) -> LayerToLink:
    if isinstance(item, LayerToLink):
        return item
    if isinstance(item, tuple) and len(item) in (2, 3, 4):
        return LayerToLink(*item)
    if hasattr(item, "dataset") and hasattr(item, "name"):
        return LayerToLink.from_remote_layer(item)
    raise InvalidArgumentError(
        f"expected a LayerToLink or a remote Layer, got {item!r}"
    )


def _walk(root: Path, rel: str) -> Iterator[UploadFile]:
    base = root / rel
    if base.is_file():
        st = base.stat()
        yield UploadFile(rel, st.st_size, str(base), mtime_ns=st.st_mtime_ns)
        return
    for dirpath, dirnames, filenames in os.walk(base, followlinks=True):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith(".") or name.endswith("__lock"):
                continue
            full = Path(dirpath) / name
            st = full.stat()
            yield UploadFile(
                full.relative_to(root).as_posix(),
                st.st_size,
                str(full),
                mtime_ns=st.st_mtime_ns,
            )


def plan_upload(
    dataset: Any,
    new_dataset_name: str | None = None,
    layers_to_link: Sequence[Any] | None = None,
) -> UploadPlan:
    """The plan of ``upload_dataset`` (files with sizes, links); no request."""
    from wkfn.spec import lookup
    from wkfn.spec.codec import encode_properties
    from wkfn.storage import remote as http_storage

    if http_storage.is_url(dataset.path):
        raise InvalidArgumentError(
            f"{dataset!r} is not on local disk; download it first to upload a copy"
        )
    root = Path(dataset.path)
    name = new_dataset_name or dataset.name
    links = tuple(_as_link(i) for i in layers_to_link or ())
    linked = {link.new_layer_name or link.layer_name for link in links}
    spec = dataset.spec
    keep = tuple(layer for layer in spec.data_layers if layer.name not in linked)
    left_out = tuple(layer.name for layer in spec.data_layers if layer.name in linked)
    for layer in keep:
        for mag in layer.mags:
            path = lookup.resolve_mag_path(layer.name, mag)
            inside = path.removeprefix("./")
            if (
                is_url(path)
                or path.startswith("/")
                or not inside.startswith(f"{layer.name}/")
            ):
                raise InvalidArgumentError(
                    f"layer {layer.name!r} mag {mag.mag} lives at {path!r}, outside "
                    "the layer's folder: upload sends only the dataset's own files. "
                    "Copy it in (add_mag_as_copy) or link the layer (layers_to_link)."
                )
    import msgspec

    props = encode_properties(msgspec.structs.replace(spec, data_layers=keep))
    files: list[UploadFile] = [
        UploadFile("datasource-properties.json", len(props), content=props)
    ]
    if (root / "zarr.json").is_file():
        files += list(_walk(root, "zarr.json"))
    for layer in keep:
        files += list(_walk(root, layer.name))
    return UploadPlan(
        dataset_path=str(root),
        server=current().url,
        name=name,
        files=tuple(files),
        links=links,
        left_out=left_out,
    )


# --------------------------------------------------------------------------- state


def _cache_dir() -> Path:
    base = os.environ.get(CACHE_ENV) or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "wkfn"
    )
    return Path(base) / "uploads"


def _state_key(plan: UploadPlan, ctx: Context, org: str) -> str:
    digest = hashlib.sha256()
    parts: list[Any] = [ctx.url, org, plan.name, plan.dataset_path]
    parts += [(f.relpath, f.size, f.mtime_ns) for f in plan.files]
    parts += [list(link) for link in plan.links]
    digest.update(json.dumps(parts, default=str).encode())
    return digest.hexdigest()[:40]


def _load_state(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and "upload_id" in data else None


def _save_state(path: Path, state: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state))
    os.replace(tmp, path)


# --------------------------------------------------------------------------- run


@dataclass(frozen=True)
class _Chunk:
    file: UploadFile
    number: int
    total: int
    offset: int
    size: int


def _chunks(files: Sequence[UploadFile], chunk_size: int) -> list[_Chunk]:
    out = []
    for f in files:
        total = max(1, math.ceil(f.size / chunk_size))
        for n in range(total):
            offset = n * chunk_size
            out.append(
                _Chunk(f, n + 1, total, offset, min(chunk_size, f.size - offset))
            )
    return out


def _form(
    chunk: _Chunk, upload_id: str, chunk_size: int, n_files: int
) -> dict[str, str]:
    rel = chunk.file.relpath
    return {
        "resumableChunkNumber": str(chunk.number),
        "resumableChunkSize": str(chunk_size),
        "resumableCurrentChunkSize": str(chunk.size),
        "resumableTotalSize": str(chunk.file.size),
        "resumableType": "",
        "resumableIdentifier": f"{upload_id}/{rel}",
        "resumableFilename": rel.rsplit("/", 1)[-1],
        "resumableRelativePath": rel,
        "resumableTotalChunks": str(chunk.total),
        "totalFileCount": str(n_files),
    }


def upload_dataset(
    dataset: Any,
    new_dataset_name: str | None = None,
    layers_to_link: Sequence[Any] | None = None,
    jobs: int | None = None,
    *,
    folder: Any = None,
    initial_team_ids: Sequence[str] | None = None,
    dry_run: bool = False,
) -> UploadPlan | Resolved:
    """Upload ``dataset`` (a local ``Dataset``); where the new dataset is on the
    server (the facade opens it as a ``RemoteDataset``), or the plan if dry run.

    Raises:
        DatasetNameRefusedError: the server refuses the name (nothing reserved).
        UploadFailedError: chunks failed after retries (call again to resume).
        WebknossosError: any other refused or failed request (typed, URL, status).
    """
    plan = plan_upload(dataset, new_dataset_name, layers_to_link)
    if dry_run:
        return plan
    if jobs is not None and (not isinstance(jobs, int) or jobs < 1):
        raise InvalidArgumentError(f"jobs must be a positive integer, got {jobs!r}")
    ctx = current()
    valid, problems = api.is_valid_new_name(plan.name, ctx)
    if not valid:
        url = api_url(f"/datasets/{plan.name}/isValidNewName", ctx)
        raise DatasetNameRefusedError(
            f"the server refuses the dataset name {plan.name!r}: "
            + ("; ".join(problems) or "no reason given"),
            url=redact(url, ctx),
            status=200,
            method="GET",
            server_message="; ".join(problems),
        )
    org = api.organization_id(ctx)
    store = api.upload_datastore(ctx)
    state_path = _cache_dir() / f"{_state_key(plan, ctx, org)}.json"
    chunk_url = datastore_url(store, "/datasets/upload/dataset")
    state = _load_state(state_path)
    if state is not None and state.get("reserved"):
        # the server may have dropped the upload (expired, restarted): start over
        first = _chunks(plan.files, int(state["chunk_size"]))[0]
        form = _form(first, str(state["upload_id"]), int(state["chunk_size"]), 1)
        try:
            request("GET", chunk_url, params=form, context=ctx)
        except WebknossosNotFoundError:
            state = None
    resuming = state is not None
    if state is None:
        stamp = time.strftime("%Y-%m-%dT%H-%M-%S", time.gmtime())
        state = {"upload_id": f"{stamp}__{uuid.uuid4()}", "chunk_size": CHUNK_SIZE}
    upload_id, chunk_size = str(state["upload_id"]), int(state["chunk_size"])
    folder_id = getattr(folder, "id", folder)
    body = {
        "resumableUploadInfo": {
            "uploadId": upload_id,
            "totalFileCount": len(plan.files),
            "totalFileSizeInBytes": plan.total_bytes,
        },
        "datasetName": plan.name,
        "organizationId": org,
        "initialTeamIds": list(initial_team_ids or []),
        "layersToLink": [link.as_json() for link in plan.links],
        "folderId": folder_id,
    }
    if not state.get("reserved"):
        request(
            "POST",
            datastore_url(store, "/datasets/upload/dataset/reserveUpload"),
            json_body=body,
            context=ctx,
        )
        state["reserved"] = True
        _save_state(state_path, state)
    chunks = _chunks(plan.files, chunk_size)

    def send(chunk: _Chunk) -> None:
        form = _form(chunk, upload_id, chunk_size, len(plan.files))
        if resuming:
            probe = request("GET", chunk_url, params=form, context=ctx)
            if probe.status_code == 200:
                return
        data = chunk.file.read(chunk.offset, chunk.size)
        files = {"file": (form["resumableFilename"], data, "application/octet-stream")}
        request("POST", chunk_url, data=form, files=files, context=ctx)

    failures: list[str] = []
    with ThreadPoolExecutor(max_workers=jobs or DEFAULT_JOBS) as pool:
        futures = [pool.submit(send, c) for c in chunks]
        for chunk, future in zip(chunks, futures):
            error = future.exception()
            if error is not None:
                failures.append(f"{chunk.file.relpath} chunk {chunk.number}: {error}")
    if failures:
        raise UploadFailedError(
            f"upload of {plan.dataset_path} as {plan.name!r}: {len(failures)} of "
            f"{len(chunks)} chunks failed (call upload again to resume; only missing "
            f"chunks are sent). First: {redact(failures[0], ctx)}",
            url=redact(chunk_url, ctx),
            method="POST",
        )
    answer = request(
        "POST",
        datastore_url(store, "/datasets/upload/dataset/finishUpload"),
        params={"uploadId": upload_id},
        context=ctx,
    ).json()
    new_id = str(answer["datasetId"])
    state_path.unlink(missing_ok=True)
    return Resolved(ctx, new_id, None)


__all__ = [
    "DatasetNameRefusedError",
    "LayerToLink",
    "UploadFailedError",
    "UploadFile",
    "UploadPlan",
    "plan_upload",
    "upload_dataset",
]
