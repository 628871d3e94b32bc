"""Decompress responses as Scrapy does, and refuse a body that does not decompress.

Scrapy 2.19's ``HttpCompressionMiddleware`` turns only a body inflating past DOWNLOAD_MAXSIZE
into an ``IgnoreRequest``; the decoder's own error for a body that is not what its
``Content-Encoding`` says (``zlib.error`` for deflate, ``BadGzipFile``/``EOFError`` for gzip,
``brotli.error``, ``ZstdError``) reaches the errback as is, where no failure a server can cause
may look like a bug. ``DecompressionMiddleware`` takes its place (same order, same settings,
same size bounds) and raises ``UndecodableBody`` instead, logged with the URL and the encoding.
"""

from __future__ import annotations

import logging
import struct
import zlib
from gzip import BadGzipFile

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


class UndecodableBody(IgnoreRequest):
    """A response whose body does not decompress as its Content-Encoding says."""


class DecompressionMiddleware(HttpCompressionMiddleware):
    """Scrapy's HttpCompressionMiddleware; a body that does not decompress is an UndecodableBody."""

    def process_response(self, request: Request, response: Response) -> Request | Response:
        try:
            return super().process_response(request, response)
        except DECODE_ERRORS as exc:
            encoding = b", ".join(response.headers.getlist("Content-Encoding")).decode("latin-1")
            if self.stats:
                self.stats.inc_value("decompression/undecodable")
            logger.warning("Body of %s does not decode as Content-Encoding %r (%s: %s); page skipped",
                           response.url, encoding, type(exc).__name__, exc)
            raise UndecodableBody(f"body does not decode as Content-Encoding {encoding!r} "
                                  f"({type(exc).__name__}: {exc})") from exc
