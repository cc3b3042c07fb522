"""Slice-by-slice writing and reading of a view (``get_buffered_slice_writer/reader``).

Image stacks are usually produced or consumed one 2D section at a time, but writing
one section per call would read-modify-write every shard it touches once per slice.
The writer collects ``buffer_size`` slices and writes them with a single
:meth:`View.write` call, so every shard is rewritten once per buffer; the reader reads
``buffer_size`` slices at a time and hands them out one by one.

Slices are taken along ``dimension``: for ``"z"`` a slice is ``(x, y)``, for ``"y"``
it is ``(x, z)`` and for ``"x"`` it is ``(y, z)``, optionally preceded by a channel
axis. All public coordinates are Mag-1 voxels, like everywhere in the view API.

Behaviour shared with the reference (``webknossos`` 4.3.3):

* the default buffer is the shard extent along ``dimension``;
* the start of the slice stack along ``dimension`` must be a multiple of the chunk
  extent, and a buffer at least one chunk deep must be a whole number of chunks;
  otherwise :class:`SliceAlignmentError` (a ``ValueError``), or a ``UserWarning``
  with ``allow_unaligned=True``;
* slices of differing size are zero-padded to the largest one of their buffer;
* writes go through the view's ``write`` without ``allow_resize``: a ``MagView``
  slice writer does not grow the layer bounding box (writing beyond it raises), and
  slices that do not cover whole shards need ``allow_unaligned=True``;
* leaving the ``with`` block writes the slices still buffered, also when the block
  raised: every slice that was sent is complete, so what is written is what the
  caller sent (zero-padded as above), never a half-filled slice. The original
  exception then propagates (if that final write fails too, its error is raised
  with the original as context). A warning is logged in that case, so the write is
  not silent;
* the reader yields ``(c, a, b)`` slices, with the channel axis kept even for
  single-channel layers.

Differences: the alignment check uses the offset in voxels of the view's mag (the
reference compares the Mag-1 offset with the chunk extent in mag voxels); wrong slice
shapes or channel counts raise at ``send`` rather than when the buffer is written; and
the writer's ``close()`` writes the remaining slices when no ``with`` block is used.
"""

from __future__ import annotations

import logging
import warnings
from types import TracebackType
from typing import TYPE_CHECKING, Any

import numpy as np

from wkfn.api._location import offset_arg, one_of
from wkfn.errors import InvalidArgumentError, ReadOnlyError, SliceAlignmentError
from wkfn.geometry import BoundingBox

if TYPE_CHECKING:
    from wkfn.api.view import View


logger = logging.getLogger(__name__)


AXES = ("x", "y", "z")


def parse_dimension(dimension: str | int) -> int:
    """Index (0, 1, 2) of the slicing axis given as ``"x"``/``"y"``/``"z"``.

    Integers 0/1/2 are still accepted, as in the reference, but deprecated.

    Raises:
        InvalidArgumentError: not one of the three axes.
    """
    if isinstance(dimension, bool):
        raise InvalidArgumentError(
            f"dimension must be 'x', 'y' or 'z', got {dimension!r}"
        )
    if isinstance(dimension, (int, np.integer)):
        warnings.warn(
            "[DEPRECATION] Setting `dimension` as an integer is deprecated, please "
            f"use a named axis instead, e.g. `dimension='z'`. Got {dimension}.",
            DeprecationWarning,
            stacklevel=3,
        )
        if not 0 <= int(dimension) <= 2:
            raise InvalidArgumentError(
                f"dimension must be 0 (x), 1 (y) or 2 (z), got {dimension}"
            )
        return int(dimension)
    if dimension not in AXES:
        raise InvalidArgumentError(
            f"dimension must be 'x', 'y' or 'z', got {dimension!r}"
        )
    return AXES.index(dimension)


def resolve_buffer_size(view: View, buffer_size: object, axis: int) -> int:
    """The given buffer size, or the shard extent along ``axis`` by default."""
    if buffer_size is None:
        return int(view.info.shard_shape[axis])
    if (
        isinstance(buffer_size, bool)
        or not isinstance(buffer_size, (int, np.integer))
        or buffer_size < 1
    ):
        raise InvalidArgumentError(
            f"buffer_size must be a positive integer, got {buffer_size!r}"
        )
    return int(buffer_size)


def _check_mag_aligned(view: View, box: BoundingBox, what: str) -> None:
    """Refuse Mag-1 boxes that do not start on a voxel of the view's mag."""
    mag = view.mag.to_vec3_int()
    if any(t % m for t, m in zip(box.topleft, mag)):
        raise InvalidArgumentError(
            f"{what} {box.topleft} is not aligned with mag {view.mag}"
        )


