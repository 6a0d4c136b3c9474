"""Time-driven work: one durable job table, one scheduler task."""
