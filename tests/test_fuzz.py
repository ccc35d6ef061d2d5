"""Fuzzing where hostile text comes in (issue 12, "Must hold"): the query parser and the
header parser take any string and answer with a parse or a clear error, never a crash; the
JSON API, driven by schemathesis from its own OpenAPI document in-process, never answers 5xx.

Bounded so that it fits the test budget: a few hundred examples per parser, and at most
:data:`API_EXAMPLES` requests per API operation (well under a minute in all).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from flask import Flask
from helpers import WEB, import_docs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexer.header import parse_header
from indexer.query import MAX_CLAUSES, MAX_QUERY_CHARS, QuerySyntaxError, parse
from search_app import create_app

API_EXAMPLES = 40

#: Text that looks like queries: operators, quotes of every kind, 文号 brackets, CJK.
query_text = st.text(
    alphabet=st.sampled_from(
        list('  -－"“”「」＂:：ORtitle标题正文body国办发〔〕[]()（）号第条2019公开政务')
    )
    | st.characters(),
    max_size=300,
)


@settings(max_examples=300, deadline=None)
@given(query_text)
def test_query_parser_reads_anything_or_says_why(text: str) -> None:
    try:
        parsed = parse(text)
    except QuerySyntaxError as exc:
        assert str(exc)
        return
    assert len(text.strip()) <= MAX_QUERY_CHARS
    assert sum(len(c.options) for c in parsed.clauses) <= MAX_CLAUSES
    for match in parsed.positive:
        assert all(word.text for word in match.words)


header_line = st.one_of(
    st.sampled_from(
        [
            "索引号：",
            "发文字号：",
            "成文日期：",
            "发布日期：",
            "有效性：",
            "发布机构：",
            "主题分类：",
            "标　　题：",
        ]
    ).flatmap(lambda key: st.text(max_size=40).map(lambda value: key + value)),
    st.text(max_size=80),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(header_line, max_size=20).map("\n".join))
def test_header_parser_never_crashes(text: str) -> None:
    header = parse_header(text)
    assert header is not None


@pytest.fixture(scope="module")
def api_app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    data = tmp_path_factory.mktemp("fuzz-data")
    import_docs(data, WEB)
    # not TESTING: the real error handlers answer, as in production
    return create_app({"DATA_DIR": Path(data), "SECRET_KEY": "fuzz"})


@pytest.fixture(scope="module")
def api_schema(api_app: Flask) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", api_app)


def test_api_never_answers_a_server_error(api_schema: schemathesis.BaseSchema) -> None:
    """Every operation of the OpenAPI document, with generated (and malformed) parameters
    and bodies, called on the in-process WSGI app (no socket)."""
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 7

    for operation in operations:

        @settings(
            max_examples=API_EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def call(case: schemathesis.Case) -> None:
            response = case.call()
            assert response.status_code < 500, (case.method, case.path, response.text[:300])

        call()
