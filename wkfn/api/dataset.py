"""``Dataset``: the imperative entry point with the reference API's names.

The object holds the dataset path, its current ``DatasetSpec`` and a read-only flag.
Every mutating method parses its arguments, calls a pure transform, applies the
resulting plan and only then swaps in the new spec: a call that fails leaves the
object (and, thanks to the executor's rollback and properties-last rule, the disk)
as it was.
"""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Iterator, Mapping
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

import numpy as np

from wkfn.api import locations
from wkfn.api.copying import DatasetCopyMixin
from wkfn.api.enums import DEFAULT_DATA_FORMAT, parse_data_format
from wkfn.api.images import DatasetImagesMixin
from wkfn.api.layer import Layer, SegmentationLayer, layer_class
from wkfn.api.recorder import Recorder
from wkfn.api.resample import DatasetResampleMixin
from wkfn.errors import (
    ConflictingArgumentsError,
    DatasetExistsError,
    DatasetNotFoundError,
    InvalidArgumentError,
    MismatchError,
    ReadOnlyError,
)
from wkfn.execute.executor import execute
from wkfn.geometry import BoundingBox, VoxelSize
from wkfn.geometry.voxel_size import LengthUnit, length_unit_from_str
from wkfn.spec import lookup
from wkfn.spec.array import ArrayLayout
from wkfn.spec.codec import decode_properties
from wkfn.spec.dataset import DatasetSpec
from wkfn.spec.dtypes import dtype_per_channel_of, element_class_of, parse_dtype
from wkfn.spec.view_config import DatasetViewConfiguration
from wkfn.storage import remote
from wkfn.storage.files import read_properties_bytes
from wkfn.transform import dataset as ds_transform
from wkfn.transform.change import Change, make_change

PROPERTIES_FILE_NAME = "datasource-properties.json"
_UNSET: Any = object()
Vec3 = tuple[int, int, int]


def _as_path(value: str | os.PathLike[str]) -> Path:
    text = os.fspath(value)
    if len(text) > 1:
        text = text.rstrip("/")
    return Path(text)


def _unit_value(unit: object) -> str:
    if isinstance(unit, LengthUnit):
        return unit.value
    return length_unit_from_str(str(unit)).value


def _parse_voxel_size(
    voxel_size: object, voxel_size_with_unit: VoxelSize | None, scale: object
) -> tuple[tuple[float, float, float], str] | None:
    if scale is not None:
        warnings.warn(
            "scale is deprecated, use voxel_size", DeprecationWarning, stacklevel=3
        )
        if voxel_size is not None:
            raise ConflictingArgumentsError("give voxel_size or scale, not both")
        voxel_size = scale
    if voxel_size is not None and voxel_size_with_unit is not None:
        raise InvalidArgumentError(
            "give either voxel_size or voxel_size_with_unit, not both"
        )
    if voxel_size_with_unit is not None:
        factor = tuple(float(f) for f in voxel_size_with_unit.factor)
        unit = _unit_value(voxel_size_with_unit.unit)
    elif voxel_size is not None:
        try:
            factor = tuple(float(f) for f in voxel_size)  # type: ignore[attr-defined]
        except TypeError as exc:
            raise InvalidArgumentError(
                f"voxel_size must be three numbers, got {voxel_size!r}"
            ) from exc
        unit = LengthUnit.NANOMETER.value
    else:
        return None
    if len(factor) != 3 or not all(f > 0 and np.isfinite(f) for f in factor):
        raise InvalidArgumentError(
            f"voxel size must be three positive finite numbers, got {factor!r}"
        )
    return (factor[0], factor[1], factor[2]), unit


