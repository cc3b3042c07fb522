"""Declarative datasets: a file that says what a dataset must contain.

``wkfn.declare.model`` holds the (pure) schema of the declaration file;
``wkfn.declare.planner`` compares a declaration with what is on disk and returns the
plan that makes the disk match it.
"""
