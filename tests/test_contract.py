"""The article contract has one home: every view of it is derived from ``items.Article``.

The four views that used to be written out apart: the spidermon schema (``ARTICLE_SCHEMA``), the
validate stage's required fields, replay's trust check, and the stored document's shape. They must
agree field by field, and a field added to the dataclass alone must reach all of them.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from dataclasses import asdict, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler
from spidermon.contrib.validation import JSONSchemaValidator

from newscrawler.extensions.monitors import ARTICLE_SCHEMA
from newscrawler.items import ARTICLE_FIELDS, CONTRACT, Article
from newscrawler.pipelines.validate import ValidatePipeline
from newscrawler.storage.documents import STORABLE_FIELDS, BadDocument, check_storable, contract_fields, to_document
from newscrawler.storage.upgrade import upgrade
from tests.processes import ROOT

PUBLISHED = datetime(2021, 7, 8, 10, 55, 51, tzinfo=timezone.utc)


def good(**changes: Any) -> Article:
    """A finished article, as it reaches the store stage."""
    base = Article(id="qutoutiao:1", source="qutoutiao", source_id="1", url="http://h/1.html", title="标题",
                   channel_id=1, channel="热点", tags=["民生"], published_at=PUBLISHED, crawled_at=PUBLISHED,
                   image_urls=["http://s/1.jpg"], headimg="http://s/1.jpg", content_html="<p>正文</p>",
                   content_text="正文", stats={"read": 1})
    for name, value in changes.items():
        setattr(base, name, value)
    return base


def schema_errors(item: Article | dict[str, Any]) -> list[str]:
    ok, errors = JSONSchemaValidator(ARTICLE_SCHEMA).validate(item if isinstance(item, dict) else asdict(item))
    return [] if ok else sorted(errors)


def validate_drops(item: Article) -> list[str]:
    """The fields the validate stage names when it drops ``item``; [] when it keeps it."""
    try:
        ValidatePipeline.from_crawler(get_crawler()).process_item(item)
    except DropItem as exc:
        return str(exc).partition(":")[0].removeprefix("missing ").split(", ")
    return []


def replay_reason(doc: dict[str, Any]) -> str | None:
    """What replay says of a dead-letter document (upgraded, then checked); None: it is stored."""
    try:
        check_storable(upgrade(doc, {}))
    except BadDocument as exc:
        return str(exc)
    return None


def test_the_views_hold_the_same_fields() -> None:
    doc = to_document(good())
    assert tuple(ARTICLE_SCHEMA["properties"]) == ARTICLE_FIELDS == tuple(f.name for f in fields(Article))
    assert tuple(doc)[:-1] == ARTICLE_FIELDS and tuple(doc)[-1] == "content_hash"
    assert STORABLE_FIELDS == {*ARTICLE_FIELDS, "content_hash"}
    assert tuple(contract_fields(doc)) == ARTICLE_FIELDS
    assert schema_errors(good()) == [] and validate_drops(good()) == [] and replay_reason(doc) is None


@pytest.mark.parametrize("name", ARTICLE_FIELDS)
def test_the_views_agree_on_what_is_required(name: str) -> None:
    """A field the validate stage requires is one spidermon's schema requires filled in and replay
    refuses to go without; any other field may be left out of a dead letter (its default)."""
    empty = "" if name in CONTRACT.texts else None
    dropped = name in validate_drops(good(**{name: empty}))
    required = name in CONTRACT.required or name in CONTRACT.required_when
    assert dropped == required
    if required:
        assert schema_errors(good(**{name: empty})) == [name]
        if name in CONTRACT.texts:  # spaces only: dropped by the validate stage, refused by the schema
            assert name in validate_drops(good(**{name: " \n"})) and schema_errors(good(**{name: " \n"})) == [name]
    doc = to_document(good())
    del doc[name]
    reason = replay_reason(doc)
    if required:
        assert reason in (f"missing {name}", f"empty {name}"), reason
    else:
        assert reason is None
        assert doc[name] == getattr(Article(), name)  # the dataclass default, filled in


@pytest.mark.parametrize("name", ARTICLE_FIELDS)
def test_the_views_agree_on_types(name: str) -> None:
    """A value of the wrong type is refused by spidermon's schema and by replay alike."""
    wrong = 1.5 if name != "stats" else {"read": 1.5}
    assert schema_errors(good(**{name: wrong})) == [name if name != "stats" else "stats.read"]
    doc = to_document(good())
    doc[name] = wrong
    reason = replay_reason(doc)
    assert reason is not None and name in reason


