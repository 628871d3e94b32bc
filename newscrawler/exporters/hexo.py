"""Hexo posts, in the exact format of the seed post (tests/fixtures; README, Exports), inert for Hexo.

Each post's front matter is its source's: the categories, author and date style of the source
profile's ``hexo`` section (``PostTemplate.of``). An article whose source has no profile (a
``scrapy crawl feed -a name=x`` crawl) is filed under its source's name: categories ``[x]``,
author ``x``, dates in RFC 1123.

Hexo renders a post's content with hexo-renderer-marked and its Nunjucks tag engine, then its
filters. Each field is written so that these passes read it as plain content (see ``inert``
and ``_front``), and what Hexo renders is the sanitized body: ``tests/test_hexo_real.py``
checks it in real Hexo.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml

from newscrawler.dates import local_time, rfc1123
from newscrawler.exporters.files import holds, replacing
from newscrawler.folders import sync_folder
from newscrawler.items import SOURCE_NAME
from newscrawler.pages.body import sanitize
from newscrawler.sources.profile import DEFAULT_TIMEZONE, SourceProfile
from newscrawler.urls import inert_http_url

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


def _front(value: str) -> str:
    """A front-matter value that Hexo reads back as this very string.

    PyYAML writes YAML 1.1; Hexo reads YAML 1.2 (js-yaml), where plain ``1e3`` and ``0o17`` are
    numbers and U+0085/U+2028 are no line breaks (PyYAML's own quoting breaks lines there). A
    plain scalar is kept only for words (the seed's author, a Chinese word), which both read as text;
    anything else goes through ``_Quoted``.
    """
    return value if value.isalpha() else _Quoted(value)


def _lines(**values: Any) -> str:
    """``key: value`` lines as YAML writes them: quoting, doubled quotes and indents all right.

    A value's continuation lines are indented, so each key starts the only line at column 0.
    """
    return yaml.dump(values, Dumper=_FrontMatterDumper, allow_unicode=True, width=2**31, sort_keys=False)


# Most filesystems take 255 bytes per file name. The 4 bytes kept back date from when a post was
# first written as <name>.tmp; names already exported must stay the same.
MAX_NAME_BYTES = 255 - len(".tmp")


def _cut_utf8(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` bytes of UTF-8, never inside a character."""
    return text.encode("utf-8")[:limit].decode("utf-8", errors="ignore")


def post_filename(doc: dict[str, Any]) -> str:
    """``YYYY-MM-DD-<source>-<source_id>.md``: stable, and never built from the title.

    Where the source id had to change to be a safe name (characters dropped, or cut to fit
    255 bytes), a short hash of the article id follows, so two ids never share a name:

    >>> from datetime import datetime
    >>> day = datetime(2016, 7, 8, tzinfo=timezone.utc)
    >>> post_filename({"id": "news:123", "source": "news", "source_id": "123", "published_at": day})
    '2016-07-08-news-123.md'
    >>> post_filename({"id": "news:a/b", "source": "news", "source_id": "a/b", "published_at": day})
    '2016-07-08-news-ab-2a65fd5863.md'
    """
    published = doc["published_at"].astimezone(timezone.utc)
    # Only checked parts name a file: a stored source is whatever the store holds.
    if not isinstance(doc["source"], str) or not SOURCE_NAME.fullmatch(doc["source"]):
        raise ValueError(f"source {doc['source']!r} is not a source's name")
    raw = str(doc["source_id"])
    source_id = "".join(c for c in raw if c.isalnum() or c in "-_")
    stem = f"{published:%Y-%m-%d}-{doc['source']}-{source_id}"
    suffix = ".md"
    if source_id == raw and len((stem + suffix).encode("utf-8")) <= MAX_NAME_BYTES:
        return stem + suffix
    tag = "-" + hashlib.sha256(str(doc["id"]).encode("utf-8", errors="surrogatepass")).hexdigest()[:10]
    return _cut_utf8(stem, MAX_NAME_BYTES - len(tag) - len(suffix)) + tag + suffix


# What Hexo acts on in a post's content, written as character references (they read the same in
# a browser, in text and in attribute values alike):
# - "{" opens Nunjucks ({{ }}, {% %}, {# #}): without it Hexo runs no template at all;
# - a line break: a blank line ends the post's <div> HTML block, and marked would read the rest
#   as Markdown ([x](javascript:...), ![](http://tracker/...)); on one line the body is one block;
# - U+FFFC marks Hexo's own placeholders (<!--code\uFFFC0-->): text that looks like one is
#   swapped for other content, or fails the whole `hexo generate`.
_IN_CONTENT = (("{", "&#123;"), ("\n", "&#10;"), ("\ufffc", "&#65532;"))
# Inside attribute values also "=" and "'": Hexo's external-link filter finds a link's href with a
# regular expression, then writes target="_blank" before the first "href=" of the whole tag, which
# may sit in the link's title ("x href='http://a/' onmouseover='...'"): the title's value would
# end there and the rest become attributes. ('"', "<" and ">" are references already.)
_IN_VALUES = (("=", "&#61;"), ("'", "&#39;"))
# nh3 serializes a tag with no ">" but its own end and attribute values with no '"': this finds
# each tag with a value holding "=" or "'", then each value.
_TAG_TO_FIX = re.compile(r'<[^>]*="[^"]*[=\'][^>]*>')
_VALUE = re.compile(r'="([^"]*)"')


def _references(text: str, characters: tuple[tuple[str, str], ...]) -> str:
    for character, reference in characters:
        text = text.replace(character, reference)
    return text


def _fix_values(tag: re.Match[str]) -> str:
    return _VALUE.sub(lambda value: '="' + _references(value[1], _IN_VALUES) + '"', tag[0])


def inert(html: str) -> str:
    """An article body as post content that Hexo renders unchanged: sanitized again (whatever the
    store holds), then the characters Hexo's passes act on as character references.

    >>> inert("<p>{{ 1 + 1 }}</p>\\n\\n<p><a title=\\"x href='y'\\">a=b</a></p>")
    '<p>&#123;&#123; 1 + 1 }}</p>&#10;&#10;<p><a title="x href&#61;&#39;y&#39;" rel="noopener noreferrer">a=b</a></p>'
    """
    return _TAG_TO_FIX.sub(_fix_values, _references(sanitize(html), _IN_CONTENT))


def checked_headimg(doc: dict[str, Any], proxy: str = "") -> str:
    """The post's headimg (and thumbnail): the stored one if it is an http(s) URL through the
    CORS proxy (``proxy``, the CORS_PROXY setting, when set), made inert for the theme's quoting;
    else none, logged. The store holds what another program may have written there.

    >>> checked_headimg({"headimg": "https://p/?http://s/a.jpeg"}, "https://p/?"), checked_headimg({"headimg": None})
    ('https://p/?http://s/a.jpeg', '')
    """
    value = doc.get("headimg")
    if not value:
        return ""
    url = inert_http_url(value) if isinstance(value, str) else None
    if url is None or not url.startswith(proxy):
        logger.warning("Hexo post of article %s: headimg %r left out, not an http(s) URL through the proxy %r",
                       doc.get("id"), str(value)[:200], proxy)
        return ""
    return url


# The Hexo date styles a profile may name (hexo.date_style).
DATE_STYLES = ("rfc1123", "local")


class PostTemplate:
    """The front matter every post of one source shares (categories, author, date style), dumped once.

    PyYAML's emitter is pure Python: a dump per line made 7 per post, 81 % of an export.
    """

    def __init__(self, categories: Iterable[str], author: str, date_style: str = "rfc1123",
                 timezone_name: str = DEFAULT_TIMEZONE) -> None:
        if date_style not in DATE_STYLES:
            raise ValueError(f"date style {date_style!r}: expected one of {', '.join(DATE_STYLES)}")
        self.categories = "categories: \n" + "".join(" - " + _lines(c=_front(c))[len("c: "):] for c in categories)
        self.author = _lines(author=_front(author))
        self.date_style = date_style
        self.timezone = timezone_name

    @classmethod
    def of(cls, source: str, profile: SourceProfile | None) -> PostTemplate:
        """The front matter of ``source``'s posts: its profile's, else filed under its name."""
        if profile is None:
            return cls([source], source)
        return cls(profile.hexo.categories, profile.hexo.author, profile.hexo.date_style, profile.timezone)

    def date(self, published: datetime) -> str:
        """``Thu, 08 Jul 2021 10:55:51 GMT`` (rfc1123, the seed's), or ``2021-07-08 18:55:51`` in the
        source's time zone (local), which Hexo reads as a time in the site's own zone."""
        return rfc1123(published) if self.date_style == "rfc1123" else local_time(published, self.timezone)

    def render(self, doc: dict[str, Any], proxy: str = "") -> str:
        """The post of ``doc``; ``proxy``: the prefix its headimg must start with (``checked_headimg``)."""
        # One dump per post; the thumbnail repeats the headimg value as written.
        dumped = _lines(title=_Quoted(doc["title"]), headimg=_Quoted(checked_headimg(doc, proxy)))
        title, _, headimg = dumped.partition("\nheadimg: ")
        front = [
            title, "\n",
            self.categories,
            "headimg: ", headimg,
            self.author,
            "comments: false\n",
            f"date: {self.date(doc['published_at'])}\n",
            "thumbnail: ", headimg,
        ]
        body = inert(doc.get("content_html") or "")
        return "\n---\n" + "".join(front) + "---\n\n<div>   \n" + body + "  \n</div>\n" + " " * 12


class PostTemplates:
    """One PostTemplate per source, made on first use."""

    def __init__(self, profiles: Mapping[str, SourceProfile]) -> None:
        self.profiles = profiles
        self.made: dict[str, PostTemplate] = {}

    def __getitem__(self, source: str) -> PostTemplate:
        if source not in self.made:
            self.made[source] = PostTemplate.of(source, self.profiles.get(source))
        return self.made[source]


@dataclass
class HexoResult:
    written: int = 0
    unchanged: int = 0
    failed: int = 0


def export_posts(docs: Iterable[dict[str, Any]], out_dir: str | Path,
                 profiles: Mapping[str, SourceProfile], proxy: str = "") -> HexoResult:
    """Write one post per article, with its source's front matter (``profiles``, by name) and a
    headimg through ``proxy`` (CORS_PROXY); a file whose bytes would not change is not touched."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    templates = PostTemplates(profiles)
    result = HexoResult()
    owners: dict[str, str] = {}  # file name -> article id, so that no post overwrites another
    for doc in docs:
        try:
            name = post_filename(doc)
            if owners.setdefault(name, doc["id"]) != doc["id"]:
                raise ValueError(f"{name} is already the post of {owners[name]}")
            path = out / name
            if path.parent != out or name in (".", ".."):  # post_filename builds no path; checked all the same
                raise ValueError(f"{name!r} is not a file name")
            data = templates[doc["source"]].render(doc, proxy).encode("utf-8")
            if holds(path, data):
                result.unchanged += 1
                continue
            with replacing(path, make_folder=False, sync=False) as file:
                file.write(data)
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            result.failed += 1
            logger.error("Hexo post of article %s not written in %s: %s", doc.get("id"), out, exc)
            continue
        result.written += 1
    if result.written:
        sync_folder(out)  # the new names, once for all the posts
    logger.info("Hexo posts in %s: %d written, %d unchanged, %d failed", out, result.written, result.unchanged,
                result.failed)
    return result
