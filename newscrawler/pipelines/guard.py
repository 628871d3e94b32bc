"""One article's unexpected error becomes a drop with a reason, never a traceback."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem

logger = logging.getLogger(__name__)

Stage = TypeVar("Stage")


def guarded(stage: str) -> Callable[[Callable[[Stage, Any], Any]], Callable[[Stage, Any], Any]]:
    """Wrap ``process_item``: DropItem passes; any other error counts as ``<stage>/error/<Class>``.

    The pipeline instance needs a ``stats`` attribute.
    """

    def decorate(process_item: Callable[[Stage, Any], Any]) -> Callable[[Stage, Any], Any]:
        @functools.wraps(process_item)
        def wrapper(self: Stage, item: Any) -> Any:
            try:
                return process_item(self, item)
            except DropItem:
                raise
            except Exception as exc:  # noqa: BLE001 - the point: one article must not stop the rest
                name = type(exc).__name__
                adapter = ItemAdapter(item)
                url = adapter.get("url") or adapter.get("id")
                self.stats.inc_value(f"{stage}/error/{name}")  # type: ignore[attr-defined]
                logger.error("%s stage failed on %s (%s: %s)", stage, url, name, exc)
                raise DropItem(f"{stage} failed ({name}: {exc}): {url}") from None

        return wrapper

    return decorate
