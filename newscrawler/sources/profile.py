"""A source profile: one YAML file that tells the generic page objects how to read one site.

``load_profile`` checks the file's shape (``schema.py``) and then what each value means: every
query compiles, the URL template fills in, the time zone exists. A bad file is one
``ProfileError`` naming the file, the key and the value. Profiles hold data only: no code runs
when one loads (the ``page_object`` escape hatch is a dotted name, imported by the crawl).
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import regex
import yaml
from jsonschema import Draft202012Validator

from newscrawler.checks import Invalid, time_zone
from newscrawler.errors import ConfigError
from newscrawler.sources.queries import CSS, JMESPATH, XPATH, Query, QueryError, compile_query
from newscrawler.sources.schema import PROFILE_SCHEMA

# Read a profile file no larger than this: a site is described in a few kilobytes.
MAX_PROFILE_BYTES = 256 * 1024
DEFAULT_TIMEZONE = "Asia/Shanghai"
DEFAULT_LAZY_IMAGES = ("data-src", "data-original", "data-lazy-src", "data-actualsrc")
URL_FIELDS = frozenset({"channel", "page", "limit"})
# Paging defaults: listing pages per channel (-a pages), entries per page (-a limit), bad pages in a row.
DEFAULT_MAX_PAGES, DEFAULT_PER_PAGE, DEFAULT_MAX_BAD_PAGES = 10, 10, 3
# The generic ``feed`` spider's name: no profile may take it.
RESERVED_NAMES = frozenset({"feed"})
# Dates: epoch seconds or milliseconds (told apart by size, or said), RFC 822 / RFC 3339 text,
# a date alone, feedparser's parsed UTC time, free text (relative Chinese times included), or a
# strptime pattern (any format holding %).
DATE_FORMATS = frozenset({"epoch", "epoch_s", "epoch_ms", "rfc822", "rfc3339", "date", "parsed", "text"})
_STRPTIME_DIRECTIVE = re.compile(r"%(.)")
_STRPTIME_KNOWN = set("aAwdbBmyYHIpMSfzZjUWcxXGuV%")
# A feed entry as feedparser normalizes RSS 0.9x/1.0/2.0, Atom and JSON Feed; a feed profile's
# own fields are laid over these.
FEED_FIELDS: dict[str, Any] = {
    "id": ["id", "link"],
    "url": "link",
    "title": "title",
    "summary": "summary",
    "author": ["author", "author_detail.name"],
    "tags": "tags[].term",
    # feedparser's parsed times, else the text it could not parse (read, or counted as unreadable)
    "published_at": [{"path": "published_parsed", "format": "parsed"}, {"path": "updated_parsed", "format": "parsed"},
                     {"path": "(!published_parsed && !updated_parsed && published) || null", "format": "text"}],
    "content_html": ["content[?type=='text/html' || type=='application/xhtml+xml'].value | [0]", "content[0].value",
                     "summary"],
}


class ProfileError(ConfigError):
    """A profile that cannot be used: the file, the key, the value and why."""

    def __init__(self, path: str | Path | Traversable, key: str, value: Any, reason: str) -> None:
        shown = f"{value!r}: " if value is not None else ""
        if len(shown) > 200:
            shown = shown[:197] + "…: "
        super().__init__(f"{path}: {key or '(top level)'}: {shown}{reason}")
        self.path, self.key, self.value, self.reason = str(path), key, value, reason


@dataclass(frozen=True)
class Alternative:
    """One place a value may be: a query (None: the entry's own URL), a regex, a date format."""

    query: Query | None
    pattern: regex.Pattern[str] | None = None  # run with a timeout (pages/entries.py, PATTERN_TIMEOUT)
    date_format: str | None = None


# A field: its alternatives, tried in order; the first usable value wins.
FieldRule = tuple[Alternative, ...]


@dataclass(frozen=True)
class Paging:
    kind: str  # pages | next | none
    first_url: str | None
    next: FieldRule
    max_pages: int  # the default of -a pages
    per_page: int  # the default of -a limit, filled in as {limit}
    max_bad_pages: int  # bad pages in a row before a channel stops


@dataclass(frozen=True)
class Status:
    """Where a JSON API says whether it answered: values other than ``ok`` are its refusal."""

    query: Query
    ok: frozenset[str]
    message: Query | None


@dataclass(frozen=True)
class Listing:
    kind: str  # json | html | feed
    url: str
    channels: dict[int | str, str]  # id -> name, in crawl order; empty when the site has none
    paging: Paging
    status: Status | None
    entries: Query | None  # json: the entry list; html: the rows; feed: feedparser's entries
    skip: tuple[Query, ...]  # an entry any of these matches is an ad
    fields: dict[str, FieldRule]
    tracking_params: frozenset[str]
    page_object: str | None


@dataclass(frozen=True)
class ArticlePage:
    fetch: bool
    body: tuple[Query, ...]  # the first that matches is the body
    lazy_images: tuple[str, ...]
    drop: tuple[str, ...]  # CSS, besides BODY_DROP_SELECTORS
    fields: dict[str, FieldRule]  # page facts for what the listing lacks
    page_object: str | None


@dataclass(frozen=True)
class HexoStyle:
    categories: tuple[str, ...]
    author: str
    date_style: str  # rfc1123 | local


@dataclass(frozen=True)
class RsshubRoute:
    """An RSSHub route of the source (``/<words>/:<channel>``) and the feed fields RSSHub gave it."""

    prefix: tuple[str, ...]  # the route's words before the channel
    title: str
    link: str | None
    description: str


@dataclass(frozen=True)
class SourceProfile:
    name: str
    title: str
    home_url: str | None
    timezone: str
    listing: Listing
    article: ArticlePage
    hexo: HexoStyle
    path: str  # the file it was read from
    rsshub: RsshubRoute | None = None

    def channel_name(self, channel_id: int | str | None) -> str | None:
        return self.listing.channels.get(channel_id) if channel_id is not None else None  # type: ignore[arg-type]


class _ProfileLoader(yaml.SafeLoader):
    """PyYAML's safe loader, without aliases (no billion laughs) or silently doubled keys."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.constructor.ConstructorError(None, None, "aliases are not allowed in a profile",
                                                    event.start_mark)
        return super().compose_node(parent, index)

    def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"key {key!r} appears twice", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def read_yaml(path: Path | Traversable) -> Any:
    """The file's YAML document; ProfileError when it cannot be read or parsed."""
    try:
        with path.open("rb") as file:
            data = file.read(MAX_PROFILE_BYTES + 1)
    except OSError as exc:
        raise ProfileError(path, "", None, f"cannot be read ({exc.strerror or exc})") from None
    if len(data) > MAX_PROFILE_BYTES:
        raise ProfileError(path, "", None, f"larger than {MAX_PROFILE_BYTES} bytes")
    try:
        return yaml.load(data.decode("utf-8"), Loader=_ProfileLoader)  # noqa: S506 - a safe loader
    except UnicodeDecodeError:
        raise ProfileError(path, "", None, "not UTF-8 text") from None
    except yaml.YAMLError as exc:
        raise ProfileError(path, "", None, f"not valid YAML ({' '.join(str(exc).split())})") from None


def load_profile(path: str | Path | Traversable) -> SourceProfile:
    """Read and check one profile file (or package resource). The file's stem must be the profile's name."""
    path = Path(path) if isinstance(path, str) else path
    profile = profile_from_data(read_yaml(path), path)
    stem = Path(path.name).stem
    if stem != profile.name:
        raise ProfileError(path, "name", profile.name, f"must match the file name ({stem})")
    return profile


def profile_from_data(data: Any, path: str | Path | Traversable) -> SourceProfile:
    """A checked profile from already-parsed data (a file, or the ``feed`` spider's arguments)."""
    _check_shape(data, path)
    return _Builder(data, str(path)).build()


def _check_shape(data: Any, path: str | Path | Traversable) -> None:
    if not isinstance(data, dict):
        raise ProfileError(path, "", None, f"expected a mapping of keys, got {type(data).__name__}")
    errors = sorted(Draft202012Validator(PROFILE_SCHEMA).iter_errors(data), key=lambda e: list(map(str, e.path)))
    if not errors:
        return
    error = errors[0]
    key = ".".join(map(str, error.absolute_path))
    if error.validator == "additionalProperties":
        extra = sorted(str(k) for k in error.instance if k not in error.schema.get("properties", {}))
        known = ", ".join(error.schema.get("properties", {}))
        raise ProfileError(path, ".".join(filter(None, (key, extra[0]))), None, f"unknown key; known here: {known}")
    if error.validator == "required":
        raise ProfileError(path, key, None, error.message.replace("is a required property", "is required"))
    raise ProfileError(path, key, error.instance, _reason(error))


# What a value of each JSON type is, in a profile author's words.
_KINDS = {"integer": "a whole number", "string": "text", "boolean": "true or false", "array": "a list",
          "object": "a mapping"}


def _reason(error: Any) -> str:
    """jsonschema's verdict in a profile author's words, without repeating the value."""
    if error.validator == "enum":
        return "expected one of " + ", ".join(map(str, error.validator_value))
    if error.validator == "type":
        kinds = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        return "expected " + " or ".join(_KINDS.get(k, k) for k in kinds)
    if error.validator == "anyOf":
        return "expected a query, a mapping of path/css/xpath/url_pattern with pattern and format, or a list of them"
    if error.validator == "pattern" and error.absolute_path and error.absolute_path[-1] == "name":
        return "expected lowercase letters, digits and _, starting with a letter (at most 40)"
    if error.validator in ("minItems", "minProperties"):
        return "must not be empty"
    return error.message.replace(repr(error.instance), "").strip(" :") or error.message


class _Builder:
    """Turns checked YAML into a ``SourceProfile``, raising ProfileError at the first bad value."""

    def __init__(self, data: dict[str, Any], path: str) -> None:
        self.data = data
        self.path = path

    def fail(self, key: str, value: Any, reason: str) -> ProfileError:
        return ProfileError(self.path, key, value, reason)

    def build(self) -> SourceProfile:
        data = self.data
        name = data["name"]
        if name in RESERVED_NAMES:
            raise self.fail("name", name, "is reserved for the generic feed spider")
        zone = data.get("timezone", DEFAULT_TIMEZONE)
        try:
            time_zone(zone)
        except Invalid as exc:
            raise self.fail("timezone", zone, str(exc)) from None
        home = data.get("home_url")
        if home is not None and not _is_http(home):
            raise self.fail("home_url", home, "expected an http:// or https:// URL")
        listing = self.listing(data["listing"])
        return SourceProfile(
            name=name,
            title=data.get("title", name),
            home_url=home,
            timezone=zone,
            listing=listing,
            article=self.article(data.get("article", {}), listing),
            hexo=HexoStyle(
                categories=tuple(data["hexo"]["categories"]),
                author=data["hexo"]["author"],
                date_style=data["hexo"].get("date_style", "rfc1123"),
            ),
            path=self.path,
            rsshub=self.rsshub(data.get("rsshub"), data.get("title", name), home),
        )

    def rsshub(self, raw: dict[str, str] | None, title: str, home: str | None) -> RsshubRoute | None:
        if raw is None:
            return None
        link = raw.get("link", home)
        if link is not None and not _is_http(link):
            raise self.fail("rsshub.link", link, "expected an http:// or https:// URL")
        words = tuple(raw["route"].split("/")[1:-1])
        return RsshubRoute(words, raw.get("title", title), link, raw.get("description", raw.get("title", title)))

    def listing(self, raw: dict[str, Any]) -> Listing:
        kind = raw["kind"]
        channels = self.channels(raw.get("channels", {}))
        paging = self.paging(raw.get("paging", {}), kind)
        for key, template in (("listing.url", raw["url"]), ("listing.paging.first_url", paging.first_url)):
            if template is not None:
                self.url_template(key, template, needs_channel=bool(channels),
                                  needs_page=paging.kind == "pages" and key == "listing.url")
        language = JMESPATH if kind in ("json", "feed") else CSS
        fields_raw = dict(FEED_FIELDS, **raw["fields"]) if kind == "feed" else raw["fields"]
        fields = {name: self.field(f"listing.fields.{name}", rule, language, name)
                  for name, rule in fields_raw.items()}
        for required in ("id", "url"):
            if required not in fields:
                raise self.fail(f"listing.fields.{required}", None, "is required")
        if kind == "json" and "entries" not in raw:
            raise self.fail("listing.entries", None, "is required for a json listing (a JMESPath to the entry list)")
        if kind == "html" and "entries" not in raw:
            raise self.fail("listing.entries", None, "is required for an html listing (a CSS selector of the rows)")
        if kind == "feed" and "entries" in raw:
            raise self.fail("listing.entries", raw["entries"], "a feed's entries are the feed's own")
        if "status" in raw and kind != "json":
            raise self.fail("listing.status", raw["status"], "only a json listing has a status field")
        status = None
        if "status" in raw:
            status_raw = raw["status"]
            status = Status(
                query=self.query("listing.status.path", status_raw["path"], JMESPATH),
                ok=frozenset(str(v) for v in status_raw.get("ok", [0])),
                message=self.query("listing.status.message", status_raw["message"], JMESPATH)
                if "message" in status_raw else None,
            )
        entry_language = JMESPATH if kind == "json" else CSS
        return Listing(
            kind=kind,
            url=raw["url"],
            channels=channels,
            paging=paging,
            status=status,
            entries=self.query("listing.entries", raw["entries"], entry_language) if "entries" in raw else None,
            skip=tuple(self.query(f"listing.skip[{i}]", q, language) for i, q in enumerate(raw.get("skip", []))),
            fields=fields,
            tracking_params=frozenset(raw.get("tracking_params", [])),
            page_object=raw.get("page_object"),
        )

    def channels(self, raw: dict[Any, str]) -> dict[int | str, str]:
        for key in raw:
            if isinstance(key, bool) or not isinstance(key, (int, str)):
                raise self.fail("listing.channels", key, "a channel id is a whole number or a word")
            if isinstance(key, str) and not re.fullmatch(r"[\w.-]{1,64}", key, re.ASCII):
                raise self.fail("listing.channels", key, "a channel id holds letters, digits, _ . - only")
        return dict(raw)

    def paging(self, raw: dict[str, Any], kind: str) -> Paging:
        paging_kind = raw.get("kind", "next" if kind == "feed" else "pages" if kind == "json" else "none")
        language = JMESPATH if kind in ("json", "feed") else CSS
        if paging_kind == "next" and "next" not in raw and kind != "feed":
            raise self.fail("listing.paging.next", None, "is required when paging.kind is next")
        if paging_kind != "next" and "next" in raw:
            raise self.fail("listing.paging.next", raw["next"], "only paging.kind next follows a next link")
        default_next = "feed.links[?rel=='next'].href | [0]" if kind == "feed" else None
        next_rule = raw.get("next", default_next)
        return Paging(
            kind=paging_kind,
            first_url=raw.get("first_url"),
            next=self.field("listing.paging.next", next_rule, language, "next") if next_rule else (),
            max_pages=raw.get("max_pages", DEFAULT_MAX_PAGES),
            per_page=raw.get("per_page", DEFAULT_PER_PAGE),
            max_bad_pages=raw.get("max_bad_pages", DEFAULT_MAX_BAD_PAGES),
        )

    def url_template(self, key: str, template: str, needs_channel: bool, needs_page: bool) -> None:
        reason = url_template_problem(template, needs_channel, needs_page)
        if reason:
            raise self.fail(key, template, reason)

    def article(self, raw: dict[str, Any], listing: Listing) -> ArticlePage:
        fetch = raw.get("fetch", listing.kind != "feed")
        bodies = raw.get("body", [])
        bodies = [bodies] if isinstance(bodies, str) else bodies
        if fetch and not bodies and not raw.get("page_object"):
            raise self.fail("article.body", None, "is required when article pages are fetched (article.fetch)")
        if not fetch and "content_html" not in listing.fields:
            raise self.fail("article.fetch", False, "without article pages, listing.fields.content_html is needed")
        for i, css in enumerate(raw.get("drop", [])):
            self.query(f"article.drop[{i}]", css, CSS)
        for i, attribute in enumerate(raw.get("lazy_images", [])):
            if not re.fullmatch(r"[a-z][a-z0-9_:-]{0,63}", attribute):
                raise self.fail(f"article.lazy_images[{i}]", attribute, "not an HTML attribute name")
        return ArticlePage(
            fetch=fetch,
            body=tuple(self.page_query(f"article.body[{i}]", b) for i, b in enumerate(bodies)),
            lazy_images=tuple(raw.get("lazy_images", DEFAULT_LAZY_IMAGES)),
            drop=tuple(raw.get("drop", [])),
            fields={name: self.field(f"article.fields.{name}", rule, CSS, name)
                    for name, rule in raw.get("fields", {}).items()},
            page_object=raw.get("page_object"),
        )

    def page_query(self, key: str, text: str) -> Query:
        """A body selector: CSS, or XPath when written as ``xpath:<expression>``."""
        if text.startswith("xpath:"):
            return self.query(key, text[len("xpath:"):], XPATH)
        return self.query(key, text, CSS)

    def field(self, key: str, rule: Any, language: str, name: str) -> FieldRule:
        alternatives = rule if isinstance(rule, list) else [rule]
        return tuple(self.alternative(f"{key}[{i}]" if isinstance(rule, list) else key, a, language, name)
                     for i, a in enumerate(alternatives))

    def alternative(self, key: str, raw: str | dict[str, str], language: str, name: str) -> Alternative:
        spec = {language_key(language): raw} if isinstance(raw, str) else dict(raw)
        queries = [k for k in ("path", "css", "xpath", "url_pattern") if k in spec]
        if len(queries) != 1:
            raise self.fail(key, raw, "give exactly one of path, css, xpath or url_pattern")
        given = queries[0]
        if given == "path" and language == CSS:
            raise self.fail(key, raw, "pages are read with css or xpath, not path")
        if given in ("css", "xpath") and language == JMESPATH:
            raise self.fail(key, raw, "JSON and feed entries are read with path (JMESPath), not css or xpath")
        if given == "url_pattern":
            if "pattern" in spec:
                raise self.fail(key, raw, "url_pattern is already the regex; drop pattern")
            query, pattern = None, self.regex(key, spec["url_pattern"])
        else:
            query = self.query(key, spec[given], {"path": JMESPATH, "css": CSS, "xpath": XPATH}[given])
            pattern = self.regex(key, spec["pattern"]) if "pattern" in spec else None
        date_format = spec.get("format")
        if date_format is not None:
            if name != "published_at":
                raise self.fail(key, raw, "format applies to published_at only")
            self.date_format(key, date_format)
        return Alternative(query, pattern, date_format)

    def query(self, key: str, text: str, language: str) -> Query:
        try:
            return compile_query(text, language)
        except QueryError as exc:
            raise self.fail(key, text, str(exc)) from None

    def regex(self, key: str, text: str) -> regex.Pattern[str]:
        """A profile's regex, by the ``regex`` package: Python's ``re`` syntax, and a ``timeout=``
        that ``re`` lacks, so a pattern that backtracks for ever cannot hang the crawl."""
        try:
            pattern = regex.compile(text)
        except regex.error as exc:
            raise self.fail(key, text, f"not a valid regular expression ({exc})") from None
        if pattern.groups > 1:
            raise self.fail(key, text, "at most one group: the group's text is the value")
        return pattern

    def date_format(self, key: str, text: str) -> None:
        if "%" in text:
            unknown = {d for d in _STRPTIME_DIRECTIVE.findall(text) if d not in _STRPTIME_KNOWN}
            if unknown or text.count("%") != len(_STRPTIME_DIRECTIVE.findall(text)):
                raise self.fail(key, text, "not a strptime pattern such as %Y-%m-%d %H:%M")
        elif text not in DATE_FORMATS:
            raise self.fail(key, text, "expected a strptime pattern or one of " + ", ".join(sorted(DATE_FORMATS)))


def url_template_problem(template: str, needs_channel: bool, needs_page: bool) -> str | None:
    """Why ``template`` cannot be a listing URL template, or None when it can.

    Placeholders are plain names: a format spec, a conversion or an attribute or index would be
    run on every listing URL (``{channel:d}`` fails on word ids, ``{page:>50000000}`` builds 50 MB),
    so they are refused here, read by ``string.Formatter().parse`` without formatting anything.

    >>> url_template_problem("http://h/list?c={channel}&p={page}", True, True) is None
    True
    >>> url_template_problem("http://h/list?p={page}&x={cid}", False, True)
    "unknown placeholder(s) ['cid']; only {channel}, {page} and {limit} are filled in"
    >>> url_template_problem("http://h/list?p={page:>50000000}", False, True)
    'placeholder {page:>50000000}: a placeholder is a plain name, no format spec, conversion, attribute or index'
    """
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as exc:  # a stray { or }
        return f"not a URL template ({exc})"
    names: set[str] = set()
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if spec or conversion or (name not in URL_FIELDS and re.search(r"[.\[]", name)):
            shown = name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
            return (f"placeholder {{{shown[:60]}}}: a placeholder is a plain name, "
                    "no format spec, conversion, attribute or index")
        names.add(name)
    unknown = names - URL_FIELDS
    if unknown:
        return f"unknown placeholder(s) {sorted(unknown)}; only {{channel}}, {{page}} and {{limit}} are filled in"
    if needs_channel and "channel" not in names:
        return "the listing has channels, so the URL needs {channel}"
    if not needs_channel and "channel" in names:
        return "{channel} needs listing.channels"
    if needs_page and "page" not in names:
        return "paging.kind pages needs {page} in the URL"
    if not _is_http("".join(literal + ("1" if name is not None else "") for literal, name, _, _ in parts)):
        return "expected an http:// or https:// URL"
    return None


def language_key(language: str) -> str:
    """The profile key a bare string stands for in a context of ``language``."""
    return "path" if language == JMESPATH else language


def _is_http(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
