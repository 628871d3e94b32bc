"""``python -m newscrawler demo`` (what ``make demo`` runs), twice, as a new user would."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from newscrawler.replica.site import SEED_ID, Site
from tests import oracle
from tests.conftest import FIXTURES
from tests.processes import ROOT, env


def run_demo(data: Path) -> str:
    run = subprocess.run([sys.executable, "-m", "newscrawler", "demo", "--data-dir", str(data)],
                         cwd=ROOT, env=env(), capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    return run.stdout


def test_demo_twice(tmp_path: Path) -> None:
    data = tmp_path / "data"
    expected = len(oracle.expected(Site())["stored"])
    first = run_demo(data)
    assert f"stored: new={expected}, unchanged=0, updated=0" in first
    assert "detail errors: http_404=1" in first and "malformed_json=1" in first and "api_error=1" in first
    assert "Detail page failed (http_404): http://html.shehuitu.com/detail/" in first
    assert (data / f"hexo/2021-07-08-qutoutiao-{SEED_ID}.md").read_bytes() == (FIXTURES / "qutoutiao-hexo-post.md").read_bytes()
    assert len(list((data / "hexo").glob("*.md"))) == expected
    assert len(json.loads((data / "feed.json").read_text(encoding="utf-8"))["items"]) == expected
    assert (data / "feed.xml").read_bytes().count(b"<item>") == expected

    second = run_demo(data)
    assert f"stored: new=0, unchanged={expected}, updated=0" in second
    assert f": {expected}\n" in second.split("articles in SQLite at", 1)[1]
    assert f"0 written, {expected} unchanged" in second
