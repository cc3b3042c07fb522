"""State of the WEBKNOSSOS test server: users, teams, folders, datasets, uploads.

This is the in-memory "database" plus the on-disk dataset store of the test server
(see ``tests/wkserver/__init__.py`` for what it imitates and which API version).
Datasets live in ``{root}/{organization}/{directoryName}/`` exactly as a datastore
keeps them; uploads are staged in ``{root}/.uploads/{uploadId}/`` and moved into
place in one ``os.replace`` when finished, so a failed or interrupted upload never
leaves a half-written dataset where the datastore serves from.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

JsonDict = dict[str, Any]

# Dataset names the real server accepts (letters, digits, '-', '_', '.'; not
# starting with '.'; at least 3 characters). Used by isValidNewName and reserve.
_NAME = re.compile(r"[A-Za-z0-9_\-][A-Za-z0-9_.\-]{2,}")


class ApiError(Exception):
    """Answer with ``status`` and the server's error JSON ``{"messages": [...]}``."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message
        super().__init__(f"{status}: {message}")


def new_id() -> str:
    """A 24-hex ObjectId like the server's."""
    return secrets.token_hex(12)


@dataclass
class User:
    id: str
    email: str
    organization: str
    first_name: str
    last_name: str
    team_ids: list[str]
    is_admin: bool = True

    def to_json(self, teams: dict[str, Team]) -> JsonDict:
        return {
            "id": self.id,
            "email": self.email,
            "organization": self.organization,
            "firstName": self.first_name,
            "lastName": self.last_name,
            "created": 1700000000000,
            "lastActivity": 1700000000000,
            "isActive": True,
            "isAdmin": self.is_admin,
            "isDatasetManager": self.is_admin,
            "teams": [
                {"id": t, "name": teams[t].name, "isTeamManager": self.is_admin}
                for t in self.team_ids
            ],
            "experiences": {},
        }


@dataclass
class Team:
    id: str
    name: str
    organization: str

    def to_json(self) -> JsonDict:
        return {"id": self.id, "name": self.name, "organization": self.organization}


@dataclass
class Folder:
    id: str
    name: str
    parent: str | None
    organization: str


@dataclass
class DatasetRecord:
    id: str
    name: str
    directory_name: str
    organization: str
    folder_id: str
    path: Path
    is_public: bool = False
    tags: list[str] = field(default_factory=list)
    description: str | None = None
    metadata: list[JsonDict] = field(default_factory=list)
    team_ids: list[str] = field(default_factory=list)
    sharing_token: str | None = None
    created: int = field(default_factory=lambda: int(time.time() * 1000))
    remote_uri: str | None = None
    """Set for datasets added by exploreAndAddRemote (data stays elsewhere)."""

    def properties(self) -> JsonDict:
        """The stored datasource-properties.json with the server's ``id``."""
        data: JsonDict = json.loads(
            (self.path / "datasource-properties.json").read_bytes()
        )
        data["id"] = {"name": self.directory_name, "team": self.organization}
        return data


@dataclass
class Upload:
    upload_id: str
    name: str
    organization: str
    folder_id: str
    team_ids: list[str]
    layers_to_link: list[JsonDict]
    total_file_count: int
    total_size: int
    user_id: str
    finished_dataset_id: str | None = None
    # relative path -> (total chunks, total size)
    files: dict[str, tuple[int, int]] = field(default_factory=dict)


