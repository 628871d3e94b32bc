"""The store batch size: STORE_BATCH_SIZE, or MONGO_BATCH_SIZE, its old name, still read."""

from __future__ import annotations

import logging

from scrapy.settings import BaseSettings

from newscrawler.errors import ConfigError

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
    try:
        size = settings.getint(name)
    except ValueError:
        size = 0
    if size < 1:
        raise ConfigError(f"{name}={settings.get(name)!r}: expected a positive whole number of items per write")
    return size
