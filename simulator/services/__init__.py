"""The service layer: what the simulator does, called by the gateway and admin handlers."""
