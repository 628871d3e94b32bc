"""A source is data: no module outside the profiles (``newscrawler/sources/*.yaml``) and the replica names a site.

Adding a source must never mean touching generic code: every site-specific word (names,
hosts, selectors) lives in its profile file, and every stats key takes the source's prefix from
the spider.
"""

from __future__ import annotations

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "newscrawler"
# The bundled sites, as code, docstrings, comments or doctests might name them. Case matters where a
# word is also a setting's old name (QUTOUTIAO_LIST_URL is named by the check that refuses it).
SITE_WORDS = re.compile(
    r"qutoutiao|趣头条|1sapp|qktoutiao|shehuitu|qiuxingwang|fastapi\.net"
    r"|dockone|DockOne|Dockone|WeCenter|woshipm|人人都是产品经理|zaker|ZAKER|myzaker"
)


def site_naming_modules() -> dict[str, list[str]]:
    """Each module outside the profiles and the replica that names a site, with the lines that do."""
    found: dict[str, list[str]] = {}
    for path in sorted(PACKAGE.rglob("*")):
        relative = path.relative_to(PACKAGE).as_posix()
        if not path.is_file() or relative.startswith("replica/") or path.suffix in (".pyc",):
            continue
        if relative.startswith("sources/") and path.suffix in (".yaml", ".yml"):
            continue
        lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if SITE_WORDS.search(line)]
        if lines:
            found[relative] = lines
    return found


def test_no_generic_module_names_a_site() -> None:
    assert site_naming_modules() == {}


def test_the_words_are_found_where_they_are() -> None:
    """The pattern finds each bundled site in its own profile (so a miss above is no blind spot)."""
    for name in ("qutoutiao", "dockone", "woshipm", "zaker"):
        assert SITE_WORDS.search((PACKAGE / "sources" / f"{name}.yaml").read_text(encoding="utf-8")), name
