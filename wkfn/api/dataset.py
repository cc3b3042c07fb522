"""``Dataset``: the imperative entry point with the reference API's names.

A ``Dataset`` holds one :class:`~wkfn.api._session.Session` (root, spec, layouts,
recorder, executor) and nothing else. Its own methods open, create and describe the
dataset; every other method is a one-line binding of a plain function from the
module that owns the concept:

* :mod:`wkfn.api.dataset_layers`: add / get-or-add / delete layers;
* :mod:`wkfn.api.copying`: copies, conversions, references of datasets and layers;
* :mod:`wkfn.api.resample`: downsampling of every layer;
* :mod:`wkfn.api.images`: imports of image stacks.

A new method goes into the module of its concept (a function taking the dataset
first) and gets one line here. Those functions reach storage only through
``Session.apply``: a call that fails leaves the object (and, thanks to the executor's
rollback and properties-last rule, the disk) as it was.
"""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Iterator
from concurrent.futures import Executor
from typing import Any

from wkfn.api import (
    copying,
    dataset_layers,
    images,
    locations,
    parity_verbs,
    remote_verbs,
    resample,
)
from wkfn.api._parse import parse_voxel_size
from wkfn.api._session import PROPERTIES_FILE_NAME, Session, open_session
from wkfn.api.layer import Layer, SegmentationLayer, layer_class
from wkfn.api.recorder import Recorder
from wkfn.errors import (
    DatasetExistsError,
    DatasetMismatchError,
    DatasetNotFoundError,
    InvalidArgumentError,
    ReadOnlyError,
    WrongLayerTypeError,
)
from wkfn.execute.executor import execute
from wkfn.geometry import BoundingBox, VoxelSize
from wkfn.geometry.voxel_size import length_unit_from_str
from wkfn.spec import lookup
from wkfn.spec.dataset import DatasetSpec
from wkfn.spec.view_config import DatasetViewConfiguration
from wkfn.storage import remote
from wkfn.transform import dataset as ds_transform
from wkfn.transform.images import ConversionLayerMapping

_UNSET: Any = object()

__all__ = ["PROPERTIES_FILE_NAME", "Dataset"]


