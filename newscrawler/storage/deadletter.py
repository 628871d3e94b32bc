"""Items the store could not take: JSON Lines files, one per run, replayed later."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from newscrawler.progress import progress
from newscrawler.storage.base import Store, WriteResult
from newscrawler.storage.documents import from_json, to_json

logger = logging.getLogger(__name__)


class DeadLetter:
    """Appends batches to ``<dir>/deadletter-<UTC time>-<pid>.jsonl``, created on first use."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        self.path = self.directory / f"deadletter-{stamp}-{os.getpid()}.jsonl"

    def append(self, docs: list[dict[str, Any]]) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as file:
            file.write("".join(to_json(doc) + "\n" for doc in docs))
            file.flush()
            os.fsync(file.fileno())  # the point of this file is to survive what comes next
        return self.path


def read_file(path: Path) -> tuple[list[dict[str, Any]], list[int]]:
    """The documents of one file, and the numbers of lines that are not JSON."""
    docs, bad_lines = [], []
    with path.open(encoding="utf-8", errors="replace") as file:
        for number, line in enumerate(file, 1):
            if not line.strip():
                continue
            try:
                docs.append(from_json(line))
            except ValueError:
                bad_lines.append(number)  # e.g. a line cut short by a crash
    return docs, bad_lines


def pending_files(directory: str | Path) -> list[Path]:
    return sorted(Path(directory).glob("deadletter-*.jsonl"))


def chunks(docs: list[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(docs), size):
        yield docs[start : start + size]


def replay(store: Store, directory: str | Path, batch_size: int = 100) -> tuple[WriteResult, list[str]]:
    """Write every dead-letter file into ``store``; remove a file once all of it is stored.

    Returns the totals and a list of problems (files kept, with the reason).
    Upserts are idempotent, so replaying a file twice is harmless.
    """
    total, problems = WriteResult(), []
    for path in progress(pending_files(directory), desc="replay", unit="file"):
        docs, bad_lines = read_file(path)
        try:
            for batch in chunks(docs, batch_size):
                total.add(store.write(batch, datetime.now(timezone.utc)))
        except Exception as exc:  # noqa: BLE001 - any store failure keeps the file
            problems.append(f"{path}: kept, the store failed: {exc}")
            logger.error("Replay of %s stopped, the file is kept: %s", path, exc)
            continue
        if bad_lines:
            problems.append(f"{path}: kept, lines {bad_lines} are not JSON (the rest is stored)")
            logger.error("Replay of %s: lines %s are not JSON; the file is kept", path, bad_lines)
            continue
        path.unlink()
        logger.info("Replayed and removed %s (%d articles)", path, len(docs))
    return total, problems
