"""Which URLs the crawler refuses to fetch, and that ALLOW_PRIVATE_HOSTS lifts it."""

from __future__ import annotations

import pytest
from scrapy import Request
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from newscrawler.middlewares.privatehosts import PrivateHostMiddleware, RefusedHost, is_private_host


@pytest.mark.parametrize(
    ("url", "private"),
    [
        ("http://api.1sapp.com/content/outList", False),
        ("https://html2.qktoutiao.com/detail/1.html", False),
        ("http://8.8.8.8/", False),
        ("http://localhost/", True),
        ("http://LOCALHOST.:8080/", True),
        ("http://admin.localhost/", True),
        ("http://127.0.0.1:22/", True),
        ("http://127.8.9.10/", True),
        ("http://0.0.0.0/", True),
        ("http://10.1.2.3/", True),
        ("http://172.16.0.1/", True),
        ("http://192.168.1.1/", True),
        ("http://169.254.169.254/latest/meta-data/", True),
        ("http://[::1]/", True),
        ("http://[fe80::1]/", True),
        ("http://[fd00::1]/", True),
        ("http://[::ffff:127.0.0.1]/", True),
        ("http://2130706433/", True),  # 127.0.0.1 as one number
        ("http://127.1/", True),
        ("http://0x7f.1/", True),
        ("http://user:pw@127.0.0.1/", True),
        ("http://[::1/", False),  # not a URL at all; no handler would fetch it
        # Not private, but no public host either: carrier-grade NAT (a cloud's metadata service),
        # reserved, documentation and multicast ranges.
        ("http://100.100.100.200/latest/meta-data/", True),
        ("http://100.64.0.1/", True),
        ("http://240.0.0.1/", True),
        ("http://192.0.2.1/", True),
        ("http://224.0.0.251/", True),
        ("http://[ff02::1]/", True),
        # IPv6 forms carrying a local IPv4 address: compatible, NAT64, 6to4.
        ("http://[::127.0.0.1]/", True),
        ("http://[64:ff9b::7f00:1]/", True),
        ("http://[64:ff9b::a9fe:a9fe]/", True),
        ("http://[2002:7f00:1::]/", True),
        ("http://[64:ff9b::808:808]/", False),  # 8.8.8.8 through NAT64
        ("http://[2606:4700:4700::1111]/", False),
    ],
)
def test_private_hosts(url: str, private: bool) -> None:
    assert is_private_host(url) is private


def test_middleware_refuses_and_counts() -> None:
    crawler = get_crawler(settings_dict={"ALLOW_PRIVATE_HOSTS": False})
    middleware = PrivateHostMiddleware.from_crawler(crawler)
    assert middleware.process_request(Request("http://api.1sapp.com/x")) is None
    with pytest.raises(RefusedHost):
        middleware.process_request(Request("http://127.0.0.1:22/"))
    assert crawler.stats.get_value("privatehosts/refused") == 1


def test_allow_private_hosts_turns_it_off() -> None:
    with pytest.raises(NotConfigured):
        PrivateHostMiddleware.from_crawler(get_crawler(settings_dict={"ALLOW_PRIVATE_HOSTS": True}))
