"""A hostile listing and hostile pages, crawled end to end through the replica.

Every good article is stored; every bad entry or page is counted, logged with
its URL and never crashes a callback or steers the crawler.
"""

from __future__ import annotations

import logging
import re
import tracemalloc
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from w3lib.encoding import resolve_encoding

from newscrawler.replica import hostile
from newscrawler.replica.server import ReplicaServer, serve_in_thread
from newscrawler.replica.site import ReplicaConfig
from tests.articles import PROXY
from tests.crawling import CrawlResult, LogRecords, crawl, proxy_through

PAGE_URL = "http://html2.qktoutiao.com"


@dataclass
class HostileRun:
    result: CrawlResult
    records: list[logging.LogRecord]
    peak_bytes: int
    server: ReplicaServer

    @property
    def log(self) -> str:
        return "\n".join(r.getMessage() for r in self.records)

    def item(self, sid: str) -> Any:
        return self.result.by_source_id()[sid]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostileRun]:
    """One crawl of the hostile channel, with every pipeline, its log and its peak traced memory."""
    hostile.gzip_bomb()  # made before tracing starts: only the crawl's own memory counts
    server = serve_in_thread(0, ReplicaConfig(hostile=True))
    folder = tmp_path_factory.mktemp("hostile")
    handler = LogRecords()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        with pytest.MonkeyPatch.context() as patch:
            proxy_through(patch, server.url)
            tracemalloc.start()
            result = crawl(
                {"MONGO_URI": "", "NEWSCRAWLER_DB": str(folder / "store.sqlite3"),
                 "DEADLETTER_DIR": str(folder / "deadletter"), "RETRY_TIMES": 0},
                cids=str(hostile.HOSTILE_CHANNEL), pages="1", limit="60",
            )
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        yield HostileRun(result, handler.records, peak, server)
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        server.shutdown()


def test_every_good_article_is_stored(run: HostileRun) -> None:
    stored = {c.sid for c in hostile.CASES if c.outcome == "stored"} | set(hostile.GOOD_ENTRIES)
    stored = {("990111&x" if sid == "990111" else sid) for sid in stored}
    assert set(run.result.by_source_id()) == stored
    assert run.result.stats["store/new"] == len(stored)
    assert run.result.stats["finish_reason"] == "finished"


def test_each_hostile_case_is_counted(run: HostileRun) -> None:
    stats = run.result.stats
    for case in hostile.CASES:
        if case.stat:
            assert stats.get(case.stat), f"{case.sid} ({case.page}, {case.listing}): no {case.stat}"
    assert stats["qutoutiao/listing/invalid/id"] == 3
    assert stats["qutoutiao/listing/invalid/url"] == 1
    assert stats["qutoutiao/listing/invalid_entries"] == 4


def test_listing_fields_reach_the_article_typed(run: HostileRun) -> None:
    assert run.item("990101").cover_images == [f"{PROXY}http://static.1sapp.com/one.jpeg"]  # not per character
    assert run.item("990102").cover_images == []
    assert run.item("990103").tags == [] and run.item("990103").title  # the page's title, not "['a', 'list']"
    published = run.server.site.articles["990104"].published
    assert run.item("990104").published_at.timestamp() == published.timestamp() + 300  # show_time
    assert run.item("990105").published_at is not None  # page date: both listing times unusable
    assert run.item("990106").title == "标题带孤立代理" and run.item("990106").tags == ["标签"]
    amp = run.item("990111&x")
    assert (amp.id, amp.source_id) == ("qutoutiao:990111&x", "990111&x")


def test_covers_are_http_and_inert(run: HostileRun) -> None:
    assert run.item("990701").cover_images == [f"{PROXY}http://static.1sapp.com/ok.jpeg"]
    assert run.item("990702").cover_images == []
    assert run.item("990703").cover_images == [f"{PROXY}http://static.1sapp.com/relative.jpeg"]
    assert run.item("990704").cover_images == [
        f"{PROXY}http://static.1sapp.com/q.jpeg%27%20onerror=%27alert%281%29%22%20x=%22%28y%29"]
    assert run.item("990705").cover_images == []
    assert run.result.stats["qutoutiao/listing/coerced/covers"] == 4  # 990102's 5 too
    for sid, shown in (("990701", "'javascript:alert(1)'"), ("990702", "'data:image/svg+xml,"),
                       ("990705", "'http://[oops/x.jpeg'")):
        assert re.search(rf"Cover of http://\S+/detail/hostile/{sid}\.html\S* dropped, not an http\(s\) URL: "
                         + re.escape(shown), run.log)


