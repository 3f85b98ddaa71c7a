"""Trigger callbacks leave the app for URLs a caller chose: guard against SSRF.

A callback URL must be https and its host must resolve to public addresses only — never
loopback, private, link-local (169.254.169.254 metadata), carrier-grade NAT, multicast,
reserved, or Azure's platform address 168.63.129.16. An IPv6 address that carries an IPv4
one — IPv4-mapped and -translated, the deprecated IPv4-compatible form, NAT64 (64:ff9b::/96),
6to4 (2002::/16), Teredo (2001::/32) — reaches that IPv4 address through a translator or a
tunnel, so the IPv4 inside is what is judged (``ipaddress`` calls most of these forms global,
whatever they carry). The check runs when a flow subscribes
and again on every delivery, where the address actually connected to is checked (a host
whose DNS changed after subscribing cannot reach inside). Hosts are never allow-listed
(Power Automate moved its callback hosts in 2025). CALLBACK_ALLOW_LOCALHOST (local
development and tests only) additionally allows loopback, over http too.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ..common.config import get_settings
from ..common.errors import ValidationFailed

# Not covered by ipaddress' is_global: Azure's wireserver / DNS / health probe address, and
# the local-use NAT64 prefix (RFC 8215: never globally reachable; its operator picks where the
# IPv4 address sits, so it cannot be decoded reliably).
DENIED = (ipaddress.ip_network("168.63.129.16/32"), ipaddress.ip_network("64:ff9b:1::/48"))
# IPv6 forms whose low 32 bits are an IPv4 address the packet ends up at (RFC 6052, 4291, 2765)
NAT64 = ipaddress.ip_network("64:ff9b::/96")
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")   # deprecated ::a.b.c.d; :: and ::1 are not it
IPV4_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")


class CallbackRefused(ValidationFailed):
    code = "CallbackUrlRefused"


def embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address stands for (Teredo: its server and its client, the
    client's bits XOR-ed as the protocol sends them); [] for a plain IPv6 address."""
    if ip.ipv4_mapped is not None:
        return [ip.ipv4_mapped]
    if ip.sixtofour is not None:
        return [ip.sixtofour]
    if ip.teredo is not None:
        return list(ip.teredo)
    low32 = ipaddress.IPv4Address(int(ip) & 0xFFFF_FFFF)
    if ip in NAT64 or ip in IPV4_TRANSLATED or (ip in IPV4_COMPATIBLE and int(ip) > 1):
        return [low32]
    return []


def _allowed_ip(text: str, allow_local: bool) -> bool:
    try:
        ip = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        inner = embedded_ipv4(ip)
        if inner:
            return all(_allowed_ip(str(v4), allow_local) for v4 in inner)
    if allow_local and ip.is_loopback:
        return True
    if any(ip in net for net in DENIED):
        return False
    return ip.is_global and not ip.is_multicast


def check_url(url: str, *, field: str = "WebHookUri", resolve: bool = True) -> None:
    """Raise CallbackRefused (400, naming ``field``) unless ``url`` may receive our POSTs.

    Plain http is refused before any DNS lookup (it could only ever be allowed for a literal
    loopback host under CALLBACK_ALLOW_LOCALHOST), so the answer never depends on resolvers."""
    allow_local = get_settings().callback_allow_localhost
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError as err:
        raise CallbackRefused(f"{field}: not a valid URL ({err}).", field=field) from err
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http") or not host:
        raise CallbackRefused(f"{field}: the callback must be an https:// URL.", field=field)
    if parts.username or parts.password:
        raise CallbackRefused(f"{field}: credentials in the URL are not accepted.", field=field)
    if scheme == "http" and not (allow_local and _literal_loopback(host)):
        raise CallbackRefused(f"{field}: the callback must be an https:// URL.", field=field)
    if not resolve:
        return
    addresses = _resolve(host, port or (443 if scheme == "https" else 80), field)
    if not addresses or any(not _allowed_ip(a, allow_local) for a in addresses):
        raise CallbackRefused(f"{field}: {host} is a private, loopback, link-local or metadata address; "
                              "callbacks must go to a public host.", field=field)


