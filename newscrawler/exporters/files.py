"""Writing output files so that readers never see half of one, and no link steers a write."""

from __future__ import annotations

import errno
import io
import os
import secrets
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

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


class WatchedWriter(io.BufferedWriter):
    """A file that remembers its first failed write (a full disk): the file is then abandoned,
    and what is written after it is dropped instead of failing again for every item."""

    failed: OSError | None = None
    on_failure: Callable[[OSError], None] | None = None  # told of the first failed write

    def write(self, data: Any) -> int:
        if self.failed is not None:
            return len(memoryview(data))
        try:
            return super().write(data)
        except OSError as exc:
            self._fail(exc)
            raise

    def flush(self) -> None:
        if self.failed is not None:
            return
        try:
            super().flush()
        except OSError as exc:
            self._fail(exc)
            raise

    def _fail(self, exc: OSError) -> None:
        self.failed = exc
        if self.on_failure is not None:
            self.on_failure(exc)


class Replacement:
    """A binary file (``file``) that replaces ``path`` only once completely written (``commit``);
    ``abort`` leaves ``path`` as it was.

    It is written under a new name of its own in the same folder, then renamed over ``path``:
    whatever was at ``path`` (a file, a link) is replaced, never written through. With
    ``devices`` (``--out``), a device or FIFO at ``path``, or a link to one (``/dev/stdout``,
    a pipe), is written to as it is: replacing it would put a regular file in its place.
    Its folder is made if missing unless ``make_folder`` is False (a post goes in --out, nowhere
    else). The file's bytes are synced before the rename; then its folder, so that the new name
    survives a crash, unless ``sync`` is False (many posts: the caller syncs the folder once).
    """

    def __init__(self, path: Path, *, devices: bool = False, make_folder: bool = True, sync: bool = True) -> None:
        self.path, self.sync = path, sync
        self.tmp: Path | None = None
        self.file: WatchedWriter
        if _is_dir(path, follow=devices):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
        if devices and path.exists() and not path.is_file():
            self.file = WatchedWriter(io.FileIO(path, "wb"))
            return
        if make_folder:
            path.parent.mkdir(parents=True, exist_ok=True)
        fd, self.tmp = _create_exclusive(path.parent)
        self.file = WatchedWriter(io.FileIO(fd, "wb"))

    @property
    def done(self) -> bool:
        """Committed or aborted."""
        return self.file.closed

    def commit(self) -> None:
        """Put the file in place of ``path``; on any failure (one of its writes failed before, or the
        disk is full now) ``path`` is left as it was, and the error raised."""
        if self.tmp is None:  # a device: written to as it is
            self.file.close()
            return
        try:
            if self.file.failed is not None:
                raise self.file.failed
            self.file.flush()
            os.fsync(self.file.fileno())
            self.file.close()
            os.replace(self.tmp, self.path)
        except BaseException:
            self.abort()
            raise
        if self.sync:
            sync_folder(self.path.parent)

    def abort(self) -> None:
        """Drop the file; ``path`` stays as it was."""
        self.file.failed = self.file.failed or OSError("aborted")  # nothing more reaches the disk
        self.file.close()
        if self.tmp is not None:
            self.tmp.unlink(missing_ok=True)


@contextmanager
def replacing(path: Path, *, devices: bool = False, make_folder: bool = True,
              sync: bool = True) -> Iterator[IO[bytes]]:
    """A binary file that replaces ``path`` only once completely written (see Replacement)."""
    replacement = Replacement(path, devices=devices, make_folder=make_folder, sync=sync)
    try:
        yield replacement.file
    except BaseException:
        replacement.abort()
        raise
    replacement.commit()


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
