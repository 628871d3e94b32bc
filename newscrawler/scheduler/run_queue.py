"""A run's shared frontier in Redis: scrapy-redis's priority queue, safe against lost replies.

A Redis command can be applied by the server and its reply lost: Valkey stopped (its SIGTERM
shutdown writes the append-only file, then closes connections with replies still unsent), a
dropped connection, a failover. redis-py then sends the command again (``REDIS_PARAMS``'
``retry``), or raises and the scheduler tries again after the outage. scrapy-redis's
queue and dupefilter are not safe to repeat: a second pop takes the *next* request (the
first is gone from the queue and never reached a worker), and a second ``SADD`` answers
"seen" for a request whose first ``SADD`` went in (the request is dropped as a duplicate
of itself). Either way the request, and everything a listing page would have led to, was
lost for the run. So, through scrapy-redis's ``SCHEDULER_QUEUE_CLASS`` setting:

- **A pop carries a receipt.** Each queue object (one worker in one run) pops under a token
  and keeps its last pop in the run's ``<queue key>:taken`` hash (one entry per worker):
  the same call sent again (same token) gets the same request back. A new token is drawn
  only once a reply arrived, so only a request whose reply was lost is ever handed out twice,
  and then to the worker that asked for it.
- **A request goes in with its fingerprint, or neither does.** ``push_unseen`` adds the
  fingerprint and the request in one script: sent again after a lost reply, it finds the
  fingerprint and leaves the request where the first call put it.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from scrapy import Request
from scrapy.utils.request import request_from_dict
from scrapy_redis.queue import PriorityQueue

logger = logging.getLogger(__name__)

# KEYS: queue (sorted set), taken (hash). ARGV: taker, token. Returns {request or false, 1 if
# this very pop was answered before (its reply was lost)}.
_POP = """
local last = redis.call('HGET', KEYS[2], ARGV[1])
if last and string.sub(last, 1, #ARGV[2]) == ARGV[2] then
  return {string.sub(last, #ARGV[2] + 1), 1}
end
local popped = redis.call('ZPOPMIN', KEYS[1])
if #popped == 0 then
  redis.call('HDEL', KEYS[2], ARGV[1])
  return {false, 0}
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2] .. popped[1])
return {popped[1], 0}
"""

# KEYS: fingerprints (set), queue (sorted set). ARGV: fingerprint, score, request. Returns 1 if
# queued, 0 if the fingerprint was there (a duplicate, or this very call sent again).
_PUSH_UNSEEN = """
if redis.call('SADD', KEYS[1], ARGV[1]) == 0 then
  return 0
end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
return 1
"""


class RunQueue(PriorityQueue):
    """scrapy-redis's ``PriorityQueue`` (a sorted set, highest priority first) whose pop and
    deduplicated push give the same outcome when a lost reply makes them run again."""

    def __init__(self, server: Any, spider: Any, key: str, serializer: Any = None) -> None:
        super().__init__(server, spider, key, serializer)
        self.taken_key = f"{self.key}:taken"
        self.taker = uuid.uuid4().hex  # this worker's entry in the taken hash
        self.token: str | None = None  # the pop in progress: kept until a reply arrives
        self.pop_script = server.register_script(_POP)
        self.push_script = server.register_script(_PUSH_UNSEEN)

    @property
    def pending(self) -> bool:
        """A pop went unanswered: it may have taken a request, which the next pop gets back."""
        return self.token is not None

    def encode(self, request: Request) -> bytes:
        """What ``push`` stores: the request's dict through the queue's serializer (pickle)."""
        return self.serializer.dumps(request.to_dict(spider=self.spider))

    def push_unseen(self, request: Request, fingerprints: str, fingerprint: str) -> bool:
        """Queue ``request`` unless ``fingerprint`` is in the set ``fingerprints``; True if queued."""
        return bool(self.push_script(keys=[fingerprints, self.key],
                                     args=[fingerprint, -request.priority, self.encode(request)]))

    def pop(self, timeout: float = 0) -> Request | None:
        """The highest-priority request, or None. ``timeout`` is ignored, as by scrapy-redis's
        ``PriorityQueue`` (a blocking pop would stall the reactor)."""
        if self.token is None:
            self.token = uuid.uuid4().hex
        # On an error the token stays: the next pop asks for what this one may have taken.
        data, replayed = self.pop_script(keys=[self.key, self.taken_key], args=[self.taker, self.token])
        self.token = None
        if not data:
            return None
        request = request_from_dict(self.serializer.loads(data), spider=self.spider)
        if replayed:
            self.spider.crawler.stats.inc_value("redis/pops_replayed")
            logger.info("The reply to a pop was lost; the request it took is taken again: %s", request.url)
        return request

    def clear(self) -> None:
        self.server.delete(self.key, self.taken_key)
