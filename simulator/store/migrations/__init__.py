"""Alembic migrations of the simulator's schema, shipped inside the package (they run from a wheel).

`simulator.store.migrate.upgrade` applies them at start and from `onekyc-sim db upgrade`.
"""
