"""The spider of one source profile: listing pages per channel, then each new article's page.

It only routes. The profile's page objects (``pages/kinds.py``) read every response; the spider
decides what to request next: the listing's next page by the profile's paging kind (``pages``:
``{page}`` up to ``-a pages``; ``next``: the page's next link, up to ``-a pages``; ``none``: one
page per channel), and each entry's article page, or the article straight from the entry when
the listing carries it. A channel stops at an empty page, after ``paging.max_bad_pages`` bad
pages in a row, or when the API refuses it. One page gives at most LISTING_MAX_ENTRIES entries,
whatever ``-a limit`` asked for: an API answering limit=10 with 75,000 entries queued 75,000
requests (+280 MB). Every stats key starts with the source's name.
The loader (``spiders/loader.py``) makes one subclass per profile.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timezone
from typing import Any, ClassVar

import scrapy
from scrapy.http import Response, TextResponse
from scrapy.utils.log import failure_to_exc_info
from twisted.python.failure import Failure

from newscrawler.checks import positive_int, setting
from newscrawler.dates import load_date_parser
from newscrawler.errors import ConfigError
from newscrawler.items import article_id
from newscrawler.middlewares.incremental import NEXT_PAGE_META, STORE_ID_META
from newscrawler.middlewares.lostrequests import failure_message, failure_reason, is_known
from newscrawler.pages.article import build_article
from newscrawler.pages.detail import known_facts
from newscrawler.pages.entries import ListingEntry, ListingError, ListingPage
from newscrawler.pages.kinds import ArticlePageObject, ListingPageObject, article_page_object, listing_page_object
from newscrawler.scheduler.fingerprints import ARTICLE_ID_META, CANONICAL_URL_META
from newscrawler.scheduler.priorities import DETAIL_PRIORITY
from newscrawler.sources.profile import SourceProfile
from newscrawler.spiders.params import SourceArgs

logger = logging.getLogger(__name__)

Channel = int | str | None  # a profile's channel id; None for a source without channels


class SourceSpider(scrapy.Spider):
    """The spider of ``profile`` (set on each subclass); ``name`` is the profile's name."""

    profile: ClassVar[SourceProfile | None] = None
    profile_error: ClassVar[ConfigError | None] = None  # a profile file that could not be used
    max_entries: int  # LISTING_MAX_ENTRIES, checked in from_crawler

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Every -a argument is ours to check (setup): none becomes a stray attribute.
        self.raw_args = dict(kwargs)
        super().__init__(*args)

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> SourceSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.max_entries = setting(crawler.settings, "LISTING_MAX_ENTRIES", positive_int)
        spider.setup()
        return spider

    def setup(self) -> None:
        """Check the arguments (``spider.args``, a dataclass: the run identity reads it) and take the profile."""
        if self.profile_error is not None:
            raise self.profile_error  # fail at start: one line naming the file, the key and the value
        assert self.profile is not None  # a subclass made by the loader carries one
        self.args = SourceArgs.parse(self.profile, **self.raw_args)
        self.use_profile(self.profile)
        load_date_parser(self.profile.timezone)

    def use_profile(self, profile: SourceProfile) -> None:
        """Read pages by ``profile`` from now on."""
        self.source_profile = profile
        self.source = profile.name  # the stats prefix
        self.listing_pages: ListingPageObject = listing_page_object(profile)
        self.article_pages: ArticlePageObject = article_page_object(profile)

    # --- requests ------------------------------------------------------------
    async def start(self) -> AsyncIterator[scrapy.Request]:
        args = self.args
        channels: tuple[Channel, ...] = args.channels or (None,)
        logger.info(
            "Crawling %s%s, up to %d pages of %d entries%s", self.source,
            f" channels {','.join(map(str, channels))}" if args.channels else "", args.pages, args.limit,
            " (refresh: known articles fetched again)" if args.refresh else "",
        )
        for channel in channels:
            yield self.listing_request(self.listing_url(channel, 1), channel, page=1, bad_pages=0)

    def listing_url(self, channel: Channel, page: int) -> str:
        """A numbered listing page: page 1 at ``paging.first_url`` when the profile gives one (not with -a url)."""
        paging = self.source_profile.listing.paging
        template = self.args.url or self.source_profile.listing.url
        if page == 1 and paging.first_url and not self.args.url:
            template = paging.first_url
        return template.format(channel="" if channel is None else channel, page=page, limit=self.args.limit)

    def listing_request(self, url: str, channel: Channel, page: int, bad_pages: int) -> scrapy.Request:
        return scrapy.Request(
            url,
            callback=self.parse_listing,
            errback=self.listing_failed,
            cb_kwargs={"channel": channel, "page": page, "bad_pages": bad_pages},
            # the incremental middleware stops a listing whose page held only stored articles
            meta={NEXT_PAGE_META: page > 1},
        )

    def article_request(self, entry: ListingEntry, channel: Channel) -> scrapy.Request:
        # One fingerprint per article (its id and canonical URL), whatever channel or tracking
        # keys listed it: Scrapy's dupefilter drops the repeats (stat dupefilter/filtered).
        key = article_id(self.source, entry.source_id)
        meta: dict[str, Any] = {CANONICAL_URL_META: entry.canonical_url, ARTICLE_ID_META: key}
        if not self.args.refresh:  # unmarked, the incremental middleware lets it through
            meta[STORE_ID_META] = key
        return scrapy.Request(
            entry.url,
            callback=self.parse_article,
            errback=self.detail_failed,
            cb_kwargs={"entry": entry, "channel": channel},
            meta=meta,
            priority=DETAIL_PRIORITY,
        )

    def next_listing_request(self, listing: ListingPage, channel: Channel, page: int) -> scrapy.Request | None:
        """The channel's next page by the profile's paging kind, within ``-a pages``."""
        if page >= self.args.pages:
            return None
        kind = self.source_profile.listing.paging.kind
        if kind == "pages":
            return self.listing_request(self.listing_url(channel, page + 1), channel, page + 1, bad_pages=0)
        if kind == "next" and listing.next_url:
            return self.listing_request(listing.next_url, channel, page + 1, bad_pages=0)
        return None

    # --- callbacks -----------------------------------------------------------
    def count(self, key: str, value: int = 1) -> None:
        self.crawler.stats.inc_value(f"{self.source}/{key}", value)

    def note_retries(self, response: Response) -> None:
        """A page that needed retries (a 500, a timeout) is a broken case too: say so."""
        retries = response.request.meta.get("retry_times", 0) if response.request else 0
        if retries:
            self.count("recovered_after_retry")
            logger.info("%s succeeded after %d retr%s", response.url, retries, "y" if retries == 1 else "ies")

    def parse_listing(self, response: Response, channel: Channel, page: int, bad_pages: int) -> Iterator[Any]:
        self.note_retries(response)
        now = datetime.now(timezone.utc)
        try:
            listing = self.listing_pages.parse_response(response, now)
        except ListingError as exc:
            yield from self.bad_listing(response.url, exc.reason, str(exc), channel, page, bad_pages)
            return
        self.count("listing/pages")
        self.count("listing/ads_skipped", listing.skipped)
        if listing.invalid:
            self.count("listing/invalid_entries", listing.invalid)
            logger.warning("%d listing entries without a usable id or url on %s", listing.invalid, response.url)
        for problem, number in listing.problems.items():
            self.count(f"listing/{problem}", number)
        if listing.problems:
            logger.warning("Listing %s: fields of the wrong kind (%s)", response.url,
                           ", ".join(f"{k}: {v}" for k, v in sorted(listing.problems.items())))
        if listing.is_empty:
            logger.debug("%s ends at page %d (%s)", self.channel_label(channel), page, response.url)
            return
        for entry in self.capped(listing, response.url):
            if self.source_profile.article.fetch:
                yield self.article_request(entry, channel)
            else:  # the listing carries the article (a feed)
                yield build_article(entry, channel, None, self.source_profile, now)
        following = self.next_listing_request(listing, channel, page)
        if following is not None:
            yield following

    def capped(self, listing: ListingPage, url: str) -> list[ListingEntry]:
        """The page's entries, at most ``max_entries`` (LISTING_MAX_ENTRIES) of them, in the page's order."""
        over = len(listing.entries) - self.max_entries
        if over <= 0:
            return listing.entries
        self.count("listing/entries_over_cap", over)
        logger.warning("Listing %s holds %d entries: the first %d taken, %d left out (LISTING_MAX_ENTRIES)",
                       url, len(listing.entries), self.max_entries, over)
        return listing.entries[: self.max_entries]

    def bad_listing(
        self, url: str, reason: str, message: str, channel: Channel, page: int, bad_pages: int
    ) -> Iterator[scrapy.Request]:
        self.count(f"listing/error/{reason}")
        logger.error("Bad listing page %s: %s", url, message)
        # A refusal (a status the profile calls an error) is the site's answer for the channel; other errors may pass.
        if reason == "api_error" or bad_pages + 1 >= self.source_profile.listing.paging.max_bad_pages:
            logger.error("%s: giving up after %d bad listing page(s)", self.channel_label(channel), bad_pages + 1)
            return
        # Numbered pages go on past a bad one; a next link cannot be read from a page that failed.
        if self.source_profile.listing.paging.kind == "pages" and page < self.args.pages:
            yield self.listing_request(self.listing_url(channel, page + 1), channel, page + 1, bad_pages + 1)

    def listing_failed(self, failure: Failure) -> Iterator[scrapy.Request]:
        if not is_known(failure):
            self.unexpected_failure(failure)
            return
        request = failure.request
        kwargs = request.cb_kwargs
        yield from self.bad_listing(request.url, failure_reason(failure), failure_message(failure),
                                    kwargs["channel"], kwargs["page"], kwargs["bad_pages"])

    def parse_article(self, response: Response, entry: ListingEntry, channel: Channel) -> Iterator[Any]:
        self.note_retries(response)
        if not isinstance(response, TextResponse):
            self.count("detail/error/not_html")
            logger.error("Detail page %s is not text (%s); skipped", response.url, response.headers.get("Content-Type"))
            return
        now = datetime.now(timezone.utc)
        page = self.article_pages.parse_response(response, now, known_facts(entry))
        if page.content_html is None:
            self.count("detail/no_body_element")
            logger.warning("No body element (%s) on %s", self.body_queries(), response.url)
        if page.bad_base is not None:
            self.count("detail/bad_base")
            logger.warning("Unusable <base href=%.200r> on %s: its relative URLs resolve against the page URL",
                           page.bad_base, response.url)
        for problem, number in page.problems.items():
            self.count(f"detail/{problem}", number)
        if page.problems:
            logger.warning("Detail page %s: facts of the wrong kind (%s)", response.url,
                           ", ".join(f"{k}: {v}" for k, v in sorted(page.problems.items())))
        self.count("detail/parsed")
        yield build_article(entry, channel, page, self.source_profile, now)

    def detail_failed(self, failure: Failure) -> None:
        if not is_known(failure):
            self.unexpected_failure(failure)
            return
        reason = failure_reason(failure)
        self.count(f"detail/error/{reason}")
        logger.error("Detail page failed (%s): %s: %s", reason, failure.request.url, failure_message(failure))

    def unexpected_failure(self, failure: Failure) -> None:
        """A request failed with an exception no download error is (a bug in a middleware or a
        handler): counted and logged as Scrapy does a callback's (``spider_exceptions/<Class>``,
        exit status 3). Re-raised here, Scrapy would log it without counting it."""
        self.crawler.stats.inc_value("spider_exceptions/count")
        self.crawler.stats.inc_value(f"spider_exceptions/{type(failure.value).__name__}")
        logger.error("Spider error processing %s", failure.request, exc_info=failure_to_exc_info(failure))

    # --- words for the log ---------------------------------------------------
    def channel_label(self, channel: Channel) -> str:
        if channel is None:
            return self.source
        name = self.source_profile.channel_name(channel)
        return f"{self.source} channel {channel}" + (f" ({name})" if name else "")

    def body_queries(self) -> str:
        return ", ".join(query.text for query in self.source_profile.article.body) or "article.page_object"
