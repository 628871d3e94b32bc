"""Articles the tests build on: a complete stored article by number, hostile titles, the seed body."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any

from newscrawler.items import Article
from newscrawler.storage.documents import to_document
from tests.conftest import FIXTURES

T0 = datetime(2026, 11, 28, 15, 0, tzinfo=timezone.utc)
# The CORS proxy of settings.py, spelled out: what the seed post's image URLs start with.
PROXY = "https://cors.zfour.workers.dev/?"


def article(n: int, **fields: Any) -> Article:
    base = Article(
        id=f"qutoutiao:{n}", source="qutoutiao", source_id=str(n), url=f"http://h/{n}.html", title=f"标题 {n}",
        summary=None, author="新华社", channel_id=1 + n % 2, channel=("热点", "搞笑")[n % 2], category_id=1, category="热点",
        tags=["民生", f"t{n}"], published_at=T0 - timedelta(days=n), crawled_at=T0 + timedelta(microseconds=123456),
        cover_images=[], image_urls=[f"http://s/{n}.jpg"], headimg=None, content_html=f"<p>正文 {n}</p>",
        content_text=f"正文 {n}", stats={"read": n, "comment": 0, "share": 0, "like": None},
    )
    return replace(base, **fields)


def docs(*articles: Article) -> list[dict[str, Any]]:
    return [to_document(a) for a in articles]


def seed_post_body() -> str:
    post = (FIXTURES / "qutoutiao-hexo-post.md").read_text(encoding="utf-8")
    return post.split("<div>   \n", 1)[1].rsplit("  \n</div>", 1)[0]


# Titles that YAML front matter, Markdown, feeds and readers each read in their own way.
ADVERSARIAL = [
    "it's a 'quoted' \"title\"",
    "key: value: more",
    "---",
    "a\n---\nb",
    "# not a comment",
    "* leading star",
    "& anchor",
    "@ at sign",
    "! tag",
    "line one\nline two\n\nline four",
    "  spaces around  ",
    "😀 emoji 🚀 表情",
    "{flow: map}, [list]",
    "null",
    "yes",
    "123",
    "%percent",
    "|pipe >fold",
    "tab\there",
    "odd\u2028separator\x85next",
    "a title headimg: with a key inside",
    "headimg: 'forged'\nthumbnail: x",
]
