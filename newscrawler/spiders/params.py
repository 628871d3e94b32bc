"""Validated spider arguments (``-a name=value``): bad ones fail at start."""

from __future__ import annotations

from dataclasses import dataclass, fields

from newscrawler.categories import CATEGORIES
from newscrawler.checks import named, positive_int
from newscrawler.errors import ConfigError
from newscrawler.numbers import to_int

# Arguments Scrapyd adds to every job it schedules: not the operator's to mistype.
SCHEDULER_ARGUMENTS = frozenset({"_job"})


def _cids(value: object) -> tuple[int, ...]:
    numbers = [to_int(p) for p in str(value).split(",") if p.strip()]
    if not numbers or None in numbers:
        raise ConfigError(f"spider argument cids={value!r}: expected channel ids such as 255,1,6")
    return tuple(dict.fromkeys(n for n in numbers if n is not None))


def _flag(name: str, value: object) -> bool:
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(f"spider argument {name}={value!r}: expected 1 or 0")


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
        **unknown: object,
    ) -> QutoutiaoArgs:
        """Every ``-a`` argument, checked; an unknown name is a ConfigError listing the valid ones.

        >>> QutoutiaoArgs.parse(10, 10, cids="255, 1,6", pages="2").cids
        (255, 1, 6)
        >>> QutoutiaoArgs.parse(10, 10, cid="1")
        Traceback (most recent call last):
        ...
        newscrawler.errors.ConfigError: unknown spider argument -a cid: valid ones are cids, pages, limit, refresh
        """
        mistyped = sorted(set(unknown) - SCHEDULER_ARGUMENTS)
        if mistyped:
            raise ConfigError(
                f"unknown spider argument{'s' if len(mistyped) > 1 else ''} {', '.join('-a ' + m for m in mistyped)}: "
                f"valid ones are {', '.join(ARGUMENTS)}"
            )
        return cls(
            cids=_cids(cids) if cids is not None else tuple(CATEGORIES),
            pages=named("spider argument pages", pages if pages is not None else default_pages, positive_int),
            limit=named("spider argument limit", limit if limit is not None else default_limit, positive_int),
            refresh=_flag("refresh", refresh),
        )


ARGUMENTS: tuple[str, ...] = tuple(f.name for f in fields(QutoutiaoArgs))