def test_nested_body_stored_whole_and_too_deep_dropped(run: HostileRun) -> None:
    assert "结尾的段落" in run.item("990201").content_text
    assert "990202" not in run.result.by_source_id()
    assert any("body/unparseable" in reason and "/detail/hostile/990202.html" in reason
               for _, reason in run.result.dropped)


def test_body_markup_does_not_steer(run: HostileRun) -> None:
    assert "正文留在这里" in run.item("990203").content_text
    assert run.server.hits.get("/detail/hostile/steered.html", 0) == 0  # meta refresh not followed
    assert run.item("990204").image_urls == [f"{PAGE_URL}/detail/hostile/pic.jpeg"]  # body <base> ignored
    assert "evil.example" not in run.item("990204").content_html
    # After a redirect, relative URLs resolve against the page that answered.
    assert run.item("990205").image_urls == [f"{PAGE_URL}/detail/moved/2021/pic.jpeg"]


def test_redirect_to_loopback_is_refused(run: HostileRun) -> None:
    assert run.server.hits.get("/private/admin", 0) == 0
    assert run.result.stats["privatehosts/refused"] == 1
    loopback = f"http://127.0.0.1:{run.server.server_address[1]}/private/admin"
    assert f"Detail page failed (private_host): {loopback}: RefusedHost" in run.log
    assert "(redirected from http://html2.qktoutiao.com/detail/hostile/990301.html?" in run.log
    assert f"Refused {loopback}" in run.log


def test_lost_requests_are_loud(run: HostileRun) -> None:
    log = run.log
    assert "Detail page failed (redirect_loop): http://html2.qktoutiao.com/detail/hostile/990302.html" in log
    assert "max redirections reached" in log
    assert "Detail page failed (too_large): http://html2.qktoutiao.com/detail/hostile/990303.html" in log
    assert "DOWNLOAD_MAXSIZE" in log
    assert "Detail page failed (too_large): http://html2.qktoutiao.com/detail/hostile/990305.html" in log
    # Scrapy's own UrlLengthMiddleware: logged (at INFO) with the URL, counted, and in the monitors' error ratio
    assert any(r.name == "scrapy.spidermiddlewares.urllength" and "Ignoring link (url length > 2083)" in r.getMessage()
               and hostile.LONG_PATH in r.getMessage() for r in run.records)
    assert run.result.stats["urllength/request_ignored_count"] == 1


def test_gzip_bomb_stops_at_the_limit(run: HostileRun) -> None:
    # Inflated, the bomb alone would take BOMB_INFLATED (256 MiB); the crawl stays far below.
    assert run.result.stats["qutoutiao/detail/error/too_large"] == 2  # the bomb and a plain 6 MiB page
    assert run.peak_bytes < hostile.BOMB_INFLATED // 4, f"peak traced memory {run.peak_bytes / 2**20:.0f} MiB"


def test_log_holds_no_traceback(run: HostileRun) -> None:
    assert [r.getMessage() for r in run.records if r.exc_info] == []
    # The run is unhealthy (a quarter of its pages fail): its failed monitors are a verdict, not a crash.
    assert run.result.stats["monitors/failed"] >= 1
    assert [r.getMessage() for r in run.records if "Traceback" in r.getMessage()] == []


# --- Issue 17: one bad piece costs only itself; the stored-body cap; two ids, one URL ---


def test_one_bad_piece_costs_only_itself(run: HostileRun) -> None:
    bad = run.item("990501")
    assert "坏链接留下的文字之后" in bad.content_text and "端口越界" in bad.content_text  # the links' text stays
    assert bad.image_urls == [f"{PAGE_URL}/detail/hostile/good.jpeg"]  # the good image beside the bad one
    assert f'<a href="{PAGE_URL}/detail/hostile/more.html"' in bad.content_html
    assert "[" not in bad.content_html and "99999" not in bad.content_html
    assert run.result.stats["body/dropped/bad_url"] == 3
    canonical = f"{PAGE_URL}/detail/hostile/990501.html?content_id=990501"
    assert f"Body of {canonical}: dropped 1 image (bad_url), 2 links (bad_url)" in run.log

    control = run.item("990502")
    assert "控制字符链接" in control.content_text and "javascript" not in control.content_html
    assert 'alt="图说"' in control.content_html and "正文里的字符" in control.content_text
    assert control.image_urls == ["http://static.1sapp.com/ok.png"]
    assert run.result.stats["body/dropped/control_char"] == 1

    based = run.item("990503")  # <base href="http://[x">: the page's own URL is the base
    assert based.image_urls == [f"{PAGE_URL}/detail/hostile/pic.jpeg"]
    assert f'<a href="{PAGE_URL}/detail/hostile/more.html"' in based.content_html
    assert run.result.stats["qutoutiao/detail/bad_base"] == 1
    assert f"Unusable <base href='http://[x'> on {PAGE_URL}/detail/hostile/990503.html?" in run.log


