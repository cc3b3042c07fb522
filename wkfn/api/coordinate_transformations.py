"""Coordinate transformations of a layer (``layer.coordinate_transformations``).

Immutable values mirroring the reference's classes: an affine 4x4 matrix, a
thin-plate spline given by point correspondences, and an opaque entry kept as read
for any other kind, so unknown transformations survive a round trip.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import Any

import numpy as np

from wkfn.errors import InvalidArgumentError


def _frozen_array(values: Any, what: str) -> np.ndarray[Any, np.dtype[np.float64]]:
    try:
        arr = np.array(values, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise InvalidArgumentError(f"{what} must be numeric, got {values!r}") from e
    arr.setflags(write=False)
    return arr


def _vec3(values: Any, what: str) -> np.ndarray[Any, np.dtype[np.float64]]:
    arr = _frozen_array(values, what)
    if arr.shape != (3,):
        raise InvalidArgumentError(f"{what} must be three floats, got {values!r}")
    return arr


class CoordinateTransformation(ABC):
    """One transformation placing a layer into its dataset's coordinate space.

    Values are immutable (read-only arrays, no attribute assignment); build a new
    one and assign the tuple to ``Layer.coordinate_transformations`` to change it.
    They only affect how WEBKNOSSOS renders the layer, never the voxel data.
    """

    __slots__ = ()

    @abstractmethod
    def to_dict(self) -> dict[str, Any]:
        """The JSON object written to ``coordinateTransformations``."""

    def _to_dict(self) -> dict[str, Any]:
        """Alias of :meth:`to_dict` (the reference's name)."""
        return self.to_dict()

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __copy__(self) -> CoordinateTransformation:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> CoordinateTransformation:
        return self

    __hash__ = None  # type: ignore[assignment]


class AffineCoordinateTransformation(CoordinateTransformation):
    """An affine transformation as a 4x4 homogeneous matrix (``matrix[row][col]``,
    translation in the last column): a point ``p`` maps to
    ``matrix[:3, :3] @ p + matrix[:3, 3]``.

    Builders (``identity``, ``from_translation``, ``from_scale``) and combinators
    (``chain``, ``translate``, ``scale``) return new values; each combinator applies
    its step *after* the transformation it is called on.
    """

    __slots__ = ("matrix",)
    matrix: np.ndarray[Any, np.dtype[np.float64]]

    def __init__(self, matrix: Any) -> None:
        arr = _frozen_array(matrix, "matrix")
        if arr.shape != (4, 4):
            raise InvalidArgumentError(
                f"The affine matrix must have shape (4, 4), got {arr.shape}."
            )
        object.__setattr__(self, "matrix", arr)

    @classmethod
    def identity(cls) -> AffineCoordinateTransformation:
        """The transformation that changes nothing."""
        return cls(np.eye(4))

    @classmethod
    def from_translation(cls, translation: Any) -> AffineCoordinateTransformation:
        """A pure translation by ``(x, y, z)``."""
        matrix = np.eye(4)
        matrix[:3, 3] = _vec3(translation, "translation")
        return cls(matrix)

    @classmethod
    def from_scale(cls, scale: Any) -> AffineCoordinateTransformation:
        """A pure scaling by ``(x, y, z)`` around the origin."""
        matrix = np.eye(4)
        matrix[:3, :3] = np.diag(_vec3(scale, "scale"))
        return cls(matrix)

    def chain(
        self, other: AffineCoordinateTransformation
    ) -> AffineCoordinateTransformation:
        """This transformation first, then ``other``."""
        if not isinstance(other, AffineCoordinateTransformation):
            raise InvalidArgumentError(
                f"can only chain affine transformations, got {other!r}"
            )
        return AffineCoordinateTransformation(other.matrix @ self.matrix)

    def translate(self, translation: Any) -> AffineCoordinateTransformation:
        """This transformation, then a translation."""
        return self.chain(AffineCoordinateTransformation.from_translation(translation))

    def scale(self, scale: Any) -> AffineCoordinateTransformation:
        """This transformation, then a scaling around the origin."""
        return self.chain(AffineCoordinateTransformation.from_scale(scale))

    def to_dict(self) -> dict[str, Any]:
        return {"type": "affine", "matrix": self.matrix.tolist()}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AffineCoordinateTransformation):
            return NotImplemented
        return bool(np.array_equal(self.matrix, other.matrix))

    def __repr__(self) -> str:
        return f"AffineCoordinateTransformation(matrix={self.matrix!r})"


