"""Where webhooks may go. A URL and the addresses its host resolves to are checked when a
subscription is written, and again before every attempt, which then connects to the very
address it checked (a name may point elsewhere by then).

Unless `WEBHOOK_ALLOW_PRIVATE` is set, private, loopback, link-local and other non-global
addresses are refused, except hosts and networks named in `WEBHOOK_ALLOWED_HOSTS`.
"""

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult, urlsplit, urlunsplit

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
        if self.allow_private or any(address in n for n in self.networks):
            return True
        if isinstance(address, ipaddress.IPv6Address):
            if address.ipv4_mapped:
                return self.allows(address.ipv4_mapped)
            if any(address in n for n in _TUNNELS) or address.sixtofour or address.teredo:
                return False  # an IPv4 address in disguise: nothing public needs these
        return address.is_global and not address.is_multicast


# IPv6 forms that carry an IPv4 address: NAT64 (RFC 6052, RFC 8215), IPv4-compatible.
_TUNNELS = tuple(
    ipaddress.ip_network(n) for n in ("64:ff9b::/96", "64:ff9b:1::/48", "::/96", "2002::/16")
)


def _literal(host: str) -> Address | None:
    """The address a host names literally, including the legacy IPv4 forms that resolvers
    accept (`127.1`, `2130706433`, `0x7f.0.0.1`)."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if host and all(c in "0123456789abcdefx." for c in host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def _host(url: str) -> str | None:
    """The URL's host as DNS sees it: lower case, ASCII (IDNA), no trailing dot."""
    hostname = urlsplit(url).hostname
    if not hostname:
        return None
    try:
        return hostname.rstrip(".").encode("idna").decode("ascii").lower()
    except UnicodeError:
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
    host = _host(url)
    if not host:
        return "has an invalid host name"
    if host in policy.hosts:
        return None
    address = _literal(host)
    if address is not None:
        return None if policy.allows(address) else "points at a private or local address"
    local = host == "localhost" or host.endswith((".localhost", ".local", ".internal"))
    if local and not policy.allow_private:
        return "points at a local host name"
    return None


def _port(parts: SplitResult) -> int:
    return parts.port or (443 if parts.scheme == "https" else 80)


def _addresses(infos: list[tuple[Any, ...]]) -> list[Address]:
    return [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]


def _check_addresses(host: str, addresses: list[Address], policy: Policy) -> str | None:
    """Why a name that resolves to `addresses` cannot be a destination, or None."""
    if host in policy.hosts:
        return None
    blocked = [a for a in addresses if not policy.allows(a)]
    return f"resolves to a private or local address ({blocked[0]})" if blocked else None


def check_destination(url: str, policy: Policy) -> str | None:
    """Why `url` cannot be a webhook destination now, or None when it can: `check_url`,
    then the addresses its host name resolves to. Resolving blocks: call it from a thread."""
    reason = check_url(url, policy)
    if reason:
        return reason
    host = _host(url) or ""
    if host in policy.hosts or _literal(host) is not None:
        return None
    try:
        infos = socket.getaddrinfo(host, _port(urlsplit(url)), type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return f"has a host name that does not resolve ({host})"
    return _check_addresses(host, _addresses(infos), policy)


@dataclass(frozen=True)
class Target:
    """Where one attempt connects: the checked address, with the original Host and SNI."""

    url: str
    host_header: str
    extensions: dict[str, Any]


async def resolve(url: str, policy: Policy) -> Target:
    """The address to send to, resolved and checked now; raises Refused."""
    reason = check_url(url, policy)
    if reason:
        raise Refused(f"the URL {reason}")
    parts = urlsplit(url)
    host = _host(url) or ""
    port = _port(parts)
    literal = _literal(host)
    if literal is not None:
        addresses: list[Address] = [literal]
    else:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
        except (OSError, UnicodeError) as exc:
            raise Refused(f"cannot resolve {host}: {exc}") from None
        addresses = _addresses(infos)
        reason = _check_addresses(host, addresses, policy)
        if reason:
            raise Refused(f"{host} {reason}")
    chosen = addresses[0]
    address = f"[{chosen}]" if chosen.version == 6 else str(chosen)
    named = f"[{host}]" if ":" in host else host
    suffix = f":{parts.port}" if parts.port else ""
    # TLS is checked against the host's name (SNI), not the address it connects to.
    extensions = {"sni_hostname": host} if parts.scheme == "https" and literal is None else {}
    return Target(
        url=urlunsplit((parts.scheme, address + suffix, parts.path or "/", parts.query, "")),
        host_header=named + suffix,
        extensions=extensions,
    )
