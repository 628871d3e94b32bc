"""Folders whose new entries must survive a crash: the dead letters, the exported files."""

from __future__ import annotations

import os
from pathlib import Path


def sync_folder(folder: str | Path) -> None:
    """Make the names just created or renamed in ``folder`` durable: POSIX syncs a file's bytes
    with fsync on the file, its name only with fsync on its directory."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
