"""One behavioural suite, run against SQLite and a MongoDB wire server (SecantusDB, or MONGO_TEST_URI)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from newscrawler.items import ARTICLE_FIELDS
from newscrawler.storage import Query
from newscrawler.storage.deadletter import DeadLetter
from newscrawler.storage.replay import replay
from newscrawler.storage.documents import contract_fields, to_document
from tests.articles import T0, article, docs
from tests.stores import BACKENDS, store_fixture


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    yield from store_fixture(request, tmp_path)


def test_insert_and_read_back(store: Any) -> None:
    result = store.write(docs(article(1), article(2)), T0)
    assert (result.new, result.updated, result.unchanged) == (2, 0, 0)
    rows = list(store.query(Query()))
    assert [r["id"] for r in rows] == ["qutoutiao:1", "qutoutiao:2"]  # newest first
    row = rows[0]
    assert contract_fields(row) == contract_fields(to_document(article(1)))
    assert row["published_at"] == T0 - timedelta(days=1) and row["published_at"].utcoffset() == timedelta(0)
    assert row["crawled_at"] == T0 + timedelta(microseconds=123000)  # BSON's millisecond precision, both stores
    assert row["first_seen_at"] == T0 and row["updated_at"] is None
    assert set(ARTICLE_FIELDS) <= set(row)
    assert store.count() == 2


def test_unchanged_rerun_keeps_content_and_moves_crawled_at_on(store: Any) -> None:
    store.write(docs(article(1), article(2)), T0)
    before = {r["id"]: r for r in store.query(Query())}
    # counters and crawl time move; content does not
    later = T0 + timedelta(hours=1)
    again = [article(1, stats={"read": 99}, crawled_at=later), article(2)]
    result = store.write(docs(*again), later)
    assert (result.new, result.updated, result.unchanged) == (0, 0, 2)
    after = {r["id"]: r for r in store.query(Query())}
    for row_id, row in after.items():
        assert row["updated_at"] is None and row["first_seen_at"] == T0
        assert row["stats"] == before[row_id]["stats"]  # no rewrite for counters alone
    # the newer sighting is remembered, so that an older copy can no longer replace this content
    assert after["qutoutiao:1"]["crawled_at"] == later
    assert after["qutoutiao:2"]["crawled_at"] == before["qutoutiao:2"]["crawled_at"]


@pytest.mark.parametrize(
    "change",
    [{"title": "新标题"}, {"title": "$title {\"$set\": 1}"}, {"content_html": "<p>改了</p>"}, {"image_urls": []}, {"tags": ["民生"]},
     {"published_at": T0}],
)
def test_changed_article_is_updated(store: Any, change: dict[str, Any]) -> None:
    store.write(docs(article(1), article(2)), T0)
    later = T0 + timedelta(hours=2)
    result = store.write(docs(article(1, **change), article(2)), later)
    assert (result.new, result.updated, result.unchanged) == (0, 1, 1)
    row = next(r for r in store.query(Query()) if r["id"] == "qutoutiao:1")
    name, value = next(iter(change.items()))
    assert row[name] == value
    assert row["updated_at"] == later and row["first_seen_at"] == T0
    assert store.count() == 2


def test_batch_repeating_an_id_keeps_the_last(store: Any) -> None:
    result = store.write(docs(article(1), article(1, title="后来的")), T0)
    assert result.new == 1
    assert [r["title"] for r in store.query(Query())] == ["后来的"]


def test_known_ids(store: Any) -> None:
    store.write(docs(article(1), article(2)), T0)
    assert store.known_ids(["qutoutiao:1", "qutoutiao:3"]) == {"qutoutiao:1"}
    assert store.known_ids([]) == set()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (Query(), [1, 2, 3, 4]),
        (Query(since=T0 - timedelta(days=2)), [1, 2]),
        (Query(until=T0 - timedelta(days=2)), [3, 4]),
        (Query(since=T0 - timedelta(days=3), until=T0 - timedelta(days=1)), [2, 3]),
        (Query(channel=1), [2, 4]),
        (Query(tag="t3"), [3]),
        (Query(tag="民生", channel=2, limit=1), [1]),
        (Query(tag="无此标签"), []),
        (Query(limit=2), [1, 2]),
    ],
)
def test_query_filters(store: Any, query: Query, expected: list[int]) -> None:
    store.write(docs(*(article(n) for n in (1, 2, 3, 4))), T0)
    assert [r["id"] for r in store.query(query)] == [f"qutoutiao:{n}" for n in expected]


def test_replay_restores_and_removes(store: Any, tmp_path: Path) -> None:
    deadletter = DeadLetter(tmp_path / "dl")
    deadletter.append(docs(article(1), article(2)))
    deadletter.append(docs(article(3)))
    report = replay(store, tmp_path / "dl")
    assert (report.written.new, report.problems, report.ok) == (3, [], True)
    assert not deadletter.path.exists()
    assert store.count() == 3
    assert replay(store, tmp_path / "dl").written.new == 0  # nothing left


def test_copies_of_one_id_in_one_batch_newest_wins_and_the_others_are_stale(store: Any) -> None:
    """A batch may repeat an id (a replayed file, an article listed twice): the copy crawled last is
    kept, wherever it stands in the batch, and each other copy is counted, as stale."""
    newer = article(1, title="新", crawled_at=T0 + timedelta(hours=2))
    older = article(1, title="旧", crawled_at=T0 + timedelta(hours=1))
    result = store.write(docs(newer, older, article(2)), T0)
    assert (result.new, result.stale, result.stored) == (2, 1, 3)
    assert {r["id"]: r["title"] for r in store.query(Query())} == {"qutoutiao:1": "新", "qutoutiao:2": "标题 2"}
    same_time = article(1, title="后", crawled_at=T0 + timedelta(hours=2))  # a tie: the later one given
    assert store.write(docs(same_time, article(1, title="先", crawled_at=same_time.crawled_at)), T0).stale == 1


def test_replay_stores_the_hash_of_what_a_line_holds(store: Any, tmp_path: Path) -> None:
    """A hand-edited line keeps its old content_hash: stored under that hash, the next crawl of the
    real article would find it unchanged and keep the edit for good."""
    edited = {**to_document(article(1, title="改过的")), "content_hash": to_document(article(1))["content_hash"]}
    (tmp_path / "dl").mkdir()
    (tmp_path / "dl" / "deadletter-1-x.jsonl").write_text(json.dumps(edited, default=str) + "\n", encoding="utf-8")
    assert replay(store, tmp_path / "dl").written.new == 1
    later = T0 + timedelta(days=1)
    result = store.write(docs(article(1, crawled_at=later)), later)
    assert (result.updated, result.unchanged) == (1, 0)
    assert [r["title"] for r in store.query(Query())] == ["标题 1"]


def test_replay_keeps_file_with_a_cut_line(store: Any, tmp_path: Path) -> None:
    deadletter = DeadLetter(tmp_path / "dl")
    path = deadletter.append(docs(article(1)))
    with path.open("a", encoding="utf-8") as file:
        file.write('{"id": "qutoutiao:2", "titl')  # killed mid-write
    report = replay(store, tmp_path / "dl")
    assert report.written.new == 1 and store.count() == 1
    # the cut line is set aside with its reason; the file, fully accounted for, is gone
    assert report.set_aside == {"not JSON": 1} and not report.ok
    assert not path.exists()
    aside = [json.loads(line) for line in report.rejected_path.read_text(encoding="utf-8").splitlines()]
    assert aside == [{"file": str(path), "line": 2, "reason": "not JSON", "text": '{"id": "qutoutiao:2", "titl'}]
