"""Applying plans to storage: the executor, saved plans and stale-plan checks."""