def _unaligned(message: str, allow_unaligned: bool, stacklevel: int) -> None:
    """Raise SliceAlignmentError, or warn (at the caller's ``stacklevel``)."""
    if allow_unaligned:
        warnings.warn("[WARNING] " + message, UserWarning, stacklevel=stacklevel + 1)
    else:
        raise SliceAlignmentError(message + " Pass allow_unaligned=True to accept it.")


class BufferedSliceWriter:
    """Collects 2D slices and writes them to a view, ``buffer_size`` at a time.

    Use it as a context manager (``with view.get_buffered_slice_writer() as w``)
    and call :meth:`send` once per slice; leaving the block writes the rest.
    """

    def __init__(
        self,
        view: View,
        buffer_size: int,
        axis: int,
        *,
        relative_offset: object = None,
        absolute_offset: object = None,
        relative_bounding_box: BoundingBox | None = None,
        absolute_bounding_box: BoundingBox | None = None,
        use_logging: bool = False,
        allow_unaligned: bool = False,
    ) -> None:
        """See :func:`get_buffered_slice_writer`."""
        self._view = view
        self._buffer_size = buffer_size
        self._axis = axis
        self._use_logging = use_logging
        self._allow_unaligned = allow_unaligned
        self._num_channels = view.layer.num_channels
        self._chunk_depth = int(view.info.chunk_shape[axis])
        self._slices: list[np.ndarray] = []
        self._buffer_start = 0  # mag-voxel index (from the topleft) of _slices[0]
        self._next_slice = 0
        self._topleft = view.bounding_box.topleft
        if buffer_size >= self._chunk_depth and buffer_size % self._chunk_depth:
            _unaligned(
                f"The buffer size {buffer_size} is not a multiple of the chunk "
                f"extent {self._chunk_depth} along {self.dimension}, so shards would "
                "be written more than once per buffer.",
                allow_unaligned,
                stacklevel=3,
            )
        self._reset(
            relative_offset=relative_offset,
            absolute_offset=absolute_offset,
            relative_bounding_box=relative_bounding_box,
            absolute_bounding_box=absolute_bounding_box,
            stacklevel=4,
        )

    @property
    def dimension(self) -> str:
        """The axis slices are stacked along (``"x"``, ``"y"`` or ``"z"``)."""
        return AXES[self._axis]

    @property
    def buffer_size(self) -> int:
        """How many slices are collected before they are written."""
        return self._buffer_size

    def reset_offset(
        self,
        relative_offset: object = None,
        absolute_offset: object = None,
        relative_bounding_box: BoundingBox | None = None,
        absolute_bounding_box: BoundingBox | None = None,
    ) -> None:
        """Write the buffered slices, then start a new stack at another position.

        Exactly one location may be given (Mag-1; relative ones are relative to the
        view's topleft); none means the view's topleft. Of a bounding box only the
        topleft is used: the extent follows from the slices sent.

        Raises:
            SliceAlignmentError: the new start along the slicing axis is not a
                multiple of the chunk extent (unless ``allow_unaligned``).
        """
        self._reset(
            relative_offset=relative_offset,
            absolute_offset=absolute_offset,
            relative_bounding_box=relative_bounding_box,
            absolute_bounding_box=absolute_bounding_box,
            stacklevel=3,
        )

    def _reset(
        self,
        *,
        relative_offset: object,
        absolute_offset: object,
        relative_bounding_box: BoundingBox | None,
        absolute_bounding_box: BoundingBox | None,
        stacklevel: int,
    ) -> None:
        """``reset_offset``; warnings are attributed ``stacklevel`` frames up."""
        self._flush()
        view_topleft = self._view.bounding_box.topleft
        given = one_of(
            relative_offset=relative_offset,
            absolute_offset=absolute_offset,
            relative_bounding_box=relative_bounding_box,
            absolute_bounding_box=absolute_bounding_box,
        )
        if given is None:
            topleft = view_topleft
        else:
            name, value = given
            if name in ("relative_offset", "absolute_offset"):
                topleft = offset_arg(value, name)
            else:
                if not isinstance(value, BoundingBox):
                    raise InvalidArgumentError(
                        f"{name} must be a BoundingBox, got {value!r}"
                    )
                topleft = value.topleft
            if name.startswith("relative"):
                topleft = view_topleft + topleft
        if any(t < 0 for t in topleft):
            raise InvalidArgumentError(
                f"slice writer offset must be non-negative, got {topleft}"
            )
        _check_mag_aligned(self._view, BoundingBox(topleft, (0, 0, 0)), "offset")
        start = topleft[self._axis] // self._view.mag.to_vec3_int()[self._axis]
        if start % self._chunk_depth:
            _unaligned(
                f"The offset {start} (mag {self._view.mag} voxels) along "
                f"{self.dimension} is not a multiple of the chunk extent "
                f"{self._chunk_depth}, so twice as many shards would be written.",
                self._allow_unaligned,
                stacklevel=stacklevel,
            )
        self._topleft = topleft
        self._buffer_start = 0
        self._next_slice = 0

    def send(self, value: Any) -> None:
        """Append one slice: ``(a, b)`` or ``(c, a, b)`` (``a, b`` = the other axes).

        Writes the buffer once it holds ``buffer_size`` slices.

        Raises:
            InvalidArgumentError: the slice has the wrong number of dimensions or
                channels (2D slices need a single-channel layer).
        """
        data = np.asarray(value)
        if data.ndim == 2:
            data = data[np.newaxis]
        elif data.ndim != 3:
            raise InvalidArgumentError(
                f"a slice must be 2D (a, b) or 3D (c, a, b), got shape {data.shape}"
            )
        if data.shape[0] != self._num_channels:
            raise InvalidArgumentError(
                f"the slice has {data.shape[0]} channel(s), the layer "
                f"{self._view.layer.name!r} has {self._num_channels}; send "
                "(c, a, b) slices for multi-channel layers"
            )
        if not self._slices:
            self._buffer_start = self._next_slice
        self._slices.append(data)
        self._next_slice += 1
        if len(self._slices) >= self._buffer_size:
            self._flush()

    def close(self) -> None:
        """Write the slices still buffered (``with`` does this on exit)."""
        self._flush()

    def _flush(self) -> None:
        """Write the buffered slices, zero-padded to the largest, in one write call."""
        if not self._slices:
            return
        slices, self._slices = self._slices, []
        depth = len(slices)
        width = max(s.shape[1] for s in slices)
        height = max(s.shape[2] for s in slices)
        dtype = np.result_type(*slices)
        stack = np.zeros((self._num_channels, depth, width, height), dtype=dtype)
        for i, s in enumerate(slices):
            stack[:, i, : s.shape[1], : s.shape[2]] = s
        data = np.moveaxis(stack, 1, self._axis + 1)
        mag = self._view.mag.to_vec3_int()
        offset = self._topleft.with_replaced(
            self._axis,
            self._topleft[self._axis] + self._buffer_start * mag[self._axis],
        )
        if self._use_logging:
            logger.info(
                "Writing %d slices along %s at %s (shape %s).",
                depth,
                self.dimension,
                offset,
                data.shape[1:],
            )
        self._view.write(
            data, absolute_offset=offset, allow_unaligned=self._allow_unaligned
        )

    def __enter__(self) -> BufferedSliceWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is not None and self._slices:
            logger.warning(
                "Writing the %d slice(s) sent before an exception (%s) left the "
                "slice writer.",
                len(self._slices),
                exc_type.__name__ if exc_type else "?",
            )
        self._flush()


