"""Test servers started from PyPI packages on free ports of 127.0.0.1.

SecantusDB (GPL, a test dependency only) speaks MongoDB's wire protocol; ``secantusd-py`` runs it
as a daemon in a process of its own, so crawls in subprocesses reach it too.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pymongo import MongoClient

LISTENING = re.compile(r"listening on 127\.0\.0\.1:(\d+)")


def secantusd() -> str:
    """The daemon installed beside this interpreter (the project's .venv)."""
    beside = Path(sys.executable).parent / "secantusd-py"
    found = str(beside) if beside.exists() else shutil.which("secantusd-py")
    if not found:
        raise RuntimeError("secantusd-py not found: install requirements-dev.txt (SecantusDB)")
    return found


class SecantusServer:
    """One ``secantusd-py`` process; ``uri`` once started. Storage survives a restart."""

    def __init__(self, directory: Path, auth: bool = False, test_commands: bool = True) -> None:
        self.directory = directory
        self.auth = auth
        self.test_commands = test_commands
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0

    @property
    def uri(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/?directConnection=true"

    def start(self, timeout: float = 60) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        config = self.directory / "secantusd.toml"
        config.touch()  # an explicit, empty config: no ~/.secantus or /etc file changes the test server
        log = self.directory / "server.log"
        args = [secantusd(), "--config", str(config), "--host", "127.0.0.1", "--port", str(self.port),
                "--storage-path", str(self.directory / "data")]
        if self.test_commands:
            args.append("--enable-test-commands")
        if self.auth:
            args.append("--auth")
        with log.open("ab") as out:
            start = log.stat().st_size
            # Port 0 on first start: the daemon logs the port it got; a restart keeps that port.
            self.process = subprocess.Popen(args, stdout=out, stderr=out, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = log.read_bytes()[start:].decode("utf-8", errors="replace")
            match = LISTENING.search(text)
            if match:
                self.port = int(match.group(1))
                return
            if self.process.poll() is not None:
                raise RuntimeError(f"secantusd-py exited with {self.process.returncode}: {text[-2000:]}")
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"secantusd-py did not start within {timeout}s; see {log}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
            self.process = None

    def client(self, **options: Any) -> MongoClient[Any]:
        return MongoClient(self.uri, tz_aware=True, serverSelectionTimeoutMS=5000, **options)


@contextmanager
def secantus(directory: Path, auth: bool = False) -> Iterator[SecantusServer]:
    server = SecantusServer(directory, auth=auth)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def secantus_with_user(directory: Path, user: str, password: str) -> Iterator[SecantusServer]:
    """A server that requires SCRAM authentication, with one read-write user."""
    with secantus_with_users(directory, {user: password}) as server:
        yield server


@contextmanager
def secantus_with_users(directory: Path, users: dict[str, str]) -> Iterator[SecantusServer]:
    """A server that requires SCRAM authentication, with read-write users (name: password).

    Users are created on an open server, which then restarts with ``--auth`` (the daemon's documented way).
    """
    server = SecantusServer(directory)
    server.start()
    try:
        with server.client() as client:
            for user, password in users.items():
                client.admin.command("createUser", user, pwd=password, roles=["root"])
    finally:
        server.stop()
    server.auth = True
    server.start()
    try:
        yield server
    finally:
        server.stop()


def fail_command(client: MongoClient[Any], mode: Any, **data: Any) -> None:
    """Arm MongoDB's ``failCommand`` failpoint (needs --enable-test-commands / enableTestCommands)."""
    client.admin.command("configureFailPoint", "failCommand", mode=mode, data=data)


def fail_point_off(client: MongoClient[Any]) -> None:
    client.admin.command("configureFailPoint", "failCommand", mode="off")
