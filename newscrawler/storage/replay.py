"""``scrapy replay``: store the dead-letter files, whatever the folder holds."""

from __future__ import annotations

import logging
import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO

from newscrawler.storage.base import Progress, Store, WriteResult
from newscrawler.storage.causes import cause
from newscrawler.storage.deadletter import ERROR_KEY, RejectedFile, claim, pending_files, release
from newscrawler.storage.documents import BadDocument, check_storable, content_hash, from_json, to_json_line
from newscrawler.storage.isolation import is_outage, write_isolated
from newscrawler.storage.upgrade import upgrade

logger = logging.getLogger(__name__)

# Characters in one dead-letter line at most: far above any article (MongoDB takes documents of
# up to 16 MB), low enough that one line never holds memory hostage.
MAX_LINE = 64 * 2**20
PIECE = 2**20  # characters read at a time
# Characters of JSON in one batch at most, whatever its number of lines: a batch is held three
# times over (the text, the parsed document, the store's encoding of it).
BATCH_CHARACTERS = 16 * 2**20


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


@dataclass(frozen=True)
class Trust:
    """What a line must hold beyond the contract: images through ``proxy`` (CORS_PROXY, when set),
    a body within ``max_body_bytes`` (MAX_BODY_BYTES), as the body stage writes them."""

    proxy: str = ""
    max_body_bytes: int | None = None


def replay(store: Store, directory: str | Path, batch_size: int = 100,
           progress: Progress | None = None, trust: Trust = Trust()) -> ReplayReport:
    """Write every dead-letter file into ``store``; remove a file once every line is stored or set aside.

    Upserts are idempotent and newest wins, so replaying old or repeated files is harmless.
    """
    report = ReplayReport()
    rejected = RejectedFile(directory)
    report.rejected_path = rejected.path
    files = pending_files(directory)
    for path in progress(files, desc="replay", unit="file") if progress else files:
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
            done = _replay_file(store, path, claimed, rejected, report, batch_size, trust)
            if not done and claimed != path:
                release(claimed, path)  # still locked: no other replay takes it back meanwhile
        finally:
            if lock is not None:
                os.close(lock)
    return report


class SetAsideFailed(Exception):
    """The rejected file cannot be written: the source file is kept."""


class ReadFailed(Exception):
    """The dead-letter file could not be read to its end: it is kept."""


def numbered_lines(file: TextIO) -> Iterator[tuple[int, str | None]]:
    """The lines of ``file`` with their numbers, one at a time; None for a line longer than
    MAX_LINE, skipped without being held whole. ReadFailed when reading fails."""
    try:
        number = 0
        while piece := file.readline(PIECE):
            number += 1
            pieces, size = [piece], len(piece)
            while not piece.endswith("\n") and (piece := file.readline(PIECE)):
                size += len(piece)
                if size <= MAX_LINE:
                    pieces.append(piece)
                elif pieces:
                    pieces = []  # too long: the rest is read and dropped a piece at a time
            yield number, "".join(pieces) if size <= MAX_LINE else None
    except OSError as exc:
        raise ReadFailed(cause(exc)) from exc


