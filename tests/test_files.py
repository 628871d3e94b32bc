"""Output files are created exclusively and compared by a bounded read of regular files only.

A link planted where the export writes (a post's or a feed's temporary name, a post's own name)
is never written through; an existing post is compared only if it is a regular file, and by
reading at most the new post's length + 1 bytes (a name linked to /dev/zero was read whole).
"""

from __future__ import annotations

import os
import resource
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from newscrawler.exporters import files
from newscrawler.exporters.hexo import PostTemplate, post_filename
from newscrawler.exporters.files import holds, replacing
from newscrawler.sources.registry import load_profiles
from newscrawler.storage.documents import to_document
from newscrawler.storage.sqlite import SqliteStore
from tests.articles import T0, article, docs
from tests.processes import ROOT, env

VICTIM = b"a file outside the export, never to be written\n"
# The export's address space, so that reading a name whole (the old bug) fails at once instead
# of taking the machine's memory; the export itself needs far less.
ADDRESS_SPACE = 1 << 30


@pytest.fixture
def one_article_db(tmp_path: Path) -> Path:
    db = tmp_path / "store.sqlite3"
    store = SqliteStore(db)
    store.write(docs(article(1)), T0)
    store.close()
    return db


def expected_post() -> tuple[str, bytes]:
    doc = to_document(article(1))
    template = PostTemplate.of("qutoutiao", load_profiles().by_name["qutoutiao"])
    return post_filename(doc), template.render(doc).encode("utf-8")


def run(*args: str, db: Path, limit_memory: bool = False) -> subprocess.CompletedProcess[str]:
    def bounded() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))

    return subprocess.run(
        [sys.executable, "-m", "newscrawler", *args, "-s", f"NEWSCRAWLER_DB={db}", "-s", "MONGO_URI="],
        cwd=ROOT, env=env(), capture_output=True, text=True, timeout=120,
        preexec_fn=bounded if limit_memory else None,
    )


# --- end to end, through the commands ------------------------------------------------------------

@pytest.mark.parametrize("command", [["export", "hexo"], ["export", "rss"], ["export", "jsonl"], ["query"]])
def test_a_link_planted_at_the_old_temporary_name_is_never_written_through(
        command: list[str], tmp_path: Path, one_article_db: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_bytes(VICTIM)
    if command == ["export", "hexo"]:
        out = tmp_path / "posts"
        out.mkdir()
        target = out / expected_post()[0]
    else:
        out = target = tmp_path / "out.data"
    planted = target.with_name(target.name + ".tmp")
    planted.symlink_to(victim)
    done = run(*command, "--out", str(out), db=one_article_db)
    assert done.returncode == 0, done.stderr
    assert victim.read_bytes() == VICTIM
    assert stat.S_ISREG(os.lstat(target).st_mode)
    if command == ["export", "hexo"]:
        assert target.read_bytes() == expected_post()[1]
    else:
        assert b"qutoutiao:1" in target.read_bytes()
    assert planted.is_symlink()  # not ours: left as it was
    assert not [p for p in target.parent.iterdir() if p.name.endswith(".tmp") and p != planted]


def _devzero(path: Path, tmp_path: Path) -> None:
    path.symlink_to("/dev/zero")


def _huge_sparse_file(path: Path, tmp_path: Path) -> None:
    """A regular file far larger than the export's memory, starting with the new post itself."""
    with path.open("wb") as file:
        file.write(expected_post()[1])
        file.truncate(8 << 30)


def _fifo(path: Path, tmp_path: Path) -> None:
    os.mkfifo(path)  # opened for reading, it would wait for a writer forever


def _link_to_outside_file(path: Path, tmp_path: Path) -> None:
    (tmp_path / "victim.txt").write_bytes(VICTIM)
    path.symlink_to(tmp_path / "victim.txt")


def _link_to_identical_file(path: Path, tmp_path: Path) -> None:
    (tmp_path / "victim.txt").write_bytes(expected_post()[1])
    path.symlink_to(tmp_path / "victim.txt")


@pytest.mark.parametrize("plant", [_devzero, _huge_sparse_file, _fifo, _link_to_outside_file, _link_to_identical_file])
def test_what_sits_at_a_post_name_is_replaced_by_the_post(plant, tmp_path: Path, one_article_db: Path) -> None:
    """Compared only if it is a regular file, by a bounded read; replaced, never written through."""
    out = tmp_path / "posts"
    out.mkdir()
    name, data = expected_post()
    plant(out / name, tmp_path)
    done = run("export", "hexo", "--out", str(out), db=one_article_db, limit_memory=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"Hexo posts in {out}/: 1 written, 0 unchanged, 0 failed"
    assert stat.S_ISREG(os.lstat(out / name).st_mode)
    assert (out / name).read_bytes() == data
    victim = tmp_path / "victim.txt"
    assert not victim.exists() or victim.read_bytes() in (VICTIM, data)  # the link's target untouched
    assert stat.S_ISCHR(os.stat("/dev/zero").st_mode)


def test_out_through_a_link_to_a_fifo_is_written_through(tmp_path: Path, one_article_db: Path) -> None:
    """`--out /dev/stdout` is a link to a pipe or a terminal: written to, as a FIFO named directly."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    link = tmp_path / "stdout"
    link.symlink_to(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    done = run("export", "jsonl", "--out", str(link), db=one_article_db)
    assert done.returncode == 0, done.stderr
    reader.join(10)
    assert link.is_symlink() and stat.S_ISFIFO(fifo.stat().st_mode)
    assert b'"qutoutiao:1"' in received[0]


# --- the two primitives ---------------------------------------------------------------------------

def test_the_temporary_file_is_created_exclusively(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Should a link sit at the very name drawn for the temporary file, it is not opened: the next
    name is drawn."""
    victim = tmp_path / "victim.txt"
    victim.write_bytes(VICTIM)
    (tmp_path / ".planted.tmp").symlink_to(victim)
    names = iter([".planted.tmp", ".free.tmp"])
    monkeypatch.setattr(files, "_temp_name", lambda: next(names))
    target = tmp_path / "post.md"
    with replacing(target) as file:
        file.write(b"new")
    assert victim.read_bytes() == VICTIM
    assert target.read_bytes() == b"new" and not target.is_symlink()
    assert (tmp_path / ".planted.tmp").is_symlink() and not (tmp_path / ".free.tmp").exists()


def test_a_failed_write_leaves_the_old_file_and_no_temporary_one(tmp_path: Path) -> None:
    target = tmp_path / "post.md"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), replacing(target) as file:
        file.write(b"half")
        raise RuntimeError("disk full")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["post.md"]


def test_new_files_get_the_mode_the_umask_gives(tmp_path: Path) -> None:
    """Not mkstemp's 0600: a web server or Hexo run by another user reads feeds and posts."""
    old = os.umask(0o022)
    try:
        with replacing(tmp_path / "feed.xml") as file:
            file.write(b"<rss/>")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "feed.xml").stat().st_mode) == 0o644


