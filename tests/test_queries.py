"""A profile's JMESPath queries, run by one shared interpreter, give what ``jmespath.search`` gives."""

from __future__ import annotations

from typing import Any

import jmespath
import pytest
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
    assert query.search(value) == jmespath.search(text, value)


@pytest.mark.parametrize("text", ["data.data[0]", "tag[*]", "to_string(id) == '3'", "title || url", "data.*.id"])
@given(value=JSON)
def test_any_expression_reads_as_jmespath_reads_it(text: str, value: Any) -> None:
    assert compile_query(text, JMESPATH).search(value) == jmespath.search(text, value)


def test_a_quoted_name() -> None:
    assert compile_query('"quoted name"', JMESPATH).search({"quoted name": 1}) == 1
