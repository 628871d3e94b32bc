"""The store batch size: STORE_BATCH_SIZE, or MONGO_BATCH_SIZE, its old name, still read."""

from __future__ import annotations

import logging

from scrapy.settings import BaseSettings

from newscrawler.checks import positive_int, setting

logger = logging.getLogger(__name__)


def store_batch_size(settings: BaseSettings) -> int:
    """Items per store write: ``STORE_BATCH_SIZE``, or ``MONGO_BATCH_SIZE``, its old name.

    The old name governed SQLite too; it is still read, and wins when it was set
    at a higher priority (``-s MONGO_BATCH_SIZE=5`` over settings.py).

    >>> from scrapy.settings import Settings
    >>> store_batch_size(Settings({"STORE_BATCH_SIZE": 100}))
    100
    """
    name = "STORE_BATCH_SIZE"
    if (settings.getpriority("MONGO_BATCH_SIZE") or 0) > (settings.getpriority(name) or 0):
        logger.warning("MONGO_BATCH_SIZE is the old name of STORE_BATCH_SIZE; it still works, but rename it")
        name = "MONGO_BATCH_SIZE"
    return setting(settings, name, positive_int)
