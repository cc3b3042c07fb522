"""``SamplingModes``: how the mag ladder of a downsampling is chosen."""

from __future__ import annotations

from enum import Enum

from wkfn.errors import InvalidArgumentError


class SamplingModes(Enum):
    """Sampling modes with the reference's names and values.

    * ``ANISOTROPIC`` — double the finest axes until voxels are (nearly) cubic in
      physical units, e.g. voxel size (11.2, 11.2, 25) gives 2-2-1, 4-4-2, 8-8-4;
    * ``ISOTROPIC`` — double every axis (2, 4, 8, ...);
    * ``CONSTANT_Z`` — never downsample z (2-2-1, 4-4-1, ...).

    Examples:
        >>> SamplingModes.parse("auto")
        <SamplingModes.ANISOTROPIC: 'anisotropic'>
        >>> SamplingModes.parse("isotropic").value
        'isotropic'
    """

    ANISOTROPIC = "anisotropic"
    ISOTROPIC = "isotropic"
    CONSTANT_Z = "constant_z"

    @classmethod
    def parse(cls, mode: str | SamplingModes) -> SamplingModes:
        """A member from a member or its value; ``"auto"`` means ANISOTROPIC.

        Raises:
            InvalidArgumentError: any other string (a ``ValueError``).
        """
        if isinstance(mode, SamplingModes):
            return mode
        if mode == "auto":
            return cls.ANISOTROPIC
        try:
            return cls(mode)
        except ValueError:
            raise InvalidArgumentError(
                f"{mode!r} is not a valid SamplingModes; expected one of "
                f"{', '.join(repr(m.value) for m in cls)} or 'auto'"
            ) from None


__all__ = ["SamplingModes"]
