"""The replica's other sources beside 趣头条, routed by the host a request names.

A proxied request names its host in the request line, a direct one in its
Host header; hosts not listed here fall through to the 趣头条 routes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from newscrawler.replica.dockone import Dockone
from newscrawler.replica.feeds import Feeds
from newscrawler.replica.served import Ask, Published, Reply, not_found
from newscrawler.replica.woshipm import Woshipm
from newscrawler.replica.zaker import Zaker

if TYPE_CHECKING:
    from collections.abc import Iterator

    from newscrawler.replica.site import ReplicaConfig


class SourceSite(Protocol):
    name: str
    hosts: tuple[str, ...]

    def reply(self, ask: Ask) -> Reply | None: ...
    def articles(self) -> Iterator[Published]: ...
    def hostile_articles(self) -> Iterator[Published]: ...
    def describe(self) -> list[str]: ...


class Sources:
    """Dockone (html), 人人都是产品经理 (json), ZAKER (html) and a feed blog, each sized by the config."""

    def __init__(self, config: ReplicaConfig) -> None:
        self.dockone = Dockone(config.dockone_pages, config.dockone_per_page, config.seed, config.hostile)
        self.woshipm = Woshipm(config.woshipm_pages, config.woshipm_per_page, config.seed, config.hostile)
        self.zaker = Zaker(config.zaker_channels, config.zaker_per_channel, config.seed, config.hostile,
                           config.zaker_anchor)
        self.feeds = Feeds(config.feed_entries, config.feed_per_page, config.seed, config.hostile)
        self.sites: tuple[SourceSite, ...] = (self.dockone, self.woshipm, self.zaker, self.feeds)
        self.by_host = {host: site for site in self.sites for host in site.hosts}

    def serves(self, host: str) -> bool:
        return host in self.by_host

    def reply(self, ask: Ask) -> Reply:
        return self.by_host[ask.host].reply(ask) or not_found()

    def published(self) -> dict[str, Any]:
        """Every article a complete crawl must find, per source, and the good ones of the hostile pages."""
        return {
            "sources": {site.name: [a.as_json() for a in site.articles()] for site in self.sites},
            "hostile": {site.name: [a.as_json() for a in site.hostile_articles()] for site in self.sites},
        }

    def describe(self) -> list[str]:
        return [line for site in self.sites for line in site.describe()]
