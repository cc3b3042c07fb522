"""Immutable integer and float vectors (``VecInt``, ``Vec3Int``, ``Vec3Float``).

All vectors are ``tuple`` subclasses, so they compare and hash equal to plain tuples
(``Vec3Int(1, 2, 3) == (1, 2, 3)``), unpack like tuples and cost about as much as a
tuple to build. Arithmetic is element-wise (``+ - * // %``) with either a scalar or a
vector of the same length; ordering stays lexicographic (as for tuples).

This module gathers the vector types; they live in :mod:`wkfn.geometry.vec_nd`,
:mod:`wkfn.geometry.vec3_int`, :mod:`wkfn.geometry.vec3_float` and (input
parsing) :mod:`wkfn.geometry.vec_parse`.

Differences to the reference library (all stricter or more permissive, never silently
different):

* invalid input raises :class:`wkfn.errors.InvalidArgumentError` (a ``ValueError``)
  instead of ``AssertionError``;
* non-integral floats (``Vec3Int(1.5, 2, 3)``) and strings are rejected instead of being
  truncated or iterated character by character;
* ``2 * v`` and ``(1, 1, 1) + v`` are element-wise instead of failing / concatenating.
"""

from __future__ import annotations

from wkfn.geometry.vec3_float import Vec3Float, Vec3FloatLike
from wkfn.geometry.vec3_int import Vec3Int, Vec3IntLike, Vec3IntLikeOrInt, parse_vec3
from wkfn.geometry.vec_nd import VecInt, VecIntLike
from wkfn.geometry.vec_parse import as_int_seq

__all__ = [
    "Vec3Float",
    "Vec3FloatLike",
    "Vec3Int",
    "Vec3IntLike",
    "Vec3IntLikeOrInt",
    "VecInt",
    "VecIntLike",
    "as_int_seq",
    "parse_vec3",
]
