"""Test helpers shipped with wkfn (hypothesis strategies for its value types).

Importing :mod:`wkfn.testing.geometry_strategies` requires ``hypothesis``.
"""
