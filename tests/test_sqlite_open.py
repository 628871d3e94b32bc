"""Several processes opening one new SQLite store at once: the documented one-machine scale-out."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from newscrawler.storage.sqlite import SqliteStore

PROCESSES = 3
TRIALS = 30


def open_store(path: str, barrier: multiprocessing.synchronize.Barrier, results: multiprocessing.Queue) -> None:
    barrier.wait()
    try:
        SqliteStore(path).close()
        results.put("ok")
    except Exception as exc:  # noqa: BLE001 - the test reports whatever went wrong
        results.put(f"{type(exc).__name__}: {exc}")


def test_processes_opening_a_new_database_together_all_succeed(tmp_path: Path) -> None:
    # Before the fix about a third of these trials had a worker fail with "database is locked".
    context = multiprocessing.get_context("fork")
    failures = []
    for trial in range(TRIALS):
        path = str(tmp_path / f"store-{trial}.sqlite3")
        barrier, results = context.Barrier(PROCESSES), context.Queue()
        workers = [context.Process(target=open_store, args=(path, barrier, results)) for _ in range(PROCESSES)]
        for worker in workers:
            worker.start()
        outcomes = [results.get(timeout=30) for _ in workers]
        for worker in workers:
            worker.join(timeout=30)
        failures += [outcome for outcome in outcomes if outcome != "ok"]
    assert failures == []
