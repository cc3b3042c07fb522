"""``datasource-properties.json`` bytes ↔ :class:`DatasetSpec`: the entry points.

The reading side lives in :mod:`wkfn.spec.decode` (on :mod:`wkfn.spec.json_reader`),
the writing side in :mod:`wkfn.spec.encode`.

Decoding is the one edge where untrusted bytes enter: it upgrades legacy layouts
(:mod:`wkfn.spec.upgrade`), validates every value by hand so that *all* problems are
reported together with their JSON paths, runs the non-strict checks of
:mod:`wkfn.spec.check` and raises a single :class:`~wkfn.errors.PropertiesError`.

Encoding writes exactly what the reference writes (``json.dumps(obj, indent=4)``, keys
in the reference's order, optional keys omitted, floats for voxel sizes, ``axisOrder``
in every mag, ``numChannels`` always, the bigint envelope above 2**53-1) followed by the
unknown keys kept in each record's ``extras``.

Example:
    >>> from wkfn.spec import DatasetId, DatasetSpec, VoxelSizeSpec
    >>> scale = VoxelSizeSpec(factor=(1, 1, 2))
    >>> spec = DatasetSpec(id=DatasetId(name="ds"), scale=scale)
    >>> decode_properties(encode_properties(spec)) == spec
    True
"""

from __future__ import annotations

from wkfn.spec.decode import decode_properties, from_json_obj
from wkfn.spec.encode import encode_properties, fingerprint, to_json_obj

__all__ = [
    "decode_properties",
    "encode_properties",
    "fingerprint",
    "from_json_obj",
    "to_json_obj",
]
