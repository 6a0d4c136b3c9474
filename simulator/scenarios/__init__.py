"""Scenario files: their schema, the loader, the shipped catalog (`builtin/`) and its sample images."""
