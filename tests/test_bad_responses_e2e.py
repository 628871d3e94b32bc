"""Redirects and Content-Encodings no sane server sends, answered through ``scrapy crawl``.

A raw proxy in front of the replica answers some article pages and one listing page with a
redirect to a Location that does not parse, a Content-Encoding that is not ASCII, or one that
stacks more codings than MAX_CONTENT_CODINGS. Each is known bad input: logged with its URL and
the reason, counted, and the crawl goes on and exits 0. Before, the first two were bugs to
Scrapy's own middlewares (``spider_exceptions/ValueError``, ``UnicodeDecodeError``: exit 3) and
the third was decoded layer by layer, thirty thousand layers holding the reactor for seconds.
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

from newscrawler.middlewares.decompression import MAX_CONTENT_CODINGS
from newscrawler.replica.server import serve_in_thread
from newscrawler.replica.site import ReplicaConfig, Site
from tests import oracle
from tests.processes import scrapy
from tests.rawproxy import raw_proxy

CIDS, PAGES, LIMIT = (1, 2), 5, 10
HOST = "http://html2.qktoutiao.com"
LISTING = "/content/outList?cid={cid}&tn=1&page={page}&limit={limit}"


def answer(status: str, headers: list[bytes], body: bytes = b"") -> bytes:
    lines = [b"HTTP/1.1 " + status.encode(), b"Content-Type: text/html; charset=utf-8", *headers,
             b"Content-Length: %d" % len(body), b"Connection: close", b"", b""]
    return b"\r\n".join(lines) + body


def layered(page: bytes, layers: int) -> bytes:
    for _ in range(layers):
        page = gzip.compress(page, mtime=0)
    return page


def test_unparseable_redirects_and_hostile_codings_are_known_bad_input(tmp_path: Path) -> None:
    site = Site(ReplicaConfig())
    expected = oracle.expected(site, cids=CIDS, limit=LIMIT, pages=PAGES)["stored"]
    fine = [a for a in site.articles.values()
            if a.cid == 1 and a.source_id in expected and a.status == "ok" and f"http://{a.host}" == HOST]
    bad_ipv6, bad_port, not_ascii, flood, five, four = (a for a in fine[:6])
    flood_codings = 12 * 2500
    answers = {
        bad_ipv6.path: answer("302 Found", [b"Location: http://["]),
        bad_port.path: answer("302 Found", [b"Location: http://news.example.com:99999/x"]),
        not_ascii.path: answer("200 OK", [b"Content-Encoding: \xff\xfe"], b"<html><body>x</body></html>"),
        # Twelve header lines of 2,500 gzip each, over a body of five real layers: refused unread.
        flood.path: answer("200 OK", [b"Content-Encoding: " + b", ".join([b"gzip"] * 2500)] * 12,
                           layered(site.detail_html(flood), 5)),
        # One layer over the bound: refused, though it would decode; at the bound it is read.
        five.path: answer("200 OK", [b"Content-Encoding: gzip, gzip, gzip", b"Content-Encoding: gzip, gzip"],
                          layered(site.detail_html(five), MAX_CONTENT_CODINGS + 1)),
        four.path: answer("200 OK", [b"Content-Encoding: " + b", ".join([b"gzip"] * MAX_CONTENT_CODINGS)],
                          layered(site.detail_html(four), MAX_CONTENT_CODINGS)),
        # A listing page redirected nowhere: that page is lost, its channel goes on to the next.
        LISTING.format(cid=2, page=2, limit=LIMIT): answer("302 Found", [b"Location: http://[::1"]),
    }
    refused = [bad_ipv6, bad_port, not_ascii, flood, five]
    unlisted = {sid for kind, sid in site.page_slots(2, 2, LIMIT) if kind == "article"}
    replica = serve_in_thread(0, ReplicaConfig())
    out = tmp_path / "articles.jsonl"
    try:
        with raw_proxy(replica.url, answers=answers) as proxy:
            run = scrapy(
                "crawl", "qutoutiao", "-a", f"cids={','.join(map(str, CIDS))}", "-a", f"pages={PAGES}",
                "-a", f"limit={LIMIT}", "-O", str(out), "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0",
                "-s", f"NEWSCRAWLER_DB={tmp_path / 'db.sqlite3'}", "-s", f"DEADLETTER_DIR={tmp_path / 'dl'}",
                http_proxy=proxy.url,
            )
            hits = [s.path for s in proxy.seen]
    finally:
        replica.shutdown()
    log = run.stderr
    assert run.returncode == 0, log[-4000:]
    assert "Traceback" not in log and "'spider_exceptions/" not in log, log[-4000:]

    def failed(article: object) -> str:
        return rf"Detail page failed \((\w+)\): {re.escape(HOST + article.path)}\?\S+: (.*)"  # type: ignore[attr-defined]

    reasons = {a.source_id: re.search(failed(a), log) for a in refused}
    assert all(reasons.values()), {sid: bool(m) for sid, m in reasons.items()}
    assert reasons[bad_ipv6.source_id].groups() == (
        "bad_redirect", "BadRedirect: HTTP 302 to an unusable Location 'http://[' (ValueError: Invalid IPv6 URL)")
    assert reasons[bad_port.source_id].groups() == (
        "bad_redirect", "BadRedirect: HTTP 302 to an unusable Location 'http://news.example.com:99999/x' "
                        "(ValueError: Port out of range 0-65535)")
    assert reasons[not_ascii.source_id].groups() == (
        "undecodable", "UndecodableBody: Content-Encoding 'ÿþ' is not ASCII: no coding has such a name")
    assert reasons[flood.source_id].groups() == (
        "undecodable", f"UndecodableBody: Content-Encoding stacks {flood_codings} codings, "
                       f"more than {MAX_CONTENT_CODINGS}: not decoded")
    assert reasons[five.source_id].groups() == (
        "undecodable", f"UndecodableBody: Content-Encoding stacks {MAX_CONTENT_CODINGS + 1} codings, "
                       f"more than {MAX_CONTENT_CODINGS}: not decoded")
    # The middlewares' own WARNINGs name the URL too.
    for article in (bad_ipv6, bad_port):
        assert re.search(rf"WARNING: Redirect 302 from {re.escape(HOST + article.path)}\?\S+ to an unusable Location",
                         log), article.path
    for article in (not_ascii, flood, five):
        assert re.search(rf"WARNING: Body of {re.escape(HOST + article.path)}\?\S+ refused: Content-Encoding", log)
    bad_listing = f"http://api.1sapp.com{LISTING.format(cid=2, page=2, limit=LIMIT)}"
    assert (f"Bad listing page {bad_listing}: BadRedirect: HTTP 302 to an unusable Location 'http://[::1' "
            "(ValueError: Invalid IPv6 URL)") in log

    stats = {key: int(value) for key, value in re.findall(r"'([\w/]+)': (\d+)", log)}
    assert stats["qutoutiao/detail/error/bad_redirect"] == 2
    assert stats["qutoutiao/listing/error/bad_redirect"] == 1
    assert stats["redirect/bad_location"] == 3
    assert stats["qutoutiao/detail/error/undecodable"] == 3 == stats["decompression/undecodable"]
    assert all(hits.count(a.path) == 1 for a in refused)  # not retried, not redirected anywhere
    assert hits.count("/content/outList") == len(CIDS) * PAGES  # cid 2 went on past its bad page

    stored = {json.loads(line)["source_id"] for line in out.read_text(encoding="utf-8").splitlines()}
    assert four.source_id in stored  # MAX_CONTENT_CODINGS layers decode
    assert stored == expected - {a.source_id for a in refused} - unlisted


def test_a_listing_page_gives_at_most_listing_max_entries(tmp_path: Path) -> None:
    """An API answering ``limit=10`` with thousands of entries: the first LISTING_MAX_ENTRIES are taken."""
    site = Site(ReplicaConfig())
    expected = oracle.expected(site, cids=(1,), limit=45, pages=1)["stored"]
    good = [a for a in site.articles.values() if a.cid == 1 and a.source_id in expected]
    cap, repeats = 12, 100
    assert len(good) > cap
    document = site.listing_document(1, 1, LIMIT)
    document["data"]["data"] = [site.entry(a, 1, 1) for a in good] * repeats  # repeats: one request each, filtered
    total = len(good) * repeats
    page = LISTING.format(cid=1, page=1, limit=LIMIT)
    answers = {page: answer("200 OK", [], json.dumps(document, ensure_ascii=False).encode())}
    replica = serve_in_thread(0, ReplicaConfig())
    out = tmp_path / "articles.jsonl"
    try:
        with raw_proxy(replica.url, answers=answers) as proxy:
            run = scrapy(
                "crawl", "qutoutiao", "-a", "cids=1", "-a", "pages=1", "-a", f"limit={LIMIT}", "-O", str(out),
                "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", f"LISTING_MAX_ENTRIES={cap}",
                "-s", f"NEWSCRAWLER_DB={tmp_path / 'db.sqlite3'}", "-s", f"DEADLETTER_DIR={tmp_path / 'dl'}",
                http_proxy=proxy.url,
            )
            details = [s.path for s in proxy.seen if s.path.startswith("/detail/")]
    finally:
        replica.shutdown()
    log = run.stderr
    assert run.returncode == 0, log[-4000:]
    assert (f"WARNING: Listing http://api.1sapp.com{page} holds {total} entries: the first {cap} taken, "
            f"{total - cap} left out (LISTING_MAX_ENTRIES)") in log
    stats = {key: int(value) for key, value in re.findall(r"'([\w/]+)': (\d+)", log)}
    assert stats["qutoutiao/listing/entries_over_cap"] == total - cap
    assert "dupefilter/filtered" not in stats  # the repeats past the cap were never requested
    assert sorted(details) == sorted(a.path for a in good[:cap])
    stored = {json.loads(line)["source_id"] for line in out.read_text(encoding="utf-8").splitlines()}
    assert stored == {a.source_id for a in good[:cap]}


def test_listing_max_entries_is_checked_at_start(tmp_path: Path) -> None:
    run = scrapy("crawl", "qutoutiao", "-s", "LISTING_MAX_ENTRIES=0", "-s", f"NEWSCRAWLER_DB={tmp_path / 'db.sqlite3'}")
    assert run.returncode == 2, run.stderr[-3000:]
    assert "LISTING_MAX_ENTRIES" in run.stderr and "expected a positive whole number" in run.stderr
