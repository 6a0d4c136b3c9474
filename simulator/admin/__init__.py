"""The /_sim control surface: clock, health and inspection. No vendor path starts with /_sim."""
