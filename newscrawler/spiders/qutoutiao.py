"""The 趣头条 spider: listing pages per channel, then each new article's page."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timezone
from typing import Any

import scrapy
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from newscrawler.scheduler.fingerprints import ARTICLE_ID_META, CANONICAL_URL_META
from newscrawler.scheduler.priorities import DETAIL_PRIORITY
from newscrawler.downloader.headerguard import ResponseHeadersTooLarge
from newscrawler.middlewares.incremental import NEXT_PAGE_META, STORE_ID_META
from newscrawler.items import article_id
from newscrawler.pages.article import build_article
from newscrawler.pages.detail import parse_detail
from newscrawler.pages.listing import ListingEntry, ListingError, parse_listing
from newscrawler.middlewares.privatehosts import RefusedHost
from newscrawler.spiders.params import QutoutiaoArgs

logger = logging.getLogger(__name__)


def failure_reason(failure: Failure) -> str:
    """A short stats key for a failed request: the status, a known cause, or the error class."""
    if failure.check(HttpError):
        return f"http_{failure.value.response.status}"
    if failure.check(RefusedHost):
        return "private_host"
    if failure.check(ResponseHeadersTooLarge):
        return "headers_too_large"  # over DOWNLOAD_MAXHEADERSIZE or DOWNLOAD_MAXHEADERS
    if failure.check(DownloadCancelledError) or "DOWNLOAD_MAXSIZE" in str(failure.value):
        return "too_large"  # over the limit as announced, or while decompressing
    # Scrapy's RedirectMiddleware and OffsiteMiddleware give no subclass, only their text.
    if failure.check(IgnoreRequest) and "max redirections" in str(failure.value):
        return "redirect_loop"
    if failure.check(IgnoreRequest) and "offsite request" in str(failure.value):
        return "offsite"
    return type(failure.value).__name__


def failure_message(failure: Failure) -> str:
    """The real message, not only the class (and where a redirect started): what an operator needs."""
    if failure.check(HttpError):
        message = f"HTTP {failure.value.response.status}"
    else:
        message = f"{type(failure.value).__name__}: {failure.getErrorMessage()}"
    redirects = failure.request.meta.get("redirect_urls") if failure.request is not None else None
    return f"{message} (redirected from {redirects[0]})" if redirects else message


class QutoutiaoSpider(scrapy.Spider):
    name = "qutoutiao"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Every -a argument is ours to check (QutoutiaoArgs): none becomes a stray attribute.
        self._raw_args = {k: kwargs.pop(k) for k in list(kwargs) if k != "name"}
        super().__init__(*args, **kwargs)

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> QutoutiaoSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.args = QutoutiaoArgs.parse(
            settings.getint("QUTOUTIAO_PAGES"), settings.getint("QUTOUTIAO_LIMIT"), **spider._raw_args
        )
        spider.list_url = settings.get("QUTOUTIAO_LIST_URL")
        spider.body_selector = settings.get("QUTOUTIAO_BODY_SELECTOR")
        spider.max_bad_pages = settings.getint("QUTOUTIAO_MAX_BAD_PAGES")
        return spider

    async def start(self) -> AsyncIterator[scrapy.Request]:
        logger.info(
            "Crawling channels %s, up to %d pages of %d items%s",
            ",".join(map(str, self.args.cids)), self.args.pages, self.args.limit,
            " (refresh: known articles fetched again)" if self.args.refresh else "",
        )
        for cid in self.args.cids:
            yield self.listing_request(cid, page=1, bad_pages=0)

    def listing_request(self, cid: int, page: int, bad_pages: int) -> scrapy.Request:
        url = self.list_url.format(cid=cid, page=page, limit=self.args.limit)
        return scrapy.Request(
            url,
            callback=self.parse_listing,
            errback=self.listing_failed,
            cb_kwargs={"cid": cid, "page": page, "bad_pages": bad_pages},
            # the incremental middleware stops a listing whose page held only stored articles
            meta={NEXT_PAGE_META: page > 1},
        )

    def detail_request(self, entry: ListingEntry, cid: int) -> scrapy.Request:
        # One fingerprint per article (its id and canonical URL), whatever channel or tracking
        # keys listed it: Scrapy's dupefilter drops the repeats (stat dupefilter/filtered).
        meta: dict[str, Any] = {CANONICAL_URL_META: entry.canonical_url, ARTICLE_ID_META: article_id(entry.source_id)}
        if not self.args.refresh:  # unmarked, the incremental middleware lets it through
            meta[STORE_ID_META] = article_id(entry.source_id)
        return scrapy.Request(
            entry.url,
            callback=self.parse_article,
            errback=self.detail_failed,
            cb_kwargs={"entry": entry, "cid": cid},
            meta=meta,
            priority=DETAIL_PRIORITY,
        )

    def note_retries(self, response: Response) -> None:
        """A page that needed retries (a 500, a timeout) is a broken case too: say so."""
        retries = response.request.meta.get("retry_times", 0) if response.request else 0
        if retries:
            self.crawler.stats.inc_value("qutoutiao/recovered_after_retry")
            logger.info("%s succeeded after %d retr%s", response.url, retries, "y" if retries == 1 else "ies")

    def parse_listing(self, response: Response, cid: int, page: int, bad_pages: int) -> Iterator[scrapy.Request]:
        self.note_retries(response)
        try:
            # TextResponse decodes by the declared charset; anything else is read as UTF-8.
            listing = parse_listing(response.text if isinstance(response, TextResponse) else response.body)
        except ListingError as exc:
            yield from self.bad_listing(response.url, exc.reason, str(exc), cid, page, bad_pages)
            return
        stats = self.crawler.stats
        stats.inc_value("qutoutiao/listing/pages")
        stats.inc_value("qutoutiao/listing/ads_skipped", listing.ads)
        if listing.invalid:
            stats.inc_value("qutoutiao/listing/invalid_entries", listing.invalid)
            logger.warning("%d listing entries without a usable id or url on %s", listing.invalid, response.url)
        for problem, count in listing.problems.items():
            stats.inc_value(f"qutoutiao/listing/{problem}", count)
        if listing.problems:
            logger.warning("Listing %s: fields of the wrong kind (%s)", response.url,
                           ", ".join(f"{k}: {v}" for k, v in sorted(listing.problems.items())))
        if listing.is_empty:
            logger.debug("Channel %d ends at page %d (%s)", cid, page, response.url)
            return
        for entry in listing.entries:
            yield self.detail_request(entry, cid)
        if page < self.args.pages:
            yield self.listing_request(cid, page + 1, bad_pages=0)

    def bad_listing(
        self, url: str, reason: str, message: str, cid: int, page: int, bad_pages: int
    ) -> Iterator[scrapy.Request]:
        self.crawler.stats.inc_value(f"qutoutiao/listing/error/{reason}")
        logger.error("Bad listing page %s: %s", url, message)
        # A non-zero API code is the API's answer for the channel; other errors may pass.
        if reason == "api_error" or bad_pages + 1 >= self.max_bad_pages:
            logger.error("Channel %d: giving up after %d bad listing page(s)", cid, bad_pages + 1)
            return
        if page < self.args.pages:
            yield self.listing_request(cid, page + 1, bad_pages + 1)

    def listing_failed(self, failure: Failure) -> Iterator[scrapy.Request]:
        request = failure.request
        kwargs = request.cb_kwargs
        yield from self.bad_listing(
            request.url, failure_reason(failure), failure_message(failure), kwargs["cid"], kwargs["page"],
            kwargs["bad_pages"],
        )

    def parse_article(self, response: Response, entry: ListingEntry, cid: int) -> Iterator[Any]:
        self.note_retries(response)
        if not isinstance(response, TextResponse):
            self.crawler.stats.inc_value("qutoutiao/detail/error/not_html")
            logger.error("Detail page %s is not text (%s); skipped", response.url, response.headers.get("Content-Type"))
            return
        page = parse_detail(response.text, self.body_selector, response.url)
        if page.content_html is None:
            self.crawler.stats.inc_value("qutoutiao/detail/no_body_element")
            logger.warning("No %r element on %s", self.body_selector, response.url)
        if page.bad_base is not None:
            self.crawler.stats.inc_value("qutoutiao/detail/bad_base")
            logger.warning("Unusable <base href=%.200r> on %s: its relative URLs resolve against the page URL",
                           page.bad_base, response.url)
        self.crawler.stats.inc_value("qutoutiao/detail/parsed")
        yield build_article(entry, cid, page, datetime.now(timezone.utc))

    def detail_failed(self, failure: Failure) -> None:
        reason = failure_reason(failure)
        self.crawler.stats.inc_value(f"qutoutiao/detail/error/{reason}")
        logger.error("Detail page failed (%s): %s: %s", reason, failure.request.url, failure_message(failure))
