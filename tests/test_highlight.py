"""Snippets and highlights: whole words only, and ``<mark>`` is the only markup."""

from __future__ import annotations

import pytest
from helpers import Corpus, fragment_text, tags, texts
from selectolax.lexbor import LexborHTMLParser

from indexer.analysis import tokenize
from indexer.highlight import Snippet, snippet, title_spans
from indexer.query import parse
from indexer.service import Gongkai
from search_app.filters import hit_snippet, hit_title, marked

TEXT = "一、各单位要做好政务公开工作。二、依照第1条和第16条办理，政务信息应当依法公开。"


def html_of(snip: Snippet) -> str:
    """The snippet as the web app renders it."""
    return str(marked(snip.text, snip.spans))


def marks(fragment: str) -> list[str]:
    """The text of each ``<mark>`` of a highlighted fragment."""
    return texts(LexborHTMLParser(fragment), "mark")


def token_bounds(text: str) -> tuple[set[int], set[int]]:
    tokens = list(tokenize(text, index=True))
    return {t.start for t in tokens}, {t.end for t in tokens}


@pytest.mark.parametrize("query", ['"政务公开"', "政务公开"])
def test_marks_the_whole_word(query: str) -> None:
    html = html_of(snippet(TEXT, parse(query)))
    assert "<mark>政务公开</mark>" in html
    assert "<mark>政务</mark>公开" not in html


def test_a_digit_is_never_marked_inside_a_number() -> None:
    snip = snippet(TEXT, parse("1"))
    assert marks(html_of(snip)) == ["1"]
    assert "第<mark>1</mark>条和第16条" in html_of(snip)


def test_marks_start_and_end_on_word_boundaries() -> None:
    for query in ("公开", "政务", "依法公开", '"第16条"', "信息"):
        snip = snippet(TEXT, parse(query))
        assert snip.spans, query
        starts, ends = token_bounds(snip.text)
        for start, end in snip.spans:
            assert start in starts and end in ends, (query, snip.text[start:end])


def test_spans_index_the_snippet_text() -> None:
    snip = snippet(TEXT, parse('"第16条"'))
    assert [snip.text[s:e] for s, e in snip.spans] == ["第16条"]
    plain = "".join(f"[{p}]" if hit else p for p, hit in snip.pieces())
    assert plain == snip.text.replace("第16条", "[第16条]")


def test_long_text_snippet_is_near_the_match() -> None:
    text = "前言。" * 3000 + "本段规定湿地保护的具体要求。" + "附则。" * 3000
    snip = snippet(text, parse("湿地保护"))
    assert "<mark>湿地保护</mark>" in html_of(snip)
    assert len(snip.text) < 200


def test_document_markup_is_escaped() -> None:
    text = "需开展安全检查：正文中有<script>alert(1)</script>和<b>加粗</b>。"
    html = html_of(snippet(text, parse("安全检查")))
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;" in html
    assert tags(html) == {"mark"} and fragment_text(html) == text  # all else is text
    title = html_of(title_spans("<b>安全检查</b>通知", parse("安全检查")))
    assert title == "&lt;b&gt;<mark>安全检查</mark>&lt;/b&gt;通知"


def test_search_hits_are_escaped_with_mark_the_only_markup(corpus: Corpus) -> None:
    with Gongkai(corpus.data, readonly=True) as gk:
        result = gk.search("安全检查")
    (hit,) = [h for h in result.hits if h.id == corpus.ids["anquan-jiancha.txt"]]
    for html, shown in ((hit_snippet(hit), hit.snippet), (hit_title(hit), hit.title)):
        assert tags(html) == {"mark"}, html  # <mark> is the only markup
        assert fragment_text(html) == shown  # and the rest is the text, escaped
        assert "&lt;script&gt;" in html
    assert "<mark>安全检查</mark>" in hit_snippet(hit)
    assert "<mark>安全检查</mark>" in hit_title(hit)
    assert "&lt;b&gt;加粗&lt;/b&gt;" in hit_snippet(hit)
    # the plain snippet and its highlight offsets agree
    assert {hit.snippet[s:e] for s, e in hit.highlights} == {"安全检查"}


def test_search_highlights_whole_words_of_phrase(corpus: Corpus) -> None:
    with Gongkai(corpus.data, readonly=True) as gk:
        (hit,) = gk.search('"政务公开"').hits
    assert marks(hit_snippet(hit)) and set(marks(hit_snippet(hit))) == {"政务公开"}
    assert marks(hit_title(hit)) == ["政务公开"]
