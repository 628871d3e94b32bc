"""``python -m newscrawler demo`` (what ``make demo`` runs), twice, as a new user would."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from newscrawler.replica.site import SEED_ID, ReplicaConfig, Site
from tests import oracle
from tests.conftest import FIXTURES
from tests.processes import ROOT, env


def run_demo(data: Path) -> str:
    run = subprocess.run([sys.executable, "-m", "newscrawler", "demo", "--data-dir", str(data)],
                         cwd=ROOT, env=env(), capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    return run.stdout


def per_source(output: str) -> dict[str, str]:
    """The crawl summary's section of each source."""
    summary = output.split("Crawl summary\n", 1)[1].split("  articles in ", 1)[0]
    return dict(re.findall(r"^  (\w+):\n((?:    .*\n)+)", summary, re.MULTILINE))


def test_demo_twice(tmp_path: Path) -> None:
    data = tmp_path / "data"
    site = Site(ReplicaConfig())
    expected = {"qutoutiao": len(oracle.expected(site)["stored"])}
    expected |= {name: len(articles) for name, articles in site.sources.published()["sources"].items() if name != "feed"}
    total = sum(expected.values())
    first = run_demo(data)
    sections = per_source(first)
    assert sorted(sections) == sorted(expected)  # every bundled source, each summed up apart
    for name, count in expected.items():
        assert f"stored: new={count}, unchanged=0, updated=0" in sections[name], name
    assert "detail errors: http_404=1" in sections["qutoutiao"] and "malformed_json=1" in sections["qutoutiao"]
    assert "api_error=1" in sections["qutoutiao"] and "errors: 0;" in sections["zaker"]
    assert "Detail page failed (http_404): http://html.shehuitu.com/detail/" in first
    seed = data / f"hexo/2021-07-08-qutoutiao-{SEED_ID}.md"
    assert seed.read_bytes() == (FIXTURES / "qutoutiao-hexo-post.md").read_bytes()
    assert len(list((data / "hexo").glob("*.md"))) == total
    assert {p.name for p in (data / "articles").iterdir()} == {f"{name}.jsonl" for name in expected}
    assert len(json.loads((data / "feed.json").read_text(encoding="utf-8"))["items"]) == total
    assert (data / "feed.xml").read_bytes().count(b"<item>") == total

    second = run_demo(data)
    for name, count in expected.items():  # ZAKER's relative times too: the demo fixes the replica's anchor
        assert f"stored: new=0, unchanged={count}, updated=0" in per_source(second)[name], name
    assert f": {total}\n" in second.split("articles in SQLite at", 1)[1]
    assert f"0 written, {total} unchanged" in second
