"""Items the store could not take: JSON Lines files, one per run, replayed later.

A line is the stored document; ``_error`` says why it was spooled when the store refused that
document alone. Lines replay cannot store are set aside in ``rejected-*.jsonl`` beside them.
"""

from __future__ import annotations

import fcntl
import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from newscrawler.folders import sync_folder
from newscrawler.storage.documents import to_json_line

ERROR_KEY = "_error"


def _stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def _open_locked(path: Path) -> int:
    """``path`` open for appending under an exclusive lock, and still the file at ``path``:
    replay renames a file it claims (``claim``), so an append never lands in a file being replayed."""
    while True:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            if os.stat(path).st_ino == os.fstat(fd).st_ino:
                return fd
        except FileNotFoundError:
            pass
        os.close(fd)  # claimed meanwhile: start a new file under the same name


# In the name of a file a replay has claimed, before that replay's process id.
CLAIMED = ".replaying-"


def _held(path: Path) -> bool:
    """Whether a replay holds ``path``'s lock (it does from its claim until it is done with it)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return True  # taken meanwhile
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def claim(path: Path) -> tuple[Path, int] | None:
    """Take ``path`` for replay: renamed aside and locked, so that appends to ``path`` go to a
    new file from then on, and an append under way ends before it is read; None if it is gone."""
    if CLAIMED in path.name and _held(path):  # another replay is on it now: not left by a dead one
        return None
    claimed = path.with_name(f"{path.stem}{CLAIMED}{os.getpid()}{path.suffix}")
    try:
        os.rename(path, claimed)
    except FileNotFoundError:  # another replay took it
        return None
    try:
        fd = os.open(claimed, os.O_RDONLY)
    except OSError:
        release(claimed, path)
        raise
    fcntl.flock(fd, fcntl.LOCK_EX)
    return claimed, fd


def release(claimed: Path, path: Path) -> None:
    """Give a claimed file that is kept its name back, unless a new file took that name
    meanwhile: then it keeps the claimed name, which the next replay takes too."""
    try:
        os.link(claimed, path)
    except FileExistsError:
        return
    except FileNotFoundError:  # nothing left to give back
        return
    os.unlink(claimed)


def append_lines(path: Path, lines: list[str]) -> None:
    """Append and fsync: the point of these files is to survive what comes next.

    All or nothing: a disk that fills partway is cut back to the file as it was, so no half
    line is left for the next append to run into, and a failed batch is wholly not spooled.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    data = memoryview("".join(line + "\n" for line in lines).encode("utf-8"))
    fd = _open_locked(path)
    try:
        start = os.lseek(fd, 0, os.SEEK_END)
        try:
            while data:  # a write may take only part of it before the disk is full
                data = data[os.write(fd, data):]
            os.fsync(fd)
            if start == 0:  # a new file: its name must survive a crash as much as its lines
                sync_folder(path.parent)
        except OSError:
            os.ftruncate(fd, start)
            raise
    finally:
        os.close(fd)


class DeadLetter:
    """Appends batches to ``<dir>/deadletter-<UTC time>-<pid>.jsonl``, created on first use."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self.path = self.directory / f"deadletter-{_stamp()}-{os.getpid()}.jsonl"

    def append(self, docs: list[dict[str, Any]], error: str | None = None) -> Path:
        """Spool ``docs``; ``error`` (the store's refusal) goes with each of them."""
        extra = {ERROR_KEY: error} if error else {}
        append_lines(self.path, [to_json_line({**doc, **extra}) for doc in docs])
        return self.path


class RejectedFile:
    """Lines replay set aside: ``<dir>/rejected-<UTC time>-<pid>.jsonl``, each with its source and reason."""

    def __init__(self, directory: str | Path) -> None:
        self.path = Path(directory) / f"rejected-{_stamp()}-{os.getpid()}.jsonl"

    def append(self, source: Path, line: int, reason: str, text: str) -> None:
        record = {"file": str(source), "line": line, "reason": reason, "text": text}
        append_lines(self.path, [json.dumps(record, ensure_ascii=True)])


def pending_files(directory: str | Path) -> list[Path]:
    return sorted(Path(directory).glob("deadletter-*.jsonl"))
