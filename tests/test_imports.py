"""Import rules: test modules share helpers through helper modules, never through each other."""

from __future__ import annotations

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
