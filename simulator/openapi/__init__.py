"""The simulator's own OpenAPI description: the vendor's published definitions of the endpoints it
serves (`vendor/`, copied unchanged from the vendor's reference pages) merged with `control.yaml`."""
