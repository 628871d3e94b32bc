"""Refuse requests (and redirects) to this machine or the private network.

A listing or a redirect names any URL it likes; without this, an article
host could point the crawler at ``http://127.0.0.1:22/`` or a router's admin
page. Only the URL's own host is judged: an ``http_proxy`` on 127.0.0.1 that
carries requests for real hosts is fine.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured

logger = logging.getLogger(__name__)


class RefusedHost(IgnoreRequest):
    """The request names localhost, a loopback, link-local or private address."""


def _address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:
        # The resolver also takes the old forms "127.1", "0x7f.1" and "2130706433".
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except (OSError, UnicodeError, ValueError):
        return None


def is_private_host(url: str) -> bool:
    """True when the URL itself names this machine or a private network.

    >>> [is_private_host(u) for u in ("http://news.example.com/x", "http://127.0.0.1:22/", "http://localhost/",
    ...  "http://[::1]/", "http://10.0.0.8/", "http://169.254.169.254/", "http://2130706433/", "http://8.8.8.8/")]
    [False, True, True, True, True, True, True, False]
    >>> [is_private_host(f"http://{h}/") for h in ("100.100.100.200", "100.64.0.1", "[::127.0.0.1]",
    ...  "[64:ff9b::7f00:1]", "[2002:7f00:1::]", "224.0.0.1", "[2606:4700::1111]", "[64:ff9b::808:808]")]
    [True, True, True, True, True, True, False, False]
    """
    try:
        host = (urlsplit(url).hostname or "").rstrip(".").lower()
    except ValueError:
        return False  # not a URL a download handler would accept either
    if host == "localhost" or host.endswith(".localhost"):
        return True
    address = _address(host)
    if address is None:
        return False
    if isinstance(address, ipaddress.IPv6Address):
        inner = _embedded_ipv4(address)
        if inner is not None and _is_local(inner):
            return True
    return _is_local(address)


def _is_local(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Anything but a globally reachable unicast address: loopback, private and link-local, but also
    the carrier-grade NAT range 100.64.0.0/10 (a cloud's metadata service at 100.100.100.200),
    reserved, documentation and multicast ranges (IANA's special-purpose registries)."""
    return not address.is_global or address.is_multicast


# The well-known NAT64 prefix: 64:ff9b::7f00:1 reaches 127.0.0.1 through a NAT64 gateway.
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries, as a stack or gateway would deliver it: mapped
    (``::ffff:127.0.0.1``), IPv4-compatible (``::127.0.0.1``), NAT64 and 6to4 (``2002:7f00:1::``)."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    value = int(address)
    if address in NAT64 or (value >> 32 == 0 and value > 1):  # ::1 and :: are IPv6's own
        return ipaddress.IPv4Address(value & 0xFFFFFFFF)
    return None


class PrivateHostMiddleware:
    """Downloader middleware: raise RefusedHost (an IgnoreRequest) so the errback names the URL."""

    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PrivateHostMiddleware:
        if crawler.settings.getbool("ALLOW_PRIVATE_HOSTS"):
            raise NotConfigured("ALLOW_PRIVATE_HOSTS is set")
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        if is_private_host(request.url):
            self.stats.inc_value("privatehosts/refused")
            redirected = request.meta.get("redirect_urls")
            logger.warning("Refused %s: a private or local address (ALLOW_PRIVATE_HOSTS is off)%s", request.url,
                           f"; redirected from {redirected[0]}" if redirected else "")
            raise RefusedHost("a private or local address (ALLOW_PRIVATE_HOSTS is off)")
