"""``scrapy serve`` over real HTTP: conditional GET, gzip and HEAD, bad requests, the store going
away and coming back, the index page, and reading only."""

from __future__ import annotations

import gzip
import hashlib
import re
import shutil
import socket
import time
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from lxml import etree

from tests.articles import article
from tests.servers import secantus_with_user
from tests.serving import Served, fill_store, serve_process, write_more
from tests.stores import BACKENDS, mongo_store


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


def test_conditional_get(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    args = fill_store(backend, tmp_path, request)
    with serve_process(tmp_path, *args) as served:
        first = served.get("/qutoutiao/1")
        assert first.status == 200
        etag, modified = first.headers["etag"], first.headers["last-modified"]
        assert etag.startswith('W/"') and modified == "Sat, 28 Nov 2026 15:00:00 GMT"
        assert first.headers["cache-control"] == "public, max-age=60"
        assert first.headers["content-type"] == "application/rss+xml; charset=utf-8"
        cases: list[tuple[dict[str, str], int]] = [
            ({}, 200),
            ({"If-None-Match": etag}, 304),
            ({"If-None-Match": etag.removeprefix("W/")}, 304),  # weak comparison
            ({"If-None-Match": f'"other", {etag}'}, 304),
            ({"If-None-Match": "*"}, 304),
            ({"If-None-Match": '"other"'}, 200),
            ({"If-Modified-Since": modified}, 304),
            ({"If-Modified-Since": "Sun, 29 Nov 2026 00:00:00 GMT"}, 304),
            ({"If-Modified-Since": "Fri, 27 Nov 2026 15:00:00 GMT"}, 200),
            ({"If-Modified-Since": "yesterday"}, 200),
            # If-None-Match decides when both are given.
            ({"If-None-Match": '"other"', "If-Modified-Since": modified}, 200),
            ({"If-None-Match": etag, "If-Modified-Since": "Fri, 27 Nov 2026 15:00:00 GMT"}, 304),
        ]
        for headers, status in cases:
            reply = served.get("/qutoutiao/1", **headers)
            assert reply.status == status, headers
            assert reply.headers["etag"] == etag, headers
            assert reply.body == (first.body if status == 200 else b""), headers
        # Another format, another channel, another limit: another ETag.
        others = {served.get(p).headers["etag"] for p in ("/qutoutiao/1.atom", "/qutoutiao/2", "/qutoutiao/1?limit=3")}
        assert etag not in others and len(others) == 3
        # HEAD: the headers of GET, no body.
        head = served.request("/qutoutiao/1", "HEAD")
        assert head.status == 200 and head.body == b"" and head.headers["etag"] == etag
        assert head.headers["content-length"] == str(len(first.body))
        # gzip when asked, the same feed inside.
        zipped = served.get("/qutoutiao/1", **{"Accept-Encoding": "gzip"})
        assert zipped.headers["content-encoding"] == "gzip" and zipped.headers["vary"] == "Accept-Encoding"
        assert gzip.decompress(zipped.body) == first.body
        assert "content-encoding" not in first.headers
        # The store changes: the old copy is no longer current.
        write_more(backend, tmp_path, request, article(2, title="标题 2 (updated)"))
        # (A warm page is answered from memory while the store's version read is under a second old.)
        deadline = time.monotonic() + 15
        while (changed := served.get("/qutoutiao/1", **{"If-None-Match": etag})).status == 304:
            assert time.monotonic() < deadline, "the change never showed"
            time.sleep(0.1)
        assert changed.status == 200 and changed.headers["etag"] != etag
        assert "标题 2 (updated)".encode() in changed.body


def test_bad_requests(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    args = fill_store("sqlite", tmp_path, request)
    with serve_process(tmp_path, *args) as served:
        cases = [
            ("/nosuchsource", 404),
            ("/qutoutiao/99999", 404),  # no such channel in the profile, nothing stored
            ("/qutoutiao/category/99999", 404),
            ("/qutoutiao?limit=-1", 400),
            ("/qutoutiao?limit=0", 400),
            ("/qutoutiao?limit=1000000000", 400),
            ("/qutoutiao?limit=201", 400),
            ("/qutoutiao?limit=1e3", 400),
            ("/qutoutiao?limit=1&limit=2", 400),
            ("/qutoutiao?since=garbage", 400),
            ("/qutoutiao?format=xml", 400),
            ("/qutoutiao.atom?format=json", 400),
            ("/qutoutiao?callback=x", 400),
            ("/?x=1", 400),
            ("/..%2f..%2fetc%2fpasswd", 404),
            ("/qutoutiao/..%2f..%2fsettings.py", 404),
            ("/%2e%2e/%2e%2e/etc/passwd", 404),
            ("/../../etc/passwd", 404),
            ("/qutoutiao%00", 404),
            ("/qutoutiao/", 404),
            ("/QUTOUTIAO", 404),
            ("/%ff", 404),
        ]
        for path, status in cases:
            reply = served.get(path)
            assert reply.status == status, path
            assert reply.headers["content-type"] == "text/plain; charset=utf-8", path
            assert 0 < len(reply.body) < 200 and b"Traceback" not in reply.body, path
        assert served.request("/qutoutiao", "POST").status == 405
        # Requests past the bounds: Twisted answers 400 (or, for a line past MAX_LENGTH, closes the
        # connection) before any of our code runs.
        for data in (b"GET /qutoutiao HTTP/1.1\r\nHost: x\r\n" + b"X-A: b\r\n" * 60 + b"\r\n",
                     b"GET /qutoutiao HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n",
                     b"GET /qutoutiao HTTP/1.1\r\nHost: x\r\n" + (b"X-Many: " + b"a" * 3000 + b"\r\n") * 8 + b"\r\n",
                     b"GET /qutoutiao?since=" + b"9" * 10000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"):
            reply = raw(served, data)
            assert reply == b"" or reply.startswith(b"HTTP/1.1 400 Bad Request\r\n"), reply[:100]
        # Just inside the bounds, the same server answers.
        assert raw(served, b"GET /qutoutiao?limit=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                   + b"X-A: b\r\n" * 40 + b"\r\n").startswith(b"HTTP/1.1 200 OK")
        assert served.get("/qutoutiao").status == 200  # and the server goes on
    log = served.log.read_text(encoding="utf-8")
    assert "Traceback" not in log
    # The access log, in the combined log format.
    assert re.search(r'"127\.0\.0\.1" - - \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d \+0000\] '
                     r'"GET /qutoutiao\?limit=-1 HTTP/1\.1" 400 \d+ "-" "-"', log), log[-2000:]


def test_bad_settings_and_a_taken_port_stop_it_in_one_line(tmp_path: Path) -> None:
    from tests.processes import scrapy

    bad = scrapy("serve", "--port", "0", "-s", "SERVE_MAX_HEADERS=abc", timeout=60)
    assert bad.returncode == 1 and bad.stderr.strip().splitlines()[-1] == (
        "error: SERVE_MAX_HEADERS='abc': expected a positive whole number")
    assert scrapy("serve", "--port", "70000", timeout=60).returncode == 2
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        run = scrapy("serve", "--port", str(port), "-s", f"NEWSCRAWLER_DB={tmp_path / 'none.sqlite3'}", timeout=60)
    assert run.returncode == 1 and f"error: cannot listen on 127.0.0.1:{port}" in run.stderr


def raw(served: Served, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", served.port), timeout=30) as connection:
        connection.sendall(data)
        reply = b""
        try:
            while chunk := connection.recv(65536):
                reply += chunk
        except ConnectionResetError:  # closed while the request was still coming
            pass
        return reply


def test_a_slow_client_blocks_no_other(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    args = fill_store("sqlite", tmp_path, request)
    with serve_process(tmp_path, *args) as served:
        slow = [socket.create_connection(("127.0.0.1", served.port), timeout=30) for _ in range(20)]
        try:
            for connection in slow:  # half a request each, never finished
                connection.sendall(b"GET /qutoutiao HTTP/1.1\r\nHost: x\r\n")
            assert served.get("/qutoutiao").status == 200
            assert served.get("/").status == 200
        finally:
            for connection in slow:
                connection.close()


def test_sqlite_store_down_then_back(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    args = fill_store("sqlite", tmp_path, request)
    database = tmp_path / "store.sqlite3"
    with serve_process(tmp_path, *args) as served:
        assert served.get("/healthz").status == 200
        database.rename(tmp_path / "away.sqlite3")
        health = served.get("/healthz")
        assert health.status == 503 and health.headers["content-type"] == "application/json; charset=utf-8"
        assert b'"unavailable"' in health.body and str(tmp_path).encode() not in health.body
        for path in ("/qutoutiao", "/qutoutiao/1.json", "/"):
            down = served.get(path)
            assert down.status == 503 and down.body == b"the store is unavailable, try again later\n", path
        (tmp_path / "away.sqlite3").rename(database)
        assert served.get("/healthz").status == 200
        assert served.get("/qutoutiao").status == 200
        # Something unreadable at the path for a while (a backup half copied in), then the same file
        # back (a rename keeps its inode): the reader must not take its closed connection for the file's.
        database.rename(tmp_path / "away.sqlite3")
        database.write_bytes(b"not yet a database" * 100)
        time.sleep(1.2)  # past the second a store version read is trusted for
        assert [served.get(p).status for p in ("/healthz", "/qutoutiao")] == [503, 503]
        database.unlink()
        (tmp_path / "away.sqlite3").rename(database)
        time.sleep(1.2)
        assert [served.get(p).status for p in ("/healthz", "/qutoutiao", "/")] == [200, 200, 200]
    assert "Traceback" not in served.log.read_text(encoding="utf-8")


def test_mongodb_down_then_back_and_no_credential_shown(tmp_path: Path) -> None:
    password = "s3cr3t-Passw0rd"
    with secantus_with_user(tmp_path / "db", "reader", password) as server:
        uri = server.uri.replace("mongodb://", f"mongodb://reader:{password}@") + "&authSource=admin"
        store = mongo_store(uri, "news")
        store.write([__import__("newscrawler.storage.documents", fromlist=["to_document"]).to_document(article(1))],
                    article(1).crawled_at)
        store.close()
        args = ["-s", f"MONGO_URI={uri}", "-s", "MONGO_DATABASE=news", "-s", "MONGO_SERVER_SELECTION_TIMEOUT_MS=1500"]
        with serve_process(tmp_path, *args) as served:
            assert served.get("/healthz").status == 200
            assert served.get("/qutoutiao").status == 200
            server.stop()
            replies = [served.get(p) for p in ("/healthz", "/qutoutiao", "/qutoutiao/category/2", "/")]
            assert [r.status for r in replies] == [503] * 4
            server.start()
            deadline = time.monotonic() + 30
            while served.get("/healthz").status != 200 and time.monotonic() < deadline:
                time.sleep(0.2)
            assert served.get("/healthz").status == 200
            back = served.get("/qutoutiao")
            assert back.status == 200 and "标题 1".encode() in back.body
            replies.append(back)
        for reply in replies:
            assert password.encode() not in reply.body
            assert all(password not in value for value in reply.headers.values())
        log = served.log.read_text(encoding="utf-8")
        assert "Store unavailable" in log  # the outage is in the log, the password is not
        assert password not in log and "reader:" not in log


def test_index_page_is_well_formed_and_every_link_works(backend: str, tmp_path: Path,
                                                        request: pytest.FixtureRequest) -> None:
    args = fill_store(backend, tmp_path, request)
    # A source whose name and title a browser would run, were they not escaped.
    write_more(backend, tmp_path, request, article(500, id="x:1", source="<script>alert(1)</script>",
                                                   title="</td><script>alert(2)</script>"))
    with serve_process(tmp_path, *args) as served:
        page = served.get("/")
        assert page.status == 200 and page.headers["content-type"] == "text/html; charset=utf-8"
        assert "default-src 'none'" in page.headers["content-security-policy"]
        assert page.body.startswith(b"<!DOCTYPE html>\n")
        # Well-formed (as XML, the strictest reading): every tag closed, every text escaped.
        root = etree.fromstring(page.body.split(b"\n", 1)[1])
        # Read as HTML the same: no element but the void ones self-closed (HTML reads <td/> as <td>).
        assert not re.search(rb"<(?!meta\b|link\b|br\b)[a-z]+\b[^>]*/>", page.body)
        assert root.tag == "html" and not root.xpath("//script")
        assert root.xpath("//meta[@name='viewport']")
        text = "".join(root.itertext())
        assert "<script>alert(1)</script>" in text  # shown as text
        assert "25" in root.xpath("string(//tr[td/a[@href='/qutoutiao']]/td[2])")
        links = root.xpath("//a/@href")
        local = sorted({link for link in links if not urlsplit(link).scheme})
        assert "/qutoutiao/category/1" in local and "/qutoutiao/2.json" in local and "/plain.atom" in local
        for link in local:
            assert served.get(urljoin("/", link)).status == 200, link
        assert page.headers["etag"] and served.get("/", **{"If-None-Match": page.headers["etag"]}).status == 304


def test_serving_writes_nothing(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    args = fill_store("sqlite", tmp_path, request)
    database = tmp_path / "store.sqlite3"
    before = hashlib.sha256(database.read_bytes()).hexdigest()
    with serve_process(tmp_path, *args) as served:
        for path in ("/", "/healthz", "/qutoutiao", "/qutoutiao/1.atom", "/plain.json"):
            assert served.get(path).status == 200
        # A WAL reader maps the -shm index (SQLite makes it to read); no page reaches the -wal.
        wal = tmp_path / "store.sqlite3-wal"
        assert not wal.exists() or wal.stat().st_size == 0
    assert hashlib.sha256(database.read_bytes()).hexdigest() == before


def test_an_old_store_is_reported_not_upgraded(tmp_path: Path) -> None:
    from tests.conftest import FIXTURES

    database = tmp_path / "old.sqlite3"
    shutil.copy(FIXTURES / "old-store" / "old.sqlite3", database)
    before = database.read_bytes()
    with serve_process(tmp_path, "-s", f"NEWSCRAWLER_DB={database}", "-s", "MONGO_URI=") as served:
        reply = served.get("/qutoutiao")
        assert reply.status == 503 and reply.body == b"the store needs an upgrade (run a crawl once)\n"
    assert database.read_bytes() == before
    assert "written by an older version" in served.log.read_text(encoding="utf-8")



def test_a_bug_is_a_500_with_a_short_body_and_a_traceback_in_the_log(tmp_path: Path,
                                                                     request: pytest.FixtureRequest) -> None:
    """A document no reader can read (a bug, or a store written by hand) breaks no other page."""
    import sqlite3

    args = fill_store("sqlite", tmp_path, request)
    with sqlite3.connect(tmp_path / "store.sqlite3") as db:
        db.execute("UPDATE articles SET doc = '{not json' WHERE id = 'qutoutiao:2'")
    db.close()
    with serve_process(tmp_path, *args) as served:
        broken = served.get("/qutoutiao/1")
        assert broken.status == 500 and broken.body == b"internal error\n"
        assert broken.headers["content-type"] == "text/plain; charset=utf-8"
        assert served.get("/qutoutiao/2").status == 200  # the rest is served
    log = served.log.read_text(encoding="utf-8")
    assert "Unexpected error answering GET /qutoutiao/1" in log and "Traceback (most recent call last)" in log
