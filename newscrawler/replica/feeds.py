"""One small blog on ``feeds.example.com``, served as every feed dialect ``scrapy crawl feed`` reads.

The same entries as RSS 0.91, RSS 0.92, RSS 1.0 (RDF), RSS 2.0 (``content:encoded``;
``/rss20-description.xml`` has only ``description``), Atom 1.0 (``content``;
``/atom-summary.xml`` has only ``summary``) and JSON Feed 1.1, each with its own
date format. RSS 0.91 and 0.92 items carry no date, guid or author (their specs
have none); the article pages do. ``?page=N`` pages a feed when
``ReplicaConfig.feed_per_page`` is set (next links in RSS 2.0, Atom and JSON Feed).
The blog's HTML archive lists the same posts as a Hexo theme does, ``ARCHIVE_PER_PAGE``
a page: ``/archives/``, then ``/archives/page/N/`` by its "下一页" link (README "Add a source"
writes a profile for it).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from email.utils import format_datetime
from functools import lru_cache

from newscrawler.replica import feed_attacks
from newscrawler.replica.served import BEIJING, Ask, Published, Reply, digest, html_page, not_found, pages_needed, rng

HOST = "feeds.example.com"
SITE = f"http://{HOST}/"
POST_PATH = re.compile(r"^/posts/(\d+)\.html$")
ARCHIVE_PATH = re.compile(r"^/archives/(?:page/(\d+)/)?$")
ARCHIVE_PER_PAGE = 10
NEWEST = datetime(2021, 7, 8, 18, 0, tzinfo=BEIJING)
TITLE = "示例博客"
DESCRIPTION = "一个写给 RSS 阅读器的博客"
TOPICS = ["Rust", "Python", "C++", "Scrapy", "RSS", "Linux", "SQLite", "Web"]
SENTENCES = ["这篇笔记记录了一次排查的全过程。", "先说结论：问题出在缓存失效的时机上。", "代码已经放在仓库里，欢迎试用。",
             "下面是复现步骤和最小的例子。", "如果你有更好的办法，欢迎来信讨论。", "写完之后才发现，文档里其实早就写了。"]
AUTHORS = ["张三", "李四", "Alice", "王五"]


def guid(native_id: str) -> str:
    """A tag URI (RFC 4151): the entry's id is not its URL."""
    return f"tag:{HOST},2021:post-{native_id}"


def x(text: str) -> str:
    """XML text and attribute values."""
    return html.escape(text, quote=True)


