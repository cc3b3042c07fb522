"""Teams and folders of a WEBKNOSSOS organization (``Team``, ``RemoteFolder``).

Small frozen values read from ``GET /teams`` and ``GET /folders/tree`` in the
active context; a dataset's ``allowed_teams`` and ``folder`` properties return and
accept them.
"""

from __future__ import annotations

from dataclasses import dataclass

from wkfn.remote import api


@dataclass(frozen=True)
class Team:
    """A team: its id, name and organization."""

    id: str
    name: str
    organization_id: str

    @classmethod
    def get_list(cls) -> list[Team]:
        """All teams the current user can see."""
        return [
            cls(str(t["id"]), str(t["name"]), str(t.get("organization", "")))
            for t in api.teams()
        ]

    @classmethod
    def get_by_name(cls, name: str) -> Team:
        """The team called ``name`` (KeyError when there is none)."""
        for team in cls.get_list():
            if team.name == name:
                return team
        raise KeyError(f"no team named {name!r}")


@dataclass(frozen=True)
class RemoteFolder:
    """A (virtual) dataset folder: id, name, parent id (None for the root)."""

    id: str
    name: str
    parent: str | None = None

    @staticmethod
    def _tree() -> list[RemoteFolder]:
        return [
            RemoteFolder(str(f["id"]), str(f["name"]), f.get("parent"))
            for f in api.folder_tree()
        ]

    @classmethod
    def get_by_id(cls, folder_id: str) -> RemoteFolder:
        """The folder with this id (KeyError when unknown)."""
        for folder in cls._tree():
            if folder.id == folder_id:
                return folder
        raise KeyError(f"no folder with id {folder_id!r}")

    @classmethod
    def get_by_path(cls, path: str) -> RemoteFolder:
        """The folder at ``"Root/Sub/Leaf"`` (KeyError when unknown)."""
        tree = cls._tree()
        for folder in tree:
            if _path(folder, tree) == path.rstrip("/"):
                return folder
        raise KeyError(f"no folder at {path!r}")

    @classmethod
    def get_root(cls) -> RemoteFolder:
        """The organization's root folder."""
        return next(f for f in cls._tree() if f.parent is None)

    @property
    def path(self) -> str:
        """``Root/Sub/Leaf`` (one request)."""
        return _path(self, self._tree())


def _path(folder: RemoteFolder, tree: list[RemoteFolder]) -> str:
    by_id = {f.id: f for f in tree}
    names = [folder.name]
    parent = folder.parent
    while parent is not None and parent in by_id:
        names.append(by_id[parent].name)
        parent = by_id[parent].parent
    return "/".join(reversed(names))
