"""Run the project's commands as an operator would: separate processes."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def env(**extra: str) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "no_proxy", "mongo_uri")}
    environment["PYTHONPATH"] = str(ROOT)
    environment.update(extra)
    return environment


@contextmanager
def replica_process(*args: str) -> Iterator[str]:
    """``python -m newscrawler replica --port 0``; yields its URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "newscrawler", "replica", "--port", "0", *args],
        cwd=ROOT, env=env(), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        line = process.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:\d+", line)
        assert match, f"replica did not start: {line!r}"
        yield match.group(0)
    finally:
        process.terminate()
        process.wait(timeout=10)


def scrapy(*args: str, cwd: Path = ROOT, timeout: int = 240, **extra_env: str) -> subprocess.CompletedProcess[str]:
    """``scrapy <args>`` from the project folder (scrapy.cfg finds the settings)."""
    return subprocess.run(
        [sys.executable, "-m", "scrapy", *args], cwd=cwd, env=env(**extra_env),
        capture_output=True, text=True, timeout=timeout,
    )


def scrapy_measured(*args: str, timeout: int = 240, **extra_env: str) -> tuple[subprocess.CompletedProcess[str], int]:
    """``scrapy(...)``, plus the peak resident memory of that process alone, in bytes (see tests/peakrss.py)."""
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "maxrss"
        run = subprocess.run(
            [sys.executable, "-m", "tests.peakrss", str(report), sys.executable, "-m", "scrapy", *args],
            cwd=ROOT, env=env(**extra_env), capture_output=True, text=True, timeout=timeout,
        )
        return run, int(report.read_text()) * 1024  # kibibytes on Linux
