"""OneKYC sandbox simulator: a stateful local stand-in for GoPay OneKYC's Token and IAB Gateways."""

__version__ = "0.1.0"
