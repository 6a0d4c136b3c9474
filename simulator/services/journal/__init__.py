"""The request journal: the bounded buffer, whose each entry is (attribution), what it keeps (redaction),
repeated polls as one entry (coalesce), and `POST /_sim/verify` over it."""
