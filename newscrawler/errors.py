"""Errors the project raises on purpose, so commands can report them in one line."""

from __future__ import annotations


class ConfigError(ValueError):
    """A bad setting or spider argument: the message names it; the crawl must not start."""


class RemovedSetting(ConfigError):
    """A setting given that no longer exists: the message names what replaced it."""