class Feeds:
    """``entries`` entries, newest first, in one document per dialect or ``per_page`` per page."""

    name = "feed"
    hosts = (HOST,)

    def __init__(self, entries: int, per_page: int, seed: int, hostile: bool) -> None:
        self.total, self.per_page, self.seed, self.hostile = max(0, entries), max(0, per_page), seed, hostile
        self.article = lru_cache(maxsize=4096)(self._article)
        self.dialects: dict[str, tuple[str, Callable[[list[Published], int, int], str]]] = {
            "/rss091.xml": ("application/rss+xml", self.rss091),
            "/rss092.xml": ("application/rss+xml", self.rss092),
            "/rss10.rdf": ("application/rdf+xml", self.rss10),
            "/rss20.xml": ("application/rss+xml", lambda e, p, n: self.rss20(e, p, n, full=True)),
            "/rss20-description.xml": ("application/rss+xml", lambda e, p, n: self.rss20(e, p, n, full=False)),
            "/atom.xml": ("application/atom+xml", lambda e, p, n: self.atom(e, p, n, full=True)),
            "/atom-summary.xml": ("application/atom+xml", lambda e, p, n: self.atom(e, p, n, full=False)),
            "/feed.json": ("application/feed+json", self.json_feed),
        }

    # --- the articles ----------------------------------------------------
    def _article(self, native_id: int) -> Published:
        r = rng(self.seed, self.name, native_id)
        position = self.total - native_id if native_id <= self.total else 0
        published = NEWEST - timedelta(minutes=211 * position + r.randrange(60))
        topic = r.choice(TOPICS)
        title = f"{topic} 笔记（{native_id}）：{r.choice(['缓存', '并发', '编码', '解析'])}" if native_id % 5 else \
            f"{topic} & <{r.choice(TOPICS)}>：当 \"引号\" 遇上 'XML'"
        return Published(self.name, str(native_id), f"{SITE}posts/{native_id}.html", title, published,
                         r.choice(AUTHORS), tags=tuple(r.sample(TOPICS, 2)))

    def articles(self) -> Iterator[Published]:
        for native_id in range(self.total, 0, -1):
            yield self.article(native_id)

    def hostile_articles(self) -> Iterator[Published]:
        """The good entries of the hostile feeds: a crawl must keep each of them."""
        if self.hostile:
            for native_id in feed_attacks.GOOD_IDS:
                yield self.article(native_id)

    def content(self, article: Published) -> str:
        """The entry's full HTML: paragraphs, a code sample, an absolute and a relative image."""
        r = rng(self.seed, "feed-body", article.native_id)
        return (
            f"<p>{r.choice(SENTENCES)}{r.choice(SENTENCES)}</p>"
            f'<p><img src="{SITE}images/{digest(article.native_id)[:12]}.png" alt="截图"></p>'
            f"<pre><code>if a &lt; b &amp;&amp; c:\n    print(&quot;ok&quot;)</code></pre>"
            f'<p>{r.choice(SENTENCES)}<img src="/images/{digest(article.native_id, "rel")[:12]}.jpg" alt="相对地址"></p>'
            f'<p>原文见 <a href="{article.url}">{x(article.title)}</a>。</p>'
        )

    def summary(self, article: Published) -> str:
        return rng(self.seed, "feed-body", article.native_id).choice(SENTENCES)

    # --- serving ---------------------------------------------------------
    def reply(self, ask: Ask) -> Reply | None:
        if ask.path in ("/", ""):
            return html_page(home_page(self.dialects))
        if ask.path in self.dialects:
            content_type, render = self.dialects[ask.path]
            try:
                page = int(ask.arg("page", "1"))
            except ValueError:
                return not_found()
            entries = self.page(page)
            pages = pages_needed(self.total, self.per_page) if self.per_page else 1
            return Reply(200, f"{content_type}; charset=utf-8", render(entries, page, pages).encode("utf-8"))
        if match := ARCHIVE_PATH.match(ask.path):
            return self.archive(int(match[1] or 1))
        if match := POST_PATH.match(ask.path):
            native_id = int(match[1])
            known = 1 <= native_id <= self.total or (self.hostile and native_id in feed_attacks.ARTICLE_IDS)
            if not known:
                return not_found()
            article = self.article(native_id)
            return html_page(post_page(article, self.content(article)))
        if self.hostile and ask.path.startswith("/hostile/"):
            return feed_attacks.reply(self, ask)
        return None

    def page(self, page: int) -> list[Published]:
        newest_first = range(self.total, 0, -1)
        if self.per_page:
            newest_first = newest_first[(page - 1) * self.per_page: page * self.per_page] if page >= 1 else range(0)
        elif page != 1:
            newest_first = range(0)
        return [self.article(n) for n in newest_first]

    def archive(self, page: int) -> Reply:
        """The HTML archive: newest first, ``ARCHIVE_PER_PAGE`` posts a page, a "下一页" link but on the last."""
        newest_first = range(self.total, 0, -1)[(page - 1) * ARCHIVE_PER_PAGE: page * ARCHIVE_PER_PAGE]
        if page < 1 or not newest_first:
            return not_found()
        following = f"/archives/page/{page + 1}/" if page * ARCHIVE_PER_PAGE < self.total else None
        return html_page(archive_page([self.article(n) for n in newest_first], following))

    def next_url(self, path: str, page: int, pages: int) -> str | None:
        return f"{SITE}{path.lstrip('/')}?page={page + 1}" if self.per_page and page < pages else None

    # --- dialects ----------------------------------------------------------
    def rss091(self, entries: list[Published], page: int, pages: int) -> str:
        items = "".join(
            f"<item><title>{x(a.title)}</title><link>{x(a.url)}</link>"
            f"<description>{x(self.content(a))}</description></item>\n" for a in entries
        )
        return (f'<?xml version="1.0" encoding="utf-8"?>\n<rss version="0.91"><channel>\n{channel_head()}'
                f"<language>zh-cn</language>\n{items}</channel></rss>\n")

    def rss092(self, entries: list[Published], page: int, pages: int) -> str:
        items = "".join(
            f"<item><title>{x(a.title)}</title><link>{x(a.url)}</link>"
            f"<description>{x(self.content(a))}</description>"
            + "".join(f"<category>{x(t)}</category>" for t in a.tags) + "</item>\n" for a in entries
        )
        return f'<?xml version="1.0" encoding="utf-8"?>\n<rss version="0.92"><channel>\n{channel_head()}{items}</channel></rss>\n'

    def rss10(self, entries: list[Published], page: int, pages: int) -> str:
        seq = "".join(f'<rdf:li rdf:resource="{x(a.url)}"/>' for a in entries)
        items = "".join(
            f'<item rdf:about="{x(a.url)}"><title>{x(a.title)}</title><link>{x(a.url)}</link>'
            f"<description>{x(self.summary(a))}</description>"
            f"<content:encoded>{x(self.content(a))}</content:encoded>"
            f"<dc:date>{a.published.isoformat(timespec='minutes')}</dc:date><dc:creator>{x(a.author or '')}</dc:creator>"
            + "".join(f"<dc:subject>{x(t)}</dc:subject>" for t in a.tags) + "</item>\n" for a in entries
        )
        return f"""<?xml version="1.0" encoding="utf-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
 xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel rdf:about="{SITE}rss10.rdf"><title>{TITLE}</title><link>{SITE}</link><description>{DESCRIPTION}</description>
<items><rdf:Seq>{seq}</rdf:Seq></items></channel>
{items}</rdf:RDF>
"""

    def rss20(self, entries: list[Published], page: int, pages: int, full: bool) -> str:
        path = "/rss20.xml" if full else "/rss20-description.xml"
        following = self.next_url(path, page, pages)
        next_link = f'<atom:link rel="next" href="{x(following)}"/>' if following else ""
        items = "".join(
            f"<item><title>{x(a.title)}</title><link>{x(a.url)}</link>"
            f'<guid isPermaLink="false">{guid(a.native_id)}</guid>'
            f"<pubDate>{format_datetime(a.published)}</pubDate><dc:creator>{x(a.author or '')}</dc:creator>"
            + "".join(f"<category>{x(t)}</category>" for t in a.tags)
            + (f"<description>{x(self.summary(a))}</description>"
               f"<content:encoded><![CDATA[{self.content(a)}]]></content:encoded>" if full
               else f"<description>{x(self.content(a))}</description>")
            + "</item>\n" for a in entries
        )
        return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/"
 xmlns:atom="http://www.w3.org/2005/Atom"><channel>
{channel_head()}<atom:link rel="self" href="{SITE}{path.lstrip('/')}" type="application/rss+xml"/>{next_link}
<lastBuildDate>{format_datetime(NEWEST)}</lastBuildDate><generator>Hexo</generator>
{items}</channel></rss>
"""

    def atom(self, entries: list[Published], page: int, pages: int, full: bool) -> str:
        path = "/atom.xml" if full else "/atom-summary.xml"
        following = self.next_url(path, page, pages)
        next_link = f'<link rel="next" href="{x(following)}"/>' if following else ""
        items = "".join(
            f'<entry><title type="text">{x(a.title)}</title><link rel="alternate" type="text/html" href="{x(a.url)}"/>'
            f"<id>{guid(a.native_id)}</id><published>{a.published.isoformat()}</published>"
            f"<updated>{(a.published + timedelta(hours=1)).isoformat()}</updated>"
            f"<author><name>{x(a.author or '')}</name></author>"
            + "".join(f'<category term="{x(t)}"/>' for t in a.tags)
            + (f'<summary type="text">{x(self.summary(a))}</summary><content type="html">{x(self.content(a))}</content>'
               if full else f'<summary type="html">{x(self.content(a))}</summary>')
            + "</entry>\n" for a in entries
        )
        return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="zh-CN">
<title>{TITLE}</title><subtitle>{DESCRIPTION}</subtitle><id>tag:{HOST},2021:feed</id>
<link rel="alternate" type="text/html" href="{SITE}"/><link rel="self" href="{SITE}{path.lstrip('/')}"/>{next_link}
<updated>{NEWEST.isoformat()}</updated>
{items}</feed>
"""

    def json_feed(self, entries: list[Published], page: int, pages: int) -> str:
        document = {
            "version": "https://jsonfeed.org/version/1.1", "title": TITLE, "description": DESCRIPTION,
            "home_page_url": SITE, "feed_url": f"{SITE}feed.json", "language": "zh-CN",
            "authors": [{"name": TITLE, "url": SITE}],
            "items": [{
                "id": guid(a.native_id), "url": a.url, "title": a.title, "content_html": self.content(a),
                "summary": self.summary(a), "date_published": a.published.isoformat(),
                "date_modified": (a.published + timedelta(hours=1)).isoformat(),
                "authors": [{"name": a.author}], "tags": list(a.tags),
            } for a in entries],
        }
        if following := self.next_url("/feed.json", page, pages):
            document["next_url"] = following
        return json.dumps(document, ensure_ascii=False, indent=1)

    def describe(self) -> list[str]:
        paged = f", {self.per_page} per page (?page=N)" if self.per_page else ""
        lines = [f"feed: {self.total} entries{paged} as {', '.join(SITE + p.lstrip('/') for p in self.dialects)};"
                 f" an HTML archive {SITE}archives/, {ARCHIVE_PER_PAGE} posts a page"]
        if self.hostile:
            lines += [f"  hostile feed: {SITE}{path.lstrip('/')}: {what}" for path, what in feed_attacks.CASES.items()]
        return lines


