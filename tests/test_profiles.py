"""Source profiles load, and a bad one is one message naming the file, the key and the value."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from newscrawler.errors import ConfigError
from newscrawler.sources.profile import ProfileError, load_profile, profile_from_data
from newscrawler.sources.registry import BUNDLED_DIR, load_profiles

BUNDLED = ("dockone", "qutoutiao", "woshipm", "zaker")


def bundled(name: str) -> dict[str, Any]:
    return yaml.safe_load((BUNDLED_DIR / f"{name}.yaml").read_text("utf-8"))


def test_bundled_profiles_load() -> None:
    profiles = load_profiles()
    assert profiles.errors == []
    assert sorted(profiles.by_name) == list(BUNDLED)
    qutoutiao = profiles.get("qutoutiao")
    assert qutoutiao.channel_name(255) == "推荐"
    assert qutoutiao.hexo.categories == ("新媒体", "趣头条", "分类")
    assert profiles.get("dockone").hexo.date_style == "local"


def test_feed_defaults_are_laid_under_a_feed_profile() -> None:
    profile = profile_from_data({
        "name": "blog", "listing": {"kind": "feed", "url": "http://blog.example/feed.xml", "fields": {"title": "title"}},
        "hexo": {"categories": ["blog"], "author": "blog"},
    }, "blog.yaml")
    assert {"id", "url", "content_html", "published_at"} <= set(profile.listing.fields)
    assert profile.article.fetch is False  # a feed carries its content
    assert profile.listing.paging.kind == "next" and profile.listing.paging.next  # RFC 5005 rel=next


def with_change(name: str, path: str, value: Any) -> dict[str, Any]:
    """The bundled profile ``name`` with ``path`` (dotted) set to ``value`` (or removed: ...)."""
    data = copy.deepcopy(bundled(name))
    *parents, last = path.split(".")
    node = data
    for key in parents:
        node = node[key]
    if value is ...:
        del node[last]
    else:
        node[last] = value
    return data


BAD = [
    # (profile, dotted key, value, expected words in the message)
    ("qutoutiao", "listing.kind", "xml", ["listing.kind", "'xml'", "expected one of json, html, feed"]),
    ("qutoutiao", "listing.paging.kind", "pagez", ["listing.paging.kind", "'pagez'"]),
    ("qutoutiao", "listing.url", "ftp://x/{channel}/{page}", ["listing.url", "ftp://", "http"]),
    ("qutoutiao", "listing.url", "http://x/?c={cid}&p={page}", ["listing.url", "unknown placeholder", "cid"]),
    ("qutoutiao", "listing.url", "http://x/?c={channel}", ["listing.url", "{page}"]),
    ("qutoutiao", "listing.url", "http://x/{channel", ["listing.url", "not a URL template"]),
    # A placeholder is a plain name: a format spec or a conversion would run on every listing URL.
    ("qutoutiao", "listing.url", "http://x/?c={channel:d}&p={page}", ["listing.url", "{channel:d}", "plain name"]),
    ("qutoutiao", "listing.url", "http://x/?c={channel}&p={page:>50000000}",
     ["listing.url", "{page:>50000000}", "format spec"]),
    ("qutoutiao", "listing.url", "http://x/?c={channel!r}&p={page}", ["listing.url", "{channel!r}", "conversion"]),
    ("qutoutiao", "listing.url", "http://x/?c={channel.real}&p={page}", ["listing.url", "{channel.real}", "attribute"]),
    ("qutoutiao", "listing.url", "http://x/?c={channel[0]}&p={page}", ["listing.url", "{channel[0]}", "index"]),
    ("woshipm", "listing.paging.first_url", "http://x/{limit:,}", ["listing.paging.first_url", "{limit:,}"]),
    ("qutoutiao", "listing.entries", "data.[", ["listing.entries", "'data.['", "JMESPath"]),
    ("qutoutiao", "listing.fields.title", {"css": "h1"}, ["listing.fields.title", "path (JMESPath)"]),
    ("qutoutiao", "listing.fields.published_at", {"path": "x", "format": "%Q"}, ["published_at", "%Q", "strptime"]),
    ("qutoutiao", "listing.fields.published_at", {"path": "x", "format": "fortnightly"}, ["fortnightly"]),
    ("qutoutiao", "listing.fields.title", {"path": "t", "format": "epoch"}, ["format applies to published_at"]),
    ("qutoutiao", "listing.fields.titel", "title", ["listing.fields.titel: unknown key", "summary"]),
    ("qutoutiao", "listing.fields.id", ..., ["listing.fields.id", "required"]),
    ("qutoutiao", "listing.channels", {True: "x"}, ["listing.channels", "True"]),
    ("qutoutiao", "listing.status", {"path": "code", "ok": []}, ["listing.status.ok"]),
    ("qutoutiao", "listing.paging.max_pages", 0, ["listing.paging.max_pages", "0"]),
    ("qutoutiao", "listing.paging.max_pages", "10", ["listing.paging.max_pages", "'10'", "whole number"]),
    ("qutoutiao", "timezone", "Asia/Shanghia", ["timezone", "Asia/Shanghia", "IANA"]),
    ("qutoutiao", "name", "Qu Tou Tiao", ["name", "'Qu Tou Tiao'"]),
    ("qutoutiao", "name", "feed", ["name", "reserved"]),
    ("qutoutiao", "article.body", "div[", ["article.body[0]", "CSS"]),
    ("qutoutiao", "article.body", ..., ["article.body", "required"]),
    ("qutoutiao", "article.lazy_images", ["onerror=x"], ["article.lazy_images[0]", "attribute"]),
    # A JMESPath function JMESPath lacks, or a wrong count of arguments: found at load, not per entry.
    ("qutoutiao", "listing.skip", ["nosuch(tips)"], ["listing.skip[0]", "'nosuch(tips)'", "Unknown function"]),
    ("qutoutiao", "listing.fields.title", "join(title)", ["listing.fields.title", "'join(title)'", "2 argument"]),
    ("qutoutiao", "listing.fields.title", "data[?length(a, b)].t", ["listing.fields.title", "length()"]),
    ("qutoutiao", "hexo.date_style", "iso", ["hexo.date_style", "'iso'", "rfc1123, local"]),
    ("qutoutiao", "hexo.categories", [], ["hexo.categories"]),
    ("qutoutiao", "hexo", ..., ["hexo", "required"]),
    ("qutoutiao", "rsshub.route", "/qutoutiao/category", ["rsshub.route", "'/qutoutiao/category'"]),
    ("qutoutiao", "rsshub.route", "/../etc/:cid", ["rsshub.route", "'/../etc/:cid'"]),
    ("qutoutiao", "rsshub.link", "javascript:alert(1)", ["rsshub.link", "http"]),
    ("qutoutiao", "rsshub.route", ..., ["rsshub", "route", "required"]),
    ("dockone", "listing.fields.id", {"url_pattern": "(a)(b)"}, ["listing.fields.id", "one group"]),
    ("dockone", "listing.fields.id", {"url_pattern": "(unclosed"}, ["listing.fields.id", "regular expression"]),
    ("dockone", "listing.fields.title", {"css": "h4 a::text", "pattern": "a{2,1}"},
     ["listing.fields.title", "'a{2,1}'", "regular expression"]),
    ("dockone", "listing.fields.author", {"xpath": "//a["}, ["listing.fields.author", "XPath"]),
    ("dockone", "listing.fields.author", {"path": "author"}, ["listing.fields.author", "css or xpath"]),
    # lxml finds these only when the expression runs: each would fail every page of a crawl. (Inside
    # a predicate no probe meets them at load: see test_an_xpath_failing_as_it_runs_gives_no_value.)
    ("dockone", "listing.fields.author", {"xpath": "$who"}, ["listing.fields.author", "Undefined variable"]),
    ("dockone", "listing.fields.author", {"xpath": "re:test(string(.), 'x')"},
     ["listing.fields.author", "Undefined namespace prefix"]),
    ("dockone", "listing.fields.author", {"xpath": "nosuch(.)"}, ["listing.fields.author", "Unregistered function"]),
    ("dockone", "listing.paging.next", ..., ["listing.paging.next", "required"]),
    ("dockone", "listing.entries", ..., ["listing.entries", "required"]),
    ("zaker", "listing.channels", ..., ["listing.url", "{channel} needs listing.channels"]),
    ("woshipm", "listing.paging.first_url", "http://x/{channel}", ["first_url", "{channel} needs"]),
]


@pytest.mark.parametrize(("name", "key", "value", "words"), BAD, ids=[f"{b[0]}:{b[1]}={b[2]!r}" for b in BAD])
def test_bad_profile_is_one_message_naming_file_key_and_value(name: str, key: str, value: Any, words: list[str],
                                                              tmp_path: Path) -> None:
    data = with_change(name, key, value)
    path = tmp_path / f"{data.get('name', name) if isinstance(data.get('name'), str) else name}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    with pytest.raises(ProfileError) as raised:
        load_profile(path)
    message = str(raised.value)
    assert message.startswith(f"{path}: ") and "\n" not in message
    for word in words:
        assert word in message, message
    assert isinstance(raised.value, ConfigError)  # commands report it in one line


@pytest.mark.parametrize(("text", "words"), [
    ("a: &x [1, 2]\nb: *x\n", ["aliases are not allowed"]),
    ("name: a\nname: b\n", ["'name' appears twice"]),
    ("name: [unclosed\n", ["not valid YAML"]),
    ("- a\n- b\n", ["expected a mapping", "list"]),
    ("", ["expected a mapping", "NoneType"]),
    ("!!python/object/apply:os.system ['touch /tmp/pwned']\n", ["not valid YAML"]),
])
def test_yaml_that_is_not_a_plain_profile_is_refused(text: str, words: list[str], tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, "utf-8")
    with pytest.raises(ProfileError) as raised:
        load_profile(path)
    for word in words:
        assert word in str(raised.value)
    assert not Path("/tmp/pwned").exists()


def test_huge_and_binary_files_are_refused(tmp_path: Path) -> None:
    huge = tmp_path / "huge.yaml"
    huge.write_text("name: huge\n" + "# padding\n" * 40_000, "utf-8")
    with pytest.raises(ProfileError, match="larger than"):
        load_profile(huge)
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\xff\xfe\x00name")
    with pytest.raises(ProfileError, match="not UTF-8"):
        load_profile(binary)


def test_the_file_name_is_the_profile_name(tmp_path: Path) -> None:
    path = tmp_path / "other.yaml"
    path.write_text(yaml.safe_dump(bundled("dockone"), allow_unicode=True), "utf-8")
    with pytest.raises(ProfileError, match="must match the file name"):
        load_profile(path)


def test_sources_dir_adds_replaces_and_reports(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    mine = with_change("dockone", "name", "mysite")
    (tmp_path / "mysite.yaml").write_text(yaml.safe_dump(mine, allow_unicode=True), "utf-8")
    mirror = with_change("qutoutiao", "listing.url", "http://mirror.example/list?cid={channel}&page={page}")
    (tmp_path / "qutoutiao.yml").write_text(yaml.safe_dump(mirror, allow_unicode=True), "utf-8")
    (tmp_path / "broken.yaml").write_text("name: broken\nlisting: {kind: xml}\n", "utf-8")
    (tmp_path / "notes.txt").write_text("not a profile", "utf-8")
    with caplog.at_level("INFO"):
        profiles = load_profiles(tmp_path)
    assert sorted(profiles.by_name) == ["dockone", "mysite", "qutoutiao", "woshipm", "zaker"]
    assert profiles.get("qutoutiao").listing.url.startswith("http://mirror.example/")
    assert "replaces" in caplog.text and "qutoutiao.yml" in caplog.text
    with pytest.raises(ProfileError, match="broken.yaml"):
        profiles.get("broken")
    with pytest.raises(ConfigError, match="no source profile named 'nope'.*dockone"):
        profiles.get("nope")
    assert load_profiles(tmp_path / "missing").errors == []  # no folder: the bundled ones only


def test_an_xpath_failing_as_it_runs_gives_no_value() -> None:
    """An undefined name inside a predicate fails only on a page that has such elements: that
    lookup gives no value (WrongKind, counted coerced/<field> by the entry reader), never a bug."""
    import lxml.html

    from newscrawler.sources.queries import XPATH, WrongKind, compile_query

    query = compile_query("//a[$who]", XPATH)
    page = lxml.html.fromstring("<div><a>x</a></div>")
    with pytest.raises(WrongKind, match="Undefined variable"):
        query.evaluate(page)
    assert query.search(page) is None
