"""Hexo posts, in the exact format of shared/seed/qutoutiao-hexo-post.md."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timezone
from pathlib import Path
from typing import Any

import yaml

from newscrawler.dates import rfc1123
from newscrawler.files import replacing

logger = logging.getLogger(__name__)

# Characters YAML reads as line breaks even inside single quotes.
_LINE_BREAKS = ("\x85", "\u2028", "\u2029")


class _Quoted(str):
    """A front-matter value written in single quotes, the seed's style."""


class _FrontMatterDumper(yaml.SafeDumper):
    pass


def _represent_quoted(dumper: yaml.SafeDumper, value: _Quoted) -> yaml.ScalarNode:
    style = '"' if any(c in value for c in _LINE_BREAKS) else "'"
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(value), style=style)


_FrontMatterDumper.add_representer(_Quoted, _represent_quoted)


def _lines(**values: Any) -> str:
    """``key: value`` lines as YAML writes them: quoting, doubled quotes and indents all right.

    A value's continuation lines are indented, so each key starts the only line at column 0.
    """
    return yaml.dump(values, Dumper=_FrontMatterDumper, allow_unicode=True, width=2**31, sort_keys=False)


def post_filename(doc: dict[str, Any]) -> str:
    """``YYYY-MM-DD-<source>-<source_id>.md``: stable, and never built from the title."""
    published = doc["published_at"].astimezone(timezone.utc)
    source_id = "".join(c for c in str(doc["source_id"]) if c.isalnum() or c in "-_")
    return f"{published:%Y-%m-%d}-{doc['source']}-{source_id}.md"


class PostTemplate:
    """The front matter every post of an export shares (categories, author), dumped once.

    PyYAML's emitter is pure Python: a dump per line made 7 per post, 81 % of an export.
    """

    def __init__(self, categories: Iterable[str], author: str) -> None:
        self.categories = "categories: \n" + "".join(" - " + _lines(c=c)[len("c: "):] for c in categories)
        self.author = _lines(author=author)

    def render(self, doc: dict[str, Any]) -> str:
        # One dump per post; the thumbnail repeats the headimg value as written.
        dumped = _lines(title=_Quoted(doc["title"]), headimg=_Quoted(doc.get("headimg") or ""))
        title, _, headimg = dumped.partition("\nheadimg: ")
        front = [
            title, "\n",
            self.categories,
            "headimg: ", headimg,
            self.author,
            "comments: false\n",
            f"date: {rfc1123(doc['published_at'])}\n",
            "thumbnail: ", headimg,
        ]
        body = doc.get("content_html") or ""
        return "\n---\n" + "".join(front) + "---\n\n<div>   \n" + body + "  \n</div>\n" + " " * 12


def render_post(doc: dict[str, Any], categories: Iterable[str], author: str) -> str:
    """One post on its own; an export builds its PostTemplate once."""
    return PostTemplate(categories, author).render(doc)


@dataclass
class HexoResult:
    written: int = 0
    unchanged: int = 0


def export_posts(docs: Iterable[dict[str, Any]], out_dir: str | Path, categories: Iterable[str], author: str) -> HexoResult:
    """Write one post per article; a file whose bytes would not change is not touched."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    template = PostTemplate(categories, author)
    result = HexoResult()
    for doc in docs:
        path = out / post_filename(doc)
        data = template.render(doc).encode("utf-8")
        if path.exists() and path.read_bytes() == data:
            result.unchanged += 1
            continue
        with replacing(path) as file:
            file.write(data)
        result.written += 1
    logger.info("Hexo posts in %s: %d written, %d unchanged", out, result.written, result.unchanged)
    return result
