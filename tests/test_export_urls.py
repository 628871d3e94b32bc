"""What the exports put in a reader's URL slots (Hexo headimg and thumbnail, JSON Feed image) is
re-checked, whatever the store holds: another program may have written it (both stores)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from newscrawler.storage.documents import to_document
from tests.articles import PROXY, T0, article
from tests.processes import ROOT, env
from tests.stores import BACKENDS, make_store, store_cli_args

HEADIMGS = {
    1: (f"{PROXY}http://s/1.jpeg", f"{PROXY}http://s/1.jpeg"),  # as the pipelines write it
    4: ("http://s/not-proxied.jpeg", ""),  # the pipelines write no unproxied one
    5: (f"{PROXY}http://s/q.jpeg' onerror='alert(1)", f"{PROXY}http://s/q.jpeg%27%20onerror=%27alert%281%29"),
}
# Not http(s) at all: the whole article is unreadable (storage.reading), left out and named.
UNREADABLE = {2: "javascript:alert(1)", 3: "data:image/svg+xml,<svg onload=alert(1)>"}


def export(kind: str, fmt: str, out: Path, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    done = subprocess.run([sys.executable, "-m", "newscrawler", "export", fmt, "--out", str(out),
                           *store_cli_args(kind, tmp_path, request)], cwd=ROOT, env=env(), capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 1, done.stderr  # the unreadable ones are left out
    assert "Traceback" not in done.stderr
    for n in UNREADABLE:
        assert f"Stored article 'qutoutiao:{n}' skipped, it cannot be read: headimg is not an http(s) URL" in done.stderr
    return done.stderr


@pytest.mark.parametrize("kind", BACKENDS)
def test_headimg_and_feed_image_are_proxied_http_only(kind: str, tmp_path: Path,
                                                     request: pytest.FixtureRequest) -> None:
    store = make_store(kind, tmp_path, request)
    headimgs = {**{n: value for n, (value, _) in HEADIMGS.items()}, **UNREADABLE}
    store.write([to_document(article(n, headimg=value)) for n, value in headimgs.items()], T0)
    store.close()

    log = export(kind, "hexo", tmp_path / "posts", tmp_path, request)
    assert sorted(int(post.stem.rsplit("-", 1)[1]) for post in (tmp_path / "posts").iterdir()) == sorted(HEADIMGS)
    for n, (value, written) in HEADIMGS.items():
        [post] = (tmp_path / "posts").glob(f"*-qutoutiao-{n}.md")
        front = yaml.safe_load(post.read_text(encoding="utf-8").split("---\n")[1])
        assert (front["headimg"], front["thumbnail"]) == (written, written), n
        left_out = f"Hexo post of article qutoutiao:{n}: headimg {value!r} left out"
        assert (left_out in log) == (written == ""), n

    export(kind, "jsonfeed", tmp_path / "feed.json", tmp_path, request)
    items = json.loads((tmp_path / "feed.json").read_text(encoding="utf-8"))["items"]
    images = {item["id"]: item.get("image") for item in items}
    assert images == {"qutoutiao:1": f"{PROXY}http://s/1.jpeg", "qutoutiao:4": "http://s/not-proxied.jpeg",
                      "qutoutiao:5": HEADIMGS[5][1]}
