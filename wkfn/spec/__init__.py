"""Specs: immutable records mirroring ``datasource-properties.json``.

Decode untrusted bytes with :func:`decode_properties`, build and update specs with the
pure helpers in :mod:`wkfn.spec.lookup` and ``msgspec.structs.replace``, validate with
:func:`check_dataset` and write with :func:`encode_properties`.
"""

from wkfn.spec import lookup
from wkfn.spec.base import DEFAULT_AXIS_ORDER, Issue, JsonObject, Vec3, WkRecord
from wkfn.spec.check import check_dataset, check_layer
from wkfn.spec.codec import (
    decode_properties,
    encode_properties,
    fingerprint,
    from_json_obj,
    to_json_obj,
)
from wkfn.spec.dataset import LENGTH_UNITS, DatasetId, DatasetSpec, VoxelSizeSpec
from wkfn.spec.dtypes import (
    ALLOWED_DTYPES,
    allowed_dtypes,
    dtype_per_channel_of,
    element_class_of,
    parse_dtype,
)
from wkfn.spec.layer import (
    AdditionalAxisSpec,
    AttachmentSpec,
    AttachmentsSpec,
    BoundingBoxSpec,
    Category,
    LayerSpec,
    MagSpec,
)
from wkfn.spec.lookup import get_layer, get_mag, has_layer, has_mag, resolve_mag_path
from wkfn.spec.names import long_mag_name, mag_dir_name, validate_layer_name
from wkfn.spec.upgrade import upgrade_properties
from wkfn.spec.view_config import DatasetViewConfiguration, LayerViewConfiguration

__all__ = [
    "ALLOWED_DTYPES",
    "DEFAULT_AXIS_ORDER",
    "LENGTH_UNITS",
    "AdditionalAxisSpec",
    "AttachmentSpec",
    "AttachmentsSpec",
    "BoundingBoxSpec",
    "Category",
    "DatasetId",
    "DatasetSpec",
    "DatasetViewConfiguration",
    "Issue",
    "JsonObject",
    "LayerSpec",
    "LayerViewConfiguration",
    "MagSpec",
    "Vec3",
    "VoxelSizeSpec",
    "WkRecord",
    "allowed_dtypes",
    "check_dataset",
    "check_layer",
    "decode_properties",
    "dtype_per_channel_of",
    "element_class_of",
    "encode_properties",
    "fingerprint",
    "from_json_obj",
    "get_layer",
    "get_mag",
    "has_layer",
    "has_mag",
    "long_mag_name",
    "lookup",
    "mag_dir_name",
    "parse_dtype",
    "resolve_mag_path",
    "to_json_obj",
    "upgrade_properties",
    "validate_layer_name",
]
