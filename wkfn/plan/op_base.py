"""The base of every plan operation: :class:`Op` (a tagged msgspec record) and
:class:`PayloadRef` (a voxel array referenced by key, never embedded).

The tag of an op is its class name in snake case (``create_array``), so a plan's
JSON names each op; ``action`` says whether it creates, updates or deletes.
"""

from __future__ import annotations

import re
from typing import Literal

import msgspec

Vec3 = tuple[int, int, int]


Action = Literal["create", "update", "delete"]


def fmt3(v: Vec3) -> str:
    """``32³`` for a uniform shape, ``64x64x32`` otherwise (for op descriptions)."""
    if v[0] == v[1] == v[2]:
        return f"{v[0]}³"
    return "x".join(str(i) for i in v)


class PayloadRef(msgspec.Struct, frozen=True, kw_only=True):
    """A reference to voxel data held outside the plan.

    Attributes:
        key: identifier in the payload mapping (unique within a plan).
        shape: full array shape, ``(c, x, y, z)``.
        dtype: numpy dtype name.
    """

    key: str
    shape: tuple[int, ...]
    dtype: str

    @property
    def nbytes(self) -> int:
        """Size of the referenced array in bytes."""
        import numpy as np

        count = 1
        for s in self.shape:
            count *= s
        return count * np.dtype(self.dtype).itemsize


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class Op(msgspec.Struct, frozen=True, kw_only=True, tag_field="op", tag=_snake):
    """Base of all plan operations, tagged in JSON by snake name.

    For example ``{"op": "create_array", ...}``.
    """

    @property
    def action(self) -> Action:
        """Kind of change this op makes."""
        raise NotImplementedError

    def key(self) -> str:
        """A stable, unique-within-a-plan identifier used by the journal."""
        raise NotImplementedError

    def describe(self) -> str:
        """One line for humans: ``+`` create, ``~`` update, ``-`` delete."""
        raise NotImplementedError

    def memory_estimate(self) -> int:
        """Upper bound of bytes this op holds in memory while running."""
        return 0
