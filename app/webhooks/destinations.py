"""Where webhooks may go. A URL is checked when a subscription is written, and the
addresses its host resolves to are checked again before every attempt, which then connects
to the very address it checked (a name may point elsewhere by then).

Unless `WEBHOOK_ALLOW_PRIVATE` is set, private, loopback, link-local and other non-global
addresses are refused, except hosts and networks named in `WEBHOOK_ALLOWED_HOSTS`.
"""

import ipaddress
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from app.config import Settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class Refused(Exception):
    """The destination is not allowed, or cannot be reached by name."""


@dataclass(frozen=True)
class Policy:
    allow_private: bool = False
    hosts: frozenset[str] = frozenset()
    networks: tuple[Network, ...] = ()

    @classmethod
    def of(cls, settings: Settings) -> "Policy":
        hosts: set[str] = set()
        networks: list[Network] = []
        for item in (i.strip().lower() for i in settings.webhook_allowed_hosts.split(",")):
            if not item:
                continue
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                hosts.add(item)
        return cls(settings.webhook_allow_private, frozenset(hosts), tuple(networks))

    def allows(self, address: Address) -> bool:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        if self.allow_private or any(address in n for n in self.networks):
            return True
        return address.is_global and not address.is_multicast


def _literal(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def check_url(url: str, policy: Policy) -> str | None:
    """Why `url` cannot be a webhook destination, or None when it can."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return "must be an http or https URL"
    if not parts.hostname:
        return "must name a host"
    if parts.username or parts.password:
        return "must not carry credentials (put a token in the path or query instead)"
    if parts.fragment:
        return "must not have a fragment"
    try:
        parts.port  # noqa: B018 (raises on a bad port)
    except ValueError:
        return "has an invalid port"
    host = parts.hostname.lower()
    if host in policy.hosts:
        return None
    address = _literal(host)
    if address is not None:
        return None if policy.allows(address) else "points at a private or local address"
    local = host == "localhost" or host.endswith((".localhost", ".local", ".internal"))
    if local and not policy.allow_private:
        return "points at a local host name"
    return None


@dataclass(frozen=True)
class Target:
    """Where one attempt connects: the checked address, with the original Host and SNI."""

    url: str
    host_header: str
    extensions: dict[str, Any]


def resolve(url: str, policy: Policy) -> Target:
    """The address to send to, resolved and checked now; raises Refused."""
    reason = check_url(url, policy)
    if reason:
        raise Refused(f"the URL {reason}")
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise Refused(f"cannot resolve {host}: {exc}") from None
    addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    if host.lower() not in policy.hosts:
        blocked = [a for a in addresses if not policy.allows(a)]
        if blocked:
            raise Refused(f"{host} resolves to a private or local address ({blocked[0]})")
    chosen = addresses[0]
    literal = f"[{chosen}]" if chosen.version == 6 else str(chosen)
    netloc = f"{literal}:{parts.port}" if parts.port else literal
    extensions = {"sni_hostname": host} if parts.scheme == "https" else {}
    return Target(
        url=urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, "")),
        host_header=parts.netloc,
        extensions=extensions,
    )
