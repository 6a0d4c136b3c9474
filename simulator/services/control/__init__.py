"""The use cases of `/_sim`: the shared clock, partners and their secrets, interventions (reset, force,
expire), reads and their JSON views, and the one validator of `/_sim` input."""
