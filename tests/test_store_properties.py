"""Properties of the rules both stores share: newest wins in any write order; Hexo names stay apart."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newscrawler.exporters.hexo import post_filename
from newscrawler.storage import Query
from newscrawler.storage.documents import to_document
from tests.articles import T0, article, docs
from tests.stores import BACKENDS, make_store

# Source ids as they come: any text, including path separators, dots and non-Latin letters.
source_ids = st.text(st.characters(exclude_categories=("Cs",)), max_size=300)


@given(st.lists(source_ids, min_size=2, max_size=20, unique=True))
def test_distinct_ids_never_share_a_hexo_file(ids: list[str]) -> None:
    documents = [to_document(article(1, id=f"qutoutiao:{sid}", source_id=sid)) for sid in ids]
    names = [post_filename(doc) for doc in documents]
    assert len(set(names)) == len(names)
    assert all(len(name.encode("utf-8")) <= 251 and "/" not in name and "\0" not in name for name in names)


@pytest.mark.parametrize("kind", BACKENDS)
def test_newest_copy_wins_in_any_order(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    store = make_store(kind, tmp_path, request)
    counter = iter(range(10**6))

    @settings(max_examples=25 if kind == "sqlite" else 10, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.permutations(range(4)), st.lists(st.booleans(), min_size=4, max_size=4))
    def check(order: list[int], same_content: list[bool]) -> None:
        n = next(counter)  # a fresh id per example
        copies = [article(n, title="v0" if same else f"v{hour}", crawled_at=T0 + timedelta(hours=hour))
                  for hour, same in enumerate(same_content)]
        for hour in order:
            store.write(docs(copies[hour]), T0)
        [row] = [r for r in store.query(Query()) if r["id"] == f"qutoutiao:{n}"]
        newest = copies[3]
        assert row["title"] == newest.title
        # a copy with the same content as the newest may hold the row, but never an older content
        assert row["content_hash"] == to_document(newest)["content_hash"]

    try:
        check()
    finally:
        store.close()


@given(st.datetimes(timezones=st.just(timezone.utc)), st.datetimes(timezones=st.just(timezone.utc)))
def test_stored_date_text_sorts_as_time_does(a: datetime, b: datetime) -> None:
    """SQLite compares published_at and crawled_at as text: any two years, 0001 to 9999, in time order."""
    from newscrawler.storage.sqlite import column_date, crawl_time

    assert (column_date(a) < column_date(b)) == (a.replace(microsecond=0) < b.replace(microsecond=0))
    assert (crawl_time(a) < crawl_time(b)) == (a < b)
    assert len(column_date(a)) == 20 and len(crawl_time(a)) == 27
