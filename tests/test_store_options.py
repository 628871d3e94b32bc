"""``query`` and export options: the same one-line refusal, exit status 2, on both stores."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from newscrawler.storage.options import MAX_LIMIT, parse_date, parse_limit, parse_query
from tests.articles import T0, article, docs
from tests.processes import ROOT, env
from tests.stores import BACKENDS, make_store, store_cli_args

BAD_OPTIONS = [
    (["--limit", "-5"], "--limit '-5': expected a positive integer"),
    (["--limit", "0"], "--limit '0': expected a positive integer"),
    (["--limit", "ten"], "--limit 'ten': expected a positive integer"),
    (["--limit", str(2**64)], f"--limit '{2**64}': too large"),
    (["--since", "0001-01-01T00:00:00+05:00"], "--since '0001-01-01T00:00:00+05:00': out of range"),
    (["--until", "9999-12-31T23:00:00-05:00"], "--until '9999-12-31T23:00:00-05:00': out of range"),
    (["--since", "last tuesday"], "--since 'last tuesday': not an ISO 8601 date"),
    (["--since", "2026-11-28", "--until", "2026-11-01"], "--since '2026-11-28' is after --until '2026-11-01'"),
    (["--channel", str(2**64)], f"--channel '{2**64}': out of range"),
    (["--channel", "推荐"], "--channel '推荐': expected a channel id (a whole number, or a word of letters, digits"),
    (["--channel", "a b"], "--channel 'a b': expected a channel id"),
    (["--source", "趣头条"], "--source '趣头条': expected a source's name (lowercase letters, digits and _"),
    (["--source", "Qutoutiao"], "--source 'Qutoutiao': expected a source's name"),
]


@pytest.mark.parametrize(("text", "expected"), [("1", 1), ("20", 20), (str(MAX_LIMIT), MAX_LIMIT), (" 7 ", 7)])
def test_good_limits(text: str, expected: int) -> None:
    assert parse_limit(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("2021-07-08", datetime(2021, 7, 8, tzinfo=timezone.utc)),
    ("2021-07-08T10:00+08:00", datetime(2021, 7, 8, 2, tzinfo=timezone.utc)),
    ("2021-07-08T10:00:00Z", datetime(2021, 7, 8, 10, tzinfo=timezone.utc)),
    ("0001-01-01T05:00:00+05:00", datetime(1, 1, 1, tzinfo=timezone.utc)),
])
def test_good_dates(text: str, expected: datetime) -> None:
    value = parse_date("--since", text)
    assert value == expected and value.utcoffset().total_seconds() == 0


@pytest.mark.parametrize(("args", "message"), BAD_OPTIONS)
def test_bad_options_are_refused_before_the_store(args: list[str], message: str) -> None:
    options = dict(zip(args[::2], args[1::2], strict=True))
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        parse_query(since=options.get("--since"), until=options.get("--until"), channel=options.get("--channel"),
                    limit=options.get("--limit"), source=options.get("--source"))


@pytest.mark.parametrize("kind", BACKENDS)
@pytest.mark.parametrize("command", [["query"], ["export", "jsonl", "--out", "{out}"]])
def test_bad_options_exit_2_with_one_line(kind: str, command: list[str], tmp_path: Path,
                                          request: pytest.FixtureRequest) -> None:
    store = make_store(kind, tmp_path, request)
    store.write(docs(article(1), article(2)), T0)
    store.close()
    out = tmp_path / "out.jsonl"
    for args, message in BAD_OPTIONS:
        done = subprocess.run(
            [sys.executable, "-m", "newscrawler", *[a.format(out=out) for a in command], *args,
             *store_cli_args(kind, tmp_path, request)],
            cwd=ROOT, env=env(), capture_output=True, text=True, timeout=60,
        )
        assert done.returncode == 2, (args, done.stderr)
        [line] = done.stderr.splitlines()
        assert line.startswith(f"error: {message}") and not done.stdout
        assert not out.exists()


@pytest.mark.parametrize("kind", BACKENDS)
def test_limit_means_the_same_on_both_stores(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    store = make_store(kind, tmp_path, request)
    store.write(docs(*(article(n) for n in range(1, 5))), T0)
    store.close()
    for limit, expected in (("1", 1), ("3", 3), (str(MAX_LIMIT), 4)):
        done = subprocess.run(
            [sys.executable, "-m", "newscrawler", "query", "--limit", limit, *store_cli_args(kind, tmp_path, request)],
            cwd=ROOT, env=env(), capture_output=True, text=True, timeout=60,
        )
        assert done.returncode == 0, done.stderr
        assert len(done.stdout.splitlines()) == expected
