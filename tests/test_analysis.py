"""The analyzer: word positions, sub-words, offsets into the original text, digits kept,
punctuation dropped — and why we do not use jieba's stock ChineseAnalyzer."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer import analysis
from indexer.analysis import TermPositions, term_positions, tokenize
from indexer.engines.base import IndexDoc
from indexer.engines.whoosh import WhooshEngine
from indexer.normalize import fold
from indexer.query import parse

SENTENCE = "各部门要推进政务公开工作，依法发布信息。"
DIGITS = "依照第1条和第16条办理"


def test_positions_are_sequential_word_positions() -> None:
    tokens = list(tokenize(SENTENCE))
    assert [t.pos for t in tokens] == list(range(len(tokens)))
    # character offsets would jump by the word length; word positions do not
    assert any(t.start != t.pos for t in tokens)


def test_index_mode_sub_words_share_the_parent_position() -> None:
    text = "遵守中华人民共和国的法律"
    precise = list(tokenize(text))
    indexed = list(tokenize(text, index=True))
    parent = next(t for t in precise if t.text == "中华人民共和国")
    subs = [t for t in indexed if t.pos == parent.pos and t.text != parent.text]
    assert {"中华", "人民", "共和国"} <= {t.text for t in subs}
    for sub in subs:
        assert parent.start <= sub.start < sub.end <= parent.end
        assert text[sub.start : sub.end] == sub.text
    # the sub-words add no positions: the word after the parent follows it directly
    assert sorted({t.pos for t in indexed}) == [t.pos for t in precise]


@pytest.mark.parametrize(
    ("text", "original"),
    [("ＡＢＣ２０１９年发布", "ＡＢＣ２０１９"), ("⽂件第1条", "⽂件")],
)
def test_offsets_point_into_the_original_text(text: str, original: str) -> None:
    tokens = list(tokenize(text, index=True))
    first = tokens[0]
    assert text[first.start : first.end] == original
    assert first.text == fold(original)
    for tok in tokens:
        assert fold(text[tok.start : tok.end]) == tok.text


def test_offsets_after_full_width_text() -> None:
    text = "ＡＢＣ２０１９年，政务公开"
    tok = next(t for t in tokenize(text) if t.text == "公开")
    assert text[tok.start : tok.end] == "公开"


def test_single_digits_survive() -> None:
    tokens = list(tokenize("第1条"))
    assert "1" in [t.text for t in tokens]
    assert [t.text for t in tokenize(DIGITS) if t.text.isdigit()] == ["1", "16"]


def test_punctuation_takes_no_position() -> None:
    tokens = list(tokenize("政务，公开。（发布）"))
    assert [(t.text, t.pos) for t in tokens] == [("政务", 0), ("公开", 1), ("发布", 2)]


def test_term_positions_and_words() -> None:
    positions = analysis.term_positions("政务公开，政务公开")
    assert positions["政务"] == [0, 2]
    assert positions["公开"] == [1, 3]
    assert analysis.words("推进政务公开") == ["推进", "政务", "公开"]


@pytest.mark.parametrize(
    "wanted",
    [{"政务", "公开"}, {"政务公开", "中华人民共和国", "1"}, {"ＰＤＦ", "pdf", "16", "依法"}, set()],
)
def test_tokens_of_are_the_wanted_tokens_of_tokenize(wanted: set[str]) -> None:
    text = SENTENCE + "中华人民共和国政务公开条例（ＰＤＦ版）\n" + DIGITS + "。政务公开工作"
    expected = [
        (t.text, t.pos, t.start, t.end) for t in tokenize(text, index=True) if t.text in wanted
    ]
    assert list(analysis.tokens_of(text, wanted)) == expected
    if wanted & {"政务", "pdf"}:
        assert expected  # the case is not vacuous


def test_alternatives_tile_a_long_word() -> None:
    assert analysis.alternatives("政务") == [("政务",)]
    alts = analysis.alternatives("中华人民共和国")
    assert alts[0] == ("中华人民共和国",)
    assert "".join(alts[1]) == "中华人民共和国" and len(alts[1]) > 1


# -- why we own the analyzer --------------------------------------------------------------


def test_stock_jieba_analyzer_breaks_phrases_and_digits_ours_does_not(tmp_path: Path) -> None:
    """The same text in a Whoosh index built with ``jieba.analyse.ChineseAnalyzer`` and in ours:
    the stock one stores character offsets as positions (so a phrase of two adjacent words
    never matches) and drops one-character non-Han tokens (so ``1`` of 第1条 is lost)."""
    pytest.importorskip("jieba")
    from jieba.analyse import ChineseAnalyzer
    from whoosh import fields, index
    from whoosh import query as wq
    from whoosh.qparser import QueryParser

    schema = fields.Schema(
        id=fields.ID(stored=True), body=fields.TEXT(analyzer=ChineseAnalyzer(), phrase=True)
    )
    stock_dir = tmp_path / "stock"
    stock_dir.mkdir()
    ix = index.create_in(str(stock_dir), schema)
    with ix.writer() as writer:
        writer.add_document(id="a", body=SENTENCE + DIGITS)
    with ix.searcher() as searcher:
        # the words are there …
        assert len(searcher.search(wq.Term("body", "政务"))) == 1
        assert len(searcher.search(wq.Term("body", "公开"))) == 1
        # … but as adjacent words they are not found
        phrase = QueryParser("body", schema).parse('"政务公开"')
        assert len(searcher.search(phrase)) == 0
        assert len(searcher.search(wq.Phrase("body", ["政务", "公开"]))) == 0
        # and the single digit is gone
        assert len(searcher.search(wq.Term("body", "1"))) == 0
    ix.close()

    ours = WhooshEngine(tmp_path / "ours")
    ours.add([IndexDoc(id="a", rev=1, title="", body=SENTENCE + DIGITS)])
    try:
        assert [h.id for h in ours.search(parse('"政务公开"')).hits] == ["a"]
        assert [h.id for h in ours.search(parse('"第1条"')).hits] == ["a"]
        assert ours.search(parse('"第2条"')).total == 0
    finally:
        ours.close()


def test_packed_positions_read_as_the_map_unpacking_once_per_view(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A :class:`TermPositions` reads as its :func:`term_positions` map, and each whole view
    (items, values, iteration) unpacks it once: the Mapping mixins would unpack it again for
    every term, which made hashing a long body for Typesense four times slower."""
    text = "公共租赁住房管理办法。公共租赁住房由区人民政府负责管理。" * 20
    plain = term_positions(text)
    packed = TermPositions.of(text)
    unpacked = 0
    real = TermPositions._dict

    def counting(self: TermPositions) -> dict[str, list[int]]:
        nonlocal unpacked
        unpacked += 1
        return real(self)

    monkeypatch.setattr(TermPositions, "_dict", counting)
    for view, expected in (
        (packed.items, plain.items),
        (packed.values, plain.values),
        (packed.keys, plain.keys),
    ):
        unpacked = 0
        assert list(view()) == list(expected())
        assert unpacked <= 1, view.__name__
    assert len(packed) == len(plain) and packed["公共"] == plain["公共"]
