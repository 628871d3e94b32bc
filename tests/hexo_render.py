"""Real Hexo for the suite: hexo 8 and hexo-renderer-marked from npm, pinned in tests/hexo/.

``install()`` runs ``npm ci`` into ``tests/hexo/node_modules`` (ignored by git) once per
lockfile: a stamp holds the lockfile's hash, so later sessions reuse the folder. ``HexoSite`` is
a site folder of its own (our minimal theme) on which the real ``hexo generate`` runs;
``HexoWorker`` is one long-lived Node process that renders posts through Hexo's own post
pipeline (``tests/hexo/render.js``), for the property tests.
"""

from __future__ import annotations

import copy
import fcntl
import hashlib
import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lxml.html

HEXO_DIR = Path(__file__).resolve().parent / "hexo"
MODULES = HEXO_DIR / "node_modules"
STAMP = MODULES / ".newscrawler-lock-sha256"
# The first page generated for each post: Hexo's default permalink, :year/:month/:day/:title/.
POST_PAGES = "*/*/*/*/index.html"


def install() -> Path:
    """``npm ci`` into tests/hexo/node_modules unless it already holds this lockfile's packages.

    ``--ignore-scripts``: no package needs its install script here (hexo-util ships the file
    its script would build), and none should run on a test machine.
    """
    lockfile = HEXO_DIR / "package-lock.json"
    with lockfile.open("rb") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # two sessions in one checkout: one installs, the other waits
        lock = hashlib.sha256(held.read()).hexdigest()
        if STAMP.exists() and STAMP.read_text(encoding="utf-8") == lock:
            return MODULES
        try:
            done = subprocess.run(
                ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
                cwd=HEXO_DIR, capture_output=True, text=True, timeout=600,
            )
        except FileNotFoundError:
            raise RuntimeError("npm is not installed: the suite needs Node.js >= 20.19 and npm for real Hexo "
                               "(README, Tests and benchmarks)") from None
        if done.returncode != 0:
            raise RuntimeError(f"npm ci in {HEXO_DIR} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        STAMP.write_text(lock, encoding="utf-8")
    return MODULES


def make_site(folder: Path) -> Path:
    """A Hexo site in ``folder``: our config and theme, the installed packages linked in."""
    shutil.copytree(HEXO_DIR / "site", folder, dirs_exist_ok=True)
    shutil.copy(HEXO_DIR / "package.json", folder / "package.json")
    (folder / "node_modules").symlink_to(MODULES, target_is_directory=True)
    (folder / "source" / "_posts").mkdir(parents=True, exist_ok=True)
    return folder


# What our post wraps the body in, as Hexo passes it through (an HTML block for marked).
OPENING, CLOSING = "   \n", "  \n"
# Attributes our sanitizer never lets through; Hexo's external-link filter adds target.
HEXO_ADDS = {("a", "target", "_blank")}


def shape(element: lxml.html.HtmlElement) -> tuple[Any, ...]:
    """An element as nested tuples: tag, attributes, text, children, tail (comparable with ==)."""
    attributes = sorted((k, v) for k, v in element.attrib.items() if (element.tag, k, v) not in HEXO_ADDS)
    return (element.tag, attributes, element.text or "", [shape(child) for child in element], element.tail or "")


def expected_shape(body_html: str) -> tuple[Any, ...]:
    """The sanitized body, parsed as Hexo's output is, inside a ``<div>``."""
    if not body_html:
        return shape(lxml.html.Element("div"))
    return shape(lxml.html.fragment_fromstring(body_html, create_parent="div"))


def rendered_shape(wrapper: lxml.html.HtmlElement) -> tuple[Any, ...]:
    """Hexo's ``<div>`` with the whitespace our post puts around the body taken off.

    (An empty body leaves a blank line, which ends marked's HTML block there: no closing spaces.)
    """
    wrapper = copy.deepcopy(wrapper)
    assert (wrapper.text or "").startswith(OPENING), repr(wrapper.text)
    wrapper.text = wrapper.text[len(OPENING):]
    last = wrapper[-1] if len(wrapper) else None
    end = (last.tail if last is not None else wrapper.text) or ""
    if end.endswith(CLOSING):
        end = end[: -len(CLOSING)]
    if last is not None:
        last.tail = end
    else:
        wrapper.text = end
    wrapper.tail = None
    return shape(wrapper)


def post_wrapper(content: lxml.html.HtmlElement) -> lxml.html.HtmlElement:
    """The one element Hexo rendered from a post's content: our ``<div>``, nothing beside it."""
    assert [child.tag for child in content] == ["div"], lxml.html.tostring(content, encoding="unicode")[:500]
    assert not (content.text or "").strip() and not (content[0].tail or "").strip()
    return content[0]


@dataclass
class RenderedPost:
    """What Hexo made of one post: its front matter as Hexo read it and its content as HTML."""

    front: dict[str, Any]
    content: str

    def fragment(self) -> lxml.html.HtmlElement:
        """The content parsed, wrapped in one element (Hexo's output holds our ``<div>``)."""
        return lxml.html.fragment_fromstring(self.content, create_parent="section")


class HexoSite:
    """A real Hexo site: posts go into source/_posts, ``generate()`` runs the ``hexo`` command."""

    def __init__(self, folder: Path) -> None:
        self.folder = make_site(folder)
        self.posts = self.folder / "source" / "_posts"

    def generate(self) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["node", str(MODULES / "hexo" / "bin" / "hexo"), "generate"],
            cwd=self.folder, capture_output=True, text=True, timeout=300,
        )

    def pages(self) -> dict[str, lxml.html.HtmlElement]:
        """Each generated post page, by the post's file name."""
        pages = {}
        for path in (self.folder / "public").glob(POST_PAGES):
            root = lxml.html.fromstring(path.read_bytes())
            source = root.get_element_by_id("front").get("data-source")
            pages[Path(source).name] = root
        return pages


class HexoWorker:
    """One Node process, Hexo initialized once, rendering posts as ``hexo generate`` does."""

    def __init__(self, folder: Path) -> None:
        self.folder = make_site(folder)
        self.process = subprocess.Popen(
            ["node", str(HEXO_DIR / "render.js"), str(self.folder)],
            cwd=self.folder, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding="utf-8",
        )

    def render(self, name: str, text: str) -> RenderedPost:
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write(json.dumps({"name": name, "text": text}) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the Hexo worker exited ({self.process.wait()})")
        answer = json.loads(line)
        if "error" in answer:
            raise RuntimeError(f"Hexo could not render {name}: {answer['error']}")
        return RenderedPost(answer["front"], answer["content"])

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
