"""Validated spider arguments (``-a name=value``): bad ones fail at start."""

from __future__ import annotations

from dataclasses import dataclass

from newscrawler.categories import CATEGORIES


def _positive_int(name: str, value: object) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ValueError(f"spider argument {name}={value!r}: expected a positive whole number") from None
    if number < 1:
        raise ValueError(f"spider argument {name}={value!r}: expected a positive whole number")
    return number


def _cids(value: object) -> tuple[int, ...]:
    parts = [p.strip() for p in str(value).split(",") if p.strip()]
    if not parts:
        raise ValueError(f"spider argument cids={value!r}: expected channel ids such as 255,1,6")
    try:
        return tuple(dict.fromkeys(int(p) for p in parts))
    except ValueError:
        raise ValueError(f"spider argument cids={value!r}: expected channel ids such as 255,1,6") from None


def _flag(name: str, value: object) -> bool:
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"spider argument {name}={value!r}: expected 1 or 0")


@dataclass(frozen=True)
class QutoutiaoArgs:
    """``cids`` (default: every known channel), ``pages``, ``limit``, ``refresh``."""

    cids: tuple[int, ...]
    pages: int
    limit: int
    refresh: bool

    @classmethod
    def parse(
        cls,
        default_pages: int,
        default_limit: int,
        cids: object = None,
        pages: object = None,
        limit: object = None,
        refresh: object = "0",
    ) -> QutoutiaoArgs:
        """
        >>> QutoutiaoArgs.parse(10, 10, cids="255, 1,6", pages="2").cids
        (255, 1, 6)
        """
        return cls(
            cids=_cids(cids) if cids is not None else tuple(CATEGORIES),
            pages=_positive_int("pages", pages if pages is not None else default_pages),
            limit=_positive_int("limit", limit if limit is not None else default_limit),
            refresh=_flag("refresh", refresh),
        )
