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

from scrapy.crawler import Crawler
from scrapy.http import Response, TextResponse
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom

from newscrawler.webencodings import UTF_16, fallback_encoding, is_web_encoding, meta_encoding

logger = logging.getLogger(__name__)


def declared_encoding(response: TextResponse) -> str | None:
    """The codec the response's BOM, Content-Type or ``<meta>`` names (the first that names a known one)."""
    content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
    return read_bom(response.body)[0] or http_content_type_encoding(content_type) or \
        html_body_declared_encoding(response.body)


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
