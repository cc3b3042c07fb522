"""Parsing of the reference API's location keywords into absolute Mag-1 boxes."""

from __future__ import annotations

import warnings

from wkfn.errors import InvalidArgumentError
from wkfn.geometry import BoundingBox, Mag, Vec3Int

Vec3Like = object


def one_of(**kwargs: object) -> tuple[str, object] | None:
    """The one location keyword given (name, value), or None; several are refused."""
    given = [(k, v) for k, v in kwargs.items() if v is not None]
    if len(given) > 1:
        names = ", ".join(k for k, _ in given)
        raise InvalidArgumentError(f"give at most one location argument, got {names}")
    return given[0] if given else None


def offset_arg(value: object, name: str) -> Vec3Int:
    """``value`` as a Vec3Int; an InvalidArgumentError naming ``name`` otherwise."""
    try:
        vec = Vec3Int(value)
    except Exception as exc:
        raise InvalidArgumentError(f"{name} must be 3 integers, got {value!r}") from exc
    return vec


def write_box(
    view: BoundingBox,
    mag: Mag,
    data_size: tuple[int, int, int],
    *,
    relative_offset: object = None,
    absolute_offset: object = None,
    relative_bounding_box: BoundingBox | None = None,
    absolute_bounding_box: BoundingBox | None = None,
) -> BoundingBox:
    """Absolute Mag-1 box a write of ``data_size`` (mag voxels) goes to."""
    size = Vec3Int(data_size) * mag.to_vec3_int()
    given = one_of(
        relative_offset=relative_offset,
        absolute_offset=absolute_offset,
        relative_bounding_box=relative_bounding_box,
        absolute_bounding_box=absolute_bounding_box,
    )
    if given is None:
        box = BoundingBox(view.topleft, size)
    else:
        name, value = given
        if name == "relative_offset":
            box = BoundingBox(view.topleft + offset_arg(value, name), size)
        elif name == "absolute_offset":
            box = BoundingBox(offset_arg(value, name), size)
        else:
            assert isinstance(value, BoundingBox)
            box = (
                value.offset(view.topleft) if name == "relative_bounding_box" else value
            )
            if box.size != size:
                raise InvalidArgumentError(
                    f"data of shape {tuple(data_size)} (mag {mag}) covers {size}, "
                    f"but {name} has size {box.size}"
                )
    if any(t < 0 for t in box.topleft):
        raise InvalidArgumentError(
            f"write offset must be non-negative, got {box.topleft}"
        )
    return box


def read_box(
    view: BoundingBox,
    mag: Mag,
    size: object = None,
    *,
    relative_offset: object = None,
    absolute_offset: object = None,
    relative_bounding_box: BoundingBox | None = None,
    absolute_bounding_box: BoundingBox | None = None,
) -> BoundingBox:
    """Absolute Mag-1 box a read refers to (the whole view when nothing is given)."""
    given = one_of(
        relative_offset=relative_offset,
        absolute_offset=absolute_offset,
        relative_bounding_box=relative_bounding_box,
        absolute_bounding_box=absolute_bounding_box,
    )
    if given is None:
        if size is None:
            return view
        warnings.warn(
            "read(size=...) without an offset is deprecated; the size is taken in "
            "voxels of the current mag. Pass absolute_offset or a bounding box.",
            DeprecationWarning,
            stacklevel=3,
        )
        return BoundingBox(view.topleft, offset_arg(size, "size") * mag.to_vec3_int())
    name, value = given
    if name in ("relative_offset", "absolute_offset"):
        if size is None:
            raise InvalidArgumentError(f"{name} needs a size (in Mag-1 voxels)")
        vec = offset_arg(value, name)
        topleft = view.topleft + vec if name == "relative_offset" else vec
        box = BoundingBox(topleft, offset_arg(size, "size"))
    else:
        if size is not None:
            raise InvalidArgumentError(f"size cannot be combined with {name}")
        assert isinstance(value, BoundingBox)
        box = value.offset(view.topleft) if name == "relative_bounding_box" else value
    if box.is_empty():
        raise InvalidArgumentError(f"cannot read an empty region {box}")
    if any(t < 0 for t in box.topleft):
        raise InvalidArgumentError(
            f"read offset must be non-negative, got {box.topleft}"
        )
    return box
