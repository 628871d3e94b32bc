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
    # ... or a key of PIECE_BODIES, or amp_flood, or a key of UNDECODABLE


GOOD_ENTRIES = ("990001", "990002", "990003")
CASES: tuple[HostileCase, ...] = (
    HostileCase("990101", {"cover": "http://static.1sapp.com/one.jpeg"}, "stored"),
    HostileCase("990102", {"cover": 5}, "stored", "qutoutiao/listing/coerced/covers"),
    HostileCase("990103", {"tag": {"k": "v"}, "title": ["a", "list"]}, "stored", "qutoutiao/listing/coerced/tags"),
    HostileCase("990104", {"publish_time": float("nan")}, "stored", "qutoutiao/listing/coerced/published_at/out_of_range"),
    HostileCase("990105", {"publish_time": float("inf"), "show_time": 1e20}, "stored",
                "qutoutiao/listing/coerced/published_at/out_of_range"),
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
    HostileCase("990304", {}, "lost", "urllength/request_ignored_count", page="long_url"),  # Scrapy's own
    HostileCase("990305", {}, "lost", "qutoutiao/detail/error/too_large", page="huge"),  # 6 MiB, plainly sent
    # Declared charsets no browser reads (CHARSET_PAGES below): each page is read whole anyway.
    HostileCase("990601", {}, "stored", "charset/unusable", page="charset_idna"),
    HostileCase("990602", {}, "stored", "charset/unusable", page="charset_rot13"),
    HostileCase("990603", {}, "stored", "charset/unusable", page="charset_meta_idna"),
    HostileCase("990604", {}, "stored", "charset/unusable", page="charset_unicode_escape"),
    # Covers a post's headimg, a feed's image would carry: http(s) only, and inert in any quoting.
    HostileCase("990701", {"cover": ["javascript:alert(1)", "http://static.1sapp.com/ok.jpeg"]}, "stored",
                "qutoutiao/listing/coerced/covers"),
    HostileCase("990702", {"cover": "data:image/svg+xml,<svg onload=alert(1)>"}, "stored",
                "qutoutiao/listing/coerced/covers"),
    HostileCase("990703", {"cover": "//static.1sapp.com/relative.jpeg"}, "stored"),
    HostileCase("990704", {"cover": "http://static.1sapp.com/q.jpeg' onerror='alert(1)\" x=\"(y)"}, "stored"),
    HostileCase("990705", {"cover": ["http://[oops/x.jpeg", " "]}, "stored", "qutoutiao/listing/coerced/covers"),
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


# --- Issue 17: one bad piece costs only itself; the stored-body cap; two ids, one URL ------------
# Pages whose body (or head) holds one unusable piece: the piece goes, the article is stored.
PIECE_BODIES = {
    "bad_urls": ('<p>坏链接<a href="http://[oops">留下的文字</a>之后</p>'
                 '<p>坏图<img src="http://[1.2.3]/a.png">好图<img src="good.jpeg"></p>'
                 '<p><a href="http://html2.qktoutiao.com:99999/x">端口越界</a><a href="more.html">更多</a></p>'),
    "control_chars": ('<p><a href=" &#14;javascript:alert(6)">控制字符链接</a>'
                      '<img alt="图&#14;说" src="http://static.1sapp.com/ok.png"></p><p>正文&#27;里的&#1;字符</p>'),
    "bad_base": '<p>相对地址<a href="more.html">更多</a><img src="pic.jpeg"></p>',
}
# 2 MB of '&': 10 MB of '&amp;' once cleaned, over MAX_BODY_BYTES. (The 4.5 MB, cleaned to 22.5 MB
# and past MongoDB's 16 MB limit, would take this crawl past the memory bound its gzip-bomb test holds.)
AMP_FLOOD = 2_000_000
PIECE_HEADS = {"bad_base": '<base href="http://[x">'}
DUPLICATE_URL = ("http://html2.qktoutiao.com/detail/hostile/990001.html?content_id=990001&key=relisted"
                 "&pv_id=%7BOTHER%7D&cid=99")
CASES += (
    HostileCase("990501", {}, "stored", "body/dropped/bad_url", page="bad_urls"),
    HostileCase("990502", {}, "stored", "body/dropped/control_char", page="control_chars"),
    HostileCase("990503", {}, "stored", "qutoutiao/detail/bad_base", page="bad_base"),
    HostileCase("990504", {}, "dropped", "body/too_large", page="amp_flood"),
    # Another id listed with 990001's URL (the same canonical URL): stored under its own id.
    HostileCase("990505", {"url": DUPLICATE_URL}, "stored"),
)


def head_of(page: str) -> str:
    """Markup the page's ``<head>`` holds besides its usual tags."""
    return PIECE_HEADS.get(page, "")


def path_of(case_sid: str, page: str) -> str:
    return LONG_PATH if page == "long_url" else f"/detail/hostile/{case_sid}.html"


def body_of(page: str) -> str:
    """The ``div.content`` inner HTML of each kind of page."""
    if page in READER_BODIES:
        return READER_BODIES[page]
    if page in PIECE_BODIES:
        return PIECE_BODIES[page]
    if page == "amp_flood":
        return "<p>" + "&" * AMP_FLOOD + "</p>"
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


# --- Text that the programs reading our exports would run ----------------------------------------
# Ordinary articles, stored as they are, whose title, tags, author or body hold what Hexo (its
# Nunjucks tags, then marked and its own filters), a YAML reader or a feed reader would act on.
# tests/test_hexo_real.py renders their Hexo posts with the real `hexo generate` and reads the
# feeds with feedparser. The template payload writes CODE_MARKER into the folder of whatever
# runs it: the file must never appear.
CODE_MARKER = "newscrawler-code-ran"
RUN_CODE = ("{{ range.constructor(\"return global.process.mainModule.require('fs')"
            ".writeFileSync('" + CODE_MARKER + "', '1')\")() }}")
TRACKER = "http://tracker.example/p.png"
READER_BODIES = {
    "nunjucks": (
        f"<p>{RUN_CODE}</p><p>{{% if true %}}条件{{% endif %}}</p><p>{{# 注释 #}}留下</p>"
        '<p><a href="http://html2.qktoutiao.com/q?a={{7*7}}" title="{% if 1 %}x{% endif %}">链接{# #}</a></p>'
    ),
    # Hexo's tag plugins, and a raw block closed twice (a Nunjucks error fails the whole site).
    "nunjucks_tags": (
        "<p>{% raw %}原样{% endraw %}{% endraw %}{{ page.title }}</p><p>{% include_code x lang:js /etc/hostname %}</p>"
        "<p>{% post_link 2021-07-08-qutoutiao-990001 %}{% asset_img x.png %}{% pullquote %}引{% endpullquote %}</p>"
    ),
    # Blank lines inside text: after one, marked would read the rest as Markdown.
    "markdown": (
        "<p>第一段\n\n[点击领取红包](javascript:alert(document.cookie))\n\n"
        f"![]({TRACKER})\n\n&lt;http://autolink.example/&gt;\n\n# 标题\n\n* 列表\n\n    缩进的代码\n\n"
        "[ref]: javascript:alert(2)\n\n| a | b |\n|---|---|\n| 1 | 2 |</p>"
        "<pre>代码\n\n[链接](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)\n</pre>"
    ),
    # Code fences: Hexo's backtick filter highlights them before anything else runs.
    "fences": (
        "<pre>\n```js\nvar a = '{{ 1 }}';\n```\n</pre><p>~~~\n围栏\n~~~</p><p>`{{ 行内 }}` ``两个`` ```</p>"
    ),
    # Hexo's own markers: the excerpt break, its placeholders, and an attribute that its
    # external-link filter would take for the link's own href.
    "hexo_markers": (
        "<p>&lt;!-- more --&gt;</p><!-- more --><p>前&lt;!--code\ufffc0--&gt;中&lt;!--swig\ufffc0--&gt;"
        "后&lt;!--comment\ufffc0--&gt;</p><p>&lt;hexoPostRenderCodeBlock&gt;块&lt;/hexoPostRenderCodeBlock&gt;</p>"
        "<p><a title=\"x href='http://evil.example/' onmouseover='alert(7)' \" "
        "href=\"http://html2.qktoutiao.com/more.html\">更多</a></p>"
    ),
}
READER_CASES: tuple[HostileCase, ...] = (
    HostileCase("990401", {"title": "模板 " + RUN_CODE, "tag": ["{{ 7*7 }}", "{% raw %}"],
                           "source_name": "{# 作者 #}{% if 1 %}"}, "stored", page="nunjucks"),
    HostileCase("990402", {"title": "{% endraw %}{% include_code x /etc/hostname %}"}, "stored", page="nunjucks_tags"),
    HostileCase("990403", {"title": "[点击领取红包](javascript:alert(1)) ![](" + TRACKER + ")"}, "stored",
                page="markdown"),
    HostileCase("990404", {"title": "```js", "tag": ["`code`"]}, "stored", page="fences"),
    HostileCase("990405", {"title": "<!-- more --> 摘要"}, "stored", page="hexo_markers"),
    # Front matter (YAML, and Hexo's own front-matter split) and feed XML delimiters.
    HostileCase("990406", {"title": "---"}, "stored"),
    HostileCase("990407", {"title": ";;;"}, "stored"),
    HostileCase("990408", {"title": "title: 'x' \"y\" # z --- ;;; & *a !b | > % @ `"}, "stored"),
    HostileCase("990409", {"title": "]]> </title></description><script>alert(1)</script> &amp; &#0; \x0b",
                           "tag": ["]]>", "</category><x>"], "source_name": "</author>]]><b>作者</b>"}, "stored"),
)
CASES = CASES + READER_CASES


# --- Bodies that do not decompress as their Content-Encoding says ------------------------------
# Page kind: (the Content-Encoding sent, what is sent under it). "plain": the page's own HTML,
# uncompressed (a CMS that labels what it did not compress); "cut": its gzip stream cut after 8
# bytes. Each decoder fails in its own way: zlib.error, BadGzipFile, EOFError, brotli.error, ZstdError.
UNDECODABLE: dict[str, tuple[str, str]] = {
    "undecodable_deflate": ("deflate", "plain"),
    "undecodable_gzip": ("gzip", "plain"),
    "undecodable_gzip_cut": ("gzip", "cut"),
    "undecodable_br": ("br", "plain"),
    "undecodable_zstd": ("zstd", "plain"),
}
# Appended last: a crawl of this channel with a listing limit of 50 (the Hexo and body-cap tests') ends before them.
CASES += tuple(
    HostileCase(f"9908{n:02d}", {}, "lost", "qutoutiao/detail/error/undecodable", page=page)
    for n, page in enumerate(UNDECODABLE, start=1)
)


def undecodable_body(page: str, html: bytes) -> tuple[str, bytes]:
    """(Content-Encoding, body) of an UNDECODABLE page whose HTML is ``html``."""
    encoding, kind = UNDECODABLE[page]
    return encoding, gzip.compress(html, mtime=0)[:8] if kind == "cut" else html
