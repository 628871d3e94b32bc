"""Writing output files so that readers never see half of one, and no link steers a write."""

from __future__ import annotations

import errno
import os
import secrets
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from newscrawler.folders import sync_folder

# 64 random bits per name: only names planted on purpose clash, and each try draws another.
_TEMP_NAME_ATTEMPTS = 100


def _temp_name() -> str:
    """Hidden (Hexo and most tools skip dot files), random, and short whatever the target's name."""
    return f".newscrawler-{secrets.token_hex(8)}.tmp"


def _is_dir(path: Path, follow: bool) -> bool:
    try:
        return stat.S_ISDIR((os.stat if follow else os.lstat)(path).st_mode)
    except FileNotFoundError:
        return False


def _create_exclusive(folder: Path) -> tuple[int, Path]:
    """A new empty file in ``folder``, created by this call: O_EXCL, so nothing already at the
    name (a file, a planted link) is ever opened, and O_NOFOLLOW for good measure.

    Not ``tempfile.mkstemp``: its files are mode 0600, and a feed or a post must keep the mode
    the umask gives a new file (a web server or Hexo run as another user reads them).
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    for _ in range(_TEMP_NAME_ATTEMPTS):
        path = folder / _temp_name()
        try:
            return os.open(path, flags, 0o666), path
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, f"no free temporary name after {_TEMP_NAME_ATTEMPTS} tries", str(folder))


@contextmanager
def replacing(path: Path, *, devices: bool = False, make_folder: bool = True,
              sync: bool = True) -> Iterator[IO[bytes]]:
    """A binary file that replaces ``path`` only once it is completely written.

    It is written under a new name of its own in the same folder, then renamed over ``path``:
    whatever was at ``path`` (a file, a link) is replaced, never written through. With
    ``devices`` (``--out``), a device or FIFO at ``path``, or a link to one (``/dev/stdout``,
    a pipe), is written to as it is: replacing it would put a regular file in its place.
    Its folder is made if missing unless ``make_folder`` is False (a post goes in --out, nowhere
    else). The file's bytes are synced before the rename; then its folder, so that the new name
    survives a crash, unless ``sync`` is False (many posts: the caller syncs the folder once).
    """
    if _is_dir(path, follow=devices):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
    if devices and path.exists() and not path.is_file():
        with path.open("wb") as file:
            yield file
        return
    if make_folder:
        path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _create_exclusive(path.parent)
    try:
        with os.fdopen(fd, "wb") as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if sync:
        sync_folder(path.parent)


def holds(path: Path, data: bytes) -> bool:
    """Whether ``path`` is a regular file holding exactly ``data``.

    Never follows a link and never opens anything but a regular file (a FIFO would block, a
    device could be endless); reads at most ``len(data) + 1`` bytes, whatever the file's size.
    """
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return False
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        return False
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # became a link since the lstat
            return False
        raise
    with os.fdopen(fd, "rb") as file:
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # swapped since the lstat
            return False
        return file.read(len(data) + 1) == data