class ThinPlateSplineCoordinateTransformation(CoordinateTransformation):
    """A non-linear warp: landmark ``source[i]`` maps onto ``target[i]``, with a
    thin plate spline in between. Both are ``(N, 3)`` arrays of equal length."""

    __slots__ = ("source", "target")
    source: np.ndarray[Any, np.dtype[np.float64]]
    target: np.ndarray[Any, np.dtype[np.float64]]

    def __init__(self, source: Any, target: Any) -> None:
        src = _frozen_array(source, "source")
        dst = _frozen_array(target, "target")
        for arr in (src, dst):
            if arr.ndim != 2 or arr.shape[1] != 3:
                raise InvalidArgumentError(
                    f"The correspondences must have shape (N, 3), got {arr.shape}."
                )
        if len(src) != len(dst):
            raise InvalidArgumentError(
                "The source and target correspondences must have the same length, "
                f"got {len(src)} and {len(dst)}."
            )
        object.__setattr__(self, "source", src)
        object.__setattr__(self, "target", dst)

    @classmethod
    def from_pairs(
        cls, pairs: Iterable[tuple[Any, Any]]
    ) -> ThinPlateSplineCoordinateTransformation:
        """Build from ``(source, target)`` landmark pairs."""
        items = list(pairs)
        return cls(
            np.reshape([p[0] for p in items], (-1, 3)),
            np.reshape([p[1] for p in items], (-1, 3)),
        )

    @property
    def pairs(self) -> list[tuple[Any, Any]]:
        """The correspondences as ``(source, target)`` pairs."""
        return list(zip(self.source, self.target))

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "thin_plate_spline",
            "correspondences": {
                "source": self.source.tolist(),
                "target": self.target.tolist(),
            },
        }

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ThinPlateSplineCoordinateTransformation):
            return NotImplemented
        return bool(
            np.array_equal(self.source, other.source)
            and np.array_equal(self.target, other.target)
        )

    def __repr__(self) -> str:
        return (
            f"ThinPlateSplineCoordinateTransformation(source={self.source!r}, "
            f"target={self.target!r})"
        )


class _OpaqueCoordinateTransformation(CoordinateTransformation):
    """A transformation type wkfn does not model; kept verbatim so it round-trips."""

    __slots__ = ("raw",)
    raw: dict[str, Any]

    def __init__(self, raw: dict[str, Any]) -> None:
        object.__setattr__(self, "raw", dict(raw))

    def to_dict(self) -> dict[str, Any]:
        return dict(self.raw)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _OpaqueCoordinateTransformation):
            return NotImplemented
        return self.raw == other.raw

    def __repr__(self) -> str:
        return f"CoordinateTransformation({self.raw!r})"


def transformation_from_json(obj: dict[str, Any]) -> CoordinateTransformation:
    """The value for one ``coordinateTransformations`` entry."""
    kind = obj.get("type")
    if kind == "affine" and "matrix" in obj:
        return AffineCoordinateTransformation(obj["matrix"])
    corr = obj.get("correspondences")
    if kind == "thin_plate_spline" and isinstance(corr, dict):
        return ThinPlateSplineCoordinateTransformation(
            corr.get("source", []), corr.get("target", [])
        )
    return _OpaqueCoordinateTransformation(obj)


__all__ = [
    "AffineCoordinateTransformation",
    "CoordinateTransformation",
    "ThinPlateSplineCoordinateTransformation",
    "transformation_from_json",
]