# What a reader's browser loads or follows.
URL_FIELDS = ("url", "cover_images", "image_urls", "headimg")


def test_the_url_fields_are_the_ones_a_browser_loads() -> None:
    assert CONTRACT.urls == URL_FIELDS


@pytest.mark.parametrize("name", URL_FIELDS)
def test_the_views_agree_on_urls(name: str) -> None:
    value = ["javascript:alert(1)"] if isinstance(getattr(good(), name), list) else "javascript:alert(1)"
    where = f"{name}.0" if isinstance(value, list) else name
    assert schema_errors(good(**{name: value})) == [where]
    doc = to_document(good())
    doc[name] = value
    assert replay_reason(doc) == f"{name}{'[0]' if isinstance(value, list) else ''} is not an http(s) URL"


def test_a_video_needs_no_body_in_any_view() -> None:
    video = good(content_type="video", content_html="")
    assert validate_drops(video) == [] and schema_errors(video) == [] and replay_reason(to_document(video)) is None
    article = good(content_html="")
    assert validate_drops(article) == ["content_html"] and schema_errors(article) == ["content_html"]
    assert replay_reason(to_document(article)) == "empty content_html"


# --- a field added to the dataclass only ------------------------------------------------------------

MUTATION = '''\
    channel: str | None = None  # that channel's name
    language: str | None = None  # added by tests/test_contract.py: nothing else names it
'''

CHECK = textwrap.dedent('''
    import json, tempfile
    from dataclasses import asdict
    from datetime import datetime, timezone
    from pathlib import Path
    from spidermon.contrib.validation import JSONSchemaValidator
    from newscrawler.extensions.monitors import ARTICLE_SCHEMA
    from newscrawler.items import ARTICLE_FIELDS, Article, missing_fields
    from newscrawler.exporters.from_store import query_lines
    from newscrawler.storage import Query
    from newscrawler.storage.deadletter import DeadLetter
    from newscrawler.storage.documents import BadDocument, check_storable, to_document
    from newscrawler.storage.replay import replay
    from newscrawler.storage.sqlite import SqliteStore
    from newscrawler.storage.upgrade import upgrade

    when = datetime(2021, 7, 8, tzinfo=timezone.utc)
    article = Article(id="qutoutiao:1", source="qutoutiao", url="http://h/1.html", title="t", channel_id=1,
                      published_at=when, crawled_at=when, content_html="<p>x</p>", language="zh")
    seen = {"fields": "language" in ARTICLE_FIELDS,
            "schema": ARTICLE_SCHEMA["properties"].get("language"),
            "schema_takes_5": JSONSchemaValidator(ARTICLE_SCHEMA).validate({**asdict(article), "language": 5})[0],
            "validate": missing_fields(asdict(article)),
            "document": to_document(article).get("language")}
    try:
        check_storable({**to_document(article), "language": 5})
    except BadDocument as exc:
        seen["replay_refuses"] = str(exc)
    folder = Path(tempfile.mkdtemp())
    old = to_document(article)
    del old["language"], old["channel"]  # a dead letter from before both fields
    DeadLetter(folder / "dl").append([old])
    store = SqliteStore(folder / "store.sqlite3")
    seen["replayed"] = replay(store, folder / "dl").written.new
    [line] = query_lines(store, Query())
    row = json.loads(line)
    seen["stored"] = [row["language"], row["channel"]]
    print(json.dumps(seen))
''')


def test_a_field_added_to_the_dataclass_reaches_every_view(tmp_path: Path) -> None:
    """The mutation the contract must survive: one line in items.Article, nothing else."""
    package = tmp_path / "newscrawler"
    shutil.copytree(ROOT / "newscrawler", package, ignore=shutil.ignore_patterns("__pycache__"))
    items = package / "items.py"
    text = items.read_text(encoding="utf-8")
    anchor = "    channel: str | None = None  # that channel's name\n"
    assert text.count(anchor) == 1
    items.write_text(text.replace(anchor, MUTATION), encoding="utf-8")
    done = subprocess.run([sys.executable, "-c", CHECK], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tmp_path)})
    assert done.returncode == 0, done.stderr[-3000:]
    seen = __import__("json").loads(done.stdout)
    assert seen == {
        "fields": True,
        "schema": {"type": ["string", "null"]},
        "schema_takes_5": False,
        "validate": [],  # optional: no article is dropped for lacking it
        "document": "zh",
        "replay_refuses": "bad type in language: expected string or null",
        "replayed": 1,
        "stored": [None, "热点"],  # an old dead letter: the default, and its channel named from the profile
    }
