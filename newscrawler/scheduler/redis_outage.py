"""A worker's view of its Valkey/Redis being away: since when, why, and the requests it holds meanwhile.

redis-py retries each command with backoff first (``REDIS_PARAMS``' ``retry``), which rides out
a dropped connection or a quick restart. When that is not enough, the scheduler counts an
outage here: one WARNING when it starts, one INFO line when Valkey is back, and the requests
the spider made meanwhile, kept in this process until they can be queued.
"""

from __future__ import annotations

import logging
import time
from collections import deque

from redis.exceptions import (
    ClusterDownError, ConnectionError, OutOfMemoryError, ReadOnlyError, ResponseError, TimeoutError, TryAgainError,
)
from scrapy import Request
from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)

# Valkey down, restarting, loading its data (LOADING: redis-py's BusyLoadingError, a
# ConnectionError), failed over to a read-only replica, full (OOM), its cluster or master down
# (CLUSTERDOWN, MASTERDOWN) or busy (TRYAGAIN): conditions that pass, or that an operator fixes,
# unlike a bad command (a bug, raised).
UNAVAILABLE = (ConnectionError, TimeoutError, ReadOnlyError, OutOfMemoryError, ClusterDownError, TryAgainError)
# Replies of the same kind that redis-py raises as a plain ResponseError: writes refused after a
# failed save (MISCONF: a full disk), or for want of replicas (NOREPLICAS). A script's error
# starts with the same code.
UNAVAILABLE_REPLIES = ("MISCONF ", "NOREPLICAS ", "MASTERDOWN ", "CLUSTERDOWN ", "TRYAGAIN ", "LOADING ")


def is_unavailable(error: BaseException) -> bool:
    """Whether ``error`` says Valkey is away or refuses writes for now: an outage, not a bug.

    >>> is_unavailable(ResponseError("MISCONF Errors writing to the AOF file: No space left on device"))
    True
    >>> is_unavailable(ResponseError("WRONGTYPE Operation against a key holding the wrong kind of value"))
    False
    """
    if isinstance(error, UNAVAILABLE):
        return True
    return isinstance(error, ResponseError) and str(error).startswith(UNAVAILABLE_REPLIES)


def describe(error: BaseException) -> str:
    """redis-py's words name host and port, never the password.

    >>> describe(ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused."))
    'ConnectionError: Error 111 connecting to 127.0.0.1:6379. Connection refused.'
    """
    return f"{type(error).__name__}: {error}"


class Outage:
    """Whether Valkey is away now, since when, and what this worker holds until it is back."""

    def __init__(self, where: str, timeout: float, stats: StatsCollector) -> None:
        self.where = where  # host:port, for the log
        self.timeout = timeout  # REDIS_OUTAGE_TIMEOUT
        self.stats = stats
        self.since: float | None = None
        self.cause = ""
        # Requests the spider made meanwhile, in order, and the one whose push failed when the
        # outage began (it went in with its fingerprint, or not at all: it is pushed again).
        self.held: deque[Request] = deque()

    @property
    def active(self) -> bool:
        return self.since is not None

    def begin(self, error: BaseException) -> None:
        """A command failed after redis-py's retries: an outage starts (logged once), or goes on."""
        self.cause = describe(error)
        if self.since is not None:
            return
        self.since = time.monotonic()
        self.stats.inc_value("redis/outages")
        logger.warning("Valkey/Redis at %s is unreachable (%s): new requests are held here; retrying for up "
                       "to %g s (REDIS_OUTAGE_TIMEOUT)", self.where, self.cause, self.timeout)

    def hold(self, request: Request) -> None:
        self.held.append(request)
        self.stats.inc_value("redis/held_requests")

    def elapsed(self) -> float:
        return 0.0 if self.since is None else time.monotonic() - self.since

    def expired(self) -> bool:
        return self.active and self.elapsed() >= self.timeout

    def end(self) -> list[Request]:
        """Valkey answered again: the outage is over; returns the held requests, to queue now."""
        took, held = self.elapsed(), list(self.held)
        self.since, self.cause = None, ""
        self.held.clear()
        logger.info("Valkey/Redis at %s is back after %.1f s; queueing the %d request(s) held meanwhile",
                    self.where, took, len(held))
        return held