@pytest.mark.parametrize(("make", "expected"), [
    (lambda p: p.write_bytes(b"post"), True),
    (lambda p: p.write_bytes(b"pos"), False),
    (lambda p: p.write_bytes(b"post and more"), False),
    (lambda p: None, False),  # missing
    (lambda p: p.mkdir(), False),
    (lambda p: os.mkfifo(p), False),  # would block a reader
    (lambda p: p.symlink_to("/dev/zero"), False),  # endless
    (lambda p: (p.with_name("same"), p.with_name("same").write_bytes(b"post"), p.symlink_to(p.with_name("same"))),
     False),  # a link, even to the same bytes
])
def test_holds_only_a_regular_file_with_exactly_these_bytes(make, expected: bool, tmp_path: Path) -> None:
    path = tmp_path / "post.md"
    make(path)
    assert holds(path, b"post") is expected


class Syncs:
    """What os.fsync is called on, by path (a file's bytes, or a folder's names)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.paths: list[Path] = []
        fsync = os.fsync

        def recording(fd: int) -> None:
            self.paths.append(Path(os.readlink(f"/proc/self/fd/{fd}")))
            fsync(fd)

        monkeypatch.setattr(os, "fsync", recording)


def test_new_names_are_synced_with_their_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A crash after a post, a feed or a new dead-letter file is written keeps its name: the folder
    is synced after the rename or the creation (once per export of many posts, once per new file)."""
    from newscrawler.exporters.hexo import export_posts
    from newscrawler.storage.deadletter import DeadLetter

    syncs = Syncs(monkeypatch)
    out = tmp_path / "posts"
    export_posts(docs(article(1), article(2)), out, {})
    assert syncs.paths.count(out) == 1 and len([p for p in syncs.paths if p.parent == out]) == 2
    syncs.paths.clear()
    with replacing(tmp_path / "feed.xml") as file:
        file.write(b"<rss/>")
    [written, folder] = syncs.paths  # the bytes under the temporary name, then the name given by the rename
    assert written.parent == tmp_path and written.name.startswith(".newscrawler-") and folder == tmp_path
    syncs.paths.clear()
    spool = DeadLetter(tmp_path / "deadletter")
    spool.append(docs(article(1)))
    spool.append(docs(article(2)))
    assert syncs.paths == [spool.path, tmp_path / "deadletter", spool.path]  # the folder once, when the file is new
