"""``scrapy serve`` over real HTTP: conditional GET, gzip and HEAD, bad requests, the store going
away and coming back, the index page, and reading only."""

from __future__ import annotations

import gzip
import hashlib
import json
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
            ({"If-Modified-Since": "Sat, 01 Jan 99999999999999999999 00:00:00 GMT"}, 200),  # no HTTP date
            ({"If-Modified-Since": "Fri, 01 Jan 10000 00:00:00 GMT"}, 200),
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
        # Compressed once per ETag and kept: the same bytes again, with their length (not streamed).
        again = served.get("/qutoutiao/1", **{"Accept-Encoding": "deflate, gzip;q=0.5"})
        assert again.body == zipped.body and again.headers["content-length"] == str(len(zipped.body))
        assert again.headers["etag"] == etag
        for refused in ("gzip;q=0", "br", "*", "identity"):
            plain = served.get("/qutoutiao/1", **{"Accept-Encoding": refused})
            assert "content-encoding" not in plain.headers and plain.body == first.body, refused
        zipped_head = served.request("/qutoutiao/1", "HEAD", {"Accept-Encoding": "gzip"})
        assert zipped_head.body == b"" and zipped_head.headers["content-length"] == str(len(zipped.body))
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
            # A number past 64 bits names no channel (no store holds it); one URL per channel: no 01.
            ("/qutoutiao/9223372036854775808", 404),
            ("/qutoutiao/category/99999999999999999999", 404),
            ("/nosuch/-9223372036854775809", 404),
            ("/qutoutiao/01", 404),
            ("/qutoutiao/category/0001", 404),
            ("/qutoutiao/+1", 404),
        ]
        for path, status in cases:
            reply = served.get(path)
            assert reply.status == status, path
            assert reply.headers["content-type"] == "text/plain; charset=utf-8", path
            assert 0 < len(reply.body) < 200 and b"Traceback" not in reply.body, path
        for method in ("POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "FOO"):
            reply = served.request("/qutoutiao", method)
            assert reply.status == 405 and reply.headers["allow"] == "GET, HEAD", method
            assert reply.headers["content-type"] == "text/plain; charset=utf-8" and reply.body == b"method not allowed\n"
        # Requests past the bounds: a 400 before any of our code runs (Twisted's, and ours for a line
        # past MAX_LENGTH, which Twisted would only close).
        for data in (b"GET /qutoutiao HTTP/1.1\r\nHost: x\r\n" + b"X-A: b\r\n" * 60 + b"\r\n",
                     b"GET /qutoutiao HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 5000 + b"\r\n\r\n",
                     b"GET /qutoutiao HTTP/1.1\r\nHost: x\r\n" + (b"X-Many: " + b"a" * 3000 + b"\r\n") * 8 + b"\r\n",
                     b"GET /qutoutiao?since=" + b"9" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"):
            reply = raw(served, data)
            assert reply.startswith(b"HTTP/1.1 400 Bad Request\r\n"), reply[:100]
        # Far past: the 400 is sent, but the close with unread bytes pending may reset it away (TCP's RST).
        for data in (b"GET /qutoutiao HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n",
                     b"GET /qutoutiao?since=" + b"9" * 10000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"):
            reply = raw(served, data)
            assert reply == b"" or reply.startswith(b"HTTP/1.1 400 Bad Request\r\n"), reply[:100]
        # The absolute form of a request target (RFC 9112 3.2.2) names its path.
        assert raw(served, b"GET http://anything/plain.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                   ).startswith(b"HTTP/1.1 200 OK")
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

    for value, message in (("SERVE_MAX_HEADERS=abc", "SERVE_MAX_HEADERS='abc': expected a positive whole number"),
                           ("SERVE_HEADER_TIMEOUT=0", "SERVE_HEADER_TIMEOUT='0': expected a number of seconds above 0"),
                           ("SERVE_QUERY_TIMEOUT=0", "SERVE_QUERY_TIMEOUT='0': expected a number of seconds above 0")):
        bad = scrapy("serve", "--port", "0", "-s", value, timeout=60)
        assert bad.returncode == 1 and bad.stderr.strip().splitlines()[-1] == f"error: {message}"
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


def test_a_corrupt_row_is_skipped_and_named_and_breaks_no_page(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """Rows no reader can read (a store edited by hand): each is left out with a warning naming it, the
    rest of the feed is served; an unreadable crawled_at does not stop the server from starting."""
    import sqlite3

    args = fill_store("sqlite", tmp_path, request)
    with sqlite3.connect(tmp_path / "store.sqlite3") as db:
        db.execute("UPDATE articles SET doc = '{not json' WHERE id = 'qutoutiao:2'")
        db.execute("UPDATE articles SET first_seen_at = 'xx' WHERE id = 'plain:1'")
        db.execute("UPDATE articles SET crawled_at = 'garbage' WHERE id = 'plain:2'")
    db.close()
    with serve_process(tmp_path, *args) as served:
        feed = served.get("/qutoutiao/1.json")
        assert feed.status == 200
        titles = [item["title"] for item in json.loads(feed.body)["items"]]
        assert "标题 2" not in titles and "标题 4" in titles  # articles 2 and 4 are in channel 1
        plain = served.get("/plain.json")
        assert plain.status == 200 and len(json.loads(plain.body)["items"]) == 3
        health = served.get("/healthz")
        assert health.status == 200 and json.loads(health.body)["last_crawl"] is None
        assert served.get("/").status == 200
    log = served.log.read_text(encoding="utf-8")
    assert "Stored article 'qutoutiao:2' skipped, it cannot be read: not JSON" in log
    assert "Unreadable date 'xx' in article 'plain:1', taken as none" in log
    assert "Unreadable date 'garbage' in the newest crawled_at, taken as none" in log
    assert "Traceback" not in log


def test_a_feed_holds_its_newest_articles_up_to_its_byte_budget(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """SERVE_MAX_FEED_BYTES: the newest articles that fit, always one; the cut is logged, naming the feed."""
    args = fill_store("sqlite", tmp_path, request)
    big = "<p>" + "长" * 3000 + "</p>"  # 9 KB of UTF-8 each
    write_more("sqlite", tmp_path, request, *(article(n, content_html=big, content_text="长" * 3000)
                                              for n in range(1, 26)))
    with serve_process(tmp_path, *args, "-s", "SERVE_MAX_FEED_BYTES=50000") as served:
        reply = served.get("/qutoutiao.json?limit=25")
        assert reply.status == 200 and len(reply.body) <= 50000
        titles = [item["title"] for item in json.loads(reply.body)["items"]]
        assert 0 < len(titles) < 25 and titles == [f"标题 {n}" for n in range(1, len(titles) + 1)]
        for path in ("/qutoutiao/1", "/qutoutiao/1.atom"):  # RSS and Atom escape the markup: still bounded
            assert len(served.get(path + "?limit=25").body) <= 50000
    log = served.log.read_text(encoding="utf-8")
    assert re.search(rf"Feed qutoutiao \(json, limit 25\): {25 - len(titles)} of 25 articles left out, past "
                     r"SERVE_MAX_FEED_BYTES \(50000 bytes", log), log[-2000:]
    with serve_process(tmp_path, *args, "-s", "SERVE_MAX_FEED_BYTES=100") as served:
        one = json.loads(served.get("/qutoutiao.json").body)["items"]
        assert [item["title"] for item in one] == ["标题 1"]  # always one: a feed is never empty for size


def test_healthz_and_errors_answer_while_builds_wait(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """Builds share SERVE_MAX_BUILDS slots; a 404 or 400 needs none, and /healthz a thread of its own: neither
    waits behind a dozen builds stuck on the store (here, a writer's exclusive lock)."""
    import sqlite3
    import threading

    args = fill_store("sqlite", tmp_path, request)
    database = tmp_path / "store.sqlite3"
    with sqlite3.connect(database) as db:  # rollback journal: an exclusive lock stops every reader
        db.execute("PRAGMA journal_mode=DELETE")
    db.close()
    with serve_process(tmp_path, *args, "-s", "SERVE_MAX_BUILDS=1", "-s", "SERVE_QUERY_TIMEOUT=5") as served:
        lock = sqlite3.connect(database, isolation_level=None)
        lock.execute("BEGIN EXCLUSIVE")
        answered: list[int] = []
        clients = [threading.Thread(target=lambda n=n: answered.append(served.get(f"/qutoutiao?limit={n}").status))
                   for n in range(1, 13)]
        try:
            for client in clients:
                client.start()
            time.sleep(0.5)  # the twelve requests reach the server
            assert served.get("/qutoutiao/01").status == 404 and served.get("/qutoutiao?limit=0").status == 400
            assert answered == []  # the first build still waits for the lock
            health = served.get("/healthz")
            assert health.status == 503 and len(answered) <= 1  # its own thread: at most one build was done
        finally:
            lock.rollback()
            lock.close()
            for client in clients:
                client.join(timeout=120)
        assert len(answered) == 12 and set(answered) <= {200, 503}
        assert served.get("/healthz").status == 200


def test_slow_clients_are_bounded(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """A request head must arrive within SERVE_HEADER_TIMEOUT (a byte now and then does not keep it open),
    and connections past SERVE_MAX_CONNECTIONS are closed at once."""
    args = fill_store("sqlite", tmp_path, request)
    with serve_process(tmp_path, *args, "-s", "SERVE_HEADER_TIMEOUT=1", "-s", "SERVE_MAX_CONNECTIONS=4") as served:
        with socket.create_connection(("127.0.0.1", served.port), timeout=30) as slow:
            slow.sendall(b"GET /qutoutiao HTTP/1.1\r\nHost: x\r\n")
            closed = False
            for _ in range(40):  # 12 s of a header byte every 0.3 s: well inside the 60 s idle timeout
                try:
                    slow.sendall(b"X")
                except OSError:
                    closed = True
                    break
                time.sleep(0.3)
            assert closed or slow.recv(100) == b"", "the slow head was never cut"
        # A kept-alive connection between requests is not on the head's clock until a byte comes.
        with socket.create_connection(("127.0.0.1", served.port), timeout=30) as kept:
            kept.sendall(b"GET /qutoutiao?limit=1 HTTP/1.1\r\nHost: x\r\n\r\n")
            assert kept.recv(100).startswith(b"HTTP/1.1 200 OK")
        held = [socket.create_connection(("127.0.0.1", served.port), timeout=30) for _ in range(4)]
        try:
            time.sleep(0.3)  # the four are accepted
            assert raw(served, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n") == b""  # the fifth: closed
        finally:
            for connection in held:
                connection.close()
        time.sleep(0.3)
        assert served.get("/healthz").status == 200
    assert "Refused a connection" in served.log.read_text(encoding="utf-8")


def test_a_client_that_does_not_read_holds_no_copy_of_a_large_feed(tmp_path: Path,
                                                                   request: pytest.FixtureRequest) -> None:
    """A large body goes out through a producer over the cached bytes: twenty clients that ask and never read
    add little to the server's memory, where each held a copy of the 5 MB feed before."""
    args = fill_store("sqlite", tmp_path, request)
    big = "<p>" + "長" * 70000 + "</p>"  # 210 KB each, 25 articles
    write_more("sqlite", tmp_path, request, *(article(n, content_html=big) for n in range(1, 26)))
    with serve_process(tmp_path, *args) as served:
        whole = served.get("/qutoutiao.json?limit=25")
        assert whole.status == 200 and len(whole.body) > 5_000_000
        assert len(json.loads(whole.body)["items"]) == 25

        def rss() -> int:
            status = Path(f"/proc/{served.pid}/status").read_text()
            return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) * 1024

        before = rss()
        stalled = []
        for _ in range(20):
            connection = socket.socket()
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            connection.connect(("127.0.0.1", served.port))
            connection.sendall(b"GET /qutoutiao.json?limit=25 HTTP/1.1\r\nHost: x\r\n\r\n")
            stalled.append(connection)
        try:
            assert served.get("/qutoutiao.json?limit=25").body == whole.body  # others are served meanwhile
            grown = rss() - before
            assert grown < 30_000_000, f"{grown} bytes more for 20 stalled clients of a {len(whole.body)}-byte feed"
        finally:
            for connection in stalled:
                connection.close()
