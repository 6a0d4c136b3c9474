"""Which hosts an outbound fetch may reach: the policy in front of every reference-image request.

The reference image URL is chosen by whoever calls Initiate Flow, so on a shared host it must not become a
way into the network behind the simulator (cloud metadata at 169.254.169.254, databases, admin pages).

    bound to            private / loopback / link-local / reserved target      public target
    loopback            allowed (a laptop: local test servers must work)       allowed
    anything else       refused, unless --outbound-allow lists it              allowed

`--outbound-allow` entries are host names (`refs.example.com`, `*.example.com`: the name is trusted,
whatever it resolves to) or addresses / CIDRs (`10.1.0.0/16`: checked against every resolved address).
A host name is resolved and *every* address it resolves to must pass; each redirect hop is checked
again (`simulator.services.partner_calls.reference`). Callbacks are not checked: their URLs are set through the
authenticated control API (DESIGN §7), and partners' QA callback receivers often live on private
networks. Known limit: the check resolves the name, the HTTP client resolves it again, so a name whose
DNS answer changes in between (rebinding) is not caught; list trusted hosts explicitly on exposed hosts.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from simulator.hosting import is_loopback_host
from simulator.settings import Settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class OutboundRefused(Exception):
    """The policy refuses a target; the message says which address and which flag would allow it."""


def _internal(address: Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
    )


@dataclass(frozen=True, slots=True)
class OutboundPolicy:
    """`restricted`: internal targets need an allow entry; `hosts`/`networks`: the `--outbound-allow` entries."""

    restricted: bool
    hosts: tuple[str, ...] = ()
    networks: tuple[Network, ...] = ()

    @classmethod
    def from_settings(cls, settings: Settings) -> OutboundPolicy:
        hosts: list[str] = []
        networks: list[Network] = []
        for entry in settings.outbound_allow:
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                hosts.append(entry.lower().rstrip("."))
        return cls(not is_loopback_host(settings.host), tuple(hosts), tuple(networks))

    def _host_allowed(self, host: str) -> bool:
        for entry in self.hosts:
            if entry.startswith("*.") and host.endswith(entry[1:]):
                return True
            if host == entry:
                return True
        return False

    def _address_allowed(self, address: Address) -> bool:
        return any(address in network for network in self.networks) or not _internal(address)

    async def check(self, url: str) -> None:
        """Return when `url` may be fetched; raise `OutboundRefused` (with the reason) when not."""
        if not self.restricted:
            return
        parts = urlsplit(url)
        host = (parts.hostname or "").lower().rstrip(".")
        if parts.scheme not in ("http", "https") or not host:
            raise OutboundRefused(f"only absolute http(s) URLs are fetched, not {url[:80]!r}")
        if self._host_allowed(host):
            return
        for address in await _resolve(host, parts.port or (443 if parts.scheme == "https" else 80)):
            if not self._address_allowed(address):
                raise OutboundRefused(
                    f"refused by the outbound policy: {host} resolves to {address}, a private, loopback or "
                    "link-local address; allow it with --outbound-allow (env ONEKYC_SIM_OUTBOUND_ALLOW)"
                )


async def _resolve(host: str, port: int) -> list[Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise OutboundRefused(f"cannot resolve {host}: {exc.strerror or exc}") from None
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
