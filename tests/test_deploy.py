"""The packaged project: `pip install .` into a fresh venv, `make`'s editable install, and a Scrapyd
round trip with scrapyd-deploy.

All run on a copy of the project's files, never on the work tree, and never import the
work tree's code (no PYTHONPATH): what runs is what the package or the egg holds.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import sysconfig
import time
import urllib.parse
import urllib.request
import venv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from newscrawler.replica.server import ReplicaServer
from newscrawler.replica.site import SEED_ID, SEED_TITLE
from tests.processes import ROOT

PROJECT_FILES = ("pyproject.toml", "setup.py", "README.md", "requirements.txt", "scrapy.cfg")
MAKE_FILES = ("Makefile", "requirements-dev.txt", "constraints.txt")


def copy_project(target: Path, extra: tuple[str, ...] = ()) -> Path:
    """The files a clone has, plus a data/ folder as `make demo` leaves it."""
    target.mkdir(parents=True)
    for name in (*PROJECT_FILES, *extra):
        shutil.copy2(ROOT / name, target / name)
    shutil.copytree(ROOT / "newscrawler", target / "newscrawler", ignore=shutil.ignore_patterns("__pycache__"))
    (target / "data").mkdir()
    (target / "data" / "crawl.log").write_text("left by make demo\n")
    return target


def clean_env(**extra: str) -> dict[str, str]:
    drop = {"pythonpath", "http_proxy", "https_proxy", "no_proxy", "mongo_uri", "scrapy_settings_module",
            "virtual_env", "newscrawler_db", "deadletter_dir"}
    environment = {k: v for k, v in os.environ.items() if k.lower() not in drop}
    environment.update(extra)
    return environment


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stored_titles(db: Path) -> dict[str, str]:
    with sqlite3.connect(db) as connection:
        rows = connection.execute("SELECT doc FROM articles").fetchall()
    return {json.loads(doc)["source_id"]: json.loads(doc)["title"] for (doc,) in rows}


# --- pip install . ------------------------------------------------------------


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the project installed by `pip install .` and nothing else; its bin/."""
    base = tmp_path_factory.mktemp("installed")
    project = copy_project(base / "project")
    venv.create(base / "venv", with_pip=True)
    bin_dir = base / "venv" / "bin"
    run = subprocess.run(
        [bin_dir / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(project),
         "-c", str(ROOT / "constraints.txt")],
        env=clean_env(), cwd=base, capture_output=True, text=True, timeout=900,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return bin_dir


def test_console_script_help(installed: Path) -> None:
    run = subprocess.run([installed / "newscrawler", "--help"], capture_output=True, text=True, env=clean_env(),
                         cwd=installed, timeout=60)
    assert run.returncode == 0, run.stderr
    for command in ("replica", "demo", "query", "replay", "export"):
        assert command in run.stdout


def test_installed_crawl_from_a_folder_with_scrapy_cfg(installed: Path, tmp_path: Path) -> None:
    """The installed replica (its seed page is package data) and `scrapy crawl`, no Makefile, no source tree."""
    site = tmp_path / "site"
    site.mkdir()
    shutil.copy2(ROOT / "scrapy.cfg", site / "scrapy.cfg")
    replica = subprocess.Popen([installed / "newscrawler", "replica", "--port", "0"], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True, env=clean_env(), cwd=site)
    try:
        match = re.search(r"http://127\.0\.0\.1:\d+", replica.stdout.readline())
        assert match, "the installed replica did not start"
        run = subprocess.run(
            [installed / "scrapy", "crawl", "qutoutiao", "-a", "cids=1", "-a", "pages=1",
             "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0"],
            capture_output=True, text=True, cwd=site, timeout=300,
            env=clean_env(http_proxy=match.group(0)),
        )
    finally:
        replica.terminate()
        replica.wait(timeout=10)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "Exit status 0: healthy" in run.stderr
    assert stored_titles(site / "data" / "newscrawler.sqlite3")[SEED_ID] == SEED_TITLE
    query = subprocess.run([installed / "newscrawler", "query", "--limit", "1"], capture_output=True, text=True,
                           cwd=site, env=clean_env(), timeout=60)
    assert query.returncode == 0 and json.loads(query.stdout)["source"] == "qutoutiao"


# --- make: the project editable in .venv ------------------------------------------


def test_make_installs_the_project_editable(tmp_path: Path) -> None:
    """What `make demo` and `make test` install first: the pins, then this checkout, editable, so that
    .venv/bin/newscrawler and `python -m newscrawler` work from any folder and run its code.

    Offline: the new .venv sees the pinned packages of the running one through a .pth file, so pip
    finds every pin installed and is told to reach no index."""
    project = copy_project(tmp_path / "clone", extra=MAKE_FILES)
    venv.create(project / ".venv", with_pip=True)
    bin_dir = project / ".venv" / "bin"
    # Python 3.11's venv brings an old setuptools of its own, which would hide the pinned one.
    subprocess.run([bin_dir / "python", "-m", "pip", "uninstall", "--quiet", "--yes", "setuptools"], check=True,
                   env=clean_env(PIP_DISABLE_PIP_VERSION_CHECK="1"), capture_output=True, timeout=120)
    site_packages = subprocess.run([bin_dir / "python", "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                                   capture_output=True, text=True, check=True).stdout.strip()
    Path(site_packages, "pinned.pth").write_text(sysconfig.get_path("purelib") + "\n", encoding="utf-8")
    offline = clean_env(PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    make = subprocess.run(["make", f"PYTHON={sys.executable}", ".venv/.installed"], cwd=project, env=offline,
                          capture_output=True, text=True, timeout=600)
    assert make.returncode == 0, make.stdout[-2000:] + make.stderr[-3000:]
    elsewhere = tmp_path / "elsewhere"  # no scrapy.cfg, no checkout, no PYTHONPATH
    elsewhere.mkdir()
    for command in ([bin_dir / "newscrawler", "--help"], [bin_dir / "python", "-m", "newscrawler", "--help"]):
        run = subprocess.run(command, cwd=elsewhere, env=clean_env(), capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr[-2000:]
        assert "export" in run.stdout and "replay" in run.stdout
    where = subprocess.run([bin_dir / "python", "-c", "import newscrawler; print(newscrawler.__file__)"],
                           cwd=elsewhere, env=clean_env(), capture_output=True, text=True, timeout=60)
    assert where.stdout.strip() == str(project / "newscrawler" / "__init__.py")  # the checkout, not a copy


# --- Scrapyd ------------------------------------------------------------------

SCRAPYD_CONF = """[scrapyd]
bind_address = 127.0.0.1
http_port = {port}
eggs_dir = {root}/eggs
logs_dir = {root}/logs
dbs_dir = {root}/dbs
items_dir =
poll_interval = 0.5
max_proc = 2
"""


@dataclass
class Scrapyd:
    url: str
    root: Path
    process: subprocess.Popen[str]

    def call(self, endpoint: str, **fields: Any) -> dict[str, Any]:
        """GET with no fields, else POST them (a list value repeats the field, as curl -d does)."""
        pairs = [(k, v) for k, values in fields.items() for v in (values if isinstance(values, list) else [values])]
        data = urllib.parse.urlencode(pairs).encode() if pairs else None
        # The proxy variables are the crawl's, not ours: talk to Scrapyd directly.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(f"{self.url}/{endpoint}", data=data, timeout=30) as response:
            return json.loads(response.read())

    def wait_finished(self, project: str, jobs: set[str], timeout: float = 240) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            finished = {job["id"] for job in self.call(f"listjobs.json?project={project}")["finished"]}
            if jobs <= finished:
                return
            time.sleep(0.5)
        raise AssertionError(f"jobs {jobs - finished} still running after {timeout}s")

    def output(self) -> str:
        return (self.root / "scrapyd.out").read_text(encoding="utf-8", errors="replace")


@pytest.fixture(scope="session")
def scrapyd(tmp_path_factory: pytest.TempPathFactory, replica: ReplicaServer) -> Iterator[Scrapyd]:
    """Scrapyd 1.6 on a free port; its crawls reach the replica through http_proxy in its environment."""
    root = tmp_path_factory.mktemp("scrapyd")
    port = free_port()
    (root / "scrapyd.conf").write_text(SCRAPYD_CONF.format(port=port, root=root))
    with (root / "scrapyd.out").open("w") as out:
        process = subprocess.Popen([sys.executable, "-m", "scrapyd", "--pidfile="], cwd=root, stdout=out,
                                   stderr=subprocess.STDOUT, text=True, env=clean_env(http_proxy=replica.url))
    server = Scrapyd(f"http://127.0.0.1:{port}", root, process)
    deadline = time.monotonic() + 60
    while True:
        try:
            assert server.call("daemonstatus.json")["status"] == "ok"
            break
        except OSError:
            assert process.poll() is None and time.monotonic() < deadline, server.output()
            time.sleep(0.2)
    yield server
    process.terminate()
    process.wait(timeout=20)


def test_scrapyd_round_trip(scrapyd: Scrapyd, tmp_path_factory: pytest.TempPathFactory) -> None:
    base = tmp_path_factory.mktemp("deploy")
    project = copy_project(base / "project")
    cfg = (project / "scrapy.cfg").read_text()
    (project / "scrapy.cfg").write_text(cfg.replace("http://127.0.0.1:6800/", scrapyd.url + "/"))
    deploy = subprocess.run([Path(sys.executable).parent / "scrapyd-deploy"], cwd=project, capture_output=True,
                            text=True, env=clean_env(), timeout=300)
    assert deploy.returncode == 0, deploy.stdout + deploy.stderr
    answer = json.loads(deploy.stdout[deploy.stdout.index("{"):])
    assert answer["status"] == "ok" and answer["project"] == "newscrawler" and answer["spiders"] == 5
    # every bundled profile is a spider, read from inside the egg, and the feed spider
    listed = scrapyd.call("listspiders.json?project=newscrawler")
    assert sorted(listed["spiders"]) == ["dockone", "feed", "qutoutiao", "woshipm", "zaker"], listed

    db = base / "news.sqlite3"
    job = scrapyd.call(
        "schedule.json", project="newscrawler", spider="qutoutiao",
        setting=[f"NEWSCRAWLER_DB={db}", f"DEADLETTER_DIR={base / 'deadletter'}", "DOWNLOAD_DELAY=0",
                 "AUTOTHROTTLE_ENABLED=0"],
        cids="1,2", pages="2",
    )["jobid"]
    bad = scrapyd.call("schedule.json", project="newscrawler", spider="qutoutiao", pages="0")["jobid"]
    scrapyd.wait_finished("newscrawler", {job, bad})

    titles = stored_titles(db)
    assert titles[SEED_ID] == SEED_TITLE and len(titles) > 10
    log = (scrapyd.root / "logs" / "newscrawler" / "qutoutiao" / f"{job}.log").read_text(encoding="utf-8")
    assert "[Spidermon] OK" in log and "Exit status 0: healthy" in log
    assert "'qutoutiao/listing/pages': 4" in log  # the spider arguments reached the spider
    # Scrapyd records each job's outcome: the exit status of our crawl command.
    output = scrapyd.output()
    assert re.search(rf"Process finished: .*job='{job}'", output), output[-3000:]
    assert re.search(rf"Process died: exitstatus=2 .*job='{bad}'", output), output[-3000:]
