"""What every listing kind makes of its entries: typed ``ListingEntry`` records, by the profile's rules.

A listing page object finds the raw entries (JSON objects, HTML rows, feed entries) and hands
each to ``EntryReader.read`` with a way to look its queries up. The reader applies the rules
below per field (``text_field``, ``id_field``, ``string_list``, dates by ``dates.read_date``): a
value of the wrong kind is counted and replaced, and an entry without a usable id or URL is
counted and skipped. ``FieldReader`` applies the same rules to an article page's facts
(``pages/detail.py``). Nothing here raises on hostile input.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

from w3lib.html import replace_entities

from newscrawler.dates import read_date
from newscrawler.sources.profile import Alternative, FieldRule, SourceProfile
from newscrawler.sources.queries import WrongKind
from newscrawler.text import scrub
from newscrawler.urls import canonical_url, inert_http_url, is_http_url, unescape_url

logger = logging.getLogger(__name__)

TEXT_FIELDS = ("title", "summary", "author", "category", "content_html")
COUNT_FIELDS = ("read", "comment", "share", "like")
# Longest text a regex of a profile is run over: bounds the time of a careless pattern.
MAX_PATTERN_INPUT = 4096
# Seconds a profile's regex may run over one value (the ``regex`` package's timeout=): a pattern
# that backtracks for ever (``^(\w|\w\w)*$`` on 40 letters and a "!") would otherwise hold the
# reactor thread inside the matcher, where not even SIGTERM reaches it. A sane pattern over
# MAX_PATTERN_INPUT characters takes well under a millisecond.
PATTERN_TIMEOUT = 0.1


# --- One rule per field: a value of any JSON or HTML shape in, the contract's type out ----------
# Each returns ``(value, problem)``: ``problem`` is None for a value taken as it came (or plainly
# absent) and a short word when the listing sent something of the wrong kind, to be counted.
Checked = tuple[Any, str | None]


def text_field(value: Any) -> Checked:
    """Strings as they are, numbers as decimal text; anything else is missing.

    >>> [text_field(v)[0] for v in ("标题", 12, 1.5, None, [1], {"k": "v"}, True, float("nan"))]
    ['标题', '12', '1.5', None, None, None, None, None]
    """
    if value is None:
        return None, None
    if isinstance(value, str):
        return scrub(value), None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value), None
    if isinstance(value, float) and math.isfinite(value):
        return repr(value), None
    return None, "wrong_type"


def html_field(value: Any) -> Checked:
    """A body is a string: a number is not one, nor a list.

    >>> [html_field(v) for v in ("<p>x</p>", None, 42, ["<p>"])]
    [('<p>x</p>', None), (None, None), (None, 'wrong_type'), (None, 'wrong_type')]
    """
    if value is None or isinstance(value, str):
        return text_field(value)
    return None, "wrong_type"


def id_field(value: Any) -> Checked:
    """A non-empty string or integer: trimmed, entities unescaped once.

    >>> [id_field(v)[0] for v in (" 221131 ", 221131, 7.0, "a&amp;b", "&nbsp;", True, 1.5, {"a": 1}, "")]
    ['221131', '221131', '7', 'a&b', None, None, None, None, None]
    """
    if isinstance(value, bool):
        return None, "wrong_type"
    if isinstance(value, float):
        if not (math.isfinite(value) and value.is_integer()):
            return None, "wrong_type"
        value = int(value)
    if isinstance(value, int):
        return str(value), None
    if not isinstance(value, str):
        return None, "wrong_type" if value is not None else "missing"
    text = scrub(replace_entities(value)).strip()
    return (text, None) if text else (None, "blank")


def string_list(value: Any) -> Checked:
    """A list of strings or one string; other members are dropped, other kinds give [].

    >>> [string_list(v) for v in (["a", " "], "a", ["a", 5], 5, None, {"a": 1})]
    [(['a', ' '], None), (['a'], None), (['a'], 'wrong_type'), ([], 'wrong_type'), ([], None), ([], 'wrong_type')]
    """
    if value is None:
        return [], None
    if isinstance(value, str):
        return [scrub(value)], None
    if not isinstance(value, list):
        return [], "wrong_type"
    strings = [scrub(v) for v in value if isinstance(v, str)]
    return strings, None if len(strings) == len(value) else "wrong_type"


class ListingError(Exception):
    """A listing page that cannot be used. ``reason`` is a short stats key."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class ListingEntry:
    """What one listing entry tells about its article, each field of its contract type.

    Text is still raw (entities, spacing: the normalize stage's job); ``published_at`` is None
    when the listing gives no usable time; ``content_html`` is set when the entry carries the
    article itself (a feed).
    """

    source_id: str
    url: str
    canonical_url: str
    title: str | None = None
    summary: str | None = None
    author: str | None = None
    category: str | None = None
    tags: tuple[str, ...] = ()
    covers: tuple[str, ...] = ()
    video: bool = False
    published_at: datetime | None = None
    counts: dict[str, str | None] = field(default_factory=dict)  # read, comment, share, like
    content_html: str | None = None


