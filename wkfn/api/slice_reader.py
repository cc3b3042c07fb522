"""Reading a view in 2-D sections: ``View.get_buffered_slice_reader``.

:class:`BufferedSliceReader` reads ``buffer_size`` slices along x, y or z with one
call and yields them one by one as ``(c, a, b)`` arrays; regions without data read as
zeros. The writing side and the shared argument checks live in
:mod:`wkfn.api.slices`.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import TracebackType
from typing import TYPE_CHECKING

import numpy as np

from wkfn.api._location import one_of
from wkfn.api.slices import AXES, logger, parse_dimension, resolve_buffer_size
from wkfn.errors import InvalidArgumentError
from wkfn.geometry import BoundingBox

if TYPE_CHECKING:
    from wkfn.api.view import View


class BufferedSliceReader:
    """Reads a view slice by slice along one axis, ``buffer_size`` slices per read.

    Iterate over it directly or over what ``with`` returns; each item is a
    ``(c, a, b)`` array (``a, b`` = the other two axes in x, y, z order).
    """

    def __init__(
        self,
        view: View,
        buffer_size: int,
        axis: int,
        *,
        relative_bounding_box: BoundingBox | None = None,
        absolute_bounding_box: BoundingBox | None = None,
        use_logging: bool = False,
    ) -> None:
        """See :func:`get_buffered_slice_reader`."""
        self._view = view
        self._buffer_size = buffer_size
        self._axis = axis
        self._use_logging = use_logging
        given = one_of(
            relative_bounding_box=relative_bounding_box,
            absolute_bounding_box=absolute_bounding_box,
        )
        if given is None:
            box = view.bounding_box
        else:
            name, value = given
            if not isinstance(value, BoundingBox):
                raise InvalidArgumentError(
                    f"{name} must be a BoundingBox, got {value!r}"
                )
            box = (
                value.offset(view.bounding_box.topleft)
                if name == "relative_bounding_box"
                else value
            )
        if box.align_with_mag(view.mag, ceil=True) != box:
            raise InvalidArgumentError(
                f"the bounding box {box} is not aligned with mag {view.mag}"
            )
        self._box = box

    @property
    def dimension(self) -> str:
        """The axis slices are taken along (``"x"``, ``"y"`` or ``"z"``)."""
        return AXES[self._axis]

    @property
    def bounding_box(self) -> BoundingBox:
        """The Mag-1 box that is read."""
        return self._box

    def __iter__(self) -> Iterator[np.ndarray]:
        mag = self._view.mag.to_vec3_int()
        box = self._box
        step = self._buffer_size * mag[self._axis]
        start, end = box.topleft[self._axis], box.bottomright[self._axis]
        for lo in range(start, end, step):
            hi = min(lo + step, end)
            part = BoundingBox(
                box.topleft.with_replaced(self._axis, lo),
                box.size.with_replaced(self._axis, hi - lo),
            )
            if self._use_logging:
                logger.info("Reading slices from %s.", part)
            data = self._view.read(absolute_bounding_box=part)
            yield from np.moveaxis(data, self._axis + 1, 0)

    def __enter__(self) -> Iterator[np.ndarray]:
        return iter(self)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None


def get_buffered_slice_reader(
    view: View,
    buffer_size: int | None = None,
    dimension: str | int = "z",
    *,
    relative_bounding_box: BoundingBox | None = None,
    absolute_bounding_box: BoundingBox | None = None,
    use_logging: bool = False,
) -> BufferedSliceReader:
    """A reader yielding ``(c, a, b)`` slices along ``dimension``.

    Args:
        buffer_size: slices read per call (default: the shard extent along
            ``dimension``).
        dimension: ``"x"``, ``"y"`` or ``"z"`` (integers 0/1/2 are deprecated).
        relative_bounding_box, absolute_bounding_box: the Mag-1 region to read
            (at most one; default: the whole view). Regions without data read
            as zeros.
        use_logging: log every buffer read.
    """
    axis = parse_dimension(dimension)
    return BufferedSliceReader(
        view,
        resolve_buffer_size(view, buffer_size, axis),
        axis,
        relative_bounding_box=relative_bounding_box,
        absolute_bounding_box=absolute_bounding_box,
        use_logging=use_logging,
    )
