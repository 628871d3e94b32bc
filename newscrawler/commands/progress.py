"""Progress bars for the long store commands: on a terminal only, silent under cron and pipes."""

from __future__ import annotations

import sys
from dataclasses import replace
from typing import IO, Any

from tqdm import tqdm

from newscrawler.storage.base import Query, Store


def progress(iterable: Any = None, *, desc: str, total: int | None = None, unit: str = "article",
             stream: IO[str] | None = None) -> tqdm:
    """A tqdm bar on ``stream`` (stderr) when it is a TTY; otherwise a silent pass-through.

    Use it as an iterable wrapper, or as a context manager and call ``update(n)``.
    """
    stream = stream if stream is not None else sys.stderr
    interactive = hasattr(stream, "isatty") and stream.isatty()
    return tqdm(iterable, desc=desc, total=total, unit=unit, file=stream, disable=not interactive,
                dynamic_ncols=True, leave=False)


def expected_total(store: Store, query: Query) -> int | None:
    """How many articles ``query`` gives, when that is cheap to know (no filter but a limit)."""
    if replace(query, limit=None) != Query():  # any filter: a bar without an end, count and rate only
        return None
    count = store.count()
    return min(count, query.limit) if query.limit is not None else count
