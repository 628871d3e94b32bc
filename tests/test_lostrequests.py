"""A callback that fails on one page is a bug: counted, logged with its traceback; the rest goes on."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from scrapy.exceptions import IgnoreRequest
from twisted.python.failure import Failure

from newscrawler.middlewares.lostrequests import failure_reason
from newscrawler.middlewares.privatehosts import RefusedHost
from newscrawler.replica.server import ReplicaServer
from newscrawler.spiders import source
from tests.crawling import crawl
from tests.oracle import expected


def test_callback_error_is_a_bug_with_a_traceback_and_the_crawl_goes_on(
    via_replica: ReplicaServer, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.INFO)
    victim = sorted(expected(via_replica.site, cids=(1,), pages=1)["emitted"])[0]
    real_build = source.build_article

    def build_or_fail(entry: Any, *args: Any) -> Any:
        if entry.source_id == victim:
            raise RuntimeError("a surprise in project code")
        return real_build(entry, *args)

    monkeypatch.setattr(source, "build_article", build_or_fail)
    result = crawl({"ITEM_PIPELINES": {}}, cids="1", pages="1")
    emitted = {i.source_id for i in result.items}
    assert emitted == expected(via_replica.site, cids=(1,), pages=1)["emitted"] - {victim}
    # Scrapy's own handling: counted, logged once with the page and the traceback.
    assert (result.stats["spider_exceptions/count"], result.stats["spider_exceptions/RuntimeError"]) == (1, 1)
    assert not [key for key in result.stats if key.startswith("qutoutiao/detail/error/")]
    article = via_replica.site.articles[victim]
    [record] = [r for r in caplog.records if r.exc_info]
    assert record.getMessage().startswith(f"Spider error processing <GET http://{article.host}{article.path}?")
    assert str(record.exc_info[1]) == "a surprise in project code"


def test_failure_reasons_name_the_cause() -> None:
    from scrapy import Request
    from scrapy.exceptions import DownloadCancelledError, IgnoreRequest
    from twisted.python.failure import Failure

    from newscrawler.downloader.headerguard import ResponseHeadersTooLarge
    from newscrawler.middlewares.privatehosts import RefusedHost
    from newscrawler.middlewares.lostrequests import failure_message, failure_reason
    from newscrawler.middlewares.redirects import BadRedirect

    def failed(exc: Exception, **meta: Any) -> Failure:
        failure = Failure(exc)
        failure.request = Request("http://h.cn/1.html", meta=meta)
        return failure

    table = [
        (IgnoreRequest("max redirections reached"), "redirect_loop"),
        (IgnoreRequest("Filtered offsite request to 'x.cn'"), "offsite"),
        (RefusedHost("a private or local address"), "private_host"),
        (DownloadCancelledError("Expected to receive 6292394 bytes which is larger than download max size"),
         "too_large"),
        (IgnoreRequest("... exceeded DOWNLOAD_MAXSIZE (5242880 B) during decompression."), "too_large"),
        (ResponseHeadersTooLarge("response head over DOWNLOAD_MAXHEADERS (500 header lines)"), "headers_too_large"),
        (BadRedirect("HTTP 302 to an unusable Location 'http://['"), "bad_redirect"),
        (ValueError("Missing scheme"), "ValueError"),
    ]
    for exc, reason in table:
        assert failure_reason(failed(exc)) == reason
    message = failure_message(failed(IgnoreRequest("max redirections reached"), redirect_urls=["http://a.cn/x"]))
    assert message == "IgnoreRequest: max redirections reached (redirected from http://a.cn/x)"


def test_scrapys_own_exceptions_get_their_reasons() -> None:
    """Raised by Scrapy's own middlewares, not written here: a change of their type or message shows."""
    import gzip

    from scrapy import Request, Spider
    from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
    from scrapy.downloadermiddlewares.offsite import OffsiteMiddleware
    from scrapy.downloadermiddlewares.redirect import RedirectMiddleware
    from scrapy.exceptions import IgnoreRequest
    from scrapy.http import Response
    from scrapy.utils.test import get_crawler
    from twisted.python.failure import Failure

    from newscrawler.middlewares.lostrequests import failure_reason

    class Allowed(Spider):
        name = "allowed"
        allowed_domains = ["h.cn"]

    crawler = get_crawler(Allowed, {"REDIRECT_MAX_TIMES": 1, "DOWNLOAD_MAXSIZE": 1000})
    crawler.spider = Allowed()
    raised: list[Failure] = []

    def attempt(call: Any) -> None:
        try:
            call()
        except IgnoreRequest:
            raised.append(Failure())

    request = Request("http://h.cn/1.html", meta={"redirect_times": 1, "redirect_ttl": 1})
    moved = Response(request.url, status=301, headers={"Location": "http://h.cn/2.html"}, request=request)
    attempt(lambda: RedirectMiddleware.from_crawler(crawler).process_response(request, moved))
    offsite = OffsiteMiddleware.from_crawler(crawler)
    offsite.spider_opened(crawler.spider)
    attempt(lambda: offsite.process_request(Request("http://elsewhere.cn/1.html")))
    bomb = Response("http://h.cn/3.html", headers={"Content-Encoding": "gzip"}, body=gzip.compress(b"0" * 100_000))
    attempt(lambda: HttpCompressionMiddleware.from_crawler(crawler).process_response(Request(bomb.url), bomb))
    assert [failure_reason(f) for f in raised] == ["redirect_loop", "offsite", "too_large"]


