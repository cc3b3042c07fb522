"""Plans as data: the op union, stages, fingerprints, rendering and JSON codec."""

from wkfn.plan.ops import (
    CreateArray,
    DeletePath,
    MovePath,
    Op,
    PayloadRef,
    PlanOp,
    ResizeArray,
    WriteProperties,
    WriteRegion,
)
from wkfn.plan.plan import (
    PLAN_FORMAT_VERSION,
    Plan,
    Stage,
    concat_plans,
    decode_plan,
    encode_plan,
    optimize,
)

__all__ = [
    "PLAN_FORMAT_VERSION",
    "CreateArray",
    "DeletePath",
    "MovePath",
    "Op",
    "PayloadRef",
    "Plan",
    "PlanOp",
    "ResizeArray",
    "Stage",
    "WriteProperties",
    "WriteRegion",
    "concat_plans",
    "decode_plan",
    "encode_plan",
    "optimize",
]
