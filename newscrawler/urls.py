"""URL helpers shared by the spider, the pages and the body cleaner."""

from __future__ import annotations

from collections.abc import Collection
from urllib.parse import urlsplit

from w3lib.html import replace_entities
from w3lib.url import canonicalize_url, safe_url_string, url_query_cleaner

# Query parameters the listing API adds per channel, page, position and view
# (see the 2016 captures): they track a listing, they do not name the article.
# Anything else (content_id, and si/aid/tp of the g.fastapi.net redirect links)
# may be what identifies the target, so it stays.
TRACKING_PARAMS = frozenset({"key", "pv_id", "cid", "cat", "fr", "o", "p", "skip_ad", "rss_source"})


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


def canonical_url(url: str, tracking: Collection[str] = TRACKING_PARAMS) -> str:
    """One URL per article, whatever channel, page or view listed it.

    The ``tracking`` parameters (the source profile's ``tracking_params``) go; the rest
    is put in w3lib's canonical form (lowercase scheme and host, sorted query, no fragment).

    >>> canonical_url("HTTP://Html2.QKToutiao.com/detail/1.html?key=x&pv_id=y&content_id=1&cid=255#top")
    'http://html2.qktoutiao.com/detail/1.html?content_id=1'
    >>> canonical_url("http://g.fastapi.net/d?si=1018975&aid=580640&tp=c&content_id=204777&cid=255&key=k")
    'http://g.fastapi.net/d?aid=580640&content_id=204777&si=1018975&tp=c'
    """
    try:
        return canonicalize_url(url_query_cleaner(url, tracking, remove=True))
    except ValueError:  # an unclosed IPv6 bracket, a port out of range: nothing to canonicalize
        return url


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
