"""Alembic migrations of the simulator's schema, shipped inside the package (they run from a wheel).

`simulator.store.schema.upgrade` applies them at start and from `onekyc-sim db upgrade`.
"""
