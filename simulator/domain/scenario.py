"""Scenario scripts: per attempt, the outcome and how long processing takes.

This is the minimal selector of the core simulator: two built-in scripts (liveness pass and spoof)
chosen by a magic `x-partner-user-id`. The scenario engine replaces the catalog, not the shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from simulator.domain.outcomes import Outcome


@dataclass(frozen=True, slots=True)
class AttemptPlan:
    """What happens to one submission of the session."""

    outcome: Outcome = Outcome.PASS
    retriable: bool | None = None
    delay_seconds: float | None = None
    after_polls: int | None = None


@dataclass(frozen=True, slots=True)
class Script:
    name: str
    description: str
    magic_user_id: str | None = None
    attempts: tuple[AttemptPlan, ...] = field(default_factory=lambda: (AttemptPlan(),))
    max_attempts: int | None = None

    def plan_for(self, attempt: int) -> AttemptPlan:
        """Plan of the 1-based `attempt`; the last plan repeats."""
        return self.attempts[min(attempt, len(self.attempts)) - 1]


DEFAULT_SCENARIO = "liveness-pass"

BUILTIN: dict[str, Script] = {
    s.name: s
    for s in (
        Script("liveness-pass", "The selfie passes liveness on the first attempt.", "SIM_PASS"),
        Script(
            "spoof",
            "Every selfie is judged a spoof (COMPLETED / INVALID / NOT_LIVE) until the attempts run out.",
            "SIM_SPOOF",
            (AttemptPlan(Outcome.NOT_LIVE),),
        ),
    )
}


def match_magic_user_id(user_id: str, scripts: dict[str, Script]) -> Script | None:
    """The script whose magic value starts `user_id` (case-insensitive), longest magic first."""
    upper = user_id.upper()
    candidates = [s for s in scripts.values() if s.magic_user_id and upper.startswith(s.magic_user_id)]
    return max(candidates, key=lambda s: len(s.magic_user_id or ""), default=None)
