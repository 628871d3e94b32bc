"""``scrapy replay``: store the dead-letter files, whatever the folder holds."""

from __future__ import annotations

import logging
import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from newscrawler.progress import progress
from newscrawler.storage.base import Store, WriteResult, chunked
from newscrawler.storage.causes import cause
from newscrawler.storage.deadletter import ERROR_KEY, RejectedFile, claim, pending_files, release
from newscrawler.storage.documents import BadDocument, check_storable, from_json, to_json_line
from newscrawler.storage.isolation import write_isolated

logger = logging.getLogger(__name__)


@dataclass
class ReplayReport:
    written: WriteResult = field(default_factory=WriteResult)
    files_done: int = 0
    set_aside: Counter[str] = field(default_factory=Counter)  # reason -> lines
    problems: list[str] = field(default_factory=list)  # files kept, with the reason
    rejected_path: Path | None = None

    @property
    def ok(self) -> bool:
        """Nothing left unstored: no line set aside, no file kept."""
        return not self.set_aside and not self.problems

    def summary(self, where: str) -> list[str]:
        w = self.written
        lines = [f"replayed {self.files_done} files into {where}: {w.new} new, {w.updated} updated, "
                 f"{w.unchanged} unchanged, {w.stale} stale (a newer copy is stored)"]
        if self.set_aside:
            reasons = ", ".join(f"{n} {reason}" for reason, n in sorted(self.set_aside.items()))
            lines.append(f"set aside {sum(self.set_aside.values())} lines in {self.rejected_path}: {reasons}")
        lines.extend(f"not done: {problem}" for problem in self.problems)
        return lines


def read_lines(path: Path) -> list[tuple[int, str]]:
    """The non-blank lines of ``path`` with their numbers; bytes that are not UTF-8 kept as escapes."""
    with path.open(encoding="utf-8", errors="surrogateescape") as file:
        return [(number, line.rstrip("\n")) for number, line in enumerate(file, 1) if line.strip()]


def replay(store: Store, directory: str | Path, batch_size: int = 100) -> ReplayReport:
    """Write every dead-letter file into ``store``; remove a file once every line is stored or set aside.

    Upserts are idempotent and newest wins, so replaying old or repeated files is harmless.
    """
    report = ReplayReport()
    rejected = RejectedFile(directory)
    report.rejected_path = rejected.path
    for path in progress(pending_files(directory), desc="replay", unit="file"):
        if path.exists() and not path.is_dir() and not path.is_file():
            # A device or FIFO (a symlink to /dev/zero): reading it may never end.
            report.problems.append(f"{path}: kept, not a regular file")
            logger.error("Replay: %s is not a regular file, kept", path)
            continue
        claimed, lock = path, None
        if path.is_file():
            # Renamed aside and locked: a crawl still spooling appends to a new file meanwhile.
            try:
                taken = claim(path)
            except OSError as exc:
                report.problems.append(f"{path}: kept, cannot be read: {cause(exc)}")
                logger.error("Replay: cannot read %s: %s", path, cause(exc))
                continue
            if taken is None:  # a replay running beside this one took it
                continue
            claimed, lock = taken
        try:
            done = _replay_file(store, path, claimed, rejected, report, batch_size)
        finally:
            if lock is not None:
                os.close(lock)
        if not done and claimed != path:
            release(claimed, path)
    return report


def _replay_file(store: Store, path: Path, claimed: Path, rejected: RejectedFile, report: ReplayReport,
                 batch_size: int) -> bool:
    """Store the lines of ``claimed`` (``path`` taken for replay); remove it once every line is
    stored or set aside and return True, or report why it is kept and return False."""
    try:
        lines = read_lines(claimed)
    except OSError as exc:
        report.problems.append(f"{path}: kept, cannot be read: {cause(exc)}")
        logger.error("Replay: cannot read %s: %s", path, cause(exc))
        return False
    try:
        docs = _parse(path, lines, rejected, report)
        for batch in chunked(docs, batch_size):
            result = write_isolated(store, [doc for _, doc in batch], datetime.now(timezone.utc))
            by_id = {doc["id"]: number for number, doc in batch}
            for item in result.rejected:
                _set_aside(rejected, report, path, by_id.get(item.doc["id"], 0), item.reason,
                           _text(item.doc, item.error))
            result.rejected = []
            report.written.add(result)
    except OSError as exc:  # the rejected file itself cannot be written: keep the source
        report.problems.append(f"{path}: kept, lines cannot be set aside in {rejected.path}: {cause(exc)}")
        logger.error("Replay of %s stopped, the file is kept: %s", path, cause(exc))
        return False
    except Exception as exc:  # noqa: BLE001 - the store failed: keep the file, go on with the next
        report.problems.append(f"{path}: kept, the store failed: {cause(exc)}")
        logger.error("Replay of %s stopped, the file is kept: %s", path, cause(exc))
        return False
    claimed.unlink(missing_ok=True)  # a replay running beside this one may have stored and removed it
    report.files_done += 1
    logger.info("Replayed and removed %s (%d lines)", path, len(lines))
    return True


def _parse(path: Path, lines: list[tuple[int, str]], rejected: RejectedFile,
           report: ReplayReport) -> list[tuple[int, dict[str, Any]]]:
    docs = []
    for number, text in lines:
        try:
            doc = from_json(text)
            doc.pop(ERROR_KEY, None)  # why the store rejected it once: the spooler's note, not article data
            check_storable(doc)  # the folder is a trust boundary: hand-edited or foreign lines stop here
        except BadDocument as exc:
            _set_aside(rejected, report, path, number, str(exc), text)
            continue
        docs.append((number, doc))
    return docs


def _set_aside(rejected: RejectedFile, report: ReplayReport, path: Path, number: int, reason: str,
               text: str) -> None:
    rejected.append(path, number, reason, text)
    report.set_aside[reason] += 1
    logger.error("Replay: %s line %d set aside in %s: %s", path, number, rejected.path, reason)


def _text(doc: dict[str, Any], error: str) -> str:
    return to_json_line({**doc, ERROR_KEY: error})