def get_buffered_slice_writer(
    view: View,
    buffer_size: int | None = None,
    dimension: str | int = "z",
    *,
    relative_offset: object = None,
    absolute_offset: object = None,
    relative_bounding_box: BoundingBox | None = None,
    absolute_bounding_box: BoundingBox | None = None,
    use_logging: bool = False,
    allow_unaligned: bool = False,
) -> BufferedSliceWriter:
    """A writer that stacks 2D slices along ``dimension``, starting at an offset.

    Args:
        buffer_size: slices collected per write (default: the shard extent along
            ``dimension``, so each shard is written once).
        dimension: ``"x"``, ``"y"`` or ``"z"`` (integers 0/1/2 are deprecated).
        relative_offset, absolute_offset, relative_bounding_box,
            absolute_bounding_box: where the first slice goes (Mag-1; at most
            one; default: the view's topleft; of a box only the topleft counts).
        use_logging: log every buffer write.
        allow_unaligned: warn instead of raising about offsets/buffer sizes
            that do not fit the chunk grid, and write partial shards.

    Raises:
        ReadOnlyError: the view is read-only.
        SliceAlignmentError: unaligned offset or buffer size (see module doc).
    """
    axis = parse_dimension(dimension)
    if view.read_only:
        raise ReadOnlyError(
            "cannot get a buffered slice writer on a read-only view "
            f"({view.layer.name}/{view.mag})"
        )
    return BufferedSliceWriter(
        view,
        resolve_buffer_size(view, buffer_size, axis),
        axis,
        relative_offset=relative_offset,
        absolute_offset=absolute_offset,
        relative_bounding_box=relative_bounding_box,
        absolute_bounding_box=absolute_bounding_box,
        use_logging=use_logging,
        allow_unaligned=allow_unaligned,
    )


__all__ = [
    "BufferedSliceWriter",
    "SliceAlignmentError",
    "get_buffered_slice_writer",
    "parse_dimension",
]
