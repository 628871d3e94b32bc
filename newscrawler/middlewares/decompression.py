"""Decompress responses as Scrapy does, and refuse a body that does not decompress.

Scrapy 2.19's ``HttpCompressionMiddleware`` turns only a body inflating past DOWNLOAD_MAXSIZE
into an ``IgnoreRequest``; the decoder's own error for a body that is not what its
``Content-Encoding`` says (``zlib.error`` for deflate, ``BadGzipFile``/``EOFError`` for gzip,
``brotli.error``, ``ZstdError``) reaches the errback as is, where no failure a server can cause
may look like a bug. ``DecompressionMiddleware`` takes its place (same order, same settings,
same size bounds) and raises ``UndecodableBody`` instead, logged with the URL and the encoding.
It also refuses, before decoding anything, a ``Content-Encoding`` that names no coding Scrapy could
read without failing itself (bytes that are not ASCII: its warning for an unknown coding decodes
them as UTF-8 and raises ``UnicodeDecodeError``) and one stacking more than
``MAX_CONTENT_CODINGS`` codings (each is a full pass over the body: thirty thousand ``gzip``
layers held the reactor for seconds).
"""

from __future__ import annotations

import logging
import struct
import zlib
from gzip import BadGzipFile
from typing import NoReturn

from scrapy import Request
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

# The decoders Scrapy itself imports (hard dependencies of Scrapy 2.19), chosen the same way.
try:
    from brotli import error as BrotliError
except ImportError:  # PyPy: Scrapy uses brotlicffi
    from brotlicffi import error as BrotliError
try:
    from compression.zstd import ZstdError  # Python 3.14+
except ImportError:
    from backports.zstd import ZstdError

logger = logging.getLogger(__name__)

# What Scrapy's decoders raise on a body that is not of its Content-Encoding: zlib for deflate (and
# gzip's blocks); gzip's BadGzipFile (its header or checksum), EOFError (cut short before any
# output) or struct.error (a cut trailer); brotli's and zstd's own errors.
DECODE_ERRORS: tuple[type[Exception], ...] = (zlib.error, BadGzipFile, EOFError, struct.error, BrotliError, ZstdError)

# The most content codings one response may stack. Scrapy decodes four (gzip, deflate, br, zstd);
# a real server applies one, at times two (a pre-compressed file compressed again on the way), and
# nothing is gained by more. Four passes over a body bounded by DOWNLOAD_MAXSIZE stay cheap; each
# layer beyond is one more full pass (30,000 level-0 gzip layers of 2.6 MB: about 14 s of reactor).
MAX_CONTENT_CODINGS = 4


class UndecodableBody(IgnoreRequest):
    """A response whose body does not decompress as its Content-Encoding says."""


class DecompressionMiddleware(HttpCompressionMiddleware):
    """Scrapy's HttpCompressionMiddleware; a body that does not decompress, or whose Content-Encoding
    is not ASCII or stacks too many codings, is an UndecodableBody."""

    def process_response(self, request: Request, response: Response) -> Request | Response:
        if request.method != "HEAD":  # Scrapy decodes nothing for HEAD: no body
            self.check_codings(response)
        try:
            return super().process_response(request, response)
        except DECODE_ERRORS as exc:
            encoding = b", ".join(response.headers.getlist("Content-Encoding")).decode("latin-1")
            self.refuse(response, f"body does not decode as Content-Encoding {encoding!r} "
                                  f"({type(exc).__name__}: {exc})", exc)

    def check_codings(self, response: Response) -> None:
        """Refuse a Content-Encoding that is not ASCII or stacks more than MAX_CONTENT_CODINGS codings."""
        values = response.headers.getlist("Content-Encoding")
        # Split as Scrapy does (every header line, at commas); empty list elements are no coding (RFC 9110 5.6.1).
        codings = [coding for value in values for coding in (c.strip() for c in value.split(b",")) if coding]
        if not all(coding.isascii() for coding in codings):
            shown = b", ".join(values).decode("latin-1")
            self.refuse(response, f"Content-Encoding {shown[:200]!r} is not ASCII: no coding has such a name")
        if len(codings) > MAX_CONTENT_CODINGS:
            self.refuse(response, f"Content-Encoding stacks {len(codings)} codings, "
                                  f"more than {MAX_CONTENT_CODINGS}: not decoded")

    def refuse(self, response: Response, why: str, cause: Exception | None = None) -> NoReturn:
        """Count and log a body that is not read, and raise UndecodableBody."""
        if self.stats:
            self.stats.inc_value("decompression/undecodable")
        logger.warning("Body of %s refused: %s; page skipped", response.url, why)
        raise UndecodableBody(why) from cause
