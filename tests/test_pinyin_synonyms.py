"""Pinyin of synonym terms, on both engines: ``gongzufang`` / ``gzf`` find a document that only
writes 公共租赁住房, ``dibao`` one that only writes 最低生活保障 (the abbreviations are in no
document, so the archive's vocabulary alone cannot read them); a staff synonym entry becomes
pinyin-searchable at once, without a reindex or a vocabulary rebuild; a spelling of nothing the
archive holds stays unread. Checked through the library (results, expansions, ``explain``), the
CLI, the API and the results page. The fixtures in ``tests/fixtures/pinyin_synonyms`` are our
own fictional texts."""

from __future__ import annotations

import json

import pytest
from helpers import CORPUS, FIXTURES, Corpus, TermDictionary, html, import_docs, run_cli

from indexer.pinyin_query import expand
from indexer.query import parse
from indexer.service import ENGINES, Gongkai, init_data_dir
from indexer.synonym_pinyin import SynonymSpellings, spelled, spellings_for
from indexer.synonyms import load
from indexer.vocabulary import Vocabulary

HERE = FIXTURES / "pinyin_synonyms"


@pytest.fixture(scope="module", params=ENGINES)
def corpus(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    data = tmp_path_factory.mktemp(f"pinyin-synonyms-{request.param}")
    init_data_dir(data, request.param)
    return Corpus(data, import_docs(data, CORPUS, HERE))


def search(corpus: Corpus, query: str, **options: object):  # type: ignore[no-untyped-def]
    with Gongkai(corpus.data, readonly=True) as gk:
        return gk.search(query, limit=50, **options)  # type: ignore[arg-type]


def sources(corpus: Corpus, query: str, **options: object) -> list[str]:
    return sorted(corpus.source(h.id) for h in search(corpus, query, **options).hits)


# -- the reading ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "term", "other", "source"),
    [
        ("gongzufang", "公租房", "公共租赁住房", "zulin-fenpei.txt"),
        ("gzf", "公租房", "公共租赁住房", "zulin-fenpei.txt"),
        ("gong zu fang", "公租房", "公共租赁住房", "zulin-fenpei.txt"),
        ("dibao", "低保", "最低生活保障", "jiuzhu-shishi.txt"),
    ],
)
def test_pinyin_of_an_abbreviation_finds_the_documents_writing_the_full_form(
    corpus: Corpus, query: str, term: str, other: str, source: str
) -> None:
    assert sources(corpus, term, exact=True, expand=False) == []  # no document writes it
    assert sources(corpus, query, expand=False) == []  # without synonyms: nothing to read
    result = search(corpus, query)
    assert source in [corpus.source(h.id) for h in result.hits]
    assert result.pinyin == {query: [term]}
    expansion = {"term": term, "also": [other], "pinyin": query}
    assert expansion in [e.to_dict() for e in result.expansions]
    hit = next(h for h in result.hits if corpus.source(h.id) == source)
    assert other in [hit.snippet[s:e] for s, e in hit.highlights] + [
        hit.title[s:e] for s, e in hit.title_highlights
    ]


def test_the_pinyin_results_are_those_of_the_typed_abbreviation(corpus: Corpus) -> None:
    assert sources(corpus, "gongzufang") == sources(corpus, "公租房")
    assert sources(corpus, "dibao") == sources(corpus, "低保")


@pytest.mark.parametrize("query", ["qwrtpz", "xyzzy", "gongzufangx", "yibao"])
def test_a_spelling_of_nothing_the_archive_holds_reads_nothing(corpus: Corpus, query: str) -> None:
    """yibao spells 医保 (a shipped abbreviation) but the archive holds no term of its group."""
    assert load().group_of("医保") is not None
    result = search(corpus, query)
    assert result.total == 0 and result.pinyin == {} and result.expansions == []


def test_explain_says_the_pinyin_was_read_as_a_synonym_term(corpus: Corpus) -> None:
    result = search(corpus, "gongzufang", explain=True)
    hit = next(h for h in result.hits if corpus.source(h.id) == "zulin-fenpei.txt")
    entry = next(e for e in hit.explanation or [] if e["factor"] == "synonym")
    assert entry["pinyin"] == "gongzufang" and entry["term"] == "公租房"
    assert entry["matched"] == ["公共租赁住房"]
    assert "读作“公租房”" in str(entry["detail"]) and "公共租赁住房" in str(entry["detail"])


def test_cli_prints_the_reading_and_what_it_also_searched(corpus: Corpus) -> None:
    out = run_cli(corpus.data, "search", "gzf").stdout
    assert "拼音 gzf：公租房" in out
    assert "同时搜索 / also searched: 公租房（拼音 gzf） → 公共租赁住房" in out
    data = json.loads(run_cli(corpus.data, "search", "dibao", "--json").stdout)
    assert {"term": "低保", "also": ["最低生活保障"], "pinyin": "dibao"} in data["expansions"]
    assert data["pinyin"] == {"dibao": ["低保"]}


