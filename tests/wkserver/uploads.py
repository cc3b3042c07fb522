"""The resumable dataset upload of the test server (datastore routes).

Protocol (datastore API v15 as the 4.3.3 client and the WEBKNOSSOS frontend use it):
``reserveUpload`` registers an upload id with the target name, organization, folder,
teams and layers to link; chunks of every file arrive as multipart posts
(resumable.js fields) and are stored one file per chunk; ``GET`` on the chunk route
answers 200 for a stored chunk and 204 for a missing one (resumable.js' test-chunk,
used by clients to resume); ``finishUpload`` checks that every announced file is
complete, assembles them in a staging directory, adds the linked layers and moves
the dataset into place with one rename. Finishing twice returns the same id.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from .state import (
    ApiError,
    DatasetRecord,
    JsonDict,
    State,
    Upload,
    new_id,
    safe_relpath,
)


def _upload_dir(state: State, upload_id: str) -> Path:
    if "/" in upload_id or upload_id.startswith(".") or not upload_id:
        raise ApiError(400, f"invalid upload id {upload_id!r}")
    return state.root / ".uploads" / upload_id


def reserve(state: State, token: str | None, body: JsonDict) -> None:
    user = state.require_user(token)
    try:
        info = body["resumableUploadInfo"]
        upload_id = str(info["uploadId"])
        count = int(info["totalFileCount"])
        size = int(info.get("totalFileSizeInBytes") or 0)
        name = str(body["datasetName"])
        org = str(body["organizationId"])
    except (KeyError, TypeError, ValueError) as e:
        raise ApiError(400, f"malformed reserveUpload body: {e}") from e
    if org != user.organization:
        raise ApiError(403, f"you may not upload to organization {org}")
    problems = state.name_problems(name)
    if problems:
        raise ApiError(400, "; ".join(problems))
    folder_id = body.get("folderId") or state.root_folder(org).id
    if folder_id not in state.folders:
        raise ApiError(400, f"folder {folder_id} does not exist")
    team_ids = list(body.get("initialTeamIds") or [])
    for team_id in team_ids:
        if team_id not in state.teams:
            raise ApiError(400, f"team {team_id} does not exist")
    links = list(body.get("layersToLink") or [])
    for link in links:
        source = state.readable(str(link.get("datasetId")), token, None)
        if not any(
            layer.get("name") == link.get("layerName")
            for layer in source.properties().get("dataLayers", [])
        ):
            raise ApiError(
                400, f"layer {link.get('layerName')!r} not in dataset {source.id}"
            )
    with state.lock:
        existing = state.uploads.get(upload_id)
        if existing is not None:
            if existing.user_id != user.id or existing.name != name:
                raise ApiError(409, f"upload id {upload_id} is taken")
            return  # re-reserving the same upload (a client resuming) is fine
        _upload_dir(state, upload_id).mkdir(parents=True, exist_ok=False)
        state.uploads[upload_id] = Upload(
            upload_id=upload_id,
            name=name,
            organization=org,
            folder_id=folder_id,
            team_ids=team_ids,
            layers_to_link=links,
            total_file_count=count,
            total_size=size,
            user_id=user.id,
        )


def _chunk_target(
    state: State, token: str | None, form: dict[str, str]
) -> tuple[Upload, str, Path, int]:
    user = state.require_user(token)
    try:
        identifier = form["resumableIdentifier"]
        number = int(form["resumableChunkNumber"])
        rel = safe_relpath(form.get("resumableRelativePath") or "")
    except (KeyError, ValueError) as e:
        raise ApiError(400, f"malformed chunk request: {e}") from e
    upload_id = identifier.split("/", 1)[0]
    upload = state.uploads.get(upload_id)
    if upload is None or upload.user_id != user.id:
        raise ApiError(404, f"no reserved upload {upload_id}")
    if upload.finished_dataset_id is not None:
        raise ApiError(409, f"upload {upload_id} is already finished")
    chunk = _upload_dir(state, upload_id) / "chunks" / f"{rel}.{number}"
    return upload, rel, chunk, number


def has_chunk(state: State, token: str | None, form: dict[str, str]) -> bool:
    _, _, chunk, _ = _chunk_target(state, token, form)
    return chunk.is_file()


def store_chunk(
    state: State, token: str | None, form: dict[str, str], data: bytes
) -> None:
    upload, rel, chunk, number = _chunk_target(state, token, form)
    try:
        total_chunks = int(form["resumableTotalChunks"])
        total_size = int(form["resumableTotalSize"])
        current = int(form["resumableCurrentChunkSize"])
    except (KeyError, ValueError) as e:
        raise ApiError(400, f"malformed chunk request: {e}") from e
    if len(data) != current:
        raise ApiError(400, f"chunk {number} of {rel}: got {len(data)} of {current} B")
    if not 1 <= number <= total_chunks:
        raise ApiError(400, f"chunk number {number} outside 1..{total_chunks}")
    with state.lock:
        upload.files[rel] = (total_chunks, total_size)
        if len(upload.files) > upload.total_file_count:
            del upload.files[rel]
            raise ApiError(400, "more files than announced in reserveUpload")
    chunk.parent.mkdir(parents=True, exist_ok=True)
    tmp = chunk.with_name(chunk.name + ".part")
    tmp.write_bytes(data)
    os.replace(tmp, chunk)


def finish(state: State, token: str | None, upload_id: str) -> str:
    user = state.require_user(token)
    with state.lock:
        upload = state.uploads.get(upload_id)
        if upload is None or upload.user_id != user.id:
            raise ApiError(404, f"no reserved upload {upload_id}")
        if upload.finished_dataset_id is not None:
            return upload.finished_dataset_id
        base = _upload_dir(state, upload_id)
        if len(upload.files) != upload.total_file_count:
            raise ApiError(
                400,
                f"upload {upload_id} incomplete: {len(upload.files)} of "
                f"{upload.total_file_count} files",
            )
        staging = base / "dataset"
        shutil.rmtree(staging, ignore_errors=True)
        for rel, (chunks, size) in upload.files.items():
            target = staging / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "wb") as out:
                for n in range(1, chunks + 1):
                    part = base / "chunks" / f"{rel}.{n}"
                    if not part.is_file():
                        shutil.rmtree(staging, ignore_errors=True)
                        raise ApiError(
                            400, f"upload {upload_id} incomplete: {rel} chunk {n}"
                        )
                    out.write(part.read_bytes())
            if target.stat().st_size != size:
                shutil.rmtree(staging, ignore_errors=True)
                raise ApiError(400, f"upload {upload_id}: {rel} has the wrong size")
        props_file = staging / "datasource-properties.json"
        try:
            props: JsonDict = json.loads(props_file.read_bytes())
            layers = props["dataLayers"]
            assert isinstance(layers, list)
        except (OSError, ValueError, KeyError, AssertionError) as e:
            shutil.rmtree(staging, ignore_errors=True)
            raise ApiError(400, f"no valid datasource-properties.json: {e}") from e
        directory = state._free_directory(upload.organization, upload.name)
        final = state.root / upload.organization / directory
        for link in upload.layers_to_link:
            _link_layer(state, props, staging, final, link)
        props["id"] = {"name": directory, "team": upload.organization}
        props_file.write_text(json.dumps(props, indent=2))
        os.replace(staging, final)
        record = DatasetRecord(
            id=new_id(),
            name=upload.name,
            directory_name=directory,
            organization=upload.organization,
            folder_id=upload.folder_id,
            path=final,
            team_ids=list(upload.team_ids),
        )
        state.datasets[record.id] = record
        upload.finished_dataset_id = record.id
        shutil.rmtree(base / "chunks", ignore_errors=True)
        return record.id


def _link_layer(
    state: State, props: JsonDict, staging: Path, final: Path, link: JsonDict
) -> None:
    """Add the linked layer: a symlink to the source layer and its properties."""
    source = state.datasets[str(link["datasetId"])]
    name = str(link["layerName"])
    new_name = str(link.get("newLayerName") or name)
    layer: Any = next(
        entry for entry in source.properties()["dataLayers"] if entry["name"] == name
    )
    if any(entry.get("name") == new_name for entry in props["dataLayers"]):
        raise ApiError(400, f"layer {new_name!r} exists and cannot be linked")
    layer = json.loads(json.dumps(layer))
    layer["name"] = new_name
    for mag in layer.get("mags", []):
        path = str(mag.get("path") or "")
        if path.startswith(f"./{name}/") or path.startswith(f"{name}/"):
            mag["path"] = f"./{new_name}/" + path.split("/", 2)[-1]
    props["dataLayers"].append(layer)
    os.symlink(source.path / name, staging / new_name)
    del final  # the symlink is absolute, so it stays valid after the rename
