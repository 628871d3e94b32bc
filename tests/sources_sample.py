"""Articles of several sources for the store and export tests: the four bundled sources, a
SOURCES_DIR source whose channel ids are words (one of them the word "1"), and a source with no
profile (``scrapy crawl feed -a name=myfeed``)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from newscrawler.items import Article, article_id

T0 = datetime(2026, 11, 28, 15, 0, tzinfo=timezone.utc)

# A profile as a user drops it into SOURCES_DIR: its channel ids are words, one of them "1".
WORDY = """\
name: wordy
title: Wordy News
home_url: https://wordy.example/
timezone: Europe/Paris
listing:
  kind: json
  url: "https://wordy.example/api/{channel}?page={page}"
  channels:
    "1": 头条
    tech: 科技
  entries: items
  fields: {id: id, url: link, title: title, published_at: {path: date, format: rfc3339}}
article:
  body: div.article
hexo:
  categories: [Wordy, "{{ 新闻 }}"]
  author: "Wordy: 编辑部"
  date_style: local
"""

# source, native id, channel id, channel name (as the spiders write them), tags.
ROWS: list[tuple[str, str, int | str | None, str | None, list[str]]] = [
    ("qutoutiao", "101", 1, "热点", ["民生"]),
    ("qutoutiao", "102", 1, "热点", []),
    ("qutoutiao", "103", 2, "搞笑", ["民生"]),
    ("zaker", "5b1a2c3d4e5f60718293a4b5", 1, "国内", ["民生"]),  # ZAKER's channel 1 is not 趣头条's
    ("zaker", "5b1a2c3d4e5f60718293a4b6", 660, "热点", []),
    ("dockone", "2314", None, None, ["Kubernetes"]),
    ("dockone", "2315", None, None, []),
    ("woshipm", "987654", None, None, []),
    ("wordy", "w1", "1", "头条", ["民生"]),  # the word "1"
    ("wordy", "w2", "tech", "科技", []),
    ("wordy", "w3", "tech", "科技", []),
    ("myfeed", "https://blog.example/p/1", None, None, []),  # a feed crawled with no profile
]


def stored_article(n: int, source: str, native: str, channel_id: int | str | None, channel: str | None,
                   tags: list[str]) -> Article:
    return Article(id=article_id(source, native), source=source, source_id=native, url=f"http://{source}.example/{n}",
                   title=f"{source} 标题 {n}", author="作者", channel_id=channel_id, channel=channel, tags=tags,
                   published_at=T0 - timedelta(hours=n), crawled_at=T0, content_html=f"<p>正文 {n}</p>",
                   content_text=f"正文 {n}")


ARTICLES = [stored_article(n, *row) for n, row in enumerate(ROWS)]


def write_sources_dir(folder: Path) -> Path:
    """A SOURCES_DIR holding the wordy profile."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "wordy.yaml").write_text(WORDY, encoding="utf-8")
    return folder
