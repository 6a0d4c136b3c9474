"""Scenario files: their schema, the loader, the shipped catalog (`builtin/`) and the replay runner."""
