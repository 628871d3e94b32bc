"""The replica's data: channels of listing slots and the articles they point to.

Everything is derived from ``ReplicaConfig`` (channels x pages x items per
page, and a seed), so a test or a benchmark can ask for any size and get the
same site every time. The broken cases sit at fixed places, listed in
``Site.describe()``.
"""

from __future__ import annotations

import hashlib
import html
import json
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

from newscrawler.replica import content, hostile
from newscrawler.replica.served import BEIJING
from newscrawler.replica.sources import Sources

SEED_ID = "594310537"
SEED_TITLE = "惠及2亿人的大好事来了！"
SEED_PUBLISHED = datetime(2021, 7, 8, 10, 55, 51, tzinfo=timezone.utc)
EXTERNAL_ID = "223700"
# 趣头条's channel (and category) ids and names, as its app listed them.
CATEGORIES: dict[int, str] = {
    1: "热点", 2: "搞笑", 3: "其他", 4: "励志", 5: "养生", 6: "娱乐", 7: "科技",
    8: "生活", 9: "汽车", 10: "财经", 11: "情感", 12: "美食", 13: "体育",
    14: "时尚", 15: "军事", 16: "旅行", 17: "育儿", 18: "星座", 19: "游戏",
    20: "天气", 23: "历史", 25: "动漫", 27: "三农", 28: "国际", 29: "故事",
    30: "收藏", 42: "健康", 45: "彩票", 46: "摄影", 255: "推荐",
}
OFFLINE_CHANNEL = 45  # 彩票: the API answers with a non-zero code
CHANNEL_ORDER: tuple[int, ...] = (255, 1, 2, 6, 10) + tuple(
    c for c in CATEGORIES if c not in (255, 1, 2, 6, 10, OFFLINE_CHANNEL)
)


@dataclass(frozen=True)
class ReplicaConfig:
    channels: int = 5
    pages: int = 5
    per_page: int = 10
    seed: int = 2016
    hostile: bool = False  # also serve channel hostile.HOSTILE_CHANNEL (see hostile.py)
    # The other sources (sources.py) and the server; sizes are pages x entries per page.
    delay: float = 0.0  # seconds each response waits: network-like latency for benchmarks
    dockone_pages: int = 3
    dockone_per_page: int = 15
    woshipm_pages: int = 3
    woshipm_per_page: int = 12
    zaker_channels: int = 4  # the first of zaker.CHANNELS; one page each
    zaker_per_channel: int = 20
    feed_entries: int = 20
    feed_per_page: int = 0  # 0: every entry in one document
    zaker_anchor: datetime | None = None  # zaker's times count back from it; None: when the site is built


@dataclass
class ReplicaArticle:
    source_id: str
    cid: int
    title: str
    published: datetime
    host: str
    path: str
    body: str | None
    author: str
    video: bool = False
    charset: str = "utf-8"  # the body's encoding
    header_charset: bool = True
    header_label: str | None = None  # hostile pages: the Content-Type names this instead
    meta_label: str | None = None  # hostile pages: the <meta> names this (none when only header_label is set)
    status: str = "ok"  # ok | missing (404) | flaky (500 once, then 200)
    trap: str = ""  # a hostile.HostileCase page kind: private, loop, bomb, moved...
    head: str = ""  # more markup in the page's <head> (a hostile <base>)
    time_text: str = ""
    tags: list[str] = field(default_factory=list)
    covers: list[str] = field(default_factory=list)
    listing: dict[str, Any] = field(default_factory=dict)  # per-entry quirks

    @property
    def empty_body(self) -> bool:
        return not (self.body or "").strip() and not self.video


def _digest(*parts: object) -> str:
    return hashlib.sha1("|".join(map(str, parts)).encode()).hexdigest()


