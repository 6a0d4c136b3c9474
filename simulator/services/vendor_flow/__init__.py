"""The vendor flow's use cases, one module a seam of the gateway: tokens, partner sessions, submissions,
documents (the storage), their processing, and the bodies and images they share."""
