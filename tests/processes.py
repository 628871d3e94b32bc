"""Run the project's commands as an operator would: separate processes."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import threading
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
    """``scrapy(...)``, plus the peak resident memory of that process, in bytes (from wait4)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        process = subprocess.Popen([sys.executable, "-m", "scrapy", *args], cwd=ROOT, env=env(**extra_env),
                                   stdout=out, stderr=err, text=True)
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            process.kill()

        watchdog = threading.Timer(timeout, kill)
        watchdog.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)  # not Popen.wait: wait4 reports the memory
        finally:
            watchdog.cancel()
        process.returncode = os.waitstatus_to_exitcode(status)
        if timed_out.is_set():
            raise subprocess.TimeoutExpired(process.args, timeout)
        out.seek(0)
        err.seek(0)
        result = subprocess.CompletedProcess(process.args, process.returncode, out.read(), err.read())
    return result, usage.ru_maxrss * 1024  # kibibytes on Linux
