"""The wkfn error tree.

Every error wkfn raises on purpose derives from :class:`WkfnError` *and* from the
builtin exception the reference library raises in the same situation, so scripts that
catch ``IndexError`` or ``RuntimeError`` around ``webknossos`` calls keep working.
"""

from __future__ import annotations

from typing import Any, TypeVar

_E = TypeVar("_E", bound=BaseException)


def _rebuild(cls: type[WkfnError], args: tuple[Any, ...], state: dict[str, Any]) -> Any:
    """Unpickle a wkfn error without calling its ``__init__`` (see WkfnError)."""
    err = cls.__new__(cls)
    err.args = args
    err.__dict__.update(state)
    return err


class WkfnError(Exception):
    """Root of all errors raised deliberately by wkfn.

    Errors pickle with their message and attributes even where ``__init__`` takes
    other arguments than the message (ExecutionError, PropertiesError, ...), so an
    error raised in a worker process reaches the caller intact instead of breaking
    the pool that carries it.
    """

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.args, dict(self.__dict__)))


class InvalidArgumentError(WkfnError, ValueError):
    """An argument has a value that can never be valid (names the offending value)."""


class InvalidLayerNameError(InvalidArgumentError):
    """A layer name is empty, contains path separators or would escape the dataset."""


class LayerExistsError(WkfnError, IndexError):
    """A layer with this name already exists (the reference raises IndexError)."""


class LayerRenameError(LayerExistsError, ValueError):
    """A layer would be renamed onto an existing name (the reference: ValueError)."""


class LayerNotFoundError(WkfnError, IndexError):
    """No layer with this name exists (the reference raises IndexError)."""


class MagExistsError(WkfnError, IndexError):
    """A mag already exists in the layer."""


class MagNotFoundError(WkfnError, IndexError):
    """The layer has no such mag."""


class SourceMagNotFoundError(MagNotFoundError, KeyError):
    """The mag to down- or upsample from does not exist (the reference raises
    KeyError there, IndexError for other missing mags)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class WrongLayerTypeError(WkfnError, TypeError):
    """A layer of the other category was asked for (the reference raises TypeError)."""


class InvalidCategoryError(WkfnError, RuntimeError):
    """The layer category is neither 'color' nor 'segmentation'."""


class InvalidDtypeError(InvalidArgumentError, TypeError):
    """A dtype string or object numpy does not understand (the reference and numpy
    raise TypeError; still a ValueError for code written against older wkfn)."""


class AssertedValueError(InvalidArgumentError, AssertionError):
    """A bad value the reference rejects with ``assert`` (AssertionError), e.g. a
    vector of two components or two boxes that do not intersect; still a
    ValueError as wkfn always raised there."""


class UnknownModeError(InvalidArgumentError, KeyError):
    """A mode name that is not one of the allowed ones (the reference looks it up
    in an enum: KeyError)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class AxisNotFoundError(InvalidArgumentError, KeyError):
    """A named axis does not exist in a box or vector (the reference: KeyError)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class MergePreconditionError(InvalidArgumentError, AssertionError):
    """Two mags cannot be merged (chunks per shard, dtype or mag differ); the
    reference checks these with ``assert`` (AssertionError)."""


class ConflictingArgumentsError(WkfnError, AttributeError):
    """Two arguments that exclude each other were both given (e.g. both dtype forms)."""


class ShardArgumentsError(ConflictingArgumentsError, ValueError):
    """``shard_shape`` and ``chunks_per_shard`` were both given (the reference raises
    ValueError there; still an AttributeError like the other conflicts)."""


class DtypeMismatchError(InvalidArgumentError):
    """Data does not fit the layer's dtype without loss; cast it explicitly first."""


class ReadOnlyError(WkfnError, RuntimeError):
    """A mutation was attempted on a read-only dataset, layer or view."""


class DatasetExistsError(WkfnError, RuntimeError):
    """A dataset already exists where a new one should be created."""


class DatasetNotFoundError(WkfnError, FileNotFoundError):
    """No datasource-properties.json at the given path."""


class PropertiesError(WkfnError, ValueError):
    """A datasource-properties.json is malformed.

    ``issues`` lists every problem as ``(json_path, message)``, e.g.
    ``("$.dataLayers[0].mags[1].mag", "expected 3 integers, got [1, 1]")``.
    """

    def __init__(self, issues: list[tuple[str, str]], source: str = "") -> None:
        self.issues = list(issues)
        self.source = source
        where = f" in {source}" if source else ""
        lines = "\n".join(f"  {path}: {message}" for path, message in self.issues)
        super().__init__(f"invalid datasource-properties{where}:\n{lines}")


class StalePlanError(WkfnError, RuntimeError):
    """A plan was computed against a dataset state that no longer matches the disk."""


class PlanFormatError(WkfnError, ValueError):
    """A saved plan cannot be decoded (unknown version or malformed)."""


