"""Which task function runs each kind of plan op: one ``match`` over the op union.

The match is exhaustive (``assert_never``), so adding an op to ``PlanOp`` without
a task here is a type error, not a ``KeyError`` at run time. Region writes are not
dispatched one by one: the executor groups them per array and shard first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, assert_never

from wkfn.execute.array_tasks import (
    run_create_array,
    run_delete_path,
    run_move_path,
    run_resize_array,
    run_write_properties,
)
from wkfn.execute.copy_tasks import (
    run_copy_region,
    run_copy_tree,
    run_link_path,
    run_replace_path,
)
from wkfn.execute.image_tasks import run_import_images
from wkfn.execute.resample_tasks import run_downsample_region, run_upsample_region
from wkfn.plan.ops import (
    CopyRegion,
    CopyTree,
    CreateArray,
    DeletePath,
    DownsampleRegion,
    ImportImages,
    LinkPath,
    MovePath,
    PlanOp,
    ReplacePath,
    ResizeArray,
    UpsampleRegion,
    WriteProperties,
    WriteRegion,
)


def task_for(op: PlanOp) -> Callable[..., Any]:
    """The top-level function that runs ``op`` (called as ``fn(root, op)``)."""
    match op:
        case CreateArray():
            return run_create_array
        case ResizeArray():
            return run_resize_array
        case DeletePath():
            return run_delete_path
        case MovePath():
            return run_move_path
        case WriteProperties():
            return run_write_properties
        case DownsampleRegion():
            return run_downsample_region
        case UpsampleRegion():
            return run_upsample_region
        case CopyRegion():
            return run_copy_region
        case CopyTree():
            return run_copy_tree
        case LinkPath():
            return run_link_path
        case ReplacePath():
            return run_replace_path
        case ImportImages():
            return run_import_images
        case WriteRegion():
            raise TypeError("region writes are grouped per shard, not dispatched")
        case _:
            assert_never(op)
