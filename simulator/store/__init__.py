"""Persistence: engine factory, tables and the repository (the only module with SQL)."""