def channel_head() -> str:
    return (f"<title>{TITLE}</title><link>{SITE}</link><description>{DESCRIPTION}</description>"
            f"<pubDate>{format_datetime(NEWEST)}</pubDate>\n")


def home_page(dialects: dict[str, object]) -> str:
    links = "".join(f'<link rel="alternate" href="{SITE}{p.lstrip("/")}">' for p in dialects)
    return f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{TITLE}</title>{links}</head><body><h1>{TITLE}</h1></body></html>'


def archive_page(articles: list[Published], following: str | None) -> str:
    rows = "".join(
        f'<article class="archive-article"><header><h2 class="archive-title"><a href="/posts/{x(a.native_id)}.html">'
        f'{x(a.title)}</a></h2><time class="archive-date" datetime="{a.published.isoformat()}">'
        f"{a.published.astimezone(BEIJING):%Y-%m-%d}</time></header></article>\n" for a in articles
    )
    pager = f'<a class="extend next" rel="next" href="{following}">下一页</a>' if following else ""
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>归档 - {TITLE}</title></head><body>
<header class="site-header"><a href="/">{TITLE}</a><nav><a href="/archives/">归档</a></nav></header>
<main><section class="archives-wrap">
{rows}</section><nav id="page-nav">{pager}</nav></main>
</body></html>
"""


def post_page(article: Published, body: str) -> str:
    title = x(article.title)
    tags = "".join(f'<a rel="tag" href="/tags/{x(t)}/">{x(t)}</a>' for t in article.tags)
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{title} - {TITLE}</title>
<meta name="author" content="{x(article.author or '')}">
<meta property="article:published_time" content="{article.published.isoformat()}">
<link rel="alternate" type="application/rss+xml" href="{SITE}rss20.xml">
<script src="/js/theme.js"></script>
</head><body>
<header class="site-header"><a href="/">{TITLE}</a><nav><a href="/archives/">归档</a></nav></header>
<main><article class="post">
<h1 class="post-title">{title}</h1>
<div class="post-meta"><span class="author">{x(article.author or '')}</span>
<time datetime="{article.published.isoformat()}">{article.published.astimezone(BEIJING):%Y-%m-%d %H:%M}</time></div>
<div class="entry-content">{body}</div>
<footer class="post-tags">{tags}</footer>
</article></main>
<aside class="sidebar"><h3>最近文章</h3><ul><li><a href="/posts/1.html">第一篇</a></li></ul></aside>
<script>window.comments && comments.load();</script>
</body></html>
"""
