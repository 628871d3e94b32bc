"""A callback that fails on one page is a bug: counted, logged with its traceback; the rest goes on."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from newscrawler.replica.server import ReplicaServer
from newscrawler.spiders import qutoutiao
from tests.crawling import crawl
from tests.oracle import expected


def test_callback_error_is_a_bug_with_a_traceback_and_the_crawl_goes_on(
    via_replica: ReplicaServer, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.INFO)
    victim = sorted(expected(via_replica.site, cids=(1,), pages=1)["emitted"])[0]
    real_build = qutoutiao.build_article

    def build_or_fail(entry: Any, *args: Any) -> Any:
        if entry.source_id == victim:
            raise RuntimeError("a surprise in project code")
        return real_build(entry, *args)

    monkeypatch.setattr(qutoutiao, "build_article", build_or_fail)
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
    from newscrawler.spiders.qutoutiao import failure_message, failure_reason

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
        (ValueError("Missing scheme"), "ValueError"),
    ]
    for exc, reason in table:
        assert failure_reason(failed(exc)) == reason
    message = failure_message(failed(IgnoreRequest("max redirections reached"), redirect_urls=["http://a.cn/x"]))
    assert message == "IgnoreRequest: max redirections reached (redirected from http://a.cn/x)"