@dataclass
class State:
    """Everything the server knows. ``lock`` guards all mutation."""

    root: Path
    port: int = 0
    users: dict[str, User] = field(default_factory=dict)
    """token -> user"""
    teams: dict[str, Team] = field(default_factory=dict)
    folders: dict[str, Folder] = field(default_factory=dict)
    datasets: dict[str, DatasetRecord] = field(default_factory=dict)
    uploads: dict[str, Upload] = field(default_factory=dict)
    short_links: dict[str, str] = field(default_factory=dict)
    reloads: list[tuple[str, str]] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock)

    # ----------------------------------------------------------------- set-up
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def add_organization(self, org: str, token: str, email: str) -> User:
        """An organization with a root folder, two teams and one admin user."""
        root = Folder(new_id(), org, None, org)
        self.folders[root.id] = root
        team_ids = []
        for name in (f"{org}_lab_a", f"{org}_lab_b"):
            team = Team(new_id(), name, org)
            self.teams[team.id] = team
            team_ids.append(team.id)
        user = User(new_id(), email, org, "Test", "User", team_ids[:1])
        self.users[token] = user
        (self.root / org).mkdir(parents=True, exist_ok=True)
        return user

    def add_folder(self, name: str, parent_id: str) -> Folder:
        parent = self.folders[parent_id]
        folder = Folder(new_id(), name, parent.id, parent.organization)
        self.folders[folder.id] = folder
        return folder

    def root_folder(self, org: str) -> Folder:
        return next(
            f for f in self.folders.values() if f.organization == org and not f.parent
        )

    def add_dataset_from(self, source: Path, org: str, name: str) -> DatasetRecord:
        """Register a copy of the local dataset ``source`` (the test's fixture)."""
        with self.lock:
            directory = self._free_directory(org, name)
            target = self.root / org / directory
            shutil.copytree(source, target, symlinks=True)
            record = DatasetRecord(
                id=new_id(),
                name=name,
                directory_name=directory,
                organization=org,
                folder_id=self.root_folder(org).id,
                path=target,
            )
            self.datasets[record.id] = record
            return record

    def _free_directory(self, org: str, name: str) -> str:
        taken = {d.directory_name for d in self.datasets.values()}
        taken |= {p.name for p in (self.root / org).iterdir()}
        if name not in taken:
            return name
        n = 2
        while f"{name}-{n}" in taken:
            n += 1
        return f"{name}-{n}"

    # ----------------------------------------------------------------- access
    def user(self, token: str | None) -> User | None:
        return None if token is None else self.users.get(token)

    def require_user(self, token: str | None) -> User:
        user = self.user(token)
        if user is None:
            raise ApiError(401, "Access denied. Please log in or provide a token.")
        return user

    def readable(
        self, dataset_id: str, token: str | None, sharing_token: str | None
    ) -> DatasetRecord:
        """The dataset if the caller may read it, else 404 (existence is hidden)."""
        record = self.datasets.get(dataset_id)
        if record is None:
            raise ApiError(404, f"Dataset {dataset_id} does not exist")
        user = self.user(token)
        ok = (
            record.is_public
            or (user is not None and user.organization == record.organization)
            or (sharing_token is not None and sharing_token == record.sharing_token)
            or (token is not None and token == record.sharing_token)
        )
        if not ok:
            raise ApiError(
                404, f"Dataset {dataset_id} does not exist or could not be accessed"
            )
        return record

    def writable(self, dataset_id: str, token: str | None) -> DatasetRecord:
        user = self.require_user(token)
        record = self.datasets.get(dataset_id)
        if record is None or record.organization != user.organization:
            raise ApiError(404, f"Dataset {dataset_id} does not exist")
        return record

    # ----------------------------------------------------------------- JSON
    def team_json(self, team_id: str) -> JsonDict:
        return self.teams[team_id].to_json()

    def dataset_json(self, record: DatasetRecord) -> JsonDict:
        try:
            source: JsonDict = record.properties()
        except (OSError, ValueError) as e:
            source = {
                "id": {"name": record.directory_name, "team": record.organization},
                "status": f"unusable: {e}",
            }
        size = (
            sum(p.stat().st_size for p in record.path.rglob("*") if p.is_file())
            if record.path.exists()
            else 0
        )
        return {
            "id": record.id,
            "name": record.name,
            "isPublic": record.is_public,
            "folderId": record.folder_id,
            "allowedTeams": [self.team_json(t) for t in record.team_ids],
            "allowedTeamsCumulative": [self.team_json(t) for t in record.team_ids],
            "tags": list(record.tags),
            "directoryName": record.directory_name,
            "owningOrganization": record.organization,
            "dataStore": self.datastore_json(),
            "dataSource": source,
            "created": record.created,
            "metadata": list(record.metadata),
            "description": record.description,
            "usedStorageBytes": size,
            "isActive": True,
            "isEditable": True,
        }

    def datastore_json(self) -> JsonDict:
        return {
            "name": "localhost",
            "url": self.url,
            "allowsUpload": True,
            "isScratch": False,
            "jobsEnabled": False,
        }

    # ----------------------------------------------------------------- names
    @staticmethod
    def name_problems(name: str) -> list[str]:
        if not _NAME.fullmatch(name):
            return [
                "Dataset name must be at least 3 characters long and may only "
                "contain letters, digits, '-', '_' and '.' (not first)"
            ]
        return []


def error_body(message: str) -> bytes:
    return json.dumps({"messages": [{"error": message}]}).encode()


def safe_relpath(path: str) -> str:
    """``path`` if it is a plain relative path inside a dataset, else 400."""
    parts = [p for p in path.replace("\\", "/").split("/") if p not in ("", ".")]
    if not parts or path.startswith("/") or any(p == ".." for p in parts):
        raise ApiError(400, f"invalid file path {path!r}")
    return "/".join(parts)


def assert_os_safe(root: Path, target: Path) -> None:
    if os.path.commonpath([root.resolve(), target.resolve()]) != str(root.resolve()):
        raise ApiError(400, "path escapes the dataset")
