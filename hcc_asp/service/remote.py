"""Which FHIR servers the service may call, decided before any connection is made.

A hook call names its ``fhirServer``; the service then makes requests on the caller's behalf,
which is how a service becomes a proxy into networks the caller cannot reach (server-side request
forgery). So every URL the service is about to request (the first query and each ``next`` page)
is decided here first:

- with ``--allow-fhir-server URL_PREFIX`` (repeatable), the URL must lie under one of the
  operator's prefixes: same scheme, host and port, and a path under the prefix's path (no ``.``
  or ``..`` segment, no user name or password in the URL);
- without it, the host name is resolved and every address it resolves to must be a public one:
  loopback, private, link-local (cloud metadata), shared, multicast, reserved and unspecified
  addresses are refused, also when they hide inside an IPv6 address (IPv4-mapped, 6to4, Teredo,
  NAT64).

The request then goes to the address that was decided on (the host name stays in the ``Host``
header and the TLS server name), so a name that resolves differently a moment later (DNS
rebinding) cannot move the request elsewhere.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Sequence
from typing import NamedTuple
from urllib.parse import SplitResult, unquote, urlsplit

#: FHIR's id type: "[A-Za-z0-9\-\.]{1,64}" (R4, datatypes).
FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")

_DEFAULT_PORTS = {"http": 80, "https": 443}
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

#: ``getaddrinfo``'s shape: (host, port, ...) -> [(family, type, proto, canonname, sockaddr)].
Resolver = Callable[..., Sequence[tuple[object, object, object, object, tuple[object, ...]]]]


class Refused(Exception):
    """The URL is not one the service may request; the message says why, for the caller."""


class Target(NamedTuple):
    """Where a decided request goes: the URL with the decided address as host, and the names."""

    url: str  #: the URL to request, its host replaced by the decided address
    host: str  #: the ``Host`` header (the URL's own host, and port when not the default)
    server_name: str  #: the TLS server name (the URL's host name)
    address: str  #: the address decided on


def is_fhir_id(value: str) -> bool:
    """Whether ``value`` is a FHIR id (letters, digits, ``-`` and ``.``, 1 to 64 of them)."""
    return FHIR_ID.fullmatch(value) is not None


def _port(url: SplitResult) -> int:
    try:
        port = url.port
    except ValueError:
        raise Refused("not a valid port") from None
    return port if port is not None else _DEFAULT_PORTS.get(url.scheme, 0)


def _segments_safe(path: str) -> bool:
    return not any(part in (".", "..") for part in unquote(path).split("/"))


def under_prefix(url: str, prefix: str) -> bool:
    """Whether ``url`` lies under the operator's ``prefix`` (scheme, host, port, path segments)."""
    wanted, given = urlsplit(prefix), urlsplit(url)
    if (wanted.scheme.lower(), (wanted.hostname or "").lower()) != (
        given.scheme.lower(),
        (given.hostname or "").lower(),
    ):
        return False
    try:
        if _port(wanted) != _port(given):
            return False
    except Refused:
        return False
    base = wanted.path.rstrip("/")
    return given.path == base or given.path.startswith(base + "/") or not base


def _public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """A public unicast address, also when an IPv6 address carries an IPv4 one inside."""
    if isinstance(address, ipaddress.IPv6Address):
        inner = address.ipv4_mapped or address.sixtofour
        if inner is None and address.teredo is not None:
            inner = address.teredo[1]
        if inner is None and address in _NAT64:
            inner = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if inner is not None and not _public(inner):
            return False
    return address.is_global and not address.is_multicast


def decide(url: str, allowed: Sequence[str], resolve: Resolver = socket.getaddrinfo) -> Target:
    """Decide whether the service may request ``url``; where to send it, or :class:`Refused`.

    Nothing is sent: the host name is only resolved (``resolve``, by default the system's
    ``getaddrinfo``), and the addresses are checked against the operator's ``allowed`` prefixes
    or, without any, against the public address ranges.
    """
    parts = urlsplit(url)
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise Refused("only http and https URLs with a host are called")
    if parts.username is not None or parts.password is not None:
        raise Refused("a URL with a user name or password is not called")
    if not _segments_safe(parts.path):
        raise Refused("a URL with '.' or '..' path segments is not called")
    port = _port(parts)
    if allowed and not any(under_prefix(url, prefix) for prefix in allowed):
        raise Refused(
            "not under a FHIR server this service is allowed to call (--allow-fhir-server)"
        )
    host = parts.hostname
    try:
        found = resolve(host, port, 0, socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise Refused(f"the host name {host!r} does not resolve") from None
    addresses = []
    for *_, sockaddr in found:
        try:
            addresses.append(ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0]))
        except ValueError:
            continue
    if not addresses:
        raise Refused(f"the host name {host!r} does not resolve")
    if not allowed:
        for address in addresses:
            if not _public(address):
                raise Refused(
                    f"{host} is a loopback, private, link-local or reserved address "
                    f"({address}); name the server with --allow-fhir-server to call it"
                )
    address = addresses[0]
    shown = f"[{address}]" if address.version == 6 else str(address)
    netloc = f"{shown}:{port}"
    header = host if parts.port is None else f"{host}:{parts.port}"
    if ":" in host and not host.startswith("["):
        header = f"[{host}]" if parts.port is None else f"[{host}]:{parts.port}"
    return Target(
        url=parts._replace(netloc=netloc).geturl(),
        host=header,
        server_name=host,
        address=str(address),
    )
