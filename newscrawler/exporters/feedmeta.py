"""What a feed says of itself (title, home page, description), from the source profiles.

A feed of one source (``scrapy export rss --source <name>``, or a crawl's ``-O feed.xml:rss``)
takes its title and home page from that source's profile, and a channel's name after the title
when it is cut to one channel; a feed of several sources has a neutral title.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from newscrawler.sources.profile import SourceProfile
from newscrawler.sources.registry import Profiles, load_profiles, sources_dir

NEUTRAL_TITLE = "newscrawler"
DESCRIPTION = "Articles collected by newscrawler"


@dataclass(frozen=True)
class FeedMeta:
    """The feed-level fields both renderers (JSON Feed, RSS) write."""

    title: str = NEUTRAL_TITLE
    home_url: str | None = None
    description: str = DESCRIPTION
    # Which feed this is ("news", "news/255"; None: every source), for an id no other feed has.
    key: str | None = field(default=None, repr=False)


def feed_meta(profiles: Mapping[str, SourceProfile], source: str | None = None,
              channel: int | str | None = None) -> FeedMeta:
    """The metadata of a feed of ``source`` (all sources when None), cut to ``channel`` if given.

    >>> from newscrawler.sources.profile import profile_from_data
    >>> news = profile_from_data({"name": "news", "title": "新闻", "home_url": "http://news.example/", "listing": {
    ...     "kind": "json", "url": "http://news.example/api?c={channel}&p={page}", "channels": {255: "推荐"},
    ...     "entries": "items", "fields": {"id": "id", "url": "url"}}, "article": {"body": "article"},
    ...     "hexo": {"categories": ["news"], "author": "news"}}, "news.yaml")
    >>> profiles = {"news": news}
    >>> feed_meta(profiles, "news", 255)
    FeedMeta(title='新闻 · 推荐', home_url='http://news.example/', description='新闻 · 推荐: articles collected by newscrawler')
    >>> feed_meta(profiles, "my_feed").title, feed_meta(profiles).title
    ('my_feed', 'newscrawler')
    """
    if source is None:
        return FeedMeta()
    profile = profiles.get(source)
    title = profile.title if profile is not None else source
    if channel is not None:
        name = profile.channel_name(channel) if profile is not None else None
        title = f"{title} · {name or channel}"
    return FeedMeta(title, profile.home_url if profile is not None else None,
                    f"{title}: articles collected by {NEUTRAL_TITLE}",
                    source if channel is None else f"{source}/{channel}")


def profiles_of(settings: Any) -> Profiles:
    """The source profiles the settings select: bundled, then SOURCES_DIR."""
    return load_profiles(sources_dir(settings))


def crawl_feed_meta(crawler: Any) -> FeedMeta:
    """A crawl's feed (``-O feed.xml:rss``) is of one source: its spider's profile, when it has one."""
    spider = getattr(crawler, "spider", None)
    profile = getattr(spider, "profile", None)
    if isinstance(profile, SourceProfile):
        return feed_meta({profile.name: profile}, profile.name)
    name = getattr(spider, "name", None)
    profiles = profiles_of(crawler.settings).by_name
    return feed_meta(profiles, name) if name in profiles else FeedMeta()
