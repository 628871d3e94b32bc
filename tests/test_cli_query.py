"""``scrapy query`` (through its alias ``python -m newscrawler query``) on both stores."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from newscrawler.cli import main
from newscrawler.items import ARTICLE_FIELDS
from newscrawler.storage.documents import to_document
from tests.articles import T0, article
from tests.stores import BACKENDS, make_store, store_cli_args


@pytest.fixture(params=BACKENDS)
def store_args(request: pytest.FixtureRequest, tmp_path: Path) -> list[str]:
    store = make_store(request.param, tmp_path, request)
    store.write([to_document(article(n)) for n in (1, 2, 3, 4)], T0)
    store.close()
    return store_cli_args(request.param, tmp_path, request)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, Any]]:
    assert main(["query", *args]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ([], [1, 2, 3, 4]),
        (["--since", "2026-11-26"], [1, 2]),
        (["--until", "2026-11-26T15:00:00+00:00"], [3, 4]),
        (["--channel", "2"], [1, 3]),
        (["--tag", "t4"], [4]),
        (["--limit", "1"], [1]),
    ],
)
def test_query(store_args: list[str], capsys: pytest.CaptureFixture[str], filters: list[str], expected: list[int]) -> None:
    rows = run(capsys, *store_args, *filters)
    assert [r["id"] for r in rows] == [f"qutoutiao:{n}" for n in expected]
    for row in rows:
        assert list(row) == list(ARTICLE_FIELDS)
        assert row["published_at"].endswith("+00:00")


def test_bad_date_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["query", "--since", "last tuesday"]) == 2
    assert "not an ISO 8601 date" in capsys.readouterr().err
