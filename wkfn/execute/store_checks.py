"""Checks a plan must pass before it runs against an object store.

Run by the executor before the first op, so a plan that cannot work on a store
fails with one clear error and nothing written: wkw arrays need a local filesystem
(one file per cube, written in place), which S3 and GCS cannot offer; the
reference refuses them there too.
"""

from __future__ import annotations

from wkfn.errors import StorageError
from wkfn.plan.ops import CreateArray, WriteProperties
from wkfn.plan.plan import Plan
from wkfn.storage.location import is_object_url, is_url, redact


def check_plan_for_store(plan: Plan, root: str) -> None:
    """Refuse wkw layers in a dataset on an object store (before any write).

    Raises:
        StorageError: the plan creates a wkw array or lists a wkw layer whose mags
            would live in the bucket.
    """
    if not is_object_url(root):
        return
    for op in plan.ops:
        if isinstance(op, CreateArray) and op.layout.data_format == "wkw":
            raise StorageError(
                f"cannot create the wkw array {op.path} in {redact(root)}: wkw needs "
                "a local filesystem (the reference cannot write it to object "
                "storage either); use data_format='zarr3' (the default) or 'zarr'"
            )
        if isinstance(op, WriteProperties):
            for layer in op.properties.get("dataLayers", []):
                if layer.get("dataFormat") != "wkw":
                    continue
                mags = layer.get("mags") or layer.get("wkwResolutions") or []
                if all(is_url(m.get("path", "")) for m in mags) and mags:
                    continue  # only references to wkw elsewhere (not in the bucket)
                raise StorageError(
                    f"cannot add the wkw layer {layer.get('name')!r} to "
                    f"{redact(root)}: wkw needs a local filesystem; use "
                    "data_format='zarr3' (the default) or 'zarr'"
                )
