"""Request priorities: an article's page goes before the next listing page, whatever host serves it.

With ``SCHEDULER_PRIORITY_QUEUE = "scrapy.pqueues.ScrapyPriorityQueue"`` (settings.py), Scrapy's
scheduler keeps one priority queue for every host, so these priorities hold across hosts: the next
listing page is fetched only once no article page waits, and at most about one listing page per
channel of article requests wait in memory, however large the crawl. Scrapy's default queue
(``DownloaderAwarePriorityQueue``) orders by priority within one host only: the listing API, on a
host of its own, ran ahead and every article request of a whole crawl waited (20,000 for a
20,000-article crawl). Distributed mode's shared queue (scrapy-redis's sorted set, scored by
priority) orders the same way across hosts and workers.
"""

from __future__ import annotations

# Priority of article pages; listing pages keep Scrapy's default of 0 (higher goes first).
DETAIL_PRIORITY = 1
