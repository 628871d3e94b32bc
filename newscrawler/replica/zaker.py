"""ZAKER's channel pages ``http://www.myzaker.com/channel/<id>`` and article pages.

Rows are ``div.content-block``: title ``.article-title``, link
``.article-wrap > a[href]`` (protocol-relative), and a time relative to the
server's clock at request time (``刚刚``, ``5分钟前``, ``2小时前``, ``昨天 10:30``,
``昨天``, ``3天前``, ``03-12``, ``2017-03-12``). Publication times count back from
``anchor`` (the replica's start, to the minute, unless configured), so each
article's true time is fixed while the texts age with the clock.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from functools import cached_property, lru_cache

from newscrawler.replica import content
from newscrawler.replica.served import BEIJING, Ask, Published, Reply, digest, html_page, not_found, rng

HOST = "www.myzaker.com"
CHANNEL_URL = "http://www.myzaker.com/channel/{id}"
CHANNEL_PATH = re.compile(r"^/channel/(\d+)/?$")
ARTICLE_PATH = re.compile(r"^/article/([0-9a-f]{24})/?$")
# ZAKER's web channels (``data-appid`` of its navigation), in the order the replica uses them.
CHANNELS: dict[int, str] = {
    660: "热点", 1: "国内", 2: "国际", 4: "财经", 13: "科技", 9: "娱乐", 8: "体育", 7: "汽车", 3: "军事",
    5: "互联网", 11: "教育", 12: "时尚", 14: "社会", 10000: "北京", 10001: "上海",
}
# Minutes before the anchor of the first rows of every channel: one of each kind of time text
# (on most clocks: "昨天" needs the anchor past 06:00 Beijing time, "3天前" and "MM-DD" a few days of the year).
OFFSETS = (0, 5, 38, 125, 310, 1560, 1800, 4440, 7300, 17300, 57600, 576000)
LATER_GAP = 7 * 60  # minutes between the rows after those
HOSTILE_ROWS = 99  # good rows among rows with bad links and times in the future
HOSTILE_EMPTY = 98  # a challenge page with no rows
HOSTILE_OCTET = 97  # a good channel page sent as application/octet-stream
BAD_LINK_ROW, FUTURE_ROW = len(OFFSETS), len(OFFSETS) + 6  # the hostile channel's bad rows: their articles
HOSTILE_CHANNELS = {HOSTILE_ROWS: "恶意", HOSTILE_EMPTY: "无内容", HOSTILE_OCTET: "错误类型"}
MEDIA = ["新华网", "中国新闻网", "环球网", "每日经济新闻", "澎湃新闻", "界面新闻", "21世纪经济报道", "北京青年报"]


def time_text(published: datetime, now: datetime, coarse_yesterday: bool = False) -> str:
    """What ZAKER shows for ``published`` at ``now``, read on a Beijing calendar.

    >>> now = datetime(2024, 5, 20, 15, 0, tzinfo=BEIJING)
    >>> [time_text(now - timedelta(minutes=m), now) for m in (0, 5, 125, 1560, 4440, 57600, 576000)]
    ['刚刚', '5分钟前', '2小时前', '昨天 13:00', '3天前', '04-10', '2023-04-16']
    >>> time_text(now - timedelta(minutes=1560), now, coarse_yesterday=True)
    '昨天'
    """
    when, clock = published.astimezone(BEIJING), now.astimezone(BEIJING)
    seconds = (clock - when).total_seconds()
    if seconds < 60:
        return "刚刚"
    if seconds < 3600:
        return f"{int(seconds // 60)}分钟前"
    days = (clock.date() - when.date()).days
    if days == 0:
        return f"{int(seconds // 3600)}小时前"
    if days == 1:
        return "昨天" if coarse_yesterday else f"昨天 {when:%H:%M}"
    if days < 7:
        return f"{days}天前"
    return f"{when:%m-%d}" if when.year == clock.year else f"{when:%Y-%m-%d}"


def future_texts(now: datetime) -> list[str]:
    """Times a row cannot truly show: ahead of ``now`` in every form the site uses."""
    clock = now.astimezone(BEIJING)
    later = clock + timedelta(days=45)
    texts = ["5分钟后", "明天 10:30", f"{clock.year + 1}-{clock:%m-%d}"]
    if later.year == clock.year:
        texts.append(f"{later:%m-%d}")  # a month and day later this year
    return texts


class Zaker:
    """``channels`` channel pages of ``per_channel`` rows each (no paging), newest first."""

    name = "zaker"
    hosts = (HOST,)

    def __init__(self, channels: int, per_channel: int, seed: int, hostile: bool, anchor: datetime | None) -> None:
        self.channels = list(CHANNELS)[: max(0, min(channels, len(CHANNELS)))]
        self.per_channel, self.seed, self.hostile = max(0, per_channel), seed, hostile
        self.anchor = (anchor or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(second=0, microsecond=0)
        self.article = lru_cache(maxsize=8192)(self._article)

    # --- the articles ----------------------------------------------------
    def native_id(self, channel: int, index: int) -> str:
        return digest(self.seed, self.name, channel, index)[:24]

    def offset(self, channel: int, index: int) -> timedelta:
        """How long before the anchor row ``index`` was published; grows with ``index``."""
        jitter = int(self.native_id(channel, index)[:2], 16) % 4 if index else 0  # < the smallest gap (5 min)
        if index < len(OFFSETS):
            return timedelta(minutes=OFFSETS[index] + jitter)
        return timedelta(minutes=OFFSETS[-1] + (index - len(OFFSETS) + 1) * LATER_GAP + jitter)

    def _article(self, channel: int, index: int) -> Published:
        native_id = self.native_id(channel, index)
        r = rng(self.seed, self.name, native_id)
        return Published(
            self.name, native_id, f"http://{HOST}/article/{native_id}", content.title(r),
            self.anchor - self.offset(channel, index), r.choice(MEDIA),
            channel_id=channel, channel=CHANNELS.get(channel) or HOSTILE_CHANNELS[channel],
            tags=tuple(r.sample(content.TAGS, 2)),
        )

    def articles(self) -> Iterator[Published]:
        for channel in self.channels:
            for index in range(self.per_channel):
                yield self.article(channel, index)

    def hostile_articles(self) -> Iterator[Published]:
        """The good rows of the hostile channels: a crawl must keep each of them."""
        if self.hostile:
            for index in range(len(OFFSETS)):
                yield self.article(HOSTILE_ROWS, index)
            for index in range(3):
                yield self.article(HOSTILE_OCTET, index)

    @cached_property
    def by_id(self) -> dict[str, tuple[int, int]]:
        """Native id -> (channel, row); made at the first article page asked for."""
        found = {self.native_id(c, i): (c, i) for c in self.channels for i in range(self.per_channel)}
        if self.hostile:
            found.update({self.native_id(HOSTILE_ROWS, i): (HOSTILE_ROWS, i) for i in range(len(OFFSETS) + 10)})
            found.update({self.native_id(HOSTILE_OCTET, i): (HOSTILE_OCTET, i) for i in range(3)})
        return found

    def true_time(self, native_id: str) -> datetime | None:
        """When the article really was published (aware, to the minute), for tests to compare with."""
        place = self.by_id.get(native_id)
        return self.article(*place).published if place else None

    # --- serving ---------------------------------------------------------
    def reply(self, ask: Ask) -> Reply | None:
        if match := CHANNEL_PATH.match(ask.path):
            channel = int(match[1])
            if channel in self.channels:
                rows = [row(self.article(channel, i), ask.now, coarse_yesterday=i % 2 == 0) for i in range(self.per_channel)]
                return html_page(channel_page(channel, "".join(rows)))
            if self.hostile and channel in HOSTILE_CHANNELS:
                return self.hostile_reply(channel, ask)
            return not_found()
        if match := ARTICLE_PATH.match(ask.path):
            place = self.by_id.get(match[1])
            if place is None:
                return not_found()
            article = self.article(*place)
            body = content.HOSTILE_BODY if place == (HOSTILE_ROWS, 1) else self.body(article)
            return html_page(article_page(article, body, time_text(article.published, ask.now)))
        return None

    def body(self, article: Published) -> str:
        """``div.article_content div``: paragraphs and lazy images (``data-original``), one in a nested div."""
        r = rng(self.seed, "zaker-body", article.native_id)
        month = article.published.astimezone(BEIJING).strftime("%Y%m")
        pictures = [f"//zkres{n + 1}.myzaker.com/{month}/{article.native_id}_{n}_1024.jpg" for n in range(2)]
        paragraphs = content.paragraphs(r, 3)
        return (
            f"<p>{paragraphs[0]}</p>"
            f'<div class="img_box"><img class="lazy opacity_0" data-original="{pictures[0]}"'
            f' src="//zkres.myzaker.com/static/zaker_web2/img/default.png" data-height="576" data-width="1024"></div>'
            f"<p>{paragraphs[1]}</p>"
            f'<p><img class="lazy opacity_0" data-original="http:{pictures[1]}" src="data:image/gif;base64,R0lGODlhAQABAAAAACw="></p>'
            f"<p>{paragraphs[2]}</p>"
        )

    # --- hostile ---------------------------------------------------------
    def hostile_reply(self, channel: int, ask: Ask) -> Reply:
        if channel == HOSTILE_EMPTY:
            return html_page(CHALLENGE_PAGE)
        if channel == HOSTILE_OCTET:
            rows = "".join(row(self.article(channel, i), ask.now) for i in range(3))
            return Reply(200, "application/octet-stream", channel_page(channel, rows).encode())
        good = [row(self.article(channel, i), ask.now) for i in range(len(OFFSETS))]
        own = f"//127.0.0.1:{ask.port}"
        links = (None, "", "javascript:void(location='//evil.example/')", "data:text/html,<script>alert(1)</script>",
                 f"{own}/article/{self.native_id(channel, 0)}", "http://192.168.1.1/article/000000000000000000000000")
        bad = [row(self.article(channel, BAD_LINK_ROW + n), ask.now, link=link) for n, link in enumerate(links)]
        bad += [row(article, ask.now, when=text) for article, text in self.future_rows(ask.now)]
        rows: list[str] = []
        for index, item in enumerate(good):  # the bad rows among the good ones
            rows += [item, bad[index]] if index < len(bad) else [item]
        return html_page(channel_page(channel, "".join(rows)))

    def future_rows(self, now: datetime) -> list[tuple[Published, str]]:
        """The hostile rows showing a time ahead of ``now``; their pages show the true one."""
        return [(self.article(HOSTILE_ROWS, FUTURE_ROW + n), text) for n, text in enumerate(future_texts(now))]

    def describe(self) -> list[str]:
        names = ", ".join(f"{c} {CHANNELS[c]}" for c in self.channels)
        lines = [f"zaker: {CHANNEL_URL.format(id='<id>')} for {names}: {self.per_channel} rows each"
                 f" = {len(self.channels) * self.per_channel}; times relative to the clock, published counting back"
                 f" from {self.anchor.astimezone(BEIJING):%Y-%m-%d %H:%M} Beijing time"]
        if self.hostile:
            lines += [
                f"  hostile html: {CHANNEL_URL.format(id=HOSTILE_ROWS)}: {len(OFFSETS)} good rows among rows without a"
                " link, with an empty href, javascript:, data:, 127.0.0.1 and 192.168.1.1 links, and times in the"
                f" future ({', '.join(future_texts(self.anchor))}); the second good row's body carries scripts",
                f"  hostile html: {CHANNEL_URL.format(id=HOSTILE_EMPTY)}: a challenge page with no rows",
                f"  hostile html: {CHANNEL_URL.format(id=HOSTILE_OCTET)}: 3 good rows sent as application/octet-stream",
            ]
        return lines


# --- markup ----------------------------------------------------------------
def row(article: Published, now: datetime, link: str | None = "use", when: str | None = None,
        coarse_yesterday: bool = False) -> str:
    """One ``div.content-block``; ``link`` replaces the protocol-relative URL (None: no <a>, "": no href)."""
    href = article.url.removeprefix("http:") if link == "use" else link
    title = html.escape(article.title)
    picture = f'<div class="img-wrap"><img class="lazy" data-original="//zkres1.myzaker.com/{article.native_id}_320.jpg" src="//zkres.myzaker.com/static/zaker_web2/img/default.png"></div>'
    if href is None:
        cover = picture
    elif href == "":
        cover = f'<a target="_blank" title="{title}">{picture}</a>'
    else:
        cover = f'<a href="{html.escape(href)}" target="_blank" title="{title}">{picture}</a>'
    comments = int(digest(article.native_id, "comments")[:3], 16) % 400
    counted = f"<span>{comments}评论</span>" if comments % 5 else ""
    when = when if when is not None else time_text(article.published, now, coarse_yesterday)
    return f"""
