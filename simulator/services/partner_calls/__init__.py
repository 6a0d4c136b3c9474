"""Calls the simulator makes to the partner: callbacks (outbox, delivery, retries) and the reference image
(its URL or the partner's "Get Reference Image" endpoint), under one host policy."""