class InvalidAxesError(InvalidArgumentError):
    """The axes of an n-D box or layer are malformed: an axis named twice, an extra
    axis named ``x``/``y``/``z``/``c``, x/y/z missing, or an index outside an extra
    axis' range."""


class RankMismatchError(InvalidArgumentError):
    """A voxel array's rank or shape does not match the n-D box it is written to."""


class UnsupportedLayerError(WkfnError, NotImplementedError):
    """The layer is of a kind whose data wkfn cannot read or write yet (n-D layers)."""


class StorageError(WkfnError, OSError):
    """An array could not be created, opened, read or written."""


class UnsafePathError(StorageError, PermissionError):
    """A mag or attachment path of the properties leads outside the dataset to
    something that is not another dataset's data (see ``wkfn.storage.path_policy``)."""


class ExecutionError(WkfnError, RuntimeError):
    """One or more plan operations failed.

    ``failures`` maps task labels to readable messages; ``causes`` maps the same
    labels to the exceptions themselves, so callers can re-raise a typed cause
    (see :meth:`cause_of`) instead of parsing messages. Pickling keeps the
    messages and drops the causes (a worker's exception may not pickle).
    """

    def __init__(
        self,
        failures: dict[str, str],
        causes: dict[str, BaseException] | None = None,
    ) -> None:
        self.failures = dict(failures)
        self.causes = dict(causes or {})
        lines = "\n".join(f"  {key}: {msg}" for key, msg in self.failures.items())
        super().__init__(f"{len(self.failures)} plan operation(s) failed:\n{lines}")

    def cause_of(self, kind: type[_E]) -> _E | None:
        """The first failed task's exception that is a ``kind``, else None."""
        for cause in self.causes.values():
            if isinstance(cause, kind):
                return cause
        return None

    def __reduce__(self) -> tuple[Any, ...]:
        state = {k: v for k, v in self.__dict__.items() if k != "causes"}
        return (_rebuild, (type(self), self.args, {**state, "causes": {}}))


class MismatchError(WkfnError, AssertionError):
    """An existing object does not match what the caller asserted (name, voxel size,
    dtype …). Subclasses AssertionError like the seed API documents."""


class DatasetMismatchError(MismatchError, RuntimeError):
    """``Dataset(path, voxel_size=..., name=...)`` on an existing dataset with another
    voxel size or name: AssertionError (the seed document) and RuntimeError
    (webknossos 4.3.3)."""


class ImageConversionError(InvalidArgumentError):
    """Image import failed because of its input (a ValueError like the reference's).

    ``path`` names the offending file or folder when one is known.
    """

    def __init__(self, message: str, *, path: str | None = None) -> None:
        self.path = path
        super().__init__(message if path is None else f"{message} [{path}]")


class UnsupportedImageFormatError(ImageConversionError):
    """No reader handles the input (unknown extension, empty folder, or a reader
    whose optional dependency is missing; ``install`` then says what to install)."""

    def __init__(
        self, message: str, *, path: str | None = None, install: str | None = None
    ) -> None:
        self.install = install
        super().__init__(message, path=path)


class CorruptImageError(ImageConversionError):
    """An image file could not be decoded (truncated, corrupt or not an image)."""


class UnsupportedImageDataError(ImageConversionError):
    """The images can be read but not imported as asked (mixed shapes or dtypes,
    channels that do not fit a layer, too many layers, a dtype the category
    forbids)."""


class DeclarationError(WkfnError, ValueError):
    """A dataset declaration file is invalid: names the file, key path and problem."""

    def __init__(self, source: str, path: str, message: str) -> None:
        self.source = source
        self.path = path
        super().__init__(f"{source}: {path}: {message}")


class ChunkShapeError(InvalidArgumentError, AssertionError):
    """A chunk shape is not allowed for a view, or chunk shapes do not fit together.

    A ``ValueError`` like wkfn's other argument errors, and an ``AssertionError``
    because that is what the reference raises here (scripts catching either work).
    """


class SliceAlignmentError(InvalidArgumentError):
    """The slice writer's offset or buffer size does not fit the chunk grid.

    Writing such a stack rewrites shards more often than necessary; pass
    ``allow_unaligned=True`` to accept that (a warning is issued instead).
    """


class AttachmentNotFoundError(WkfnError, KeyError, ValueError):
    """The layer has no such attachment.

    A KeyError and a ValueError: the reference raises KeyError for single-valued
    kinds and ValueError (``list.remove``) for the others.
    """


class AttachmentExistsError(InvalidArgumentError):
    """An attachment of that kind and name already exists (a ValueError)."""


class LeftoverError(StorageError):
    """Files a killed run left behind are in the way of a different change.

    The message names the leftovers and the command that removes them
    (``wkfn check --repair <dataset>``); re-running the killed call resumes it.
    """