class OtherIgnore(IgnoreRequest):
    """A subclass another component might raise with the same words."""


@pytest.mark.parametrize(
    ("exc", "reason"),
    [
        (IgnoreRequest("Forbidden by robots.txt"), "IgnoreRequest"),
        # only Scrapy's plain IgnoreRequest is read by its message: a subclass keeps its name
        (RefusedHost("max redirections reached"), "private_host"),
        (OtherIgnore("max redirections reached"), "OtherIgnore"),
        (IgnoreRequest("max redirections reached, almost"), "IgnoreRequest"),
    ],
)
def test_only_the_narrowest_message_check(exc: Exception, reason: str) -> None:
    assert failure_reason(Failure(exc)) == reason


def compressed(encoding: str, data: bytes) -> bytes:
    """``data`` as a server sends it under ``encoding``."""
    import gzip
    import zlib

    import brotli
    from backports import zstd

    if encoding == "gzip":
        return gzip.compress(data, mtime=0)  # the same bytes on every run
    return {"deflate": zlib.compress, "br": brotli.compress, "zstd": zstd.compress}[encoding](data)


PAGE = "<html><body><p>正文</p></body></html>".encode()


@pytest.mark.parametrize(
    ("encoding", "body", "error"),
    [
        ("deflate", PAGE, "error"),  # zlib's
        ("gzip", PAGE, "BadGzipFile"),
        ("gzip", compressed("gzip", PAGE)[:8], "EOFError"),  # cut inside its header
        ("x-gzip", compressed("gzip", PAGE)[:8], "EOFError"),
        ("br", PAGE, "error"),  # brotli's
        ("zstd", PAGE, "ZstdError"),
        ("gzip, br", compressed("br", PAGE), "BadGzipFile"),  # br (applied last) decodes, the gzip inside does not
    ],
    ids=["deflate", "gzip", "gzip-cut", "x-gzip-cut", "br", "zstd", "br-then-gzip"],
)
def test_a_body_that_does_not_decompress_is_undecodable(
    encoding: str, body: bytes, error: str, caplog: pytest.LogCaptureFixture
) -> None:
    from scrapy import Request
    from scrapy.http import Response
    from scrapy.utils.test import get_crawler

    from newscrawler.middlewares.decompression import DecompressionMiddleware, UndecodableBody
    from newscrawler.middlewares.lostrequests import failure_message, is_known

    crawler = get_crawler(settings_dict={"DOWNLOAD_MAXSIZE": 100_000})
    middleware = DecompressionMiddleware.from_crawler(crawler)
    url = "http://h.cn/garbled.html"
    response = Response(url, headers={"Content-Encoding": encoding}, body=body)
    with pytest.raises(UndecodableBody) as raised:
        middleware.process_response(Request(url), response)
    failure = Failure(raised.value)
    assert (is_known(failure), failure_reason(failure)) == (True, "undecodable")
    message = failure_message(failure)
    assert f"UndecodableBody: body does not decode as Content-Encoding {encoding!r} ({error}: " in message
    [record] = [r for r in caplog.records if r.name == "newscrawler.middlewares.decompression"]
    assert record.levelno == logging.WARNING and url in record.getMessage() and repr(encoding) in record.getMessage()
    assert crawler.stats.get_value("decompression/undecodable") == 1


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br", "zstd"])
def test_the_decompression_middleware_still_decodes_and_bounds(encoding: str) -> None:
    """Good bodies decode as with Scrapy's own middleware; a bomb still stops at DOWNLOAD_MAXSIZE."""
    from scrapy import Request
    from scrapy.http import HtmlResponse, Response
    from scrapy.utils.test import get_crawler

    from newscrawler.middlewares.decompression import DecompressionMiddleware

    middleware = DecompressionMiddleware.from_crawler(get_crawler(settings_dict={"DOWNLOAD_MAXSIZE": 100_000}))
    url = "http://h.cn/page.html"
    good = Response(url, headers={"Content-Encoding": encoding, "Content-Type": "text/html"},
                    body=compressed(encoding, PAGE))
    decoded = middleware.process_response(Request(url), good)
    assert isinstance(decoded, HtmlResponse) and decoded.body == PAGE
    bomb = Response(url, headers={"Content-Encoding": encoding}, body=compressed(encoding, bytes(200_000)))
    with pytest.raises(IgnoreRequest) as raised:
        middleware.process_response(Request(url), bomb)
    assert failure_reason(Failure(raised.value)) == "too_large"


