"""``scrapy crawl feed -a url=<feed URL> -a name=<source>``: any RSS 0.9x/1.0/2.0, Atom or JSON Feed.

No profile file: ``sources/feeds.py`` makes one from the arguments. The first response says
which it is: a JSON Feed is read as JSON, anything else by feedparser. Each entry's content is
the article (``content:encoded``, Atom ``content``, else ``description``/``summary``); with
``-a body=<css>`` each entry's page is fetched and that element is the body. Pages follow
RFC 5005 ``rel=next`` links (JSON Feed: ``next_url``) up to ``-a pages``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from scrapy.http import Response

from newscrawler.dates import load_date_parser
from newscrawler.sources.feeds import feed_profile, looks_like_json_feed
from newscrawler.spiders.params import FeedArgs
from newscrawler.spiders.source import Channel, SourceSpider

logger = logging.getLogger(__name__)


class FeedSpider(SourceSpider):
    name = "feed"

    def setup(self) -> None:
        self.args = FeedArgs.parse(**self.raw_args)
        self.json_feed = False  # until the first response says otherwise
        self.use_profile(feed_profile(self.args.name, self.args.url, json_feed=False, body_css=self.args.body))
        load_date_parser(self.source_profile.timezone)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        logger.info("Crawling the feed %s as source %s, up to %d pages%s%s", self.args.url, self.source,
                    self.args.pages, f", article bodies from {self.args.body!r}" if self.args.body else "",
                    " (refresh: known articles fetched again)" if self.args.refresh else "")
        yield self.listing_request(self.args.url, None, page=1, bad_pages=0)

    def parse_listing(self, response: Response, channel: Channel, page: int, bad_pages: int) -> Iterator[Any]:
        if page == 1:
            content_type = response.headers.get("Content-Type", b"").decode("latin-1")
            json_feed = looks_like_json_feed(response.body, content_type)
            if json_feed != self.json_feed:
                self.json_feed = json_feed
                self.use_profile(feed_profile(self.args.name, self.args.url, json_feed, self.args.body))
        yield from super().parse_listing(response, channel, page, bad_pages)
