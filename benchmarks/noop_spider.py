"""No-op twins: for each source spider (every bundled profile, and ``feed``), ``<name>_noop``.

A twin is the real spider's class with its callbacks replaced: the same arguments, settings,
requests (built by the real spider's own ``listing_request``, ``article_request`` and
``next_listing_request``: the same URLs, meta, priorities and so the same duplicate
filtering), and no parsing, no items. It reads the listing pages once, through the replica
(``http_proxy``), before the spider opens (``from_crawler``), with the real page object; during
the crawl each listing response just releases that page's article requests and the next
listing page, as the real spider would. ``bench.py`` runs it with the project's settings,
adding this module to SPIDER_MODULES.
"""

from __future__ import annotations

import logging
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes

from newscrawler.pages.entries import ListingError, ListingPage
from newscrawler.sources.registry import load_profiles
from newscrawler.spiders.feed import FeedSpider
from newscrawler.spiders.loader import profile_spider
from newscrawler.spiders.source import Channel, SourceSpider

logger = logging.getLogger(__name__)


def fetch(url: str) -> Response:
    """``url`` fetched with urllib (through ``http_proxy``, the replica), as a Scrapy response."""
    with urllib.request.urlopen(url, timeout=60) as answer:  # noqa: S310 - the bench's own replica
        body, headers = answer.read(), Headers(dict(answer.headers.items()))
    cls = responsetypes.from_args(headers=headers, url=url, body=body)
    return cls(url=url, body=body, headers=headers, status=200)


class NoopTwin:
    """Mixed in before a source spider class: its listing plan read up front, callbacks that parse nothing."""

    plan: dict[str, ListingPage | ListingError]

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Any:
        spider = super().from_crawler(crawler, *args, **kwargs)  # type: ignore[misc]
        spider.plan = spider.read_plan()
        return spider

    def first_urls(self) -> list[tuple[str, Channel]]:
        spider: Any = self
        if isinstance(self, FeedSpider):
            return [(spider.args.url, None)]
        return [(spider.listing_url(channel, 1), channel) for channel in spider.args.channels or (None,)]

    def read_plan(self) -> dict[str, ListingPage | ListingError]:
        """Each listing page the crawl will fetch, by URL: its entries, or the error it raises."""
        spider: Any = self
        now = datetime.now(timezone.utc)
        plan: dict[str, ListingPage | ListingError] = {}
        pending = [(url, channel, 1, 0) for url, channel in self.first_urls()]
        while pending:
            url, channel, page, bad_pages = pending.pop()
            try:
                listing = spider.listing_pages.parse_response(fetch(url), now)
            except ListingError as exc:
                plan[url] = exc
                # What the spider's bad_listing requests next (it counts stats, not open yet here).
                paging = spider.source_profile.listing.paging
                if (exc.reason != "api_error" and bad_pages + 1 < paging.max_bad_pages and paging.kind == "pages"
                        and page < spider.args.pages):
                    pending.append((spider.listing_url(channel, page + 1), channel, page + 1, bad_pages + 1))
                continue
            plan[url] = listing
            if not listing.is_empty and (request := spider.next_listing_request(listing, channel, page)):
                pending.append((request.url, channel, page + 1, 0))
        logger.info("no-op twin: %d listing pages read before the crawl", len(plan))
        return plan

    def parse_listing(self, response: Response, channel: Channel, page: int, bad_pages: int) -> Iterator[Any]:
        spider: Any = self
        listing = self.plan.get(response.request.url if response.request else response.url)
        if isinstance(listing, ListingError):
            yield from spider.bad_listing(response.url, listing.reason, str(listing), channel, page, bad_pages)
            return
        if listing is None or listing.is_empty:
            return
        if spider.source_profile.article.fetch:
            for entry in listing.entries:
                yield spider.article_request(entry, channel)
        following = spider.next_listing_request(listing, channel, page)
        if following is not None:
            yield following

    def parse_article(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        yield from ()


def twin_of(base: type[SourceSpider], name: str) -> type[scrapy.Spider]:
    return type(f"Noop{base.__name__}", (NoopTwin, base), {"name": name, "__module__": __name__})


# Scrapy's spider loader finds the classes of this module by their ``name``.
for _profile in load_profiles(None).by_name.values():
    _twin = twin_of(profile_spider(_profile), f"{_profile.name}_noop")
    globals()[_twin.__name__] = _twin
del _profile, _twin  # each class once in the module, or the loader sees two of that name
FeedNoopSpider = twin_of(FeedSpider, "feed_noop")