def _literal_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _resolve(host: str, port: int, field: str) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as err:
        raise CallbackRefused(f"{field}: the host {host} cannot be resolved.", field=field) from err
    return sorted({str(info[4][0]) for info in infos})


# ---------------------------------------------------------------- delivery

@dataclass(frozen=True)
class PostResult:
    status: int            # HTTP status, 0 when no answer (timeout, refused, reset)
    error: str = ""        # safe to store: never the URL's query (it carries the flow's key)
    retry_after: float | None = None
    refused: bool = False  # the SSRF guard stopped it


class _PeerRefused(OSError):
    pass


def check_peer(sock: socket.socket, allow_local: bool) -> socket.socket:
    """After connect: the address actually connected to must pass the subscribe-time rule."""
    peer = sock.getpeername()[0]
    if not _allowed_ip(str(peer), allow_local):
        sock.close()
        raise _PeerRefused(f"connection to a non-public address refused ({peer})")
    return sock


_session_lock = threading.Lock()
_sessions: dict[bool, Any] = {}


def _guarded_session(allow_local: bool) -> Any:
    """A requests Session whose connections are checked after connect: the peer address must
    pass the same rule as at subscribe time (no proxies, no redirects)."""
    with _session_lock:
        if allow_local in _sessions:
            return _sessions[allow_local]
        import requests
        from requests.adapters import HTTPAdapter
        from urllib3.connection import HTTPConnection, HTTPSConnection
        from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

        class Conn(HTTPConnection):
            def _new_conn(self) -> socket.socket:  # type: ignore[override]
                return check_peer(super()._new_conn(), allow_local)

        class TlsConn(HTTPSConnection):
            def _new_conn(self) -> socket.socket:  # type: ignore[override]
                return check_peer(super()._new_conn(), allow_local)

        class Pool(HTTPConnectionPool):
            ConnectionCls = Conn

        class TlsPool(HTTPSConnectionPool):
            ConnectionCls = TlsConn

        class Adapter(HTTPAdapter):
            def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
                super().init_poolmanager(*args, **kwargs)
                self.poolmanager.pool_classes_by_scheme = {"http": Pool, "https": TlsPool}

        session = requests.Session()
        session.trust_env = False  # never through a proxy: the peer check must see the real host
        adapter = Adapter(pool_connections=16, pool_maxsize=64, max_retries=0)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        _sessions[allow_local] = session
        return session


def post_json(url: str, body: bytes, headers: dict[str, str], timeout: float) -> PostResult:
    """POST once; never raises for network trouble (status 0 + error instead)."""
    import requests

    try:
        check_url(url)
    except CallbackRefused as err:
        return PostResult(0, err.message, refused=True)
    session = _guarded_session(get_settings().callback_allow_localhost)
    try:
        res = session.post(url, data=body, headers={"Content-Type": "application/json", **headers},
                           timeout=(min(5.0, timeout), timeout), allow_redirects=False)
    except requests.exceptions.ConnectionError as err:
        if _refused_in(err):
            return PostResult(0, "connection to a non-public address refused", refused=True)
        return PostResult(0, f"connection failed: {type(err).__name__}")
    except requests.exceptions.Timeout:
        return PostResult(0, f"no answer within {timeout:g} s")
    except requests.exceptions.RequestException as err:
        if _refused_in(err):
            return PostResult(0, "connection to a non-public address refused", refused=True)
        return PostResult(0, f"request failed: {type(err).__name__}")
    retry_after = None
    value = res.headers.get("Retry-After")
    if value and value.strip().isdigit():
        retry_after = float(value.strip())
    # (no res.close(): the body is already read, and closing would drop the pooled connection)
    return PostResult(res.status_code, "" if res.ok else f"HTTP {res.status_code}", retry_after)


def _refused_in(err: BaseException) -> bool:
    seen: set[int] = set()
    stack: list[Any] = [err]
    while stack:
        e = stack.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, _PeerRefused):
            return True
        stack += [getattr(e, "__cause__", None), getattr(e, "__context__", None), getattr(e, "reason", None)]
        stack += [a for a in getattr(e, "args", ()) if isinstance(a, BaseException)]
    return False
