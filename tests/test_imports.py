"""Import rules: no module of the package imports from a layer above it, and test modules share
helpers through helper modules, never through each other."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Code and the scripts tests hand to a subprocess alike: ``from tests.test_x import y``,
# ``import tests.test_x``, ``from tests import test_x`` and ``from .test_x import y``.
TEST_MODULE_IMPORT = re.compile(
    r"^\s*(?:from\s+tests\.test_\w+\s+import|import\s+tests\.test_\w+|from\s+tests\s+import\s+(?:.*[\s,(])?test_\w+"
    r"|from\s+\.test_\w+\s+import)",
    re.MULTILINE,
)


def imports_of_test_modules(text: str) -> list[str]:
    return [match.group(0).strip() for match in TEST_MODULE_IMPORT.finditer(text)]


@pytest.mark.parametrize(
    ("line", "found"),
    [
        ("from tests.test_store import T0, article", True),
        ("    from tests.test_body import PROXY", True),
        ("import tests.test_exports", True),
        ("from tests import oracle, test_store", True),
        ("from .test_store import article", True),
        ("from tests.articles import T0, article", False),
        ("from tests import oracle", False),
        ("from tests.stores import run_stage  # was tests.test_store_faults", False),
    ],
)
def test_the_rule_sees_every_form(line: str, found: bool) -> None:
    assert bool(imports_of_test_modules(line)) == found


def test_no_test_module_imports_another() -> None:
    """Helpers live in helper modules (tests/articles.py, tests/stores.py, ...), not in test_*.py files."""
    offenders = {
        str(path.relative_to(ROOT)): found
        for path in sorted([*ROOT.glob("tests/*.py"), *ROOT.glob("benchmarks/*.py")])
        if (found := imports_of_test_modules(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}


# --- Layers: a module imports from its own layer or the ones below, never from above ---------------

# Lowest first (README "Layout"). The package root holds what every layer shares, but for cli.py and
# __main__.py, the commands' base and entry point.
LAYERS: list[tuple[str, ...]] = [
    ("newscrawler",),  # settings, items, errors, signals, checks, text, urls, dates, numbers, ...
    ("newscrawler.sources",),
    ("newscrawler.pages",),
    ("newscrawler.storage",),
    ("newscrawler.pipelines", "newscrawler.middlewares", "newscrawler.downloader", "newscrawler.scheduler",
     "newscrawler.extensions", "newscrawler.exporters", "newscrawler.serve"),
    ("newscrawler.spiders",),
    ("newscrawler.commands", "newscrawler.replica", "newscrawler.cli", "newscrawler.__main__"),
]
PACKAGE = ROOT / "newscrawler"


def module_of(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(module: str) -> int:
    """The layer of a module of the package: its subpackage's, or the root's."""
    parts = module.split(".")
    unit = ".".join(parts[:2]) if len(parts) > 1 else module
    found = [n for n, units in enumerate(LAYERS) if unit in units]
    if found:
        return found[0]
    if len(parts) > 1 and (PACKAGE / f"{parts[1]}.py").is_file():
        return 0  # a module of the root
    raise AssertionError(f"{unit} has no layer: add it to LAYERS")


def imported(text: str) -> set[str]:
    """The package's modules ``text`` imports (``from newscrawler import x`` names module x when it is one)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.split(".")[0] == "newscrawler"}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "newscrawler":
            found.add(node.module)
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                if (ROOT / submodule.replace(".", "/")).with_suffix(".py").is_file() or \
                        (ROOT / submodule.replace(".", "/")).is_dir():
                    found.add(submodule)
    return found


def upward_imports(texts: dict[str, str]) -> list[str]:
    """``module -> imported module`` for every import from a higher layer."""
    return sorted(f"{module} -> {target}" for module, text in texts.items() for target in imported(text)
                  if layer(target) > layer(module))


@pytest.mark.parametrize(
    ("module", "code", "upward"),
    [
        # the import this test was written for: storage drew the commands' progress bar
        ("newscrawler.storage.replay", "from newscrawler.commands.progress import progress\n", True),
        ("newscrawler.extensions.progress", "from newscrawler.spiders import params\n", True),
        ("newscrawler.items", "from newscrawler import storage\n", True),  # the root shares, it does not use
        ("newscrawler.pages.body", "import newscrawler.pipelines.body\n", True),
        ("newscrawler.storage.documents", "from newscrawler.pages.body import sanitize\n", False),
        ("newscrawler.commands.crawl", "from newscrawler.extensions.itemerrors import BUG_STATS\n", False),
        ("newscrawler.middlewares.lostrequests", "from newscrawler.scheduler.fingerprints import X\n", False),
        ("newscrawler.checks", "from newscrawler.numbers import to_int\n", False),
    ],
)
def test_the_layer_rule(module: str, code: str, upward: bool) -> None:
    assert bool(upward_imports({module: code})) == upward


def test_no_module_imports_from_a_layer_above_it() -> None:
    texts = {module_of(path): path.read_text(encoding="utf-8") for path in sorted(PACKAGE.rglob("*.py"))}
    assert upward_imports(texts) == []
