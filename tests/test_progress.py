"""Progress bars of export, replay and query --out: on a terminal only."""

from __future__ import annotations

import fcntl
import io
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

from newscrawler.cli import main
from newscrawler.storage.documents import to_document, to_json
from newscrawler.storage.sqlite import SqliteStore
from tests.articles import T0, article
from tests.processes import ROOT, env


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def store_args(tmp_path: Path) -> list[str]:
    store = SqliteStore(tmp_path / "p.sqlite3")
    store.write([to_document(article(n)) for n in range(1, 6)], T0)
    store.close()
    return ["-s", f"NEWSCRAWLER_DB={tmp_path / 'p.sqlite3'}", "-s", "MONGO_URI=",
            "-s", f"DEADLETTER_DIR={tmp_path / 'dl'}"]


def run(monkeypatch: pytest.MonkeyPatch, stderr: io.StringIO, *args: str) -> str:
    monkeypatch.setattr(sys, "stderr", stderr)
    assert main(list(args)) == 0
    return stderr.getvalue()


@pytest.mark.parametrize(
    ("command", "bar", "end"),
    [
        (["export", "jsonl", "--out", "{tmp}/a.jsonl"], "export jsonl", "/5 "),  # five articles stored
        (["export", "hexo", "--out", "{tmp}/posts"], "export hexo", "/5 "),
        (["query", "--out", "{tmp}/q.jsonl"], "query", "/5 "),
        (["export", "rss", "--out", "{tmp}/f.xml", "--limit", "3"], "export rss", "/3 "),  # what --limit leaves
        (["query", "--out", "{tmp}/q.jsonl", "--limit", "2"], "query", "/2 "),
        (["export", "jsonfeed", "--out", "{tmp}/f.json", "--limit", "9"], "export jsonfeed", "/5 "),
    ],
)
def test_bar_on_a_terminal_only(command: list[str], bar: str, end: str, store_args: list[str], tmp_path: Path,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    args = [a.format(tmp=tmp_path) for a in command] + store_args
    shown = run(monkeypatch, Terminal(), *args)
    assert f"{bar}:" in shown and end in shown  # the bar knows its end
    assert run(monkeypatch, io.StringIO(), *args) == ""


def test_query_out_writes_what_query_prints(store_args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["query", "--channel", "2", *store_args]) == 0
    printed = capsys.readouterr().out
    assert main(["query", "--channel", "2", "--out", str(tmp_path / "q.jsonl"), *store_args]) == 0
    assert (tmp_path / "q.jsonl").read_text(encoding="utf-8") == printed
    assert printed.count("\n") == 3  # articles 1, 3 and 5
    assert f"query in {tmp_path / 'q.jsonl'}: 3 articles" in capsys.readouterr().out


def test_replay_bar(store_args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "dl").mkdir()
    for n in (7, 8):  # two runs' dead-letter files
        (tmp_path / "dl" / f"deadletter-{n}.jsonl").write_text(to_json(to_document(article(n))) + "\n", "utf-8")
    shown = run(monkeypatch, Terminal(), "replay", *store_args)
    assert "replay:" in shown and "/2 " in shown and "file" in shown
    assert not list((tmp_path / "dl").iterdir())


def test_bar_through_a_real_terminal(store_args: list[str], tmp_path: Path) -> None:
    """The command in a pseudo-terminal, as an operator types it."""
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a new pty is 0 columns wide
    process = subprocess.Popen(
        [sys.executable, "-m", "newscrawler", "export", "jsonfeed", "--out", str(tmp_path / "f.json"), *store_args],
        cwd=ROOT, env=env(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=terminal,
    )
    os.close(terminal)
    shown = b""
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # the process closed its end
            break
        if not chunk:
            break
        shown += chunk
    out, _ = process.communicate(timeout=60)
    os.close(controller)
    assert process.returncode == 0
    assert b"export jsonfeed:" in shown
    assert b"jsonfeed in" in out and b"export jsonfeed" not in out  # the bar never reaches stdout
