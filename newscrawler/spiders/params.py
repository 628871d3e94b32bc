"""Validated spider arguments (``-a name=value``): bad ones fail at start, in one line.

Numbers are ASCII digits only: Python's ``int()`` also reads "1_0", "+5" and "١".
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from newscrawler.checks import named, positive_int
from newscrawler.errors import ConfigError
from newscrawler.items import CHANNEL_WORD, SOURCE_NAME
from newscrawler.numbers import to_int
from newscrawler.sources.profile import DEFAULT_MAX_PAGES, RESERVED_NAMES, SourceProfile, url_template_problem
from newscrawler.sources.queries import CSS, QueryError, compile_query
from newscrawler.urls import is_http_url

# Arguments Scrapyd adds to every job it schedules: not the operator's to mistype.
SCHEDULER_ARGUMENTS = frozenset({"_job"})


def whole(name: str, value: object) -> int:
    """``-a name=value`` as a whole number above zero, in ASCII digits ("1_0" and "١٠" are refused).

    >>> whole("pages", " 07 ")
    7
    """
    return named(f"spider argument {name}", value, positive_int)


def flag(name: str, value: object) -> bool:
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(f"spider argument {name}={value!r}: expected 1 or 0")


def reject_unknown(unknown: dict[str, object], valid: tuple[str, ...]) -> None:
    """An unknown ``-a`` name is a ConfigError listing the valid ones (Scrapyd's own are fine)."""
    mistyped = sorted(set(unknown) - SCHEDULER_ARGUMENTS)
    if mistyped:
        raise ConfigError(
            f"unknown spider argument{'s' if len(mistyped) > 1 else ''} {', '.join('-a ' + m for m in mistyped)}: "
            f"valid ones are {', '.join(valid)}"
        )


def channel_ids(name: str, value: object, profile: SourceProfile) -> tuple[int | str, ...]:
    """Comma-separated channel ids, typed as the profile types its own; repeats dropped.

    Ids outside the profile's list are crawled too (a new channel, a test's): its list only names them.
    """
    known = list(profile.listing.channels)
    words = any(isinstance(key, str) for key in known)
    example = ",".join(map(str, known[:3]))
    if not known:
        raise ConfigError(f"spider argument {name}={value!r}: source {profile.name} has no channels")
    ids: list[int | str] = []
    for piece in (p.strip() for p in str(value).split(",")):
        if not piece:
            continue
        number = to_int(piece)
        if number is not None:
            ids.append(number)
        elif words and CHANNEL_WORD.fullmatch(piece):
            ids.append(piece)
        else:
            ids = []
            break
    if not ids:
        raise ConfigError(f"spider argument {name}={value!r}: expected channel ids such as {example}")
    return tuple(dict.fromkeys(ids))


@dataclass(frozen=True)
class SourceArgs:
    """A profile spider's arguments, checked, defaults filled in (``spider.args``: the run identity reads it).

    ``channels`` (alias ``cids``; default: every channel of the profile, in its order), ``pages``
    and ``limit`` (defaults: the profile's ``paging.max_pages`` and ``per_page``), ``refresh``,
    and ``url``: a listing URL template replacing the profile's (a mirror), checked as the
    profile's is.
    """

    channels: tuple[int | str, ...]
    pages: int
    limit: int
    refresh: bool
    url: str | None

    @classmethod
    def parse(
        cls,
        profile: SourceProfile,
        channels: object = None,
        cids: object = None,
        pages: object = None,
        limit: object = None,
        refresh: object = "0",
        url: object = None,
        **unknown: object,
    ) -> SourceArgs:
        """Every ``-a`` argument, checked; an unknown name is a ConfigError listing the valid ones.

        >>> from newscrawler.sources.profile import profile_from_data
        >>> news = profile_from_data({"name": "news", "listing": {
        ...     "kind": "json", "url": "http://news.example/list?c={channel}&p={page}", "channels": {255: "推荐", 1: "热点"},
        ...     "entries": "items", "fields": {"id": "id", "url": "url"}}, "article": {"body": "article"},
        ...     "hexo": {"categories": ["news"], "author": "news"}}, "news.yaml")
        >>> SourceArgs.parse(news, cids="255, 1,6", pages="2").channels
        (255, 1, 6)
        >>> SourceArgs.parse(news, cid="1")
        Traceback (most recent call last):
        ...
        newscrawler.errors.ConfigError: unknown spider argument -a cid: valid ones are channels, cids, pages, limit, refresh, url
        """
        reject_unknown(unknown, ARGUMENTS)
        if channels is not None and cids is not None:
            raise ConfigError("spider arguments channels and cids: give one of them (cids is the other's old name)")
        listing = profile.listing
        chosen = channels if channels is not None else cids
        return cls(
            channels=channel_ids("channels" if channels is not None else "cids", chosen, profile)
            if chosen is not None else tuple(listing.channels),
            pages=whole("pages", pages if pages is not None else listing.paging.max_pages),
            limit=whole("limit", limit if limit is not None else listing.paging.per_page),
            refresh=flag("refresh", refresh),
            url=listing_template(url, profile) if url is not None else None,
        )


def listing_template(value: object, profile: SourceProfile) -> str:
    """``-a url``: a listing URL template, with the placeholders the profile's own needs."""
    template = str(value).strip()
    problem = url_template_problem(template, needs_channel=bool(profile.listing.channels),
                                   needs_page=profile.listing.paging.kind == "pages")
    if problem:
        raise ConfigError(f"spider argument url={value!r}: {problem}")
    return template


ARGUMENTS: tuple[str, ...] = ("channels", "cids", *(f.name for f in fields(SourceArgs) if f.name != "channels"))


@dataclass(frozen=True)
class FeedArgs:
    """``scrapy crawl feed``'s arguments: ``url`` and ``name`` (required), ``body``, ``pages``, ``refresh``.

    ``name`` is the source's name (ids ``<name>:<guid>``, stats ``<name>/…``); ``body``, a CSS
    selector, makes the spider fetch each entry's page and take that element as the body.
    """

    url: str
    name: str
    body: str | None
    pages: int
    refresh: bool

    @classmethod
    def parse(
        cls, url: object = None, name: object = None, body: object = None, pages: object = None,
        refresh: object = "0", **unknown: object,
    ) -> FeedArgs:
        """Every ``-a`` argument, checked; errors name the argument, never a profile key.

        >>> FeedArgs.parse(url="http://blog.example/atom.xml", name="blog").pages
        10
        >>> FeedArgs.parse(url="http://blog.example/atom.xml", name="Blog")
        Traceback (most recent call last):
        ...
        newscrawler.errors.ConfigError: spider argument name='Blog': expected lowercase letters, digits and _, starting with a letter (at most 40)
        """
        reject_unknown(unknown, FEED_ARGUMENTS)
        if url is None or name is None:
            missing = " and ".join(f"-a {n}" for n, v in (("url", url), ("name", name)) if v is None)
            raise ConfigError(f"scrapy crawl feed needs {missing}: -a url=<feed URL> -a name=<source name>")
        feed_url = str(url).strip()
        if not is_http_url(feed_url):
            raise ConfigError(f"spider argument url={url!r}: expected the http:// or https:// URL of a feed")
        source = str(name).strip()
        if not SOURCE_NAME.fullmatch(source):
            raise ConfigError(f"spider argument name={name!r}: expected lowercase letters, digits and _, "
                              "starting with a letter (at most 40)")
        if source in RESERVED_NAMES:
            raise ConfigError(f"spider argument name={name!r}: name the source, not the spider")
        css = str(body).strip() if body is not None else None
        if css is not None:
            try:
                compile_query(css, CSS)
            except QueryError as exc:
                raise ConfigError(f"spider argument body={body!r}: {exc}") from None
            if not css:
                raise ConfigError(f"spider argument body={body!r}: expected a CSS selector of the article body")
        return cls(url=feed_url, name=source, body=css,
                   pages=whole("pages", pages if pages is not None else DEFAULT_MAX_PAGES),
                   refresh=flag("refresh", refresh))


FEED_ARGUMENTS: tuple[str, ...] = tuple(f.name for f in fields(FeedArgs))