class Dataset:
    """A dataset on local disk: layers of multi-resolution mags.

    Examples:
        >>> import tempfile, numpy as np
        >>> ds = Dataset(tempfile.mkdtemp() + "/ds", voxel_size=(11.2, 11.2, 25))
        >>> mag = ds.add_layer("color", "color").add_mag(1)
        >>> mag.write(np.ones((64, 64, 32), np.uint8), allow_resize=True)
        >>> ds.get_layer("color").bounding_box
        BoundingBox(topleft=(0, 0, 0), size=(64, 64, 32))
    """

    ConversionLayerMapping = ConversionLayerMapping
    """The ``from_images`` layer-mapping enum, reachable here as in the reference."""

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
        path = locations.dataset_root(dataset_path)  # a Path, or a UPath on a store
        locations.check_reachable(path)
        parsed = parse_voxel_size(voxel_size, voxel_size_with_unit, scale)
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
            self._session = Session.open(path, read_only=read_only)
            spec = self._session.spec
            if parsed is not None:
                factor, unit = parsed
                if (tuple(spec.scale.factor), spec.scale.unit) != (factor, unit):
                    raise DatasetMismatchError(
                        f"voxel sizes do not match: the dataset at {path} has "
                        f"{spec.scale.factor} {spec.scale.unit}, got {factor} {unit}"
                    )
            if name is not None and name != spec.id.name:
                raise DatasetMismatchError(
                    f"names do not match: the dataset at {path} is named "
                    f"{spec.id.name!r}, got {name!r}"
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
        self._session = Session(path, change.spec)

    # ------------------------------------------------------------------ server
    open_remote = classmethod(remote_verbs.open_remote)
    download = classmethod(remote_verbs.download)
    upload = remote_verbs.upload
    get_remote_datasets = staticmethod(remote_verbs.get_remote_datasets)
    explore_and_add_remote = classmethod(remote_verbs.explore_and_add_remote)
    trigger_reload_in_datastore = classmethod(remote_verbs.trigger_reload_in_datastore)
    announce_manual_upload = classmethod(remote_verbs.announce_manual_upload)

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
        return cls.of_session(open_session(dataset_path, read_only=read_only))

    @classmethod
    def of_session(cls, session: Session) -> Dataset:
        """The facade over an existing session (no I/O)."""
        self = cls.__new__(cls)
        self._session = session
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
        parsed = parse_voxel_size(voxel_size, voxel_size_with_unit, None)
        if parsed is None:
            raise InvalidArgumentError("a planned dataset needs a voxel size")
        change = ds_transform.create_dataset(
            name=name or locations.name_of(path), voxel_size=parsed[0], unit=parsed[1]
        )
        session = Session(path, change.spec)
        return cls.of_session(session), session.start_planned(change)

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

    from_images = classmethod(images.from_images)

    # ------------------------------------------------------------------ recording
    @contextlib.contextmanager
    def dry_run(self) -> Iterator[Recorder]:
        """Record mutations instead of running them.

        Inside the block the object behaves as if the changes happened (new layers
        are visible; reads of unwritten data give zeros); on exit it is restored.
        ``rec.plan`` is the combined plan; ``rec.apply()`` or
        ``wkfn.apply(rec.plan, path, rec.payloads)`` runs it later.
        """
        with self._session.recording() as recorder:
            yield recorder

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
    def session(self) -> Session:
        """The effect boundary behind this dataset (wkfn's own modules use it)."""
        return self._session

    @property
    def executor(self) -> Executor | None:
        """Default executor of this dataset's plans (``None``: inline/own pools)."""
        return self._session.executor

    @executor.setter
    def executor(self, value: Executor | None) -> None:
        self._session.executor = value

    @property
    def path(self) -> Any:
        """Dataset directory: a ``pathlib.Path``, a ``UPath`` on an object store
        (``s3://``, ``gs://``), or a :class:`UrlPath` for a dataset read over HTTP
        (the reference gives a ``UPath`` there)."""
        return self._session.root

    @property
    def resolved_path(self) -> Any:
        """Absolute, symlink-free dataset directory (the URL of a remote dataset)."""
        return self._session.root.resolve()

    @property
    def read_only(self) -> bool:
        """True if mutations are refused (RuntimeError)."""
        return self._session.read_only

    @property
    def spec(self) -> DatasetSpec:
        """The current immutable spec (what datasource-properties.json holds)."""
        return self._session.spec

    @property
    def name(self) -> str:
        """Dataset name (``id.name`` in the properties); assigning persists it."""
        return self.spec.id.name

    @name.setter
    def name(self, value: str) -> None:
        self._session.apply(ds_transform.set_name(self.spec, value))

    @property
    def voxel_size(self) -> tuple[float, float, float]:
        """Voxel size in nanometers."""
        return self.voxel_size_with_unit.to_nanometer()

    @property
    def voxel_size_with_unit(self) -> VoxelSize:
        """Voxel size in its stored unit."""
        scale = self.spec.scale
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
        raw = self.spec.default_view_configuration
        return None if raw is None else DatasetViewConfiguration.from_json(raw)

    @default_view_configuration.setter
    def default_view_configuration(
        self, config: DatasetViewConfiguration | None
    ) -> None:
        self._session.apply(
            ds_transform.set_default_view_configuration(
                self.spec, None if config is None else config.to_json()
            )
        )

    # ------------------------------------------------------------------ layers
    @property
    def layers(self) -> dict[str, Layer]:
        """Layer name → Layer, in properties order."""
        return {
            layer.name: layer_class(layer.category)(self, layer.name)
            for layer in self.spec.data_layers
        }

    def get_layer(self, layer_name: str) -> Layer:
        """The layer with this name (IndexError/LayerNotFoundError otherwise)."""
        layer = lookup.get_layer(self.spec, layer_name)
        return layer_class(layer.category)(self, layer.name)

    add_layer = dataset_layers.add_layer
    get_or_add_layer = dataset_layers.get_or_add_layer
    add_layer_like = dataset_layers.add_layer_like
    delete_layer = dataset_layers.delete_layer

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

    def get_segmentation_layer(
        self, layer_name: str | None = None
    ) -> SegmentationLayer:
        """The segmentation layer ``layer_name`` (TypeError if it is a color layer).

        Without a name (the deprecated seed form): the only segmentation layer
        (IndexError if not exactly one).
        """
        if layer_name is not None:
            return _segmentation_layer_named(self, layer_name)
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

    # ------------------------------------------------------------------ copies
    plan_copy_dataset = copying.plan_copy_dataset
    copy_dataset = copying.copy_dataset
    shallow_copy_dataset = copying.shallow_copy_dataset
    add_layer_as_copy = copying.add_layer_as_copy
    add_copy_layer = copying.add_copy_layer
    add_fs_copy_layer = copying.add_fs_copy_layer
    add_symlink_layer = copying.add_symlink_layer
    add_layer_as_ref = copying.add_layer_as_ref
    add_remote_layer = copying.add_remote_layer
    add_layer_for_existing_files = copying.add_layer_for_existing_files
    compress = copying.compress_dataset

    # ------------------------------------------------------------ pyramids, images
    downsample = resample.downsample_dataset
    add_layer_from_images = images.add_layer_from_images
    write_layer = parity_verbs.write_layer

    # ------------------------------------------------------------------ dunder
    def __repr__(self) -> str:
        root = self._session.root
        if isinstance(root, remote.UrlPath):
            return f"Dataset({remote.redact(str(root))!r})"
        return f"Dataset({str(root)!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Dataset):
            return NotImplemented
        return (self.path, self.read_only) == (other.path, other.read_only)

    def __hash__(self) -> int:
        return hash((self.path, self.read_only))

    def __getstate__(self) -> dict[str, Any]:
        """Pickle state for sending views to worker processes (chunk methods).

        The ``executor`` is process-local (pools do not pickle) and is dropped; the
        copy runs its plans inline. A dataset inside ``dry_run()`` is refused: a
        copy would record into a recorder nobody applies.
        """
        if self._session.is_recording:
            raise TypeError(
                f"cannot pickle {self!r} inside dry_run()/transaction(): its "
                "recorded changes would not reach the original dataset"
            )
        return dict(self.__dict__)

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)


def _only(items: list[Any], what: str) -> Any:
    if len(items) != 1:
        raise IndexError(f"expected exactly one {what} layer, found {len(items)}")
    return items[0]


def _segmentation_layer_named(ds: Dataset, layer_name: str) -> SegmentationLayer:
    """``ds.get_layer(layer_name)``, refusing a color layer as the reference does."""
    layer = ds.get_layer(layer_name)
    if not isinstance(layer, SegmentationLayer):
        raise WrongLayerTypeError(
            f"layer {layer_name!r} is a {type(layer).__name__}, not a SegmentationLayer"
        )
    return layer