@dataclass
class ListingPage:
    entries: list[ListingEntry] = field(default_factory=list)
    skipped: int = 0  # entries the profile's skip rules call ads
    invalid: int = 0  # entries without a usable id or URL
    # "invalid/<field>" (entry skipped) and "coerced/<field>" (value replaced) counts.
    problems: Counter[str] = field(default_factory=Counter)
    next_url: str | None = None

    @property
    def is_empty(self) -> bool:
        """No entry at all (ads included): the channel has no more pages."""
        return not (self.entries or self.skipped or self.invalid)


# Looks one alternative's query up in a raw entry: a JSON value, or the list of HTML matches.
Lookup = Callable[[Alternative], Any]


def lookup_in(node: Any) -> Lookup:
    """Look queries up in ``node``: a JSON value, a feed entry, or an HTML element."""

    def lookup(alternative: Alternative) -> Any:
        """The value found; WrongKind when a JMESPath function refuses it (FieldReader counts that)."""
        assert alternative.query is not None  # url_pattern alternatives never reach a lookup
        return alternative.query.evaluate(node)

    return lookup


def first_text(matches: Any) -> str | None:
    """The first non-blank text among HTML matches (strings, or elements whose text is read)."""
    for match in matches:
        text = match if isinstance(match, str) else match.text_content()
        if text.strip():
            return str(text)
    return None


def all_texts(matches: Any) -> list[str]:
    texts = (m if isinstance(m, str) else m.text_content() for m in matches)
    return [str(t) for t in texts if t.strip()]


class FieldReader:
    """Applies field rules (a profile's listing fields, or its article page's) to one lookup."""

    def __init__(self, fields: dict[str, FieldRule], timezone: str, html: bool) -> None:
        self.fields = fields
        self.timezone = timezone
        self.html = html  # matches are lists of HTML texts, not JSON values
        self.timed_out: set[str] = set()  # fields whose pattern ran out of time, logged once each

    def raw(self, name: str, alternative: Alternative, lookup: Lookup, url: str, problems: Counter[str],
            many: bool = False, where: str = "") -> Any:
        """The alternative's raw value: looked up, HTML matches read as text, its pattern applied.

        ``url`` is what a ``url_pattern`` reads (the entry's URL, or "" where there is none yet);
        ``where``, when given, names the page in the log instead.

        A JMESPath function that refuses the value (``join`` over a string) gives no value, counted
        under ``coerced/<field>``; a pattern that runs out of time is no match, counted under
        ``pattern_timeout/<field>`` and logged the first time for each field.
        """
        try:
            value = url if alternative.query is None else lookup(alternative)
        except WrongKind:
            if name != "id":  # a bad id: invalid/id, as in value()
                problems[f"coerced/{name}/wrong_type" if name == "published_at" else f"coerced/{name}"] += 1
            return None
        if self.html and alternative.query is not None:
            value = all_texts(value) if many else first_text(value)
        if alternative.pattern is not None:
            text, _ = text_field(value)
            try:
                match = alternative.pattern.search(text[:MAX_PATTERN_INPUT], timeout=PATTERN_TIMEOUT) if text else None
            except TimeoutError:
                problems[f"pattern_timeout/{name}"] += 1
                if name not in self.timed_out:
                    self.timed_out.add(name)
                    logger.warning("Pattern %r of field %s ran over %ss on a value of %s: taken as no match "
                                   "(counted as pattern_timeout/%s, logged once)",
                                   alternative.pattern.pattern, name, PATTERN_TIMEOUT, where or url, name)
                match = None
            value = (match.group(1) if alternative.pattern.groups else match.group(0)) if match else None
        return value

    def value(self, name: str, lookup: Lookup, url: str, problems: Counter[str],
              rule: Callable[[Any], tuple[Any, str | None]]) -> Any:
        """The first usable value of field ``name``; a wrong kind is counted, the next tried."""
        for alternative in self.fields.get(name, ()):
            value, problem = rule(self.raw(name, alternative, lookup, url, problems))
            if problem and problem not in ("missing", "blank") and name != "id":  # a bad id: invalid/id
                problems[f"coerced/{name}"] += 1
            if value is not None and (not isinstance(value, str) or value.strip()):
                return value
        return None

    def values(self, name: str, lookup: Lookup, url: str, problems: Counter[str]) -> list[str]:
        for alternative in self.fields.get(name, ()):
            values, problem = string_list(self.raw(name, alternative, lookup, url, problems, many=True))
            if problem:
                problems[f"coerced/{name}"] += 1
            if values:
                return values
        return []

    def flag(self, name: str, lookup: Lookup, url: str, problems: Counter[str]) -> bool:
        rule: FieldRule = self.fields.get(name, ())
        return any(bool(self.raw(name, alternative, lookup, "", problems, where=url)) for alternative in rule)

    def date(self, lookup: Lookup, url: str, now: datetime, problems: Counter[str]) -> datetime | None:
        for alternative in self.fields.get("published_at", ()):
            moment, problem = read_date(self.raw("published_at", alternative, lookup, url, problems),
                                        alternative.date_format, now, self.timezone)
            if problem:
                problems[f"coerced/published_at/{problem}"] += 1
            if moment is not None:
                return moment
        return None