<div class="content-block">
  <div class="article-wrap">
    {cover}
    <div class="article-content">
      <a href="{html.escape(href or '')}" target="_blank"><h2 class="article-title">{title}</h2></a>
      <div class="subtitle"><span>{html.escape(article.author or '')}</span>{counted}<span>{html.escape(when)}</span></div>
    </div>
  </div>
</div>"""


def navigation(active: int) -> str:
    return "".join(
        f'<a class="nav_item{" nav_item_active" if channel == active else ""}" data-appid="{channel}"'
        f' href="//www.myzaker.com/channel/{channel}" title="{name}新闻">{name}</a>'
        for channel, name in CHANNELS.items()
    )


def channel_page(channel: int, rows: str) -> str:
    name = CHANNELS.get(channel) or HOSTILE_CHANNELS.get(channel, "")
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8">
<title>{name}新闻_{name}新闻头条_ZAKER新闻</title>
<meta name="keywords" content="{name}新闻,ZAKER">
<script src="//zkres.myzaker.com/static/zaker_web2/js/jquery.min.js"></script>
</head><body>
<div class="nav-wrap"><div class="nav">{navigation(channel)}</div></div>
<div class="main-title">{name}</div>
<div id="contentList" class="content-list">{rows}
</div>
<input type="hidden" id="nexturl" value="">
<div class="footer">Copyright © ZAKER 2018</div>
<script>var WinPageData = {{"app_id": "{channel}"}};</script>
</body></html>
"""