def test_body_too_large_to_store_is_dropped_before_the_store(run: HostileRun) -> None:
    assert "990504" not in run.result.by_source_id()
    url = f"{PAGE_URL}/detail/hostile/990504.html?content_id=990504"
    size = 6 * hostile.AMP_FLOOD + len("<p></p>")  # each '&' is '&amp;' in the HTML and '&' in the text
    assert [reason for _, reason in run.result.dropped if "990504" in reason] == [
        f"body/too_large ({size} bytes > MAX_BODY_BYTES 8388608): {url}"]
    assert f"Body of {url} too large to store: {size} bytes once cleaned > MAX_BODY_BYTES (8388608)" in run.log
    assert run.result.stats["body/too_large"] == 1


def test_two_ids_with_one_url_are_both_stored(run: HostileRun) -> None:
    first, second = run.item("990001"), run.item("990505")
    assert first.url == second.url and first.id != second.id
    assert second.content_html == first.content_html  # the page both entries name
    assert run.server.hits["/detail/hostile/990001.html"] == 2  # one request per id: not a URL duplicate


def test_hostile_input_never_reaches_the_bug_path(run: HostileRun) -> None:
    """Every hostile case is known bad input: handled where it enters, never counted as a bug."""
    from newscrawler.commands.crawl import EXIT_LOST, exit_status

    stats = run.result.stats
    assert [k for k in stats if k.startswith(("spider_exceptions/", "pipeline_exceptions/"))] == []
    assert "store/lost" not in stats
    assert exit_status(stats, started=True)[0] != EXIT_LOST


def test_unusable_declared_charsets_are_read_whole(run: HostileRun) -> None:
    """charset=idna lost the page; rot13 and a <meta> idna failed too; unicode-escape stored mojibake."""
    for sid, page in (("990601", "charset_idna"), ("990602", "charset_rot13"), ("990603", "charset_meta_idna"),
                      ("990604", "charset_unicode_escape")):
        item = run.item(sid)
        assert item.content_text.strip() == hostile.CHARSET_TEXT, page
        header, meta, _ = hostile.CHARSET_PAGES[page]
        source = "its <meta> charset" if meta in ("utf-8", "gbk") else "valid UTF-8"
        encoding = "gb18030" if meta == "gbk" else "utf-8"
        line = (f"declares charset {resolve_encoding(header or meta)!r}, which browsers do not read; "
                f"decoded as {encoding} ({source})")
        assert any(f"{PAGE_URL}/detail/hostile/{sid}.html?" in r and line in r for r in run.log.splitlines()), page
    assert run.result.stats["charset/unusable"] == 4


def test_bodies_that_do_not_decompress_are_lost_loudly_not_bugs(run: HostileRun) -> None:
    """A body that is not what its Content-Encoding says: counted and logged with the URL, never a bug."""
    cases = [case for case in hostile.CASES if case.page in hostile.UNDECODABLE]
    assert len(cases) == 5
    for case in cases:
        encoding, _ = hostile.UNDECODABLE[case.page]
        url = f"{PAGE_URL}/detail/hostile/{case.sid}.html?content_id={case.sid}"
        assert run.server.hits[f"/detail/hostile/{case.sid}.html"] == 1
        assert any(r.levelno == logging.WARNING and url in r.getMessage()
                   and f"does not decode as Content-Encoding {encoding!r}" in r.getMessage() for r in run.records), case
        assert f"Detail page failed (undecodable): {url}" in run.log, case
        assert case.sid not in run.result.by_source_id()
    assert run.result.stats["qutoutiao/detail/error/undecodable"] == len(cases)
    assert run.result.stats["decompression/undecodable"] == len(cases)
