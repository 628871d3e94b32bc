"""人人都是产品经理: the ``/__api/v1/stream-list`` JSON API (then ``/page/N``) and its article pages.

Entries carry ``id``, ``title``, ``permalink``, ``date`` (``YYYY/MM/DD``, a
Beijing date) and, when the author is known, ``author.name``. Older pages hold
the body in ``.grap``, newer ones in ``.article--content``; images are lazy
(``data-original``).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from newscrawler.replica.served import BEIJING, Ask, Published, Reply, digest, html_page, not_found, rng

HOST = "www.woshipm.com"
LIST_URL = "http://www.woshipm.com/__api/v1/stream-list"
LIST_PATH = re.compile(r"^/__api/v1/stream-list(?:/page/(\d+))?/?$")
ARTICLE_PATH = re.compile(r"^/([a-z]+)/(\d+)\.html$")
HOSTILE_PATH = re.compile(r"^/__api/v1/hostile/([a-z-]+)(?:/page/(\d+))?/?$")
BASE_ID = 900000
NEWEST = datetime(2018, 3, 19, 10, 59, tzinfo=BEIJING)
PLACEHOLDER = "http://www.woshipm.com/wp-content/themes/wpdx/images/grey.gif"
JSON_TYPE = "application/json; charset=utf-8"

CATEGORIES = {"pmd": "产品设计", "operate": "运营", "it": "业界动态", "pd": "产品经理", "marketing": "营销推广",
              "ucd": "交互体验", "rp": "原型设计"}
SUBJECTS = ["用户增长", "需求分析", "B端产品", "用户体验", "数据分析", "竞品分析", "社区运营", "会员体系", "内容推荐", "SaaS"]
FORMS = ["从0到1搭建{s}：{a}", "{n}个关于{s}的{a}", "{s}实战：{a}", "聊聊{s}背后的{a}", "产品经理如何做好{s}"]
ASPECTS = ["方法论", "避坑指南", "底层逻辑", "设计思路", "复盘总结", "常见误区"]
SENTENCES = [
    "在做需求之前，先要搞清楚用户真正想解决的问题是什么。", "这里的关键是找到业务目标和用户价值的交集。",
    "我们用一张流程图把整个链路梳理了一遍。", "数据显示，改版之后次日留存提升了三个百分点。",
    "很多产品经理会把功能堆砌当成解决方案，这是不对的。", "下面分三个部分展开：背景、方案和结果。",
    "如果你也在做类似的产品，欢迎在评论区交流。", "本文由 @作者 原创发布于人人都是产品经理，未经许可，禁止转载。",
]
AUTHORS = ["老秦", "Nathan", "雷宇", "木木老贼", "三爷", "Ada", "野生产品汪", "晨曦"]


@dataclass(frozen=True)
class BadEntry:
    """An entry of the hostile ``fields`` listing; ``outcome``: stored (field ignored) or invalid (dropped)."""

    sid: str
    fields: dict[str, Any]
    outcome: str
    why: str


HOSTILE_GOOD = ("9900001", "9900002", "9900003", "9900004", "9900005")
HOSTILE_ENTRIES = (
    BadEntry("9900101", {"id": {"$oid": "9900101"}}, "invalid", "id is an object"),
    BadEntry("9900102", {"id": True}, "invalid", "id is a boolean"),
    BadEntry("9900103", {"id": 9900103.5}, "invalid", "id is a fraction"),
    BadEntry("9900104", {"id": None}, "invalid", "id is null"),
    BadEntry("9900105", {"title": ["一个", "列表"]}, "stored", "title is a list (the page has the title)"),
    BadEntry("9900106", {"permalink": "javascript:alert(1)"}, "invalid", "permalink is javascript:"),
    BadEntry("9900107", {"permalink": "http://127.0.0.1:{port}/pmd/9900107.html"}, "invalid", "permalink is 127.0.0.1"),
    BadEntry("9900108", {"permalink": ["http://www.woshipm.com/pmd/9900108.html"]}, "invalid", "permalink is a list"),
    BadEntry("9900109", {"date": "2018/13/45"}, "stored", "date is no date (the page has one)"),
    BadEntry("9900110", {"date": 1521428340}, "stored", "date is a number"),
    BadEntry("9900111", {"date": {"y": 2018}}, "stored", "date is an object"),
    BadEntry("9900112", {"author": "老秦"}, "stored", "author is a string"),
    BadEntry("9900113", {"author": {"name": ["老", "秦"]}}, "stored", "author.name is a list"),
    BadEntry("9900114", {"author": None, "snipper": {"html": "<script>alert(1)</script>"}}, "stored",
             "author is null, snipper an object"),
    BadEntry("9900115", {"date": "2099/01/01"}, "stored", "date in the future (the page has the real one)"),
)
HOSTILE_DOCUMENTS = {
    "fields": "good entries among entries with fields of the wrong type (see woshipm.HOSTILE_ENTRIES)",
    "payload-object": "payload is an object, not a list",
    "payload-string": "payload is a string",
    "not-json": "an HTML error page sent as application/json",
    "truncated": "a JSON document cut short",
    "deep": "an entry nested 100,000 lists deep",
    "wrong-type": "a good listing sent as text/html (must still be read)",
}


class Woshipm:
    """The JSON stream: ``pages`` pages of ``per_page`` entries, newest first, then an empty ``payload``."""

    name = "woshipm"
    hosts = (HOST,)

    def __init__(self, pages: int, per_page: int, seed: int, hostile: bool) -> None:
        self.pages, self.per_page, self.seed, self.hostile = max(0, pages), max(1, per_page), seed, hostile
        self.total = self.pages * self.per_page
        self.article = lru_cache(maxsize=4096)(self._article)

    # --- the articles ----------------------------------------------------
    def native_id(self, position: int) -> int:
        """Ids count up with time, three apart at most (other kinds of posts take the rest)."""
        return BASE_ID + (self.total - 1 - position) * 3 + int(digest(self.seed, position)[:2], 16) % 3

    def position(self, native_id: int) -> int | None:
        position = self.total - 1 - (native_id - BASE_ID) // 3
        return position if 0 <= position < self.total and self.native_id(position) == native_id else None

    def _article(self, position: int) -> Published:
        native_id = self.native_id(position)
        r = rng(self.seed, self.name, native_id)
        published = NEWEST - timedelta(minutes=97 * position + r.randrange(60))
        category = r.choice(sorted(CATEGORIES))
        title = r.choice(FORMS).format(s=r.choice(SUBJECTS), a=r.choice(ASPECTS), n=r.randrange(3, 12))
        author = None if native_id % 5 == 0 else r.choice(AUTHORS)
        return Published(self.name, str(native_id), f"http://{HOST}/{category}/{native_id}.html", title, published,
                         author, precision="day")  # one stream, no channels; the category is in the URL

    def articles(self) -> Iterator[Published]:
        for position in range(self.total):
            yield self.article(position)

    def hostile_articles(self) -> Iterator[Published]:
        """Articles of the hostile ``fields`` listing whose entries a crawl can keep."""
        if self.hostile:
            for sid in HOSTILE_GOOD + tuple(e.sid for e in HOSTILE_ENTRIES if e.outcome == "stored"):
                yield self._hostile_article(sid)

    def _hostile_article(self, sid: str) -> Published:
        published = NEWEST - timedelta(days=2, minutes=int(sid) % 300)
        return Published(self.name, sid, f"http://{HOST}/pmd/{sid}.html", f"恶意列表里的好文章 {sid}", published,
                         "老秦", precision="day")

    # --- serving ---------------------------------------------------------
    def reply(self, ask: Ask) -> Reply | None:
        if match := LIST_PATH.match(ask.path):
            page = int(match[1] or 1)
            return json_reply(self.listing_document(page) if page >= 1 else {"code": 404, "message": "页面不存在"},
                              200 if page >= 1 else 404)
        if match := ARTICLE_PATH.match(ask.path):
            article = self.lookup(int(match[2]))
            if article is None or not article.url.endswith(ask.path):
                return not_found()
            position = self.position(int(article.native_id))  # None: a hostile listing's article, new style
            newer = position is None or position < self.total // 2
            return html_page(article_page(article, self.body(article), newer))
        if self.hostile and (match := HOSTILE_PATH.match(ask.path)):
            return self.hostile_reply(match[1], int(match[2] or 1), ask)
        return None

    def lookup(self, native_id: int) -> Published | None:
        position = self.position(native_id)
        if position is not None:
            return self.article(position)
        if self.hostile and (str(native_id) in HOSTILE_GOOD or any(e.sid == str(native_id) for e in HOSTILE_ENTRIES)):
            return self._hostile_article(str(native_id))
        return None

    def listing_document(self, page: int) -> dict[str, Any]:
        start = (page - 1) * self.per_page
        payload = [entry(self.article(p), self.seed) for p in range(start, min(start + self.per_page, self.total))]
        return {"code": 200, "message": "success", "payload": payload}

    def body(self, article: Published) -> str:
        """Paragraphs, lazy images (real URL in ``data-original``), a plain and a protocol-relative image."""
        r = rng(self.seed, "woshipm-body", article.native_id)
        month = article.published.astimezone(BEIJING).strftime("%Y/%m")
        pictures = [f"http://image.woshipm.com/wp-files/{month}/{digest(article.native_id, n)[:20]}.png" for n in range(3)]
        paragraphs = [f"<p>{''.join(r.sample(SENTENCES, 2))}</p>" for _ in range(4)]
        return (
            f"{paragraphs[0]}<h2>一、{r.choice(ASPECTS)}</h2>{paragraphs[1]}"
            f'<p><img class="aligncenter" src="{PLACEHOLDER}" data-original="{pictures[0]}" alt="" width="800" height="450" /></p>'
            f"{paragraphs[2]}"
            f'<p><img class="aligncenter" src="{PLACEHOLDER}" data-original="{pictures[1]}" alt="" /></p>'
            f'<p><img src="{pictures[2].removeprefix("http:")}" alt="流程图" /></p>'
            f"<blockquote><p>{r.choice(SENTENCES)}</p></blockquote>{paragraphs[3]}"
            f'<p>题图来自 <a href="https://unsplash.com/" target="_blank" rel="nofollow">Unsplash</a>，基于 CC0 协议</p>'
        )

    # --- hostile ---------------------------------------------------------
    def hostile_reply(self, case: str, page: int, ask: Ask) -> Reply:
        if case not in HOSTILE_DOCUMENTS:
            return not_found()
        if page > 1:
            return json_reply({"code": 200, "message": "success", "payload": []})
        good = [entry(self._hostile_article(sid), self.seed) for sid in HOSTILE_GOOD]
        if case == "fields":
            bad = []
            for case_entry in HOSTILE_ENTRIES:
                fields = entry(self._hostile_article(case_entry.sid), self.seed)
                for key, value in case_entry.fields.items():
                    fields[key] = value.format(port=ask.port) if isinstance(value, str) else value
                bad.append(fields)
            payload: list[dict[str, Any]] = []
            for index, item in enumerate(bad):  # good entries among the bad ones
                payload += [item, good[index]] if index < len(good) else [item]
            return json_reply({"code": 200, "message": "success", "payload": payload})
        if case == "payload-object":
            return json_reply({"code": 200, "message": "success", "payload": dict(enumerate(good))})
        if case == "payload-string":
            return json_reply({"code": 200, "message": "success", "payload": "服务器繁忙，请稍后再试"})
        if case == "not-json":
            return Reply(200, JSON_TYPE, b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>")
        if case == "truncated":
            text = json.dumps({"code": 200, "message": "success", "payload": good}, ensure_ascii=False).encode()
            return Reply(200, JSON_TYPE, text[: len(text) * 2 // 3])
        if case == "deep":
            depth = 100_000
            deep = '{"code": 200, "message": "success", "payload": [%s, {"id": 9900199, "snipper": %s%s}]}' % (
                json.dumps(good[0], ensure_ascii=False), "[" * depth, "]" * depth)
            return Reply(200, JSON_TYPE, deep.encode())
        # wrong-type: a good listing, as text/html
        body = json.dumps({"code": 200, "message": "success", "payload": good}, ensure_ascii=False).encode()
        return Reply(200, "text/html; charset=utf-8", body)

    def describe(self) -> list[str]:
        lines = [f"woshipm: {LIST_URL} then /page/N, {self.pages} pages x {self.per_page} entries = {self.total},"
                 " then an empty payload"]
        if self.hostile:
            lines += [f"  hostile json: {LIST_URL.replace('stream-list', 'hostile/' + case)}: {what}"
                      for case, what in HOSTILE_DOCUMENTS.items()]
            lines += [f"    entry {e.sid}: {e.why} -> {e.outcome}" for e in HOSTILE_ENTRIES]
        return lines


def entry(article: Published, seed: int) -> dict[str, Any]:
    """One ``payload`` entry as the API sent it."""
    r = rng(seed, "woshipm-entry", article.native_id)
    native_id = int(article.native_id)
    views = r.randrange(300, 40000)
    item: dict[str, Any] = {
        "id": native_id,
        "title": article.title,
        "permalink": article.url,
        "date": article.published.astimezone(BEIJING).strftime("%Y/%m/%d"),
        "snipper": f"{r.choice(SENTENCES)}{r.choice(SENTENCES)}",
        "image": f"http://image.woshipm.com/wp-files/{article.published.astimezone(BEIJING):%Y/%m}/{digest(native_id)[:20]}.jpg!480",
        "view": f"{views / 1000:.1f}k" if views >= 1000 else str(views),
        "comment": r.randrange(0, 40),
        "like": r.randrange(0, 300),
        "cat": {"name": CATEGORIES[article.url.split("/")[3]], "slug": article.url.split("/")[3]},
    }
    if article.author is not None:
        item["author"] = {"id": int(digest(article.author)[:5], 16), "name": article.author,
                          "avatar": f"http://image.woshipm.com/avatar/{digest(article.author)[:12]}.png",
                          "permalink": f"http://www.woshipm.com/u/{int(digest(article.author)[:5], 16)}"}
    return item


def json_reply(document: dict[str, Any], status: int = 200) -> Reply:
    return Reply(status, JSON_TYPE, json.dumps(document, ensure_ascii=False).encode())


def article_page(article: Published, body: str, newer: bool) -> str:
    title = html.escape(article.title)
    author = html.escape(article.author or "人人都是产品经理")
    day = article.published.astimezone(BEIJING).strftime("%Y-%m-%d")
    if newer:
        main = f"""<div class="article--wrapper"><div class="article--header"><h1 class="article--title">{title}</h1>
