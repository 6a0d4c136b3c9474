"""The pure domain: submission state machine, next-action rule and outcomes. No HTTP, no SQL."""
