"""A profile's JMESPath queries: the plain field paths read without JMESPath's interpreter give what it gives."""

from __future__ import annotations

from typing import Any

import jmespath
from hypothesis import given
from hypothesis import strategies as st

from newscrawler.sources.queries import JMESPATH, compile_query

NAMES = st.sampled_from(["id", "url", "data", "title", "a", "b"])
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(NAMES, inner, max_size=4),
    max_leaves=12,
)


@given(path=st.lists(NAMES, min_size=1, max_size=3), value=JSON)
def test_field_paths_read_as_jmespath_reads_them(path: list[str], value: Any) -> None:
    text = ".".join(path)
    query = compile_query(text, JMESPATH)
    assert query.fields == tuple(path)  # the quick path is taken
    assert query.search(value) == jmespath.search(text, value)


def test_other_expressions_keep_jmespath() -> None:
    for text in ("data.data[0]", "tag[*]", "to_string(content_type) == '3'", "author.name || source"):
        assert compile_query(text, JMESPATH).fields is None
    assert compile_query('"quoted name"', JMESPATH).search({"quoted name": 1}) == 1
