"""Which run a worker belongs to, and which workers of it are alive, kept in Redis.

N workers started for one scheduled crawl must share one frontier and one dupefilter,
and the next scheduled crawl must not inherit them. Keys are per crawl (``<crawl>`` is
``<spider>:<run name>``, see ``run_identity``): the run id lives in ``<crawl>:run``;
workers beat into ``<crawl>:workers`` (and ``<crawl>:busy`` while they have work) with the
server's clock. A worker joins the run while any worker of it beats; a run whose workers
all stopped beating (killed) is replaced by a new one, and the last worker to leave ends
its run. A beat that finds the run key or its own entry gone (Valkey restarted without its
data) puts them back and says so, so the worker can queue its start requests again. Each
step is one Lua script, so two workers starting at once agree.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

logger = logging.getLogger(__name__)

_NOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local cutoff = now - tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', cutoff)
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', cutoff)
"""

# KEYS: run, workers, busy. ARGV: worker, timeout, new run id.
_JOIN = _NOW + """
local run = redis.call('GET', KEYS[1])
local dead = ''
if run and redis.call('ZCARD', KEYS[2]) == 0 then
  dead = run
  run = false
end
if not run then
  run = ARGV[3]
  redis.call('SET', KEYS[1], run)
end
redis.call('ZADD', KEYS[2], now, ARGV[1])
redis.call('ZADD', KEYS[3], now, ARGV[1])
return {run, dead}
"""

# KEYS: run, workers, busy. ARGV: worker, timeout, busy (0/1), run id.
# Returns {other busy workers, the current run id, what was gone: 0 nothing, 1 this worker's
# entry, 2 the run key (put back with this worker's run id)}.
_BEAT = """
-- Before stale entries go: this worker's own, however late, is not "gone".
local known = redis.call('ZSCORE', KEYS[2], ARGV[1])
""" + _NOW + """
local run = redis.call('GET', KEYS[1])
local lost = 0
if not run then
  run = ARGV[4]
  redis.call('SET', KEYS[1], run)
  lost = 2
elseif not known then
  lost = 1
end
redis.call('ZADD', KEYS[2], now, ARGV[1])
if ARGV[3] == '1' then
  redis.call('ZADD', KEYS[3], now, ARGV[1])
else
  redis.call('ZREM', KEYS[3], ARGV[1])
end
return {redis.call('ZCARD', KEYS[3]) - tonumber(ARGV[3]), run, lost}
"""

# KEYS: run, workers, busy. ARGV: worker, timeout, run id. Returns 1 if the run ended
# (also when its key is gone: nobody else can end it then).
_LEAVE = _NOW + """
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
local run = redis.call('GET', KEYS[1])
if redis.call('ZCARD', KEYS[2]) == 0 and (not run or run == ARGV[3]) then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
"""


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def new_run_id() -> str:
    """Sortable and readable in ``redis-cli``: ``20261128T184501Z-1a2b3c``."""
    return f"{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:6]}"


@dataclass(frozen=True)
class Joined:
    run_id: str
    dead_run_id: str  # a run replaced because none of its workers beat any more; "" if none


@dataclass(frozen=True)
class Beat:
    others_busy: int  # other workers of the crawl with requests in hand
    run_id: str  # the crawl's current run: another one than ours if ours was replaced meanwhile
    # What was gone: "" nothing; "worker" this worker's entry (Valkey lost it, or it was silent past
    # the timeout); "run" the run key (Valkey lost it, or the run ended without this worker).
    lost: str


class RunMembership:
    """One worker's membership of its crawl's current run (``crawl`` = ``<spider>:<run name>``)."""

    def __init__(self, server: Any, crawl: str, worker_timeout: float) -> None:
        self.server = server
        self.keys = [f"{crawl}:run", f"{crawl}:workers", f"{crawl}:busy"]
        self.timeout = worker_timeout
        self.worker = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.run_id = ""
        self.join_script = server.register_script(_JOIN)
        self.beat_script = server.register_script(_BEAT)
        self.leave_script = server.register_script(_LEAVE)

    def join(self) -> Joined:
        run, dead = self.join_script(keys=self.keys, args=[self.worker, self.timeout, new_run_id()])
        self.run_id = _text(run)
        return Joined(self.run_id, _text(dead))

    def beat(self, busy: bool) -> Beat:
        """Say this worker is alive (and busy or not); puts back the run key if it is gone."""
        others, run, lost = self.beat_script(keys=self.keys, args=[self.worker, self.timeout, int(busy), self.run_id])
        self.run_id = _text(run)
        return Beat(int(others), self.run_id, ("", "worker", "run")[int(lost)])

    def leave(self) -> bool:
        """Leave the run; True when this was its last live worker, so the run is over."""
        return bool(self.leave_script(keys=self.keys, args=[self.worker, self.timeout, self.run_id]))
