"""Which crawl a distributed worker belongs to: workers of one crawl share a run, others never do.

A crawl is its spider, its arguments and its store target (``storage.store_target``), or what
``REDIS_RUN_NAME`` names. The run name goes into the Redis keys of the crawl's runs
(``<spider>:<run name>:run``); a digest keeps them short and free of anything a URI holds.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from newscrawler.errors import ConfigError

# Part of Redis key names, and of scrapy-redis queue keys that are %-formatted: no '%', no ':'.
RUN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


@dataclass(frozen=True)
class RunIdentity:
    name: str  # in the Redis keys
    description: str  # what the name stands for, for the log


def check_run_name(name: str) -> str:
    """``REDIS_RUN_NAME``: empty (derived) or a short name safe in Redis keys.

    >>> check_run_name("nightly-all_channels.v2")
    'nightly-all_channels.v2'
    >>> check_run_name("a:b")
    Traceback (most recent call last):
    ...
    newscrawler.errors.ConfigError: REDIS_RUN_NAME='a:b': expected up to 64 letters, digits, '.', '_' or '-', starting with a letter or digit
    """
    if name and not RUN_NAME.fullmatch(name):
        raise ConfigError(f"REDIS_RUN_NAME={name!r}: expected up to 64 letters, digits, '.', '_' or '-', "
                          "starting with a letter or digit")
    return name


def spider_arguments(spider: Any) -> dict[str, Any]:
    """The spider's checked arguments with their defaults (``spider.args``, a dataclass).

    Checked ones, not the raw ``-a`` text: ``pages`` left out and ``-a pages=10`` (the default)
    are one crawl, and Scrapyd's ``_job`` (a new one for every worker) is not an argument.
    """
    args = getattr(spider, "args", None)
    if dataclasses.is_dataclass(args) and not isinstance(args, type):
        return dataclasses.asdict(args)
    return {}


def run_identity(spider: str, arguments: Mapping[str, Any], store: str, run_name: str = "") -> RunIdentity:
    """The run name of a crawl: ``REDIS_RUN_NAME`` when given, else a digest of what it is.

    >>> run_identity("news", {"cids": [1]}, "sqlite:/srv/a.sqlite3").description
    'spider news, arguments {"cids": [1]}, store sqlite:/srv/a.sqlite3'
    >>> run_identity("news", {"cids": [1]}, "sqlite:/srv/a.sqlite3", "nightly").name
    'nightly'
    """
    canonical = json.dumps(dict(arguments), sort_keys=True, ensure_ascii=False, default=str)
    what = f"spider {spider}, arguments {canonical}, store {store}"
    if check_run_name(run_name):
        return RunIdentity(run_name, f"REDIS_RUN_NAME (this worker: {what})")
    digest = hashlib.sha256(json.dumps([spider, canonical, store], ensure_ascii=False).encode()).hexdigest()
    return RunIdentity(digest[:12], what)
