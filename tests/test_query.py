"""The query language, parsed and run against the fixture corpus through ``gongkai search``."""

from __future__ import annotations

import pytest
from helpers import Corpus, run_cli, search_json

from indexer.query import QuerySyntaxError, parse
from indexer.service import Gongkai

ADJACENT = "guoban-2019-2.txt"  # 政务公开 as adjacent words
APART = "weijian-zongjie.txt"  # 政务 … 公开 far apart


def sources(corpus: Corpus, *args: str) -> list[str]:
    """The documents the query matches: full matches only, same-title documents listed (the
    relaxed section and grouping are tested in tests/test_matching.py)."""
    hits = search_json(corpus.data, *args, "--limit", "50")["hits"]
    found = [corpus.source(h["id"]) for h in hits if not h["partial"]]
    with Gongkai(corpus.data, readonly=True) as gk:
        listed = gk.search(" ".join(args), limit=50, relaxed=False, collapse=False).hits
    assert set(found) <= {corpus.source(h.id) for h in listed}
    return [corpus.source(h.id) for h in listed]


# -- parser -------------------------------------------------------------------------------


def test_parse_words_phrases_negation_or_fields() -> None:
    parsed = parse('湿地 "政务公开" -候鸟 title:通知 绿地 OR 公路')
    clauses = parsed.clauses
    assert len(clauses) == 5
    assert [w.text for w in clauses[1].options[0].words] == ["政务", "公开"]
    assert clauses[1].options[0].phrase
    assert clauses[2].negated
    assert clauses[3].options[0].fields == ("title",)
    assert len(clauses[4].options) == 2


def test_unquoted_multiword_is_not_a_phrase() -> None:
    (clause,) = parse("政务公开").clauses
    assert not clause.options[0].phrase


def test_doc_number_and_index_number_clauses() -> None:
    (clause,) = parse("国办发 (2019) 2 号").clauses
    assert clause.options[0].doc_number == "国办发〔2019〕2号"
    (clause,) = parse("000014349/2019-00002").clauses
    assert clause.options[0].index_number == "000014349/2019-00002"


@pytest.mark.parametrize("query", ['"政务公开', "湿地 “保护", "「绿地", "a OR", "OR b", "title:"])
def test_syntax_errors(query: str) -> None:
    with pytest.raises(QuerySyntaxError):
        parse(query)


def test_other_quote_styles_are_phrases() -> None:
    for query in ("“政务公开”", "「政务公开」"):
        (clause,) = parse(query).clauses
        assert clause.options[0].phrase


# -- against the corpus ---------------------------------------------------------------------


def test_quoted_phrase_matches_only_adjacent_words(corpus: Corpus) -> None:
    assert sources(corpus, '"政务公开"') == [ADJACENT]
    assert sources(corpus, "“政务公开”") == [ADJACENT]


def test_unquoted_words_match_apart_adjacent_ranked_first(corpus: Corpus) -> None:
    found = sources(corpus, "政务公开")
    assert set(found) == {ADJACENT, APART}
    assert found[0] == ADJACENT


def test_negation_excludes(corpus: Corpus) -> None:
    with_word = sources(corpus, "养护")
    assert "guoban-2017-16.txt" in with_word and "guoban-2017-1.txt" in with_word
    without = sources(corpus, "养护 -公路")
    assert "guoban-2017-16.txt" not in without
    assert set(without) == set(with_word) - {"guoban-2017-16.txt"}


def test_or_takes_either(corpus: Corpus) -> None:
    either = set(sources(corpus, "候鸟 OR 湿地保护"))
    assert either == set(sources(corpus, "候鸟")) | set(sources(corpus, "湿地保护"))
    assert {"houniao-2015.txt", "shidi-xize.txt", "huanjing-gongbao.txt"} <= either
    assert sources(corpus, "候鸟 湿地保护") == []  # without OR both are required


def test_title_field_searches_titles_only(corpus: Corpus) -> None:
    assert set(sources(corpus, "湿地保护")) == {"shidi-xize.txt", "huanjing-gongbao.txt"}
    assert sources(corpus, "title:湿地保护") == ["shidi-xize.txt"]
    assert sources(corpus, "标题:湿地保护") == ["shidi-xize.txt"]


def test_unbalanced_quote_is_a_usage_error_without_traceback(corpus: Corpus) -> None:
    result = run_cli(corpus.data, "search", "--json", '"政务公开')
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "引号" in lines[0]
    assert "Traceback" not in result.stderr
