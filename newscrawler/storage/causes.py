"""The real cause of a store or file failure, in a few words an operator can act on."""

from __future__ import annotations

import errno
import sqlite3

# SQLite's own messages, and what they mean for whoever reads the log.
_SQLITE_CAUSES = (
    ("database or disk is full", "disk full"),
    ("readonly database", "read-only (file, directory or filesystem)"),
    ("file is not a database", "not a database (the file holds something else)"),
    ("database disk image is malformed", "corrupted database file"),
    ("unable to open database file", "cannot open (missing directory or no permission)"),
    ("database is locked", "locked by another process"),
)
_OS_CAUSES = {
    errno.ENOSPC: "disk full",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "read-only filesystem",
    errno.ENOENT: "missing directory or file",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EISDIR: "is a directory",
    errno.ENOTDIR: "a parent is not a directory",
    errno.EEXIST: "a file is in the way (not a directory)",  # mkdir(exist_ok=True) over a file
    errno.ENAMETOOLONG: "file name too long",
}


def cause(exc: BaseException) -> str:
    """``exc`` as a short cause, keeping the original words.

    >>> cause(sqlite3.OperationalError("database or disk is full"))
    'disk full (database or disk is full)'
    >>> cause(OSError(28, "No space left on device"))
    'disk full ([Errno 28] No space left on device)'
    """
    text = str(exc) or type(exc).__name__
    if isinstance(exc, sqlite3.Error):
        for marker, meaning in _SQLITE_CAUSES:
            if marker in text:
                return f"{meaning} ({text})"
    if isinstance(exc, OSError) and exc.errno in _OS_CAUSES:
        return f"{_OS_CAUSES[exc.errno]} ({text})"
    return text
