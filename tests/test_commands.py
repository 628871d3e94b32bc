"""The project commands as an operator runs them: ``scrapy <command>`` and ``python -m newscrawler <command>``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from newscrawler.storage.documents import to_document
from newscrawler.storage.sqlite import SqliteStore
from tests.articles import T0, article
from tests.processes import ROOT, env, scrapy

COMMANDS = ("demo", "export", "query", "replay", "replica")


@pytest.mark.parametrize("command", COMMANDS)
def test_help_lists_scrapy_options(command: str) -> None:
    run = scrapy(command, "--help")
    assert run.returncode == 0, run.stderr
    assert f"scrapy {command}" in run.stdout
    for option in ("-s NAME=VALUE", "-L LEVEL", "--logfile FILE"):
        assert option in run.stdout


def test_scrapy_lists_the_project_commands() -> None:
    listed = {line.split()[0] for line in scrapy().stdout.splitlines() if line.startswith("  ") and line.strip()}
    assert set(COMMANDS) <= listed


def test_export_hexo_from_the_project_folder(tmp_path: Path) -> None:
    SqliteStore(tmp_path / "db.sqlite3").write([to_document(article(n)) for n in (1, 2)], T0)
    run = scrapy("export", "hexo", "--out", str(tmp_path / "posts"), "-s", f"NEWSCRAWLER_DB={tmp_path / 'db.sqlite3'}")
    assert run.returncode == 0, run.stderr
    assert "2 written" in run.stdout
    assert len(list((tmp_path / "posts").glob("*.md"))) == 2


def test_alias_runs_the_same_command_from_anywhere(tmp_path: Path) -> None:
    """``python -m newscrawler`` outside the project folder: no scrapy.cfg, same settings and options."""
    SqliteStore(tmp_path / "db.sqlite3").write([to_document(article(n)) for n in (1, 2, 3)], T0)
    run = subprocess.run(
        [sys.executable, "-m", "newscrawler", "query", "--limit", "2", "-s", f"NEWSCRAWLER_DB={tmp_path / 'db.sqlite3'}"],
        cwd=tmp_path, env=env(), capture_output=True, text=True, timeout=60,
    )
    assert run.returncode == 0, run.stderr
    assert len(run.stdout.splitlines()) == 2


@pytest.mark.parametrize("args", [["export", "pdf", "--out", "x"], ["query", "--colour", "red"], ["query", "-s", "NOEQUALS"]])
def test_bad_arguments_exit_2_with_usage(args: list[str]) -> None:
    run = scrapy(*args)
    assert run.returncode == 2
    assert "Usage" in run.stdout + run.stderr


def test_replica_only_loaded_by_the_commands_that_serve_it() -> None:
    # What `scrapy <anything>` does first: import every module of COMMANDS_MODULE.
    code = (
        "import sys\n"
        "from scrapy.cmdline import execute\n"
        "try:\n"
        "    execute(['scrapy', 'version'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('newscrawler.')))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env(), capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    loaded = run.stdout.strip().splitlines()[-1]
    assert "newscrawler.commands.replica" in loaded  # every command module was imported...
    assert "newscrawler.replica." not in loaded  # ...and none of them imported the replica


def test_bad_setting_is_one_line_naming_it(tmp_path: Path) -> None:
    run = scrapy("replay", "-s", "STORE_BATCH_SIZE=0", "-s", f"NEWSCRAWLER_DB={tmp_path / 'db.sqlite3'}",
                 "-s", f"DEADLETTER_DIR={tmp_path / 'dl'}")
    assert run.returncode == 1
    assert run.stderr.strip().splitlines()[-1] == "error: STORE_BATCH_SIZE='0': expected a positive whole number"
