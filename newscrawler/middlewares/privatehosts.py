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
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    # is_private covers the link-local ranges (169.254.0.0/16, fe80::/10) as well.
    return address.is_private or address.is_loopback or address.is_unspecified


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