def _replay_file(store: Store, path: Path, claimed: Path, rejected: RejectedFile, report: ReplayReport,
                 batch_size: int, trust: Trust) -> bool:
    """Store the lines of ``claimed`` (``path`` taken for replay); remove it once every line is
    stored or set aside and return True, or report why it is kept and return False.

    The file is read line by line and written a batch at a time (``batch_size`` lines, or fewer
    holding BATCH_CHARACTERS): memory is bounded by a batch, whatever the size of the file.
    """
    try:
        # Bytes that are not UTF-8 are kept as escapes (the line is then set aside as not JSON).
        file = claimed.open(encoding="utf-8", errors="surrogateescape")
    except OSError as exc:
        report.problems.append(f"{path}: kept, cannot be read: {cause(exc)}")
        logger.error("Replay: cannot read %s: %s", path, cause(exc))
        return False
    try:
        with file:
            lines, too_long = _store_lines(store, path, file, rejected, report, batch_size, trust)
    except SetAsideFailed as exc:  # the rejected file itself cannot be written: keep the source
        report.problems.append(f"{path}: kept, lines cannot be set aside in {rejected.path}: {exc}")
        logger.error("Replay of %s stopped, the file is kept: %s", path, exc)
        return False
    except ReadFailed as exc:  # reading failed partway (an I/O error)
        report.problems.append(f"{path}: kept, cannot be read: {exc}")
        logger.error("Replay: cannot read %s: %s", path, exc)
        return False
    except Exception as exc:  # noqa: BLE001 - write_isolated lets only outages through: the store failed
        if not is_outage(exc):  # a bug: loud, with its traceback; the file is kept for the next run
            logger.exception("Replay of %s stopped by an unexpected error, the file is kept", path)
            report.problems.append(f"{path}: kept, unexpected error: {type(exc).__name__}: {exc}")
            return False
        report.problems.append(f"{path}: kept, the store failed: {cause(exc)}")
        logger.error("Replay of %s stopped, the file is kept: %s", path, cause(exc))
        return False
    if too_long:  # kept whole, nothing lost; its other lines are stored (again, harmlessly, next time)
        report.problems.append(f"{path}: kept, line(s) {', '.join(map(str, too_long))} longer than {MAX_LINE} "
                               "characters (no article is that long; look at it by hand)")
        return False
    claimed.unlink(missing_ok=True)  # a replay running beside this one may have stored and removed it
    report.files_done += 1
    logger.info("Replayed and removed %s (%d lines)", path, lines)
    return True


def _store_lines(store: Store, path: Path, file: TextIO, rejected: RejectedFile, report: ReplayReport,
                 batch_size: int, trust: Trust) -> tuple[int, list[int]]:
    """Parse and store the lines of ``file`` a batch at a time: the number of non-blank lines,
    and those of the lines too long to read (they stay in the file)."""
    lines, too_long = 0, []
    batch: list[tuple[int, dict[str, Any]]] = []
    held = 0  # characters of the lines in the batch
    for number, line in numbered_lines(file):
        if line is None:
            lines += 1
            too_long.append(number)
            logger.error("Replay: %s line %d is longer than %d characters, not read; the file is kept",
                         path, number, MAX_LINE)
            continue
        text = line.rstrip("\n")
        if not text.strip():
            continue
        lines += 1
        try:
            doc = from_json(text)
            doc.pop(ERROR_KEY, None)  # why the store rejected it once: the spooler's note, not article data
            # Written before a field joined the contract: that field is optional on the way in.
            upgrade(doc, store.names)
            # The folder is a trust boundary: hand-edited or foreign lines stop here.
            check_storable(doc, trust.proxy, trust.max_body_bytes)
            # The hash of what the line holds, never the line's own word for it: a stale or forged
            # one would make a later crawl of the article count it unchanged and keep this copy.
            doc["content_hash"] = content_hash(doc)
        except BadDocument as exc:
            _set_aside(rejected, report, path, number, str(exc), text)
            continue
        batch.append((number, doc))
        held += len(text)
        if len(batch) >= batch_size or held >= BATCH_CHARACTERS:
            _store_batch(store, path, batch, rejected, report)
            batch, held = [], 0
    if batch:
        _store_batch(store, path, batch, rejected, report)
    return lines, too_long


def _store_batch(store: Store, path: Path, batch: list[tuple[int, dict[str, Any]]], rejected: RejectedFile,
                 report: ReplayReport) -> None:
    """Write one batch; documents the store refuses one by one are set aside with its reason."""
    result = write_isolated(store, [doc for _, doc in batch], datetime.now(timezone.utc))
    by_id = {doc["id"]: number for number, doc in batch}
    for item in result.rejected:
        _set_aside(rejected, report, path, by_id.get(item.doc["id"], 0), item.reason, _text(item.doc, item.error))
    result.rejected = []
    report.written.add(result)


def _set_aside(rejected: RejectedFile, report: ReplayReport, path: Path, number: int, reason: str,
               text: str) -> None:
    try:
        rejected.append(path, number, reason, text)
    except OSError as exc:
        raise SetAsideFailed(cause(exc)) from exc
    report.set_aside[reason] += 1
    logger.error("Replay: %s line %d set aside in %s: %s", path, number, rejected.path, reason)


def _text(doc: dict[str, Any], error: str) -> str:
    return to_json_line({**doc, ERROR_KEY: error})