def test_api_and_page_show_the_expansion(corpus: Corpus) -> None:
    from search_app import create_app

    app = create_app({"DATA_DIR": str(corpus.data), "TESTING": True, "SECRET_KEY": "t"})
    client = app.test_client()
    data = json.loads(client.get("/api/v1/search?q=gongzufang").data)
    assert {"term": "公租房", "also": ["公共租赁住房"], "pinyin": "gongzufang"} in data[
        "expansions"
    ]
    page = html(client.get("/search?q=gongzufang"))
    note = page.css_first("p.expansions")
    assert note is not None and "公共租赁住房" in note.text()
    assert "公租房" in page.css_first("p.pinyin-note").text()


# -- staff entries ----------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_a_staff_synonym_is_pinyin_searchable_at_once(tmp_path, engine: str) -> None:  # type: ignore[no-untyped-def]
    data = tmp_path / "data"
    init_data_dir(data, engine)
    ids = import_docs(data, HERE)
    with Gongkai(data, readonly=True) as gk:
        vocab = gk.vocabulary()
        assert gk.search("hezhangban").total == 0
    with Gongkai(data) as gk:
        gk.add_synonym(["白河县河湖长制办公室", "河长办"], actor="alice", note="本县简称")
    with Gongkai(data, readonly=True) as gk:
        result = gk.search("hezhangban")
        assert gk.vocabulary() is vocab  # nothing rebuilt, nothing reindexed
    assert [h.id for h in result.hits] == [ids["hehu-xuncha.txt"]]
    assert result.pinyin == {"hezhangban": ["河长办"]}
    assert [e.to_dict() for e in result.expansions] == [
        {"term": "河长办", "also": ["白河县河湖长制办公室"], "pinyin": "hezhangban"}
    ]
    with Gongkai(data) as gk:
        entry = gk.synonyms.staff_entries()[0]
        gk.remove_synonym(entry.id, actor="alice")
    with Gongkai(data, readonly=True) as gk:
        assert gk.search("hezhangban").total == 0


# -- the spellings themselves ---------------------------------------------------------------


def test_synonym_terms_are_read_only_when_the_archive_holds_their_group() -> None:
    table = load()
    held = Vocabulary(title={"公共": 4, "租赁": 4, "住房": 9}, body={})
    assert [e.text for e in spelled(held, "gongzufang", table)] == ["公租房"]
    assert spelled(held, "gongzufang", None) == []
    assert spelled(Vocabulary(), "gongzufang", table) == []
    assert spelled(held, "dibao", table) == []  # 最低 生活 保障 are not in this archive


def test_the_spellings_are_built_once_per_table() -> None:
    table = load()
    assert spellings_for(table) is spellings_for(table)
    staff = table.extended([["白河县河湖长制办公室", "河长办"]])
    assert ("河长办", staff.group_of("河长办")) in spellings_for(staff).terms("hezhangban", False)
    assert SynonymSpellings(table).terms("hezhangban", False) == []
    assert parse("gongzufang", table).expansions == ()  # typed Latin is not a synonym term


def test_a_synonym_term_made_of_common_words_does_not_crowd_out_the_archive_words() -> None:
    """发改委's group is held (发展, 改革, 委员会 are common words) but no title says
    发展和改革委员会: it counts as rare, so fgw still reads the word the documents use."""
    body = {"发展": 900, "和": 990, "改革": 700, "委员会": 800, "非国有": 40}
    vocab = Vocabulary.build(["关于非国有企业的通知"], TermDictionary({"非国有": 3}, body))  # type: ignore[arg-type]
    found = spelled(vocab, "fgw", load())
    assert [e.text for e in found][:1] == ["非国有"]
    assert ("发改委", 1) in [(e.text, e.df) for e in found]
    titled = Vocabulary.build(
        ["发展改革委员会工作规则"] * 50,
        TermDictionary({"发展": 50, "改革": 50, "委员会": 50}, body),  # type: ignore[arg-type]
    )
    assert [e.text for e in spelled(titled, "fgw", load())][:1] == ["发改委"]


def test_a_latin_synonym_term_read_as_pinyin_keeps_its_synonyms() -> None:
    """ppp is PPP (政府和社会资本合作) and also the initials of a word of this archive: the
    reading adds that word and keeps what the synonym table gave."""
    table = load()
    vocab = Vocabulary.build([], TermDictionary({"平喷炮": 5}, {}))  # type: ignore[arg-type]
    parsed, read = expand(parse("ppp", table), vocab, table)
    assert read == {"ppp": ["平喷炮"]}
    alternatives = parsed.clauses[0].options[0].words[0].alternatives
    assert ("政府", "和", "社会", "资本", "合作") in alternatives and ("平喷炮",) in alternatives
    assert [e.term for e in parsed.expansions] == ["ppp"]
