"""Hexo file names: one per id, at most 255 bytes, and every failure counted (both stores)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from newscrawler.exporters.hexo import post_filename
from newscrawler.storage.documents import to_document
from tests.articles import T0, article
from tests.processes import ROOT, env
from tests.stores import BACKENDS, make_store, store_cli_args

# Source ids that a naive slug maps onto one another, or onto nothing, or past 255 bytes.
AWKWARD = ["a/b", "ab", "../", "", "..", "a b", "ab-", "ab_", "字" * 120, "x" * 300, "字" * 300]


def awkward_docs() -> list[dict]:
    plain = [to_document(article(n)) for n in range(1, 19)]
    odd = [to_document(article(100 + i, source_id=sid, id=f"qutoutiao:{sid}")) for i, sid in enumerate(AWKWARD)]
    for doc in odd:
        doc["published_at"] = T0  # the same day: only the source id tells them apart
    return plain + odd


def test_names_are_unique_and_bounded() -> None:
    names = [post_filename(doc) for doc in awkward_docs()]
    assert len(set(names)) == len(names)
    assert max(len(name.encode("utf-8")) for name in names) <= 255
    assert all(name.endswith(".md") and "/" not in name and not name.startswith(".") for name in names)
    # an id that needed no change keeps its plain, stable name
    assert "2026-11-27-qutoutiao-1.md" in names


@pytest.mark.parametrize("kind", BACKENDS)
def test_export_writes_one_file_per_article_and_reports_failures(kind: str, tmp_path: Path,
                                                                 request: pytest.FixtureRequest) -> None:
    store = make_store(kind, tmp_path, request)
    all_docs = awkward_docs()
    store.write(all_docs, T0)
    store.close()
    out = tmp_path / "hexo"
    blocked = post_filename(all_docs[0])
    (out / blocked).mkdir(parents=True)  # this one post cannot be written
    done = subprocess.run(
        [sys.executable, "-m", "newscrawler", "export", "hexo", "--out", str(out),
         *store_cli_args(kind, tmp_path, request)],
        cwd=ROOT, env=env(), capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 1, done.stderr
    files = [p for p in out.iterdir() if p.is_file()]
    assert len(files) == len(all_docs) - 1
    assert done.stdout.strip() == f"Hexo posts in {out}/: {len(files)} written, 0 unchanged, 1 failed"
    assert f"Hexo post of article {all_docs[0]['id']} not written" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_name_taken_by_another_article_is_a_failure_not_an_overwrite(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Should two ids ever hash alike, the second post is reported, never written over the first."""
    from newscrawler.exporters import hexo

    monkeypatch.setattr(hexo, "post_filename", lambda doc: "same.md")
    first, second = to_document(article(1)), to_document(article(2))
    result = hexo.export_posts([first, second], tmp_path, {})
    assert (result.written, result.failed) == (1, 1)
    text = (tmp_path / "same.md").read_text(encoding="utf-8")
    assert first["title"] in text and second["title"] not in text
