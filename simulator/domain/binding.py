"""Which scenario a partner session runs: the catalog, and the first-match-wins binding rules (DESIGN §4).

In order: an admin binding made in advance for the partner session id; a magic `x-partner-user-id`;
a magic selfie (known only at confirm, so it applies from the attempt whose selfie matches); the
partner's configured default; liveness pass. Pure: the caller looks the candidates up.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from simulator.domain.scripts import DEFAULT_SCENARIO, Behaviour, Script


class Source(StrEnum):
    """Where a session's scenario came from, strongest first."""

    BINDING = "binding"
    MAGIC_USER_ID = "magic-user-id"
    MAGIC_IMAGE = "magic-image"
    PARTNER_DEFAULT = "partner-default"
    DEFAULT = "default"


RANK = {source: rank for rank, source in enumerate(Source)}


class Catalog(dict[str, Script]):
    """The scenarios a simulator knows, by name, with lookups by magic value."""

    @classmethod
    def of(cls, scripts: list[Script]) -> Catalog:
        catalog = cls()
        for script in scripts:
            if script.name in catalog:
                raise ValueError(f"two scenarios are named {script.name!r}")
            catalog[script.name] = script
        return catalog

    def by_user_id(self, user_id: str) -> Script | None:
        """The script whose magic value starts `user_id` (any case), the longest magic value first."""
        upper = user_id.upper()
        candidates = [s for s in self.values() if s.magic_user_id and upper.startswith(s.magic_user_id.upper())]
        return max(candidates, key=lambda s: len(s.magic_user_id or ""), default=None)

    def by_image(self, sha256: str) -> Script | None:
        """The script whose magic selfie has exactly these bytes."""
        return next((s for s in self.values() if s.magic_image_sha256 == sha256), None)

    def default(self) -> Script:
        return self.get(DEFAULT_SCENARIO) or Script(name=DEFAULT_SCENARIO, description="The selfie passes.")


@dataclass(frozen=True, slots=True)
class Choice:
    """A session's scenario: its name, the behaviour it runs and why it was chosen."""

    name: str
    behaviour: Behaviour
    source: Source


def choose(
    catalog: Catalog,
    *,
    binding: Choice | None,
    user_id: str,
    partner_default: str | None,
) -> Choice:
    """The scenario of a new partner session, first match wins (the magic image comes later, at confirm)."""
    if binding is not None:
        return binding
    magic = catalog.by_user_id(user_id)
    if magic is not None:
        return Choice(magic.name, magic, Source.MAGIC_USER_ID)
    if partner_default and partner_default in catalog:
        return Choice(partner_default, catalog[partner_default], Source.PARTNER_DEFAULT)
    default = catalog.default()
    return Choice(default.name, default, Source.DEFAULT)


def rebind_for_image(current: Choice, catalog: Catalog, selfie_sha256: str) -> Choice | None:
    """The magic-image scenario a confirmed selfie switches the session to, or None to keep `current`."""
    script = catalog.by_image(selfie_sha256)
    if script is None or RANK[current.source] < RANK[Source.MAGIC_IMAGE] or script.name == current.name:
        return None
    return Choice(script.name, script, Source.MAGIC_IMAGE)
