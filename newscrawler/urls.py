"""URL helpers shared by the spider, the pages and the body cleaner."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from w3lib.html import replace_entities
from w3lib.url import safe_url_string


def unescape_url(url: str) -> str:
    """Undo the HTML escaping the listing API applies to URLs.

    >>> unescape_url("http://h/d.html?a=1&amp;b=2")
    'http://h/d.html?a=1&b=2'
    """
    text = replace_entities(url.strip())
    try:
        return safe_url_string(text)
    except ValueError:  # w3lib rejects e.g. an unclosed IPv6 bracket: not a URL we can fetch
        return text


def canonical_url(url: str) -> str:
    """Scheme + host + path: one article, whatever key/pv_id it was listed with.

    >>> canonical_url("HTTP://Html2.QKToutiao.com/detail/1.html?key=x&pv_id=y#top")
    'http://html2.qktoutiao.com/detail/1.html'
    """
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unclosed IPv6 bracket: nothing to canonicalize
        return url
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path, "", ""))


def is_http_url(url: str) -> bool:
    """True for absolute http(s) URLs, the only ones we fetch or proxy.

    >>> [is_http_url(u) for u in ("HTTPS://h/x", "//h/x", "javascript:x", "http://[::1")]
    [True, False, False, False]
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)
