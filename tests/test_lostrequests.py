"""A callback that fails on one page: counted, logged with the URL, no traceback, the rest goes on."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from newscrawler.replica.server import ReplicaServer
from newscrawler.spiders import qutoutiao
from tests.crawling import crawl


def test_callback_error_is_one_line_and_the_crawl_goes_on(
    via_replica: ReplicaServer, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.INFO)
    victim = sorted(via_replica.site.expected(cids=(1,), pages=1)["emitted"])[0]
    real_build = qutoutiao.build_article

    def build_or_fail(entry: Any, *args: Any) -> Any:
        if entry.source_id == victim:
            raise RuntimeError("a surprise in project code")
        return real_build(entry, *args)

    monkeypatch.setattr(qutoutiao, "build_article", build_or_fail)
    result = crawl({"ITEM_PIPELINES": {}}, cids="1", pages="1")
    emitted = {i.source_id for i in result.items}
    assert emitted == via_replica.site.expected(cids=(1,), pages=1)["emitted"] - {victim}
    assert result.stats["qutoutiao/detail/error/RuntimeError"] == 1
    article = via_replica.site.articles[victim]
    assert f"Could not process detail page http://{article.host}{article.path}?" in caplog.text
    assert "RuntimeError: a surprise in project code" in caplog.text
    assert [r.getMessage() for r in caplog.records if r.exc_info] == []
