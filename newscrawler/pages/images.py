"""The CORS image proxy: its prefix goes in front of the original URL, unencoded."""

from __future__ import annotations

from newscrawler.urls import is_http_url


def proxied(url: str, prefix: str) -> str:
    """Rewrite once: non-http(s) URLs and already-proxied ones are left alone.

    >>> proxied("http://img.example.com/a.jpeg", "https://cors.zfour.workers.dev/?")
    'https://cors.zfour.workers.dev/?http://img.example.com/a.jpeg'
    >>> proxied(proxied("http://s/a.jpeg", "https://p/?"), "https://p/?")
    'https://p/?http://s/a.jpeg'
    """
    if not prefix or url.startswith(prefix) or not is_http_url(url):
        return url
    return prefix + url


def proxied_http(url: str, prefix: str) -> str:
    """``proxied`` for a URL already known to be http(s): no second parse of it.

    >>> proxied_http("http://s/a.jpeg", "https://p/?"), proxied_http("https://p/?http://s/a.jpeg", "https://p/?")
    ('https://p/?http://s/a.jpeg', 'https://p/?http://s/a.jpeg')
    """
    return url if not prefix or url.startswith(prefix) else prefix + url


def original(url: str, prefix: str) -> str:
    """The image URL without the proxy prefix."""
    return url[len(prefix):] if prefix and url.startswith(prefix) else url