class EntryReader(FieldReader):
    """Applies one profile's listing field rules; built once per crawl."""

    def __init__(self, profile: SourceProfile, html: bool) -> None:
        super().__init__(profile.listing.fields, profile.timezone, html)
        self.tracking = profile.listing.tracking_params

    def read(self, lookup: Lookup, base_url: str, now: datetime, problems: Counter[str]) -> ListingEntry | None:
        """One entry by the field rules; None (counted under ``invalid/<field>``) without id or URL."""
        url = self.url(lookup, base_url, problems)
        if url is None:
            problems["invalid/url"] += 1
            return None
        source_id = self.value("id", lookup, url, problems, id_field)
        if source_id is None:
            problems["invalid/id"] += 1
            return None
        text = {name: self.value(name, lookup, url, problems, html_field if name == "content_html" else text_field)
                for name in TEXT_FIELDS}
        counts = {name: self.value(name, lookup, url, problems, text_field) for name in COUNT_FIELDS}
        return ListingEntry(
            source_id=source_id,
            url=url,
            canonical_url=canonical_url(url, self.tracking),
            title=text["title"],
            summary=text["summary"],
            author=text["author"],
            category=text["category"],
            tags=tuple(self.values("tags", lookup, url, problems)),
            covers=self.covers(lookup, base_url, url, problems),
            video=self.flag("video", lookup, url, problems),
            published_at=self.date(lookup, url, now, problems),
            counts=counts,
            content_html=text["content_html"],
        )

    def covers(self, lookup: Lookup, base_url: str, url: str, problems: Counter[str]) -> tuple[str, ...]:
        """The cover images' absolute http(s) URLs, made inert (urls.inert_http_url): a cover
        becomes a post's headimg, which a theme writes into an attribute or a CSS url(). Any
        other (``javascript:``, ``data:``, no URL) is counted under ``coerced/covers`` and named."""
        covers = []
        for raw in self.values("covers", lookup, url, problems):
            if not raw.strip():
                continue
            cover = inert_http_url(raw, base_url)
            if cover is None:
                problems["coerced/covers"] += 1
                logger.warning("Cover of %s dropped, not an http(s) URL: %r", url, raw[:200])
                continue
            covers.append(cover)
        return tuple(covers)

    def url(self, lookup: Lookup, base_url: str, problems: Counter[str]) -> str | None:
        """The article's absolute http(s) URL (relative and protocol-relative links resolved)."""
        for alternative in self.fields["url"]:
            raw = self.raw("url", alternative, lookup, "", problems, where=base_url)
            if not isinstance(raw, str):  # a number is no link, not even a relative one
                if raw is not None:
                    problems["coerced/url"] += 1
                continue
            text = scrub(raw)
            if not text.strip():
                continue
            try:
                # the base is a fetched URL and the reference made safe: their join needs no second pass
                url = urljoin(base_url, unescape_url(text))
            except ValueError:  # an unclosed IPv6 bracket, a bad port
                continue
            if is_http_url(url):
                return url
        return None

def next_page_url(rule: FieldRule, lookup: Lookup, base_url: str, html: bool) -> str | None:
    """The next page's absolute http(s) URL by the paging rule, or None."""
    for alternative in rule:
        try:
            value = lookup(alternative)
        except WrongKind:  # a JMESPath function refused the page's value: no link there
            continue
        text = first_text(value) if html else text_field(value)[0]
        if not text or not text.strip():
            continue
        try:
            url = unescape_url(urljoin(base_url, text.strip()))
        except ValueError:
            continue
        if is_http_url(url):
            return url
    return None
