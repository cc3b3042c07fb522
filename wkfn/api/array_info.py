"""``ArrayInfo``: the storage facts of one mag array (``MagView.info``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from wkfn.geometry import BoundingBox, Vec3Int


@dataclass(frozen=True)
class ArrayInfo:
    """Storage facts of a mag array (what the reference calls ``MagView.info``)."""

    data_format: str
    num_channels: int
    voxel_type: np.dtype[Any]
    chunk_shape: Vec3Int
    shard_shape: Vec3Int
    compression_mode: bool
    bounding_box: BoundingBox

    @property
    def chunks_per_shard(self) -> Vec3Int:
        """Chunks along each axis of one shard."""
        return self.shard_shape // self.chunk_shape

    @property
    def shard_size(self) -> Vec3Int:
        """Alias of ``shard_shape`` (older reference name)."""
        return self.shard_shape