class Site:
    def __init__(self, config: ReplicaConfig = ReplicaConfig()) -> None:
        self.config = config
        self.channels = CHANNEL_ORDER[: max(1, min(config.channels, len(CHANNEL_ORDER)))]
        self.articles: dict[str, ReplicaArticle] = {}
        self.by_path: dict[str, str] = {}
        self.slots: dict[int, list[tuple[str, Any]]] = {}
        self.malformed: set[tuple[int, int]] = set()
        self._rng = random.Random(config.seed)
        self._next_id = 700000
        self._build()
        if config.hostile:
            self._build_hostile()
        self.sources = Sources(config)

    # --- building -------------------------------------------------------
    def _new_article(self, cid: int, **overrides: Any) -> ReplicaArticle:
        rng = self._rng
        self._next_id += 1 + rng.randrange(3)
        sid = str(self._next_id)
        old_style = cid == self._channel(2)  # 2016-era host and dates
        published = (
            datetime(2016, 11, 15, 12, 0, tzinfo=timezone.utc) if old_style else datetime(2021, 7, 8, 12, 0, tzinfo=timezone.utc)
        ) - timedelta(minutes=7 * (self._next_id - 700000))
        host = "html.shehuitu.com" if old_style else "html2.qktoutiao.com"
        path = f"/detail/{published:%Y/%m/%d}/{sid}.html"
        img = f"http://static.1sapp.com/qupost/img/{published:%Y/%m/%d}/{_digest(sid, 'img')[:32]}"
        paras = content.paragraphs(rng, 3)
        body = (
            f"   \n<p>{paras[0]}</p>"
            f"<p>{content.lazy_image(img + '-1.jpeg', '1080,720', placeholder=True)}</p>"
            f"<p>{paras[1]}</p><div class=\"share-box\"><a href=\"javascript:share()\">分享</a></div>"
            f"<p><img data-original=\"//static.1sapp.com/qupost/img/{published:%Y/%m/%d}/{_digest(sid, 'p')[:32]}.png\" data-size=\"640,480\"></p>"
            f"<p>{paras[2]}</p><p><img src=\"/qupost/img/{sid}-local.jpeg\" alt=\"配图\"></p>\n"
        )
        video = cid == self._channel(3)
        if video:
            body = f'<div class="video-box"><iframe src="https://v.qq.com/iframe/player.html?vid={_digest(sid)[:11]}" allowfullscreen></iframe></div>'
        article = ReplicaArticle(
            source_id=sid, cid=cid, title=content.title(rng), published=published, host=host, path=path,
            body=body, author=rng.choice(content.AUTHORS), video=video,
            time_text=published.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M"),
            tags=rng.sample(content.TAGS, 3),
            covers=[f"{img}-1.jpeg?imageView2/2/w/200/h/150/q/70/format/jpeg"],
        )
        for key, value in overrides.items():
            setattr(article, key, value)
        return self._register(article)

    def _register(self, article: ReplicaArticle) -> ReplicaArticle:
        self.articles[article.source_id] = article
        self.by_path[article.path] = article.source_id
        return article

    def _channel(self, index: int) -> int | None:
        return self.channels[index] if index < len(self.channels) else None

    def _seed_article(self, cid: int) -> ReplicaArticle:
        return self._register(ReplicaArticle(
            source_id=SEED_ID, cid=cid, title=SEED_TITLE, published=SEED_PUBLISHED, host="html2.qktoutiao.com",
            path=f"/detail/2021/07/08/{SEED_ID}.html", body=content.seed_body(), author="今日闵行",
            time_text="2021-07-08 18:55",
            tags=["灵活就业", "劳动者权益", "国务院"],
            covers=["http://static.1sapp.com/qupost/img/2021/07/08/73e5bc44a5672dabf307650daa9f1f51.jpeg?imageView2/2/w/200/h/150/q/70/format/jpeg"],
        ))

    def _build(self) -> None:
        cfg = self.config
        quirks: dict[tuple[int | None, int, int], dict[str, Any]] = {
            (self._channel(1), 1, 2): {"body": content.HOSTILE_BODY, "title": "红包来了&quot;速领&quot;"},
            (self._channel(1), 1, 3): {"listing": {"publish_time": ""}},
            (self._channel(1), 1, 4): {"listing": {"publish_time": "", "show_time": 0}, "time_text": "2021年7月8日"},
            (self._channel(1), 1, 5): {"title": "杨幂经典角色盘点，原来我家大幂幂身材这么上镜！ ", "listing": {"font_bold": ""}},
            (self._channel(2), 1, 3): {"status": "missing"},
            (self._channel(2), 1, 5): {"status": "flaky"},
            (self._channel(2), 2, 2): {"body": "  \n  "},
            (self._channel(4), 1, 2): {"charset": "gbk"},
            (self._channel(4), 1, 3): {"charset": "gb2312", "header_charset": False},
        }
        if cfg.pages >= 3 and self._channel(2) is not None:
            self.malformed.add((self._channel(2), 3))
        home = self.channels[1] if len(self.channels) > 1 else self.channels[0]
        recommendable: list[str] = []
        for cid in self.channels[1:] + self.channels[:1]:  # 推荐 last: it recommends the others' articles
            if cid == self.channels[0]:
                recommendable = sorted(self.articles)
            slots: list[tuple[str, Any]] = []
            for page in range(1, cfg.pages + 1):
                for slot in range(cfg.per_page):
                    if slot == 1:
                        slots.append(("ad", {"slotId": 2614221 + page, "cid": str(cid), "page": page}))
                    elif cid == self.channels[0] and page == 2 and slot == 4:
                        slots.append(("sponsored", page))
                    elif cid == home and page == 1 and slot == 0:
                        slots.append(("article", self._seed_article(cid).source_id))
                    elif cid == self.channels[0] and page == 1 and slot == 8:
                        slots.append(("article", self._external_article(cid).source_id))
                    elif cid == self.channels[0] and slot % 3 == 0 and len(self.articles) > 12:
                        slots.append(("article", self._rng.choice(recommendable)))
                    else:
                        article = self._new_article(cid, **quirks.get((cid, page, slot), {}))
                        slots.append(("article", article.source_id))
            self.slots[cid] = slots

    def _build_hostile(self) -> None:
        """After the regular site, so that it stays the same with or without this channel."""
        cid = hostile.HOSTILE_CHANNEL
        slots: list[tuple[str, Any]] = []
        cases = [hostile.HostileCase(sid, {}, "stored") for sid in hostile.GOOD_ENTRIES] + list(hostile.CASES)
        for case in cases:
            article = self._new_article(
                cid, source_id=case.sid, host="html2.qktoutiao.com", path=hostile.path_of(case.sid, case.page),
                body=hostile.body_of(case.page), listing=dict(case.listing), trap=case.page,
                head=hostile.head_of(case.page),
                published=datetime(2021, 7, 8, 12, 0, tzinfo=timezone.utc), **hostile.charset_fields(case.page),
            )
            if case.page == "moved":  # where the redirect lands: a page of its own, in another folder
                self.by_path[f"/detail/moved/2021/{case.sid}.html"] = case.sid
            slots.append(("article", article.source_id))
        self.slots[cid] = slots

    def _external_article(self, cid: int) -> ReplicaArticle:
        return self._new_article(
            cid, source_id=EXTERNAL_ID, host="www.qiuxingwang.cn", path="/qu/444556.html",
            author="球星网", listing={"source": "球星网", "source_id": "球星网"},
        )

    # --- serving --------------------------------------------------------
    def entry(self, article: ReplicaArticle, cid: int, page: int) -> dict[str, Any]:
        """A listing entry as the API sent it, quirks included."""
        pv_id = "{%s}" % _digest("pv", cid, page)[:32].upper()
        key = _digest(article.source_id, cid, page)[:40]
        query = f"content_id={article.source_id}&key={key}&pv_id={quote(pv_id)}&cid={cid}&cat={cid}&fr=11&p={page}"
        counts = int(_digest(article.source_id, "n")[:4], 16)
        entry: dict[str, Any] = {
            "id": article.source_id, "source": "", "source_name": "", "source_id": "",
            "title": article.title,
            "type": str(article.cid if article.cid != 255 else 1),
            "read_count": str(counts), "share_count": str(counts % 37), "comment_count": str(counts % 113),
            "url": html.escape(f"http://{article.host}{article.path}?{query}", quote=False),
            "is_hot": "0", "is_top": "0",
            "introduction": content.SENTENCES[counts % len(content.SENTENCES)],
            "tag": article.tags, "cover": article.covers, "cover_show_type": "1", "share_type": "0",
            "can_comment": "1", "publish_time": str(int(article.published.timestamp() * 1000)),
            "content_type": "1", "unlike_enable": 0, "show_comment": 0, "tips": "", "font_color": "",
            "font_bold": 0, "show_time": int(article.published.timestamp()) + 300, "is_favorite": False,
        }
        if article.video:
            entry.update(content_type="3", tips="视频", cover_show_type="4",
                         introduction=html.escape(f'<iframe frameborder="0" width="640" height="498" src="https://v.qq.com/iframe/player.html?vid={_digest(article.source_id)[:11]}&tiny=0&auto=0" allowfullscreen></iframe>') if counts % 2 else " ")
        entry.update(article.listing)
        return entry

    def _sponsored(self, cid: int, page: int) -> dict[str, Any]:
        return {
            "id": "204777", "title": "今夜斗地主开赛了：点击下载连赢5局送现金红包！", "type": "13",
            "read_count": "0", "share_count": "0", "comment_count": "0", "is_top": "1",
            "url": f"http://g.fastapi.net/d?si=1018975&amp;aid=580640&amp;tp=c&amp;content_id=204777&amp;cid={cid}",
            "introduction": "", "tag": [], "cover": ["http://static.1sapp.com/image/sp/2016/11/16/582c419d13468.jpg"],
            "publish_time": "1479295393981", "content_type": "5", "tips": "广告", "font_bold": "", "show_time": 1479296842,
        }

    def listing(self, cid: int, page: int, limit: int) -> tuple[int, str, bytes]:
        """(status, content type, body) for one listing API call."""
        if cid == OFFLINE_CHANNEL:
            return 200, "application/json", json.dumps({"code": -104, "message": "频道已下线", "data": []}, ensure_ascii=False).encode()
        if (cid, page) in self.malformed:
            good = self.listing_document(cid, page, limit)
            return 200, "application/json", json.dumps(good, ensure_ascii=False).encode()[:200]
        if cid == hostile.HOSTILE_CHANNEL:  # lone surrogates must travel as \ud800 escapes; NaN as NaN
            return 200, "application/json", json.dumps(self.listing_document(cid, page, limit)).encode()
        return 200, "application/json", json.dumps(self.listing_document(cid, page, limit), ensure_ascii=False).encode()

    def page_slots(self, cid: int, page: int, limit: int) -> list[tuple[str, Any]]:
        return self.slots.get(cid, [])[(page - 1) * limit : page * limit]

    def listing_document(self, cid: int, page: int, limit: int) -> dict[str, Any]:
        items: list[dict[str, Any]] = []
        for index, (kind, value) in enumerate(self.page_slots(cid, page, limit)):
            if kind == "ad":
                items.append({"flag": 1, "imageType": 1, "times": 1, "type": "ad", "op": "2", "index": index,
                              "tips": "广告", "appId": "dbc4db55", **value})
            elif kind == "sponsored":
                items.append(self._sponsored(cid, page))
            else:
                items.append(self.entry(self.articles[value], cid, page))
        data = {"cid": str(cid), "pv_id": "{%s}" % _digest("pv", cid, page)[:32].upper(), "count": len(items),
                "op": "2", "page": page, "data": items, "top": []}
        if cid == self.channels[0]:
            return {"data": data}  # as in the 2016 capture of channel 255: no code/message
        return {"code": 0, "message": "成功", "currentTime": 1625741800, "data": data}

    def detail(self, path: str) -> ReplicaArticle | None:
        sid = self.by_path.get(path)
        return self.articles.get(sid) if sid else None

    def detail_html(self, article: ReplicaArticle) -> bytes:
        like = int(_digest(article.source_id, "like")[:3], 16)
        page = content.page_html(
            title=html.escape(article.title), author=article.author, time_text=article.time_text,
            body=article.body, charset=article.meta_label or article.charset, like=like, head=article.head,
            meta_charset=article.meta_label is not None or article.header_label is None,
        )
        return page.encode(article.charset)

    def describe(self) -> list[str]:
        """Human-readable list of the broken and quirky cases, for the demo."""
        lines = [f"qutoutiao: {len(self.channels)} channels x {self.config.pages} pages x {self.config.per_page} entries, "
                 f"{len(self.articles)} articles"]
        for a in self.articles.values():
            if a.status != "ok" or a.empty_body or a.charset != "utf-8":
                lines.append(f"  {a.source_id}: {a.status}{' empty body' if a.empty_body else ''} {a.charset} http://{a.host}{a.path}")
        lines += [f"  malformed listing: cid={c} page={p}" for c, p in sorted(self.malformed)]
        lines.append(f"  offline channel: cid={OFFLINE_CHANNEL}")
        if self.config.hostile:
            lines.append(f"  hostile channel: cid={hostile.HOSTILE_CHANNEL} (see newscrawler/replica/hostile.py)")
        return lines + self.sources.describe()
