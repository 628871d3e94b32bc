"""Items the store could not take: JSON Lines files, one per run, replayed later.

A line is the stored document; ``_error`` says why it was spooled when the store refused that
document alone. Lines replay cannot store are set aside in ``rejected-*.jsonl`` beside them.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from newscrawler.storage.documents import to_json_line

ERROR_KEY = "_error"


def _stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def append_lines(path: Path, lines: list[str]) -> None:
    """Append and fsync: the point of these files is to survive what comes next.

    All or nothing: a disk that fills partway is cut back to the file as it was, so no half
    line is left for the next append to run into, and a failed batch is wholly not spooled.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    data = memoryview("".join(line + "\n" for line in lines).encode("utf-8"))
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
    try:
        start = os.lseek(fd, 0, os.SEEK_END)
        try:
            while data:  # a write may take only part of it before the disk is full
                data = data[os.write(fd, data):]
            os.fsync(fd)
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