<div class="article--meta"><a class="author" href="http://www.woshipm.com/u/1">{author}</a><time>{day}</time>
<span class="view">阅读 2.3k</span></div></div>
<div class="article--content">{body}</div>
<div class="article--footer"><div class="support-author"><a class="btn" href="javascript:;" onclick="reward()">赞赏</a></div></div></div>"""
    else:
        main = f"""<div class="content"><article class="post"><header><h2 class="article-title">{title}</h2>
<div class="postMeta"><span class="author">{author}</span><time>{day}</time></div></header>
<div class="grap">{body}</div>
<div class="support-author"><a class="btn" href="javascript:;" onclick="reward()">赞赏</a></div></article></div>"""
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="UTF-8">
<title>{title} | 人人都是产品经理</title>
<script src="http://www.woshipm.com/wp-content/themes/wpdx/js/jquery.lazyload.min.js"></script>
<script>var _hmt = _hmt || [];</script>
</head><body>
<header class="site-header"><a class="logo" href="http://www.woshipm.com/">人人都是产品经理</a>
<nav><a href="http://www.woshipm.com/category/pmd">产品设计</a><a href="http://www.woshipm.com/category/operate">运营</a></nav></header>
{main}
<aside class="sidebar"><div class="widget"><h3>热门文章</h3><ul><li><a href="http://www.woshipm.com/pmd/1.html">产品经理入门</a></li></ul></div></aside>
<div class="comment-area" id="comments"><p>登录后才能评论</p></div>
<script>$("img").lazyload({{effect: "fadeIn"}});</script>
</body></html>
"""
