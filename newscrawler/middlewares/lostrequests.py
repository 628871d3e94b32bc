"""Why a request was lost, in the words of its stats key and its log line.

It holds ``failure_reason`` (a short stats key for a failed request: its HTTP status, or the
cause the download middlewares and handler raise, known by exception type), ``is_known``
(whether a failure is one of those, or a bug) and ``failure_message`` (what an operator reads). The spiders' errbacks count a lost page under
``<source>/{listing,detail}/error/<reason>`` and log it with them. A URL over URLLENGTH_LIMIT is
Scrapy's own ``UrlLengthMiddleware``'s (stat ``urllength/request_ignored_count``); a callback that
raises is a bug, counted by Scrapy as ``spider_exceptions/<Class>`` (``scrapy crawl`` exits 3).
"""

from __future__ import annotations

from scrapy.core.downloader.handlers.http11 import TunnelError
from scrapy.exceptions import (
    CannotResolveHostError, DownloadCancelledError, DownloadConnectionRefusedError, DownloadFailedError,
    DownloadTimeoutError, IgnoreRequest, ResponseDataLossError, UnsupportedURLSchemeError,
)
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.defer import CancelledError
from twisted.internet.error import ConnectError, ConnectionDone, ConnectionLost
from twisted.internet.error import TimeoutError as TxTimeoutError
from twisted.python.failure import Failure
from twisted.web.client import (
    RequestGenerationFailed, RequestTransmissionFailed, ResponseFailed, ResponseNeverReceived,
)

from newscrawler.downloader.headerguard import ResponseHeadersTooLarge
from newscrawler.middlewares.decompression import UndecodableBody
from newscrawler.middlewares.privatehosts import RefusedHost
from newscrawler.middlewares.redirects import BadRedirect


# What a request may fail with when nothing is wrong in our code: the network and the download
# handler (Scrapy's own download errors; Twisted's beneath them, those Scrapy does not wrap: a
# connection lost while the request was sent, a proxy refusing CONNECT), and a request a middleware
# refused (IgnoreRequest: HttpError, RefusedHost, UndecodableBody, BadRedirect, ...). No bare OSError: the
# network's come as Twisted's ConnectError and ConnectionLost, and a FileNotFoundError raised by a
# middleware is a bug. Any other exception an errback receives was raised by code (a download
# middleware, a handler): a bug.
KNOWN_FAILURES: tuple[type[BaseException], ...] = (
    IgnoreRequest, CannotResolveHostError, DownloadCancelledError, DownloadConnectionRefusedError,
    DownloadFailedError, DownloadTimeoutError, ResponseDataLossError, UnsupportedURLSchemeError,
    ConnectError, ConnectionDone, ConnectionLost, TxTimeoutError, CancelledError, ResponseFailed,
    ResponseNeverReceived, RequestGenerationFailed, RequestTransmissionFailed, TunnelError,
)


def is_known(failure: Failure) -> bool:
    """Whether ``failure`` is a lost request to count (``failure_reason``), not a bug to raise."""
    return failure.check(*KNOWN_FAILURES) is not None


def failure_reason(failure: Failure) -> str:
    """A short stats key for a failed request: the status, a known cause, or the error class."""
    if failure.check(HttpError):
        return f"http_{failure.value.response.status}"
    if failure.check(RefusedHost):
        return "private_host"
    if failure.check(ResponseHeadersTooLarge):
        return "headers_too_large"  # over DOWNLOAD_MAXHEADERSIZE or DOWNLOAD_MAXHEADERS
    if failure.check(UndecodableBody):
        return "undecodable"  # a body that does not decompress as its Content-Encoding says
    if failure.check(BadRedirect):
        return "bad_redirect"  # a redirect whose Location does not parse
    if failure.check(DownloadCancelledError):
        # Scrapy 2.19's HTTP/1.1 handler cancels a response over DOWNLOAD_MAXSIZE, as announced or
        # as received, with this type; it has no narrower one.
        return "too_large"
    if failure.check(IgnoreRequest) and type(failure.value) is IgnoreRequest:
        # These Scrapy 2.19 raises as a plain IgnoreRequest: only its message tells them apart.
        message = str(failure.value)
        if "DOWNLOAD_MAXSIZE" in message:  # HttpCompressionMiddleware: a body inflating past the limit
            return "too_large"
        if message == "max redirections reached":  # RedirectMiddleware, at REDIRECT_MAX_TIMES
            return "redirect_loop"
        if message.startswith("Filtered offsite request"):  # OffsiteMiddleware, with allowed_domains
            return "offsite"
    return type(failure.value).__name__


def failure_message(failure: Failure) -> str:
    """The real message, not only the class (and where a redirect started): what an operator needs."""
    if failure.check(HttpError):
        message = f"HTTP {failure.value.response.status}"
    else:
        message = f"{type(failure.value).__name__}: {failure.getErrorMessage()}"
    redirects = failure.request.meta.get("redirect_urls") if getattr(failure, "request", None) is not None else None
    return f"{message} (redirected from {redirects[0]})" if redirects else message
