"""The replica's hostile channel: entries and pages an attacker (or a broken CMS) serves.

Served only when ``ReplicaConfig(hostile=True)``: one listing page on channel
``HOSTILE_CHANNEL`` mixing good entries, entries with fields of every wrong
kind, and pages that try to stall, crash or steer the crawler. ``CASES``
says what a crawl must do with each.
"""

from __future__ import annotations

import gzip
import io
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

HOSTILE_CHANNEL = 99
LISTING_PATH = "/content/outList"
# Over Scrapy's URLLENGTH_LIMIT (2083).
LONG_PATH = "/detail/long/" + "x" * 2100 + ".html"
BOMB_INFLATED = 256 * 1024 * 1024  # bytes of zeros behind a ~250 KiB gzip body


@dataclass(frozen=True)
class HostileCase:
    """One listing entry. ``outcome``: stored | invalid | dropped | refused | lost (with ``stat``)."""

    sid: str
    listing: dict[str, Any]  # fields that replace the good entry's
    outcome: str
    stat: str = ""
    page: str = "ok"  # ok | nested | deep | meta_refresh | base_href | moved | private | loop | bomb | long_url | huge


GOOD_ENTRIES = ("990001", "990002", "990003")
CASES: tuple[HostileCase, ...] = (
    HostileCase("990101", {"cover": "http://static.1sapp.com/one.jpeg"}, "stored"),
    HostileCase("990102", {"cover": 5}, "stored", "qutoutiao/listing/coerced/cover"),
    HostileCase("990103", {"tag": {"k": "v"}, "title": ["a", "list"]}, "stored", "qutoutiao/listing/coerced/tag"),
    HostileCase("990104", {"publish_time": float("nan")}, "stored", "qutoutiao/listing/coerced/publish_time"),
    HostileCase("990105", {"publish_time": float("inf"), "show_time": 1e20}, "stored",
                "qutoutiao/listing/coerced/show_time"),
    HostileCase("990106", {"title": "标题\ud800带孤立代理\x00", "tag": ["\udfff标签"]}, "stored"),
    HostileCase("990107", {"id": True}, "invalid", "qutoutiao/listing/invalid/id"),
    HostileCase("990108", {"id": {"a": 1}}, "invalid", "qutoutiao/listing/invalid/id"),
    HostileCase("990109", {"id": "&nbsp;"}, "invalid", "qutoutiao/listing/invalid/id"),
    HostileCase("990110", {"url": "javascript:alert(1)"}, "invalid", "qutoutiao/listing/invalid/url"),
    HostileCase("990111", {"id": "990111&amp;x"}, "stored"),  # stored as "990111&x", id and source_id agree
    HostileCase("990201", {}, "stored", page="nested"),  # 400 unclosed <span>: whole with huge_tree
    HostileCase("990202", {}, "dropped", "body/unparseable", page="deep"),  # past even huge_tree's depth
    HostileCase("990203", {}, "stored", page="meta_refresh"),
    HostileCase("990204", {}, "stored", page="base_href"),
    HostileCase("990205", {}, "stored", page="moved"),  # 301 to another folder: URLs resolve there
    HostileCase("990301", {}, "refused", "qutoutiao/detail/error/private_host", page="private"),
    HostileCase("990302", {}, "lost", "qutoutiao/detail/error/redirect_loop", page="loop"),
    HostileCase("990303", {}, "lost", "qutoutiao/detail/error/too_large", page="bomb"),
    HostileCase("990304", {}, "lost", "qutoutiao/detail/error/url_too_long", page="long_url"),
    HostileCase("990305", {}, "lost", "qutoutiao/detail/error/too_large", page="huge"),  # 6 MiB, plainly sent
    # Declared charsets no browser reads (CHARSET_PAGES below): each page is read whole anyway.
    HostileCase("990401", {}, "stored", "charset/unusable", page="charset_idna"),
    HostileCase("990402", {}, "stored", "charset/unusable", page="charset_rot13"),
    HostileCase("990403", {}, "stored", "charset/unusable", page="charset_meta_idna"),
    HostileCase("990404", {}, "stored", "charset/unusable", page="charset_unicode_escape"),
)

# --- Declared charsets no browser reads ---------------------------------------------------
# Page kind: (Content-Type charset, or None for none; <meta> charset, or None; the body's
# real encoding). Python has codecs for these labels, browsers do not.
CHARSET_PAGES: dict[str, tuple[str | None, str | None, str]] = {
    "charset_idna": ("idna", "utf-8", "utf-8"),  # refuses errors="replace": the page was lost
    "charset_rot13": ("rot13", "gbk", "gbk"),  # not a text encoding at all; the <meta> is right
    "charset_meta_idna": (None, "idna", "utf-8"),  # only the <meta> declares, unusably
    "charset_unicode_escape": ("unicode-escape", None, "utf-8"),  # decoded without error, into mojibake
}
CHARSET_TEXT = "声明的字符集浏览器不认，正文照样完好。"


def charset_fields(page: str) -> dict[str, Any]:
    """ReplicaArticle fields of a CHARSET_PAGES page ({} for any other page)."""
    if page not in CHARSET_PAGES:
        return {}
    header, meta, encoding = CHARSET_PAGES[page]
    return {"charset": encoding, "header_charset": header is not None, "header_label": header, "meta_label": meta}


def path_of(case_sid: str, page: str) -> str:
    return LONG_PATH if page == "long_url" else f"/detail/hostile/{case_sid}.html"


def body_of(page: str) -> str:
    """The ``div.content`` inner HTML of each kind of page."""
    if page == "nested":
        return "<p>开头</p>" + "<span>" * 400 + "深处的文字" + "<p>结尾的段落</p>"
    if page == "deep":
        return "<p>开头</p>" + "<div>" * 3000 + "太深了" + "</div>" * 3000 + "<p>结尾</p>"
    if page == "meta_refresh":
        return ('<meta http-equiv="refresh" content="0;url=http://html2.qktoutiao.com/detail/hostile/steered.html">'
                "<p>正文留在这里</p>")
    if page == "base_href":
        return '<base href="http://evil.example/"><p>正文<img src="pic.jpeg"></p><p><a href="more.html">更多</a></p>'
    if page == "moved":
        return '<p>搬家了<img src="pic.jpeg"></p>'
    if page in CHARSET_PAGES:
        return f"<p>{CHARSET_TEXT}</p>"
    if page == "huge":
        return "<p>" + "长" * (2 * 1024 * 1024) + "</p>"  # 6 MiB in UTF-8: over DOWNLOAD_MAXSIZE
    return "<p>普通的正文段落。</p>"


@lru_cache(maxsize=1)
def gzip_bomb() -> bytes:
    """BOMB_INFLATED zeros, gzip-compressed (made once; about 250 KiB)."""
    buffer = io.BytesIO()
    chunk = bytes(1024 * 1024)
    with gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=9) as stream:
        for _ in range(BOMB_INFLATED // len(chunk)):
            stream.write(chunk)
    return buffer.getvalue()
