"""The crawl frontier: an article's page goes before the next listing page, whatever host serves it.

Scrapy's default scheduler queue (``DownloaderAwarePriorityQueue``) keeps one priority
queue per download slot, that is per host, and picks the host with the fewest downloads
in flight; priorities only order requests of one host. The listing API and the article
pages live on different hosts, so the listing host ran ahead and every detail request of
a whole crawl waited in memory (20,000 for a 20,000-article crawl).

``DetailsFirstPriorityQueue`` is that same queue, except that it picks a host only among
those whose next request has the highest priority waiting anywhere. Detail requests carry
``DETAIL_PRIORITY``, above listing pages, so the next listing page is fetched only once no
detail request waits: at most about one listing page per channel of detail requests are
pending, however large the crawl. Among equals it still spreads the load over hosts.
Scrapy-redis's queue orders by priority across hosts by itself, so the same request
priorities bound a distributed crawl too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from scrapy.crawler import Crawler
from scrapy.pqueues import DownloaderAwarePriorityQueue, DownloaderInterface, ScrapyPriorityQueue

# Priority of article pages; listing pages keep Scrapy's default of 0 (higher goes first).
DETAIL_PRIORITY = 1


class _MostUrgentSlots(DownloaderInterface):
    """Download activity of only those hosts whose next request is the most urgent."""

    def stats(self, possible_slots: Iterable[str]) -> list[tuple[int, str]]:
        if isinstance(possible_slots, Mapping):
            queues: Mapping[str, ScrapyPriorityQueue] = possible_slots
            # ScrapyPriorityQueue.curprio is the negated priority of its next request.
            prios = [q.curprio for q in queues.values() if q.curprio is not None]
            if prios:
                best = min(prios)
                possible_slots = [slot for slot, q in queues.items() if q.curprio == best]
        return super().stats(possible_slots)


class DetailsFirstPriorityQueue(DownloaderAwarePriorityQueue):
    """``DownloaderAwarePriorityQueue`` whose priorities hold across hosts (SCHEDULER_PRIORITY_QUEUE)."""

    def __init__(self, crawler: Crawler, *args: Any, **kwargs: Any) -> None:
        super().__init__(crawler, *args, **kwargs)
        # The parent asks this object, with its slot -> queue mapping, which hosts may go next.
        self._downloader_interface = _MostUrgentSlots(crawler)
