"""URL helpers shared by the spider, the pages and the body cleaner."""

from __future__ import annotations

import re
from collections.abc import Collection
from urllib.parse import SplitResult, unquote, urljoin, urlsplit

from w3lib.html import replace_entities
from w3lib.url import canonicalize_url, safe_url_string, url_query_cleaner

# WHATWG's forbidden domain code points ('%' aside: a host is percent-decoded first). Browsers,
# and nh3's URL parser, refuse a host holding one; Python's urlsplit takes it.
_FORBIDDEN_IN_HOST = re.compile(r"[\x00-\x20#/:<>?@\[\\\]^|\x7f]")


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


def canonical_url(url: str, tracking: Collection[str]) -> str:
    """One URL per article, whatever channel, page or view listed it.

    The ``tracking`` parameters (the source profile's ``tracking_params``: those that track a
    listing, not name the article) go; the rest is put in w3lib's canonical form (lowercase
    scheme and host, sorted query, no fragment).

    >>> canonical_url("HTTP://News.Example.com/detail/1.html?key=x&pv_id=y&content_id=1&cid=255#top", {"key", "pv_id", "cid"})
    'http://news.example.com/detail/1.html?content_id=1'
    >>> canonical_url("http://go.example.com/d?si=1018975&aid=580640&tp=c&content_id=204777&cid=255&key=k", {"cid", "key"})
    'http://go.example.com/d?aid=580640&content_id=204777&si=1018975&tp=c'
    """
    try:
        return canonicalize_url(url_query_cleaner(url, tracking, remove=True))
    except ValueError:  # an unclosed IPv6 bracket, a port out of range: nothing to canonicalize
        return url


def _split(url: str) -> SplitResult | None:
    """The URL's parts, or None when no URL parser would take it.

    Python's parser raises on a bad IPv6 bracket, a bracket holding no IP, or (once asked) a port
    out of range or not a number; a host holding a space or a caret is refused here, as browsers do.
    """
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - parsed on access: raises ValueError when out of range
    except ValueError:
        return None
    host = parts.hostname or ""
    if ":" not in host and _FORBIDDEN_IN_HOST.search(unquote(host)):  # a ':' only in a checked [IPv6]
        return None
    return parts


class Resolver:
    """Makes URLs absolute against one base, each parsed once: a body may hold 160,000 of them.

    A relative reference (no scheme, no host) takes the base's scheme, host and port, which
    were checked once here; only a reference naming its own host is checked again.
    """

    def __init__(self, base: str) -> None:
        self.base = base
        parts = _split(base)
        self.base_usable = parts is not None
        self.base_is_http = parts is not None and _is_http(parts)
        self.scheme = parts.scheme if parts is not None else ""

    def resolve(self, ref: str) -> tuple[str, bool] | None:
        """``(absolute URL, whether it is http(s))``; None when the result is no URL at all.

        >>> page = Resolver("http://h/a/b.html")
        >>> page.resolve("c.png"), page.resolve("javascript:x"), page.resolve("HTTPS://i/")
        (('http://h/a/c.png', True), ('javascript:x', False), ('HTTPS://i/', True))
        >>> [page.resolve(u) for u in ("http://[oops", "http://[1.2.3]/a.png", "//h:99999/", "http://a b/")]
        [None, None, None, None]
        """
        try:
            # Split as urljoin splits it (the base's scheme as default): its own split is then a
            # hit in urlsplit's cache. A scheme other than the base's means the ref named one.
            ref_parts = urlsplit(ref, self.scheme, True)  # the very arguments urljoin passes
            url = urljoin(self.base, ref)
        except ValueError:
            return None
        if ref_parts.scheme != self.scheme or ref_parts.netloc:
            parts = _split(url)
            return None if parts is None else (url, _is_http(parts))
        return (url, self.base_is_http) if self.base_usable else None


def join_url(base: str, ref: str) -> str | None:
    """``ref`` made absolute against ``base``; None when the result is no URL at all.

    A URL of another scheme (``javascript:``) is still a URL: see ``is_http_url``.

    >>> join_url("http://h/a/b.html", "c.png"), join_url("http://h/a/", "javascript:x")
    ('http://h/a/c.png', 'javascript:x')
    >>> [join_url("http://h/", u) for u in ("http://[oops", "http://[1.2.3]/a.png", "//h:99999/", "http://a b/")]
    [None, None, None, None]
    """
    resolved = Resolver(base).resolve(ref)
    return resolved[0] if resolved is not None else None


def _is_http(parts: SplitResult) -> bool:
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def is_http_url(url: str) -> bool:
    """True for absolute http(s) URLs with a usable host and port, the only ones we fetch or proxy.

    >>> [is_http_url(u) for u in ("HTTPS://h/x", "//h/x", "javascript:x", "http://[::1", "http://[::1]/")]
    [True, False, False, False, True]
    >>> [is_http_url(u) for u in ("http://h:99999/", "http://h:x/", "http://a b/", "http://a%20b/", "http:///x")]
    [False, False, False, False, False]
    """
    parts = _split(url)
    return parts is not None and _is_http(parts)


# Kept by safe_url_string, but they end a quoted attribute value or a CSS url(): a theme writes
# a post's headimg into one.
_QUOTES = str.maketrans({"'": "%27", "(": "%28", ")": "%29"})


def inert_http_url(url: str, base: str | None = None) -> str | None:
    """``url`` (made absolute against ``base``) as an http(s) URL that no reader's quoting can
    end: percent-encoded by w3lib (spaces, ``"``, ``<``, non-ASCII), then ``'``, ``(`` and ``)``;
    None for any other scheme (``javascript:``, ``data:``) or no URL at all.

    >>> inert_http_url("//s/a.jpeg", "https://h/list"), inert_http_url("http://s/a b'(1).jpeg")
    ('https://s/a.jpeg', 'http://s/a%20b%27%281%29.jpeg')
    >>> [inert_http_url(u) for u in ("javascript:alert(1)", "data:image/svg+xml,<svg>", "http://[oops/", "/a.jpeg")]
    [None, None, None, None]
    """
    try:
        url = safe_url_string(urljoin(base, url.strip()) if base else url.strip())
    except ValueError:  # an unclosed IPv6 bracket, a bad port
        return None
    url = url.translate(_QUOTES)
    return url if is_http_url(url) else None

