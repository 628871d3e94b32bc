"""The project's own signals, sent through the crawler's signal manager like Scrapy's."""

from __future__ import annotations

# A distributed worker lost its place in its run (Valkey came back without the run's keys, or
# the worker was silent past REDIS_WORKER_TIMEOUT) and is about to queue its start requests
# again. The run's fingerprints may be gone, so components that rely on them forget what this
# crawl requested (the incremental skip asks the store again) and write what they buffer:
# what was fetched is then skipped as stored, not fetched twice. Handlers may be coroutines.
run_rejoined = object()

# The crawl stopped without closing its spider: a second Ctrl-C, Scrapy's forced shutdown, stops
# the reactor at once and close_spider never runs. The crawl command sends it once the reactor is
# gone, so handlers must be plain functions (nothing asynchronous can finish): components write
# down what they still hold, as the store stage spools its unwritten batch.
forced_shutdown = object()
