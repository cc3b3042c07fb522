"""wkfn: datasets of multi-resolution microscopy volumes as specs, plans and executors.

A script written for ``import webknossos as wk`` runs with ``import wkfn as wk``; in
addition every mutation is a printable, saveable plan (``Dataset.dry_run``).
"""

from wkfn.api.array_info import ArrayInfo
from wkfn.api.attachments import (
    AgglomerateAttachment,
    Attachment,
    AttachmentDataFormat,
    Attachments,
    ConnectomeAttachment,
    CumsumAttachment,
    MeshAttachment,
    SegmentIndexAttachment,
    SegmentStatisticsAttachment,
)
from wkfn.api.dataset import Dataset
from wkfn.api.enums import (
    COLOR_CATEGORY,
    DEFAULT_DATA_FORMAT,
    SEGMENTATION_CATEGORY,
    DataFormat,
    LayerCategoryType,
)
from wkfn.api.images import ConversionLayerMapping
from wkfn.api.layer import Layer, SegmentationLayer
from wkfn.api.layer_extras import (
    AffineCoordinateTransformation,
    CoordinateTransformation,
    ThinPlateSplineCoordinateTransformation,
)
from wkfn.api.recorder import Recorder
from wkfn.api.remote_dataset import RemoteDataset, RemoteMetadata
from wkfn.api.sampling_modes import SamplingModes
from wkfn.api.toplevel import apply, make_plan_package_callable, plan_declaration
from wkfn.api.view import MagView, View
from wkfn.errors import (
    CorruptImageError,
    DtypeMismatchError,
    ExecutionError,
    ImageConversionError,
    InvalidArgumentError,
    PropertiesError,
    ReadOnlyError,
    StalePlanError,
    UnsupportedImageDataError,
    UnsupportedImageFormatError,
    WkfnError,
)
from wkfn.execute.saved import load_plan, save_plan
from wkfn.geometry import (
    BoundingBox,
    LengthUnit,
    Mag,
    NDBoundingBox,
    Vec3Float,
    Vec3Int,
    VoxelSize,
)
from wkfn.plan.plan import Plan
from wkfn.remote import (
    DatasetNameRefusedError,
    LayerToLink,
    RemoteDatasetNotFoundError,
    RemoteFolder,
    Team,
    UploadFailedError,
    WebknossosAuthError,
    WebknossosError,
    WebknossosNotFoundError,
    WebknossosRequestError,
    WebknossosServerError,
    login,
    webknossos_context,
)
from wkfn.spec.view_config import DatasetViewConfiguration, LayerViewConfiguration

__version__ = "0.1.0"

make_plan_package_callable()  # wkfn.plan(spec, path) plans a declaration

__all__ = [
    "COLOR_CATEGORY",
    "DEFAULT_DATA_FORMAT",
    "SEGMENTATION_CATEGORY",
    "AffineCoordinateTransformation",
    "AgglomerateAttachment",
    "ArrayInfo",
    "Attachment",
    "AttachmentDataFormat",
    "Attachments",
    "BoundingBox",
    "ConnectomeAttachment",
    "ConversionLayerMapping",
    "CoordinateTransformation",
    "CorruptImageError",
    "CumsumAttachment",
    "DataFormat",
    "Dataset",
    "DatasetNameRefusedError",
    "DatasetViewConfiguration",
    "DtypeMismatchError",
    "ExecutionError",
    "ImageConversionError",
    "InvalidArgumentError",
    "Layer",
    "LayerCategoryType",
    "LayerToLink",
    "LayerViewConfiguration",
    "LengthUnit",
    "Mag",
    "MagView",
    "MeshAttachment",
    "NDBoundingBox",
    "Plan",
    "PropertiesError",
    "ReadOnlyError",
    "Recorder",
    "RemoteDataset",
    "RemoteDatasetNotFoundError",
    "RemoteFolder",
    "RemoteMetadata",
    "SamplingModes",
    "SegmentIndexAttachment",
    "SegmentStatisticsAttachment",
    "SegmentationLayer",
    "StalePlanError",
    "Team",
    "ThinPlateSplineCoordinateTransformation",
    "UnsupportedImageDataError",
    "UnsupportedImageFormatError",
    "UploadFailedError",
    "Vec3Float",
    "Vec3Int",
    "View",
    "VoxelSize",
    "WebknossosAuthError",
    "WebknossosError",
    "WebknossosNotFoundError",
    "WebknossosRequestError",
    "WebknossosServerError",
    "WkfnError",
    "apply",
    "load_plan",
    "login",
    "plan_declaration",
    "save_plan",
    "webknossos_context",
]
