"""Read a page's charset as a browser would: only encodings of the web count.

Scrapy (through w3lib) decodes a page with whatever Python codec its Content-Type or
``<meta>`` names. Python has codecs no browser knows: ``idna`` refuses the error
handler Scrapy decodes with (the page was lost), ``rot13``, ``base64`` or ``uu`` are not
text encodings at all, and ``unicode-escape`` or ``utf-32`` quietly garble the page.
Browsers only know the encodings of the WHATWG Encoding Standard and ignore any other
label. ``CharsetMiddleware`` does the same: when the charset a response declares (its
byte order mark, Content-Type, or ``<meta>``, in Scrapy's order) is not one of them, the
response is re-read from its ``<meta>`` charset, then as UTF-8, then by detection among
the web's encodings (charset_normalizer, as Scrapy detects undeclared pages). Pages that
declare nothing, or a label no codec has, are left to Scrapy, as before.
"""

from __future__ import annotations

import logging

from charset_normalizer import from_bytes
from scrapy.crawler import Crawler
from scrapy.http import Response, TextResponse
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom, resolve_encoding

logger = logging.getLogger(__name__)

# The encodings of https://encoding.spec.whatwg.org/#names-and-labels, by their names there.
# w3lib resolves each to the Python codec it decodes with (windows-1252 for "latin1" and
# "ascii", gb18030 for "gbk"...); "replacement", "x-user-defined", "ISO-8859-8-I" and
# "x-mac-cyrillic" have no Python codec under those names, so labels naming them are
# unknown to w3lib already, and Scrapy skips them.
WHATWG_ENCODINGS = (
    "UTF-8", "IBM866", "ISO-8859-2", "ISO-8859-3", "ISO-8859-4", "ISO-8859-5", "ISO-8859-6",
    "ISO-8859-7", "ISO-8859-8", "ISO-8859-10", "ISO-8859-13", "ISO-8859-14", "ISO-8859-15",
    "ISO-8859-16", "KOI8-R", "KOI8-U", "macintosh", "windows-874", "windows-1250", "windows-1251",
    "windows-1252", "windows-1253", "windows-1254", "windows-1255", "windows-1256", "windows-1257",
    "windows-1258", "GBK", "gb18030", "Big5", "EUC-JP", "ISO-2022-JP", "Shift_JIS", "EUC-KR",
    "UTF-16BE", "UTF-16LE", "UTF-16",
)
WEB_ENCODINGS = frozenset(filter(None, map(resolve_encoding, WHATWG_ENCODINGS)))
# A <meta> can only be read in an ASCII-compatible encoding, so one naming UTF-16 is wrong about
# the very bytes it sits in: HTML's prescan reads such a page as UTF-8.
UTF_16 = frozenset(filter(None, map(resolve_encoding, ("UTF-16", "UTF-16LE", "UTF-16BE"))))


def is_web_encoding(codec: str | None) -> bool:
    """True for a codec (as w3lib resolves a label) that a browser would decode with.

    >>> [is_web_encoding(resolve_encoding(label)) for label in ("utf8", "GB2312", "latin-1", "idna", "rot13", "utf-32")]
    [True, True, True, False, False, False]
    """
    return codec in WEB_ENCODINGS


def meta_encoding(body: bytes) -> str | None:
    """The ``<meta>`` charset as HTML's prescan takes it: a UTF-16 label there means UTF-8.

    >>> meta_encoding(b'<meta charset="utf-16"><p>x</p>'), meta_encoding(b'<meta charset="gbk">')
    ('utf-8', 'gb18030')
    """
    meta = html_body_declared_encoding(body)
    return "utf-8" if meta in UTF_16 else meta


def declared_encoding(response: TextResponse) -> str | None:
    """The codec the response's BOM, Content-Type or ``<meta>`` names (the first that names a known one)."""
    content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
    return read_bom(response.body)[0] or http_content_type_encoding(content_type) or \
        html_body_declared_encoding(response.body)


def fallback_encoding(body: bytes) -> tuple[str, str]:
    """The encoding to read a body whose declared charset is unusable, and where it came from."""
    meta = meta_encoding(body)
    if meta is not None and is_web_encoding(meta):
        return meta, "its <meta> charset"
    try:
        body.decode("utf-8")
        return "utf-8", "valid UTF-8"
    except UnicodeDecodeError:
        pass
    match = from_bytes(body, cp_isolation=sorted(WEB_ENCODINGS)).best()
    detected = resolve_encoding(match.encoding) if match else None
    if detected is not None and is_web_encoding(detected):
        return detected, "detected"
    return "utf-8", "UTF-8 with replacement characters"  # nothing fits: never fails


class CharsetMiddleware:
    """Re-reads text responses whose declared charset is no web encoding (stat charset/unusable)."""

    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CharsetMiddleware:
        return cls(crawler)

    def process_response(self, request: object, response: Response) -> Response:
        if not isinstance(response, TextResponse):
            return response
        declared = declared_encoding(response)
        if declared in UTF_16 and declared != meta_encoding(response.body) and not read_bom(response.body)[0] \
                and not http_content_type_encoding((response.headers.get(b"Content-Type") or b"").decode("latin-1")):
            encoding, source = "utf-8", "a <meta> naming UTF-16 is read as UTF-8, as browsers do"
        elif declared is None or is_web_encoding(declared):
            return response
        else:
            encoding, source = fallback_encoding(response.body)
        self.stats.inc_value("charset/unusable")
        logger.warning("%s declares charset %r, which browsers do not read; decoded as %s (%s)",
                       response.url, declared, encoding, source)
        return response.replace(encoding=encoding)
