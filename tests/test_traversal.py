"""A stored or replayed ``source`` naming a path never steers a write outside ``export hexo --out``
(both stores): replay sets such a dead letter aside, the export refuses such a document."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from newscrawler.items import article_id
from newscrawler.storage.documents import to_document, to_json
from tests.articles import T0, article
from tests.processes import ROOT, env
from tests.stores import BACKENDS, make_store, store_cli_args

# Relative to the post's own name (YYYY-MM-DD-<source>-<id>.md in --out): up out of --out.
ESCAPE = "x/../../../escaped"


def files_under(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize("kind", BACKENDS)
def test_replay_sets_aside_a_source_that_is_a_path(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    folder = tmp_path / "deadletter"
    folder.mkdir()
    bad = to_json(to_document(article(9, source=ESCAPE, id=article_id(ESCAPE, "9"))))
    forged = to_json(to_document(article(8, id="qutoutiao:other")))  # an id that is not source:source_id
    (folder / "deadletter-1-x.jsonl").write_text("\n".join([to_json(to_document(article(1))), bad, forged]) + "\n",
                                                 encoding="utf-8")
    make_store(kind, tmp_path, request).close()
    done = subprocess.run([sys.executable, "-m", "newscrawler", "replay", *store_cli_args(kind, tmp_path, request),
                           "-s", f"DEADLETTER_DIR={folder}"], cwd=ROOT, env=env(), capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 1, done.stderr
    assert "1 new" in done.stdout
    assert "set aside 2 lines in " in done.stderr
    assert "1 bad value in source: expected a source's name" in done.stderr
    assert "1 id is not article_id(source, source_id)" in done.stderr
    assert "line 2 set aside" in done.stderr and "line 3 set aside" in done.stderr  # the log lines
    [rejected] = folder.glob("rejected-*.jsonl")
    assert [json.loads(line)["line"] for line in rejected.read_text(encoding="utf-8").splitlines()] == [2, 3]
    store = make_store(kind, tmp_path, request)
    try:
        assert store.known_ids(["qutoutiao:1", article_id(ESCAPE, "9"), "qutoutiao:other"]) == {"qutoutiao:1"}
    finally:
        store.close()


@pytest.mark.parametrize("kind", BACKENDS)
def test_export_writes_nothing_outside_out(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """A document written into the store by another program, not through replay's checks."""
    store = make_store(kind, tmp_path, request)
    bad = to_document(article(9, source=ESCAPE, id=article_id(ESCAPE, "9")))
    store.write([to_document(article(1)), bad], T0)
    store.close()
    root = tmp_path / "site"
    out = root / "a" / "posts"
    out.mkdir(parents=True)
    before = files_under(tmp_path)
    done = subprocess.run([sys.executable, "-m", "newscrawler", "export", "hexo", "--out", str(out),
                           *store_cli_args(kind, tmp_path, request)], cwd=ROOT, env=env(), capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    # Left out as it is read (storage.reading); the Hexo exporter's own check stands behind it.
    assert done.stdout.strip() == (f"Hexo posts in {out}/: 1 written, 0 unchanged, 0 failed; "
                                   "1 stored articles left out, unreadable (named in the log)")
    assert (f"Stored article {bad['id']!r} skipped, it cannot be read: bad value in source: expected a "
            "source's name") in done.stderr
    assert "Traceback" not in done.stderr
    assert files_under(tmp_path) - before == {out / "2026-11-27-qutoutiao-1.md"}
    assert [p.name for p in out.iterdir()] == ["2026-11-27-qutoutiao-1.md"]  # no folder made for a post either


def test_the_hexo_exporter_itself_refuses_a_source_that_is_a_path(tmp_path: Path,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    """Behind the read check (storage.reading): the exporter writes no post whose name a source steers."""
    from newscrawler.exporters.hexo import export_posts

    out = tmp_path / "site" / "posts"
    bad = to_document(article(9, source=ESCAPE, id=article_id(ESCAPE, "9")))
    result = export_posts([to_document(article(1)), bad], out, {})
    assert (result.written, result.failed) == (1, 1)
    assert f"source {ESCAPE!r} is not a source's name" in caplog.text
    assert files_under(tmp_path) == {out / "2026-11-27-qutoutiao-1.md"}