class Dataset(DatasetResampleMixin, DatasetCopyMixin, DatasetImagesMixin):
    """A dataset on local disk: layers of multi-resolution mags.

    Examples:
        >>> import tempfile, numpy as np
        >>> ds = Dataset(tempfile.mkdtemp() + "/ds", voxel_size=(11.2, 11.2, 25))
        >>> mag = ds.add_layer("color", "color").add_mag(1)
        >>> mag.write(np.ones((64, 64, 32), np.uint8), allow_resize=True)
        >>> ds.get_layer("color").bounding_box
        BoundingBox(topleft=(0, 0, 0), size=(64, 64, 32))
    """

    def __init__(
        self,
        dataset_path: str | os.PathLike[str],
        voxel_size: tuple[float, float, float] | None = None,
        name: str | None = None,
        exist_ok: bool = _UNSET,
        *,
        voxel_size_with_unit: VoxelSize | None = None,
        scale: tuple[float, float, float] | None = None,
        read_only: bool = False,
    ) -> None:
        if remote.is_url(dataset_path):
            raise ReadOnlyError(
                f"cannot create or modify a dataset over HTTP "
                f"({remote.redact(str(dataset_path))}); use Dataset.open(url) to "
                "read it"
            )
        path = locations.dataset_root(dataset_path)
        locations.check_reachable(path)
        # a Path, a UPath on an object store (s3://, gs://), or a remote.UrlPath
        # for a dataset read over HTTP (Dataset.open);
        # typed Any because mixins hand it to local file functions, which are only
        # reached on writable (local) datasets
        self._path: Any = path
        self._read_only = read_only
        self._layouts: dict[tuple[str, Vec3], ArrayLayout] = {}
        self._recorder: Recorder | None = None
        self.executor: Executor | None = None
        parsed = _parse_voxel_size(voxel_size, voxel_size_with_unit, scale)
        if locations.has_dataset(path):
            if exist_ok is _UNSET:
                warnings.warn(
                    f"Dataset({str(path)!r}) opens the existing dataset because "
                    "exist_ok defaults to True, which is deprecated; use "
                    "Dataset.open() to open, or exist_ok=False to create.",
                    DeprecationWarning,
                    stacklevel=2,
                )
                exist_ok = True
            if not exist_ok:
                raise DatasetExistsError(
                    f"Creation of Dataset at {path} failed, because a dataset "
                    "already exists there (use Dataset.open, or exist_ok=True)"
                )
            self._spec = self._load()
            if parsed is not None:
                factor, unit = parsed
                if (tuple(self._spec.scale.factor), self._spec.scale.unit) != (
                    factor,
                    unit,
                ):
                    raise MismatchError(
                        f"voxel sizes do not match: the dataset at {path} has "
                        f"{self._spec.scale.factor} {self._spec.scale.unit}, "
                        f"got {factor} {unit}"
                    )
            if name is not None and name != self._spec.id.name:
                raise MismatchError(
                    f"names do not match: the dataset at {path} is named "
                    f"{self._spec.id.name!r}, got {name!r}"
                )
            return
        if read_only:
            raise DatasetNotFoundError(
                f"cannot open {path} read-only: no {PROPERTIES_FILE_NAME} found"
            )
        if locations.is_file(path):
            raise NotADirectoryError(f"{path} exists and is not a directory")
        if locations.is_nonempty_dir(path):
            raise DatasetExistsError(
                f"Creation of Dataset at {path} failed, because a non-empty folder "
                "without datasource-properties.json already exists there"
            )
        if parsed is None:
            raise InvalidArgumentError(
                "When creating a new dataset, voxel_size or voxel_size_with_unit "
                "must be set, e.g. Dataset(path, voxel_size=(11.2, 11.2, 25))"
            )
        factor, unit = parsed
        change = ds_transform.create_dataset(
            name=name or locations.name_of(path), voxel_size=factor, unit=unit
        )
        execute(change.plan, locations.exec_root(path))
        self._spec = change.spec

    # ------------------------------------------------------------------ opening
    @classmethod
    def open(
        cls, dataset_path: str | os.PathLike[str], read_only: bool = False
    ) -> Dataset:
        """Open an existing dataset.

        ``dataset_path`` may be an http(s) URL under which the dataset is served
        (``datasource-properties.json`` and zarr3 / zarr v2 mags); such a dataset is
        always read-only, whatever ``read_only`` says (see
        :mod:`wkfn.storage.remote` for auth via ``WK_TOKEN`` and ``?token=``).

        Raises:
            DatasetNotFoundError: no ``datasource-properties.json`` (FileNotFoundError).
            PropertiesError: the file is malformed (a ValueError naming every issue).
            RemoteError: a remote dataset could not be fetched (an OSError).
        """
        if remote.is_url(dataset_path):
            return cls._open_remote(remote.UrlPath(str(dataset_path)))
        path = locations.dataset_root(dataset_path)
        locations.check_reachable(path)
        if not locations.has_dataset(path):
            raise DatasetNotFoundError(
                f"cannot open dataset {path}: {PROPERTIES_FILE_NAME} file not found"
            )
        self = cls.__new__(cls)
        self._path = path
        self._read_only = read_only
        self._layouts = {}
        self._recorder = None
        self.executor = None
        self._spec = self._load()
        return self

    @classmethod
    def _open_remote(cls, url: remote.UrlPath) -> Dataset:
        """A read-only dataset whose properties and mags are read over HTTP."""
        self = cls.__new__(cls)
        self._path = url
        self._read_only = True
        self._layouts = {}
        self._recorder = None
        self.executor = None
        self._spec = self._load()
        return self

    @classmethod
    def planned(
        cls,
        dataset_path: str | os.PathLike[str],
        voxel_size: tuple[float, float, float] | None = None,
        name: str | None = None,
        *,
        voxel_size_with_unit: VoxelSize | None = None,
    ) -> tuple[Dataset, Recorder]:
        """A dataset that does not exist yet, in recording mode.

        Every call on the returned dataset is recorded into the returned recorder,
        starting with the creation itself; nothing touches the disk until
        ``recorder.apply()``. Used by declarative planning and dry runs of imports.
        """
        path = locations.dataset_root(dataset_path)
        if locations.has_dataset(path):
            raise DatasetExistsError(f"a dataset already exists at {path}")
        parsed = _parse_voxel_size(voxel_size, voxel_size_with_unit, None)
        if parsed is None:
            raise InvalidArgumentError("a planned dataset needs a voxel size")
        change = ds_transform.create_dataset(
            name=name or locations.name_of(path), voxel_size=parsed[0], unit=parsed[1]
        )
        self = cls.__new__(cls)
        self._path = path
        self._read_only = False
        self._layouts = {}
        self.executor = None
        self._spec = change.spec
        recorder = Recorder(locations.exec_root(path), None)
        recorder.record(change, {})
        recorder._dataset = self
        self._recorder = recorder
        return self, recorder

    @classmethod
    def create(
        cls,
        dataset_path: str | os.PathLike[str],
        voxel_size: tuple[float, float, float],
        name: str | None = None,
    ) -> Dataset:
        """Deprecated: use ``Dataset(path, voxel_size=..., exist_ok=False)``."""
        warnings.warn(
            "Dataset.create is deprecated, use Dataset(path, voxel_size=...)",
            DeprecationWarning,
            stacklevel=2,
        )
        return cls(dataset_path, voxel_size, name, exist_ok=False)

    @classmethod
    def get_or_create(
        cls,
        dataset_path: str | os.PathLike[str],
        voxel_size: tuple[float, float, float],
        name: str | None = None,
    ) -> Dataset:
        """Deprecated: use ``Dataset(path, voxel_size=..., exist_ok=True)``."""
        warnings.warn(
            "Dataset.get_or_create is deprecated, use "
            "Dataset(path, voxel_size=..., exist_ok=True)",
            DeprecationWarning,
            stacklevel=2,
        )
        return cls(dataset_path, voxel_size, name, exist_ok=True)

    def _load(self) -> DatasetSpec:
        if isinstance(self._path, remote.UrlPath):
            return decode_properties(
                remote.fetch_properties(self._path),
                source=remote.properties_source(self._path),
            )
        root = locations.exec_root(self._path)
        data = read_properties_bytes(root)
        return decode_properties(
            data, source=locations.display(self._path / PROPERTIES_FILE_NAME)
        )

    # ------------------------------------------------------------------ state
    def _check_writable(self) -> None:
        if isinstance(self._path, remote.UrlPath):
            raise ReadOnlyError(
                f"The dataset {remote.redact(str(self._path))} is read over HTTP "
                "and therefore read-only, the changes will not be saved!"
            )
        if self._read_only:
            raise ReadOnlyError(
                f"The dataset {self._path} is read-only, the changes will not be saved!"
            )

    def _local_path(self) -> Any:
        """Where mutations go: the local directory, or the URL on an object store."""
        self._check_writable()
        return locations.exec_root(self._path)

    def _apply(
        self,
        change: Change,
        payloads: Mapping[str, np.ndarray] | None = None,
        executor: Executor | None = None,
    ) -> None:
        """Apply (or record) a change, then adopt its spec.

        ``executor`` overrides :attr:`executor` for this change.
        """
        self._check_writable()
        if self._recorder is not None:
            self._recorder.record(change, payloads or {})
        else:
            from wkfn.execute.progress_bar import is_long, progress_bar

            with progress_bar(is_long(change.plan)) as progress:
                execute(
                    change.plan,
                    self._local_path(),
                    payloads,
                    executor=executor if executor is not None else self.executor,
                    progress=progress,
                )
        self._adopt(change)

    def _adopt(self, change: Change) -> None:
        """Take over the spec of an applied (or recorded) change.

        Layouts of the arrays it creates are remembered, so later calls (also inside
        a dry run, where nothing exists on disk yet) know their chunk and shard
        shapes without reading storage.
        """
        from wkfn.geometry import Mag
        from wkfn.plan.ops import CreateArray, DeletePath

        for op in change.plan.ops:
            if isinstance(op, CreateArray):
                self._layouts[(op.layer, Mag(op.mag).to_tuple())] = op.layout
            elif isinstance(op, DeletePath):
                self._layouts = {
                    key: value
                    for key, value in self._layouts.items()
                    if not op.path.startswith(f"./{key[0]}")
                }
        self._spec = change.spec

    def _forget_layouts(self, layer_name: str) -> None:
        for key in [k for k in self._layouts if k[0] == layer_name]:
            del self._layouts[key]

    @contextlib.contextmanager
    def dry_run(self) -> Iterator[Recorder]:
        """Record mutations instead of running them.

        Inside the block the object behaves as if the changes happened (new layers
        are visible; reads of unwritten data give zeros); on exit it is restored.
        ``rec.plan`` is the combined plan; ``rec.apply()`` or
        ``wkfn.apply(rec.plan, path, rec.payloads)`` runs it later.
        """
        self._check_writable()
        if self._recorder is not None:
            raise RuntimeError("dry_run/transaction blocks cannot be nested")
        spec, layouts = self._spec, dict(self._layouts)
        recorder = Recorder(self._local_path(), spec)
        self._recorder = recorder
        try:
            yield recorder
        finally:
            self._recorder = None
            self._spec, self._layouts = spec, layouts
            recorder._dataset = self

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Recorder]:
        """Record mutations and apply them together when the block ends.

        All writes of the block run as one plan: every shard they touch is
        read-modify-written once. If the block raises, nothing is applied.
        """
        with self.dry_run() as recorder:
            yield recorder
        recorder.apply()

    # ------------------------------------------------------------------ properties
    @property
    def path(self) -> Any:
        """Dataset directory: a ``pathlib.Path``, or a :class:`UrlPath` for a dataset
        read over HTTP (the reference gives a ``UPath`` there)."""
        return self._path

    @property
    def resolved_path(self) -> Any:
        """Absolute, symlink-free dataset directory (the URL of a remote dataset)."""
        return self._path.resolve()

    @property
    def read_only(self) -> bool:
        """True if mutations are refused (RuntimeError)."""
        return self._read_only

    @property
    def spec(self) -> DatasetSpec:
        """The current immutable spec (what datasource-properties.json holds)."""
        return self._spec

    @property
    def name(self) -> str:
        """Dataset name (``id.name`` in the properties); assigning persists it."""
        return self._spec.id.name

    @name.setter
    def name(self, value: str) -> None:
        self._apply(ds_transform.set_name(self._spec, value))

    @property
    def voxel_size(self) -> tuple[float, float, float]:
        """Voxel size in nanometers."""
        return self.voxel_size_with_unit.to_nanometer()

    @property
    def voxel_size_with_unit(self) -> VoxelSize:
        """Voxel size in its stored unit."""
        scale = self._spec.scale
        return VoxelSize(scale.factor, length_unit_from_str(scale.unit))

    @property
    def scale(self) -> tuple[float, float, float]:
        """Deprecated alias of :attr:`voxel_size`."""
        warnings.warn(
            "Dataset.scale is deprecated, use voxel_size",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.voxel_size

    @property
    def default_view_configuration(self) -> DatasetViewConfiguration | None:
        """How WEBKNOSSOS shows the dataset initially."""
        raw = self._spec.default_view_configuration
        return None if raw is None else DatasetViewConfiguration.from_json(raw)

    @default_view_configuration.setter
    def default_view_configuration(
        self, config: DatasetViewConfiguration | None
    ) -> None:
        self._apply(
            ds_transform.set_default_view_configuration(
                self._spec, None if config is None else config.to_json()
            )
        )

    @property
    def layers(self) -> dict[str, Layer]:
        """Layer name → Layer, in properties order."""
        return {
            layer.name: layer_class(layer.category)(self, layer.name)
            for layer in self._spec.data_layers
        }

    # ------------------------------------------------------------------ layers
    def add_layer(
        self,
        layer_name: str,
        category: str,
        dtype_per_layer: Any = None,
        dtype_per_channel: Any = None,
        num_channels: int | None = None,
        data_format: Any = DEFAULT_DATA_FORMAT,
        bounding_box: BoundingBox | None = None,
        *,
        dtype: Any = None,
        **kwargs: Any,
    ) -> Layer:
        """Add an empty layer (see the reference API for the arguments).

        Raises:
            InvalidLayerNameError: bad or path-traversing name (ValueError).
            LayerExistsError: the name is taken (IndexError).
            InvalidCategoryError: unknown category (RuntimeError).
            ConflictingArgumentsError: several dtype arguments (AttributeError).
            InvalidArgumentError: unknown dtype, ``num_channels < 1``, bad format.
        """
        self._check_writable()
        unknown = set(kwargs) - {"largest_segment_id", "mappings"}
        if unknown:
            raise TypeError(f"add_layer got unexpected arguments: {sorted(unknown)}")
        per_channel, channels = _resolve_dtype(
            dtype_per_layer, dtype_per_channel, dtype, num_channels
        )
        largest = kwargs.get("largest_segment_id")
        if largest is not None:
            largest = int(largest)
        box = None
        if bounding_box is not None:
            box = (bounding_box.topleft.to_tuple(), bounding_box.size.to_tuple())
        change = ds_transform.add_layer(
            self._spec,
            name=layer_name,
            category=category,
            dtype_per_channel=per_channel,
            num_channels=channels,
            data_format=parse_data_format(data_format),
            bounding_box=box,
            largest_segment_id=largest,
            mappings=tuple(kwargs.get("mappings") or ()),
        )
        self._apply(change)
        return layer_class(category)(self, layer_name)

    def get_layer(self, layer_name: str) -> Layer:
        """The layer with this name (IndexError/LayerNotFoundError otherwise)."""
        layer = lookup.get_layer(self._spec, layer_name)
        return layer_class(layer.category)(self, layer.name)

    def get_or_add_layer(
        self,
        layer_name: str,
        category: str,
        dtype_per_layer: Any = None,
        dtype_per_channel: Any = None,
        num_channels: int | None = None,
        data_format: Any = DEFAULT_DATA_FORMAT,
        *,
        dtype: Any = None,
        **kwargs: Any,
    ) -> Layer:
        """The existing layer (after checking it matches) or a new one."""
        if not lookup.has_layer(self._spec, layer_name):
            return self.add_layer(
                layer_name,
                category,
                dtype_per_layer,
                dtype_per_channel,
                num_channels,
                data_format,
                dtype=dtype,
                **kwargs,
            )
        layer = self.get_layer(layer_name)
        if layer.category != category:
            raise MismatchError(
                f"layer {layer_name!r} has category {layer.category!r}, "
                f"not {category!r}"
            )
        if dtype_per_layer is not None or dtype_per_channel is not None or dtype:
            per_channel, _ = _resolve_dtype(
                dtype_per_layer, dtype_per_channel, dtype, num_channels
            )
            if np.dtype(per_channel) != layer.dtype_per_channel:
                raise MismatchError(
                    f"layer {layer_name!r} has dtype {layer.dtype_per_channel}, "
                    f"not {per_channel}"
                )
        if num_channels is not None and num_channels != layer.num_channels:
            raise MismatchError(
                f"layer {layer_name!r} has {layer.num_channels} channels, "
                f"not {num_channels}"
            )
        return layer

    def add_layer_like(self, other_layer: Layer, layer_name: str) -> Layer:
        """A new empty layer with the properties (not the data) of ``other_layer``."""
        self._check_writable()
        src = other_layer._spec
        change = ds_transform.add_layer(
            self._spec,
            name=layer_name,
            category=src.category,
            dtype_per_channel=dtype_per_channel_of(src.element_class, src.num_channels),
            num_channels=src.num_channels,
            data_format=src.data_format,
            bounding_box=(
                src.bounding_box.top_left,
                (
                    src.bounding_box.width,
                    src.bounding_box.height,
                    src.bounding_box.depth,
                ),
            ),
            largest_segment_id=src.largest_segment_id,
            mappings=src.mappings,
        )
        if src.default_view_configuration is not None:
            with_view = ds_transform.set_layer_view_configuration(
                change.spec, layer_name, dict(src.default_view_configuration)
            )
            change = make_change(
                self._spec, with_view.spec, summary=(f"+ layer {layer_name}",)
            )
        self._apply(change)
        return self.get_layer(layer_name)

    def delete_layer(self, layer_name: str) -> None:
        """Remove a layer and its files."""
        self._apply(ds_transform.delete_layer(self._spec, layer_name))
        self._forget_layouts(layer_name)

    def get_color_layers(self) -> list[Layer]:
        """All color layers."""
        return [lay for lay in self.layers.values() if lay.category == "color"]

    def get_segmentation_layers(self) -> list[SegmentationLayer]:
        """All segmentation layers."""
        return [
            lay for lay in self.layers.values() if isinstance(lay, SegmentationLayer)
        ]

    def get_color_layer(self) -> Layer:
        """Deprecated: the only color layer (IndexError if not exactly one)."""
        warnings.warn(
            "get_color_layer is deprecated, use get_color_layers",
            DeprecationWarning,
            stacklevel=2,
        )
        layer: Layer = _only(self.get_color_layers(), "color")
        return layer

    def get_segmentation_layer(self) -> SegmentationLayer:
        """Deprecated: the only segmentation layer (IndexError if not exactly one)."""
        warnings.warn(
            "get_segmentation_layer is deprecated, use get_segmentation_layers",
            DeprecationWarning,
            stacklevel=2,
        )
        layer: SegmentationLayer = _only(self.get_segmentation_layers(), "segmentation")
        return layer

    def calculate_bounding_box(self) -> BoundingBox:
        """Union of all layers' bounding boxes (empty without layers)."""
        box = BoundingBox.empty()
        for layer in self.layers.values():
            box = box.extended_by(layer.bounding_box)
        return box

    def __repr__(self) -> str:
        if isinstance(self._path, remote.UrlPath):
            return f"Dataset({remote.redact(str(self._path))!r})"
        return f"Dataset({str(self._path)!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Dataset):
            return NotImplemented
        return self._path == other._path and self._read_only == other._read_only

    def __hash__(self) -> int:
        return hash((self._path, self._read_only))

    def __getstate__(self) -> dict[str, Any]:
        """Pickle state for sending views to worker processes (chunk methods).

        The ``executor`` is process-local (pools do not pickle) and is dropped; the
        copy runs its plans inline. A dataset inside ``dry_run()`` is refused: a
        copy would record into a recorder nobody applies.
        """
        if self._recorder is not None:
            raise TypeError(
                f"cannot pickle {self!r} inside dry_run()/transaction(): its "
                "recorded changes would not reach the original dataset"
            )
        state = dict(self.__dict__)
        state["executor"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)


def _only(items: list[Any], what: str) -> Any:
    if len(items) != 1:
        raise IndexError(f"expected exactly one {what} layer, found {len(items)}")
    return items[0]


def _resolve_dtype(
    dtype_per_layer: Any, dtype_per_channel: Any, dtype: Any, num_channels: int | None
) -> tuple[str, int]:
    """(per-channel dtype name, channel count) from the reference's dtype arguments."""
    given = [
        n
        for n, v in (
            ("dtype_per_layer", dtype_per_layer),
            ("dtype_per_channel", dtype_per_channel),
            ("dtype", dtype),
        )
        if v is not None
    ]
    if len(given) > 1:
        raise ConflictingArgumentsError(
            f"give only one of dtype_per_layer, dtype_per_channel, dtype; got {given}"
        )
    if num_channels is not None and (
        not isinstance(num_channels, int) or num_channels < 1
    ):
        raise InvalidArgumentError(f"num_channels must be >= 1, got {num_channels!r}")
    if dtype_per_layer is not None:
        text = dtype_per_layer if isinstance(dtype_per_layer, str) else None
        if text == "uint24":
            channels = num_channels or 3
            return dtype_per_channel_of("uint24", channels), channels
        per_layer = parse_dtype(dtype_per_layer)
        channels = num_channels or 1
        return (
            dtype_per_channel_of(element_class_of(per_layer, 1), channels),
            channels,
        )
    per_channel = parse_dtype(
        dtype_per_channel if dtype_per_channel is not None else (dtype or "uint8")
    )
    return per_channel, num_channels or 1
