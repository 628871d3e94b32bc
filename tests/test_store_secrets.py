"""MONGO_URI passwords never leak (issue 17): the password table against the wire server with
``--auth``, through real ``scrapy crawl``, ``scrapy replay`` and ``scrapy query`` processes."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, quote_plus, unquote_plus

import pytest
from pymongo import MongoClient

from newscrawler.replica.server import ReplicaServer
from newscrawler.storage.mongouri import redact, scrub
from tests.processes import ROOT, env
from tests.servers import SecantusServer, fail_command, fail_point_off, secantus_with_users

# Passwords holding each character that moves a URI parser's cuts, and percent escapes.
PASSWORDS = {
    "hash": "Sup3r#Secret",  # pymongo takes it as written: the URI is valid
    "question": "Pa55?word",
    "slash": "Se/cret9x",
    "at": "p@ssw0rd@x",
    "colon": "co:lon:pw",
    "percent": "100%pure%41",
}
# Raw (unescaped) URIs pymongo accepts; the others are malformed and must be refused in one line.
VALID_RAW = {"hash"}
USERS = {f"crawler_{name}": password for name, password in PASSWORDS.items()}
FAST = ["-a", "cids=1", "-a", "pages=1", "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0"]


def forms(password: str) -> set[str]:
    """Every spelling of ``password`` that would give it away."""
    return {password, quote_plus(password), quote(password, safe=""), unquote_plus(password)}


def uri(server: SecantusServer, user: str, password: str) -> str:
    return f"mongodb://{user}:{password}@127.0.0.1:{server.port}/?directConnection=true&authSource=admin"


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecantusServer]:
    with secantus_with_users(tmp_path_factory.mktemp("secantus-auth"), USERS) as server:
        yield server


def start(command: str, *args: str, mongo_uri: str, folder: Path, proxy: str = "",
          option: bool = False) -> subprocess.Popen[str]:
    """``scrapy <command>`` with MONGO_URI from the environment, as an operator exports it, or as
    ``-s MONGO_URI=…`` (``option``)."""
    extra = {"DEADLETTER_DIR": str(folder / "deadletter"), "MONGO_DATABASE": folder.name}
    if option:
        args = (*args, "-s", f"MONGO_URI={mongo_uri}")
    else:
        extra["MONGO_URI"] = mongo_uri
    if proxy:
        extra["http_proxy"] = proxy
    return subprocess.Popen([sys.executable, "-m", "scrapy", command, *args], cwd=ROOT, env=env(**extra),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(process: subprocess.Popen[str]) -> subprocess.CompletedProcess[str]:
    stdout, stderr = process.communicate(timeout=240)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def run(command: str, *args: str, mongo_uri: str, folder: Path, proxy: str = "") -> subprocess.CompletedProcess[str]:
    return finish(start(command, *args, mongo_uri=mongo_uri, folder=folder, proxy=proxy))


@pytest.mark.parametrize("name", PASSWORDS)
def test_password_never_appears(name: str, auth_server: SecantusServer, replica: ReplicaServer,
                                tmp_path: Path) -> None:
    user, password = f"crawler_{name}", PASSWORDS[name]
    encoded, raw = uri(auth_server, user, quote_plus(password)), uri(auth_server, user, password)
    folder = tmp_path / f"secrets_{name}"
    folder.mkdir()
    log = folder / "crawl.log"
    texts: list[str] = []

    # Every write fails: the crawl spools, its log and stats name the store, its dead letters hold the articles.
    with MongoClient(encoded) as admin:
        fail_command(admin, "alwaysOn", failCommands=["update"], errorCode=6, errorLabels=["RetryableWriteError"])
        try:
            crawl = run("crawl", "qutoutiao", *FAST, "-s", "STORE_WRITE_ATTEMPTS=1", "-s", f"LOG_FILE={log}",
                        mongo_uri=encoded, folder=folder, proxy=replica.url)
        finally:
            fail_point_off(admin)
    assert crawl.returncode == 0, crawl.stderr[-3000:]
    crawl_log = log.read_text(encoding="utf-8")
    assert "'store/deadlettered':" in crawl_log  # the stats dump is in the log
    assert f"Storing articles in MongoDB at mongodb://***@127.0.0.1:{auth_server.port}/" in crawl_log
    dead = [path.read_text(encoding="utf-8") for path in (folder / "deadletter").glob("deadletter-*.jsonl")]
    assert dead and all(text.count("\n") > 0 for text in dead)
    texts += dead
    replayed = run("replay", mongo_uri=encoded, folder=folder)
    assert replayed.returncode == 0 and " new" in replayed.stdout, replayed.stderr
    queried = run("query", "--limit", "3", mongo_uri=encoded, folder=folder)
    assert queried.returncode == 0 and len(queried.stdout.splitlines()) == 3, queried.stderr
    texts += [crawl.stdout, crawl.stderr, crawl_log, replayed.stdout, replayed.stderr, queried.stdout, queried.stderr]

    # The password as written, unescaped: pymongo takes it (and so do we), or it is one line naming no secret.
    running = {command: start(command, *args, mongo_uri=raw, folder=folder, proxy=replica.url, option=True)
               for command, args in (("crawl", ["qutoutiao", *FAST]), ("query", ["--limit", "1"]), ("replay", []))}
    for command, process in running.items():
        done = finish(process)
        texts += [done.stdout, done.stderr]
        if name in VALID_RAW:
            assert done.returncode == 0, done.stderr[-3000:]
        else:
            assert done.returncode == (2 if command == "crawl" else 1), done.stderr[-3000:]
            [line] = [text for text in done.stderr.splitlines() if "MONGO_URI does not parse" in text]
            assert f"(mongodb://***@127.0.0.1:{auth_server.port}/?directConnection=true&authSource=admin)" in line
            assert "Traceback" not in done.stderr

    texts += [path.read_text(encoding="utf-8", errors="replace") for path in folder.rglob("*") if path.is_file()]
    for text in texts:
        for form in forms(password):
            assert form not in text


# Malformed URIs and the secret in each: neither it nor any piece of it between delimiters may show.
MALFORMED = [
    ("mongodb://crawler:Pa55?w0rdX@127.0.0.1:1/", "Pa55?w0rdX"),
    ("mongodb://crawler:Sup3r#Se?cretX@127.0.0.1:1/?w=1", "Sup3r#Se?cretX"),
    ("mongodb://crawler:Se/cret9x@127.0.0.1:1/", "Se/cret9x"),
    ("mongodb://crawler:p@ssw0rd@127.0.0.1:1/", "p@ssw0rd"),
    ("mongodb://crawler:co:lon:pw@127.0.0.1:1/", "co:lon:pw"),
    ("mongodb://crawler:100%pureX@127.0.0.1:1/", "100%pureX"),
    ("mongodb://crawler:Secret9x@[::1", "Secret9x"),
    ("mongodb://crawler:Secret9x@127.0.0.1:1/?tlsCertificateKeyFilePassword=Secret9y&journal=maybe", "Secret9y"),
    ("crawler:Secret9x@127.0.0.1:1", "Secret9x"),
    ("http://crawler:Secret9x@127.0.0.1:1/", "Secret9x"),
    ("mongodb+srv://crawler:Pa55?Secret9x@cluster.invalid/", "Pa55?Secret9x"),
]


def pieces(secret: str) -> set[str]:
    """The secret, and each run of it between URI delimiters (a parser may cut it there)."""
    runs = secret
    for delimiter in ":/?#@%":
        runs = runs.replace(delimiter, " ")
    return forms(secret) | {run for run in runs.split() if len(run) >= 4}


@pytest.mark.parametrize(("mongo_uri", "secret"), MALFORMED)
def test_malformed_uri_is_one_line_naming_no_secret(mongo_uri: str, secret: str, tmp_path: Path) -> None:
    commands = {"crawl": 2, "query": 1, "replay": 1}  # exit statuses: could not start; error
    running = {command: start(command, *(["qutoutiao"] if command == "crawl" else []), mongo_uri=mongo_uri,
                              folder=tmp_path, option=command == "query") for command in commands}
    for command, process in running.items():
        done = finish(process)
        assert done.returncode == commands[command], done.stderr[-3000:]
        [line] = [line for line in done.stderr.splitlines() if "MONGO_URI does not parse" in line]
        assert "Traceback" not in done.stderr
        for piece in pieces(secret):
            assert piece not in done.stdout + done.stderr, (command, piece)


@pytest.mark.parametrize(("text", "shown"), [
    ("mongodb://crawler:Sup3r#Secret@db1:27017,db2/news?authSource=admin&replicaSet=rs",
     "mongodb://***@db1:27017,db2/news?authSource=admin&replicaSet=rs"),
    ("mongodb://crawler:Pa55?word@db1/", "mongodb://***@db1/"),
    ("mongodb://crawler:p@ss/w?rd@db1/?w=majority", "mongodb://***@db1/?w=majority"),
    ("mongodb://db1/?tls=true&tlsCertificateKeyFilePassword=k3y;authMechanismProperties=AWS_SESSION_TOKEN:t0k",
     "mongodb://db1/?tls=true&***&***"),
    ("mongodb://db1/?appName=x&Pa55word=1", "mongodb://db1/?***&***"),  # unknown keys may be credential text
    ("mongodb+srv://crawler:100%25pure@cluster.example/", "mongodb+srv://***@cluster.example/"),
    ("crawler:Pa55word@db1", "***"),
    ("mongo:Pa55word@db1://db1/", "***://db1/"),
    ("http://crawler:Pa55word@db1/", "http://***@db1/"),
    # valid for pymongo (host "crawler", port 12, database "Secret9x@db1"), yet nothing before the last @ shows
    ("mongodb://crawler:12/Secret9x@db1/", "mongodb://***@db1/"),
])
def test_redacted_by_structure(text: str, shown: str) -> None:
    assert redact(text) == shown


def test_parser_messages_are_scrubbed() -> None:
    """Backs up pymongo, which quotes no URI text in its messages: any piece of the credentials goes."""
    text = "mongodb://crawler:Pa55?word@db1/"
    assert scrub("host crawler:Pa55 and options word@db1 (Pa55?word, Pa55%3Fword)", text) == (
        "host *** and options ***@db1 (***, ***)")
