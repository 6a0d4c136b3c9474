"""The replay tool: plays partner backend and SDK for scenario files against a simulator and checks them."""
