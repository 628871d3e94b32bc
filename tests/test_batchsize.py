"""Settings read with a fallback: STORE_BATCH_SIZE and its old name MONGO_BATCH_SIZE."""

from __future__ import annotations

import pytest
from scrapy.settings import Settings

from newscrawler.storage.batchsize import store_batch_size
from newscrawler.errors import ConfigError


def settings(**by_priority: dict[str, object]) -> Settings:
    """Settings as Scrapy builds them: settings.py at "project", -s at "cmdline"."""
    built = Settings()
    for priority, values in by_priority.items():
        built.setdict(values, priority=priority)
    return built


@pytest.mark.parametrize(
    ("built", "size"),
    [
        (settings(project={"STORE_BATCH_SIZE": 100}), 100),
        (settings(project={"STORE_BATCH_SIZE": 100}, cmdline={"STORE_BATCH_SIZE": "7"}), 7),
        (settings(project={"STORE_BATCH_SIZE": 100}, cmdline={"MONGO_BATCH_SIZE": "5"}), 5),  # the old name, from -s
        (settings(project={"STORE_BATCH_SIZE": 100, "MONGO_BATCH_SIZE": 5}), 100),  # same level: the new name
        (settings(project={"MONGO_BATCH_SIZE": 5}, cmdline={"STORE_BATCH_SIZE": "9"}), 9),
    ],
)
def test_batch_size(built: Settings, size: int) -> None:
    assert store_batch_size(built) == size


@pytest.mark.parametrize(("name", "value"), [("STORE_BATCH_SIZE", "0"), ("STORE_BATCH_SIZE", "many"),
                                             ("MONGO_BATCH_SIZE", "-1")])
def test_bad_batch_size_names_the_setting(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=f"{name}="):
        store_batch_size(settings(project={"STORE_BATCH_SIZE": 100}, cmdline={name: value}))