def article_page(article: Published, body: str, when: str) -> str:
    title = html.escape(article.title)
    tags = "".join(f'<a href="//www.myzaker.com/tag/{html.escape(t)}" target="_blank">{html.escape(t)}</a>'
                   for t in article.tags)
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8">
<title>{title}_ZAKER新闻</title>
<meta name="keywords" content="{html.escape(','.join(article.tags))}">
<script src="//zkres.myzaker.com/static/zaker_web2/js/jquery.min.js"></script>
</head><body>
<div class="nav-wrap"><div class="nav">{navigation(article.channel_id or 0)}</div></div>
<div class="main-content">
<div class="article_header"><h1>{title}</h1>
<div class="article_tips"><a class="article-auther line" href="//www.myzaker.com/source/{digest(article.author)[:8]}" target="_blank">{html.escape(article.author or '')}</a><span class="time">{html.escape(when)}</span><span class="comment">0评论</span></div>
</div>
<div class="article_content"><div id="content">{body}</div></div>
<div class="lebel-list">{tags}</div>
<div class="article_more"><a href="//www.myzaker.com/channel/{article.channel_id}">更多{html.escape(article.channel or '')}新闻</a></div>
</div>
<div class="recommend"><div class="content-block"><div class="article-wrap"><a href="//www.myzaker.com/article/000000000000000000000000">推荐</a></div></div></div>
<script>$(".lazy").lazyload();</script>
</body></html>
"""


CHALLENGE_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>ZAKER</title></head><body>
<noscript>请开启 JavaScript 后访问</noscript>
<script>window.captcha = {once_id: "3f9a1c0e", v: "1.0.0"}; location.reload();</script>
</body></html>
"""
