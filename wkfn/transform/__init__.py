"""Pure transforms: ``(spec, canonical arguments) -> Change(spec', plan)``. No I/O."""