@pytest.mark.parametrize(("stock", "ours"), [
    ("scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware",
     "newscrawler.middlewares.decompression.DecompressionMiddleware"),
    ("scrapy.downloadermiddlewares.redirect.RedirectMiddleware",
     "newscrawler.middlewares.redirects.LocationRedirectMiddleware"),
], ids=["decompression", "redirect"])
def test_the_project_uses_its_own_middleware_in_scrapys_place(stock: str, ours: str) -> None:
    from scrapy.settings import Settings
    from scrapy.utils.conf import build_component_list

    from newscrawler import settings as project

    settings = Settings()
    settings.setdict({"DOWNLOADER_MIDDLEWARES": project.DOWNLOADER_MIDDLEWARES}, priority="project")
    order = settings.getwithbase("DOWNLOADER_MIDDLEWARES_BASE")[stock]
    stack = build_component_list(settings.getwithbase("DOWNLOADER_MIDDLEWARES"))
    assert stock not in stack and ours in stack
    assert project.DOWNLOADER_MIDDLEWARES[ours] == order


@pytest.mark.parametrize(("codings", "refused"), [
    ([b"\xff\xfe"], "is not ASCII"),  # Scrapy's own warning decoded it as UTF-8: UnicodeDecodeError
    ([b"gzip, g\xc3\xbczip"], "is not ASCII"),
    ([b"gzip, gzip", b"gzip, gzip, gzip"], "stacks 5 codings, more than 4"),
    ([b", ".join([b"gzip"] * 2500)] * 12, "stacks 30000 codings, more than 4"),
    ([b"identity, gzip, deflate, br, zstd"], "stacks 5 codings, more than 4"),  # unknown ones count too
    ([b"gzip, gzip", b"gzip, gzip"], None),  # at the bound: decoded
    ([b", , gzip, gzip", b"gzip, gzip"], None),  # empty list elements are no coding (RFC 9110 5.6.1)
    ([b"compress"], None),  # unknown: Scrapy warns and keeps the body as it is
])
def test_content_codings_are_checked_before_decoding(codings: list[bytes], refused: str | None,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    from scrapy import Request
    from scrapy.http import Response
    from scrapy.utils.test import get_crawler

    from newscrawler.middlewares.decompression import DecompressionMiddleware, UndecodableBody
    from newscrawler.middlewares.lostrequests import is_known

    crawler = get_crawler()
    middleware = DecompressionMiddleware.from_crawler(crawler)
    url = "http://h.cn/layers.html"
    body, layers = PAGE, [c.strip() for v in codings for c in v.split(b",") if c.strip()]
    for coding in reversed(layers if len(layers) <= 5 else []):  # a real body, as far as is cheap to make
        body = compressed(coding.decode(), body) if coding in (b"gzip", b"deflate", b"br", b"zstd") else body
    response = Response(url, headers={"Content-Encoding": codings}, body=body)
    if refused is None:
        decoded = middleware.process_response(Request(url), response)
        assert decoded.body == (body if codings == [b"compress"] else PAGE)
        assert crawler.stats.get_value("decompression/undecodable") is None
        return
    assert middleware.process_response(Request(url, method="HEAD"), response) is response  # HEAD: nothing decoded
    with pytest.raises(UndecodableBody, match=refused) as raised:
        middleware.process_response(Request(url), response)
    assert (is_known(Failure(raised.value)), failure_reason(Failure(raised.value))) == (True, "undecodable")
    [record] = [r for r in caplog.records if r.name == "newscrawler.middlewares.decompression"]
    assert record.levelno == logging.WARNING and url in record.getMessage() and refused in record.getMessage()
    assert crawler.stats.get_value("decompression/undecodable") == 1


@pytest.mark.parametrize(("location", "error"), [
    (b"http://[", "Invalid IPv6 URL"),
    (b"http://news.example.com:99999/x", "Port out of range 0-65535"),
    (b"//news.example.com:65536/x", "Port out of range 0-65535"),  # protocol-relative: joined first
    (b"https://[::1/x", "Invalid IPv6 URL"),
    (b"/a/2.html", None),  # relative: joined to the page
    (b"http://news.example.com:8080/x", None),
    (b"\xff\xfe/\xc3\x28", None),  # percent-escaped by w3lib: a URL, if a strange one
])
def test_a_redirect_to_a_location_that_does_not_parse_is_a_bad_redirect(
    location: bytes, error: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    from scrapy import Request
    from scrapy.http import Response
    from scrapy.utils.test import get_crawler

    from newscrawler.middlewares.lostrequests import failure_message, is_known
    from newscrawler.middlewares.redirects import BadRedirect, LocationRedirectMiddleware

    crawler = get_crawler()
    middleware = LocationRedirectMiddleware.from_crawler(crawler)
    url = "http://news.example.com/a/1.html"
    for status in (301, 302, 303, 307, 308):
        response = Response(url, status=status, headers={"Location": location})
        if error is None:
            redirected = middleware.process_response(Request(url), response)
            assert isinstance(redirected, Request) and redirected.meta["redirect_urls"] == [url]
            continue
        assert middleware.process_response(Request(url, meta={"dont_redirect": True}), response) is response
        with pytest.raises(BadRedirect) as raised:
            middleware.process_response(Request(url), response)
        failure = Failure(raised.value)
        assert (is_known(failure), failure_reason(failure)) == (True, "bad_redirect")
        shown = location.decode("latin-1")
        assert failure_message(failure) == (f"BadRedirect: HTTP {status} to an unusable Location {shown!r} "
                                            f"(ValueError: {error})")
    if error is not None:
        records = [r for r in caplog.records if r.name == "newscrawler.middlewares.redirects"]
        assert len(records) == 5 and all(r.levelno == logging.WARNING and url in r.getMessage()
                                         and error in r.getMessage() for r in records)
        assert crawler.stats.get_value("redirect/bad_location") == 5


def known_failures() -> list[tuple[Exception, bool]]:
    from scrapy.core.downloader.handlers.http11 import TunnelError
    from scrapy.exceptions import CannotResolveHostError, DownloadFailedError
    from twisted.internet.error import ConnectionLost, TCPTimedOutError
    from twisted.web.client import RequestGenerationFailed, RequestTransmissionFailed

    return [
        # a proxy refusing CONNECT; a connection dropped, or a body that failed, while the request was sent
        (TunnelError("Could not open CONNECT tunnel with proxy 127.0.0.1:8080 [{'status': 403}]"), True),
        (RequestTransmissionFailed([Failure(ConnectionLost())]), True),
        (RequestGenerationFailed([Failure(ConnectionLost())]), True),
        (CannotResolveHostError("no.such.host"), True),
        (DownloadFailedError("[<twisted.python.failure.Failure ...>]"), True),
        (TCPTimedOutError(), True),
        # raised by code, not by a server: bugs, however much an OSError they are
        (FileNotFoundError(2, "No such file or directory"), False),
        (PermissionError(13, "Permission denied"), False),
        (OSError("something local"), False),
        (KeyError("cb_kwargs"), False),
    ]


@pytest.mark.parametrize(("exc", "known"), known_failures(), ids=lambda value: type(value).__name__)
def test_what_a_download_may_fail_with_and_what_is_a_bug(exc: Exception, known: bool) -> None:
    from newscrawler.middlewares.lostrequests import is_known

    assert is_known(Failure(exc)) is known
