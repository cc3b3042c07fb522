"""The imperative facade with the reference API's names."""
