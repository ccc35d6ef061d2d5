"""Both engines behind the same seam: the fixture corpus imported into one data directory per
engine must answer alike (parity), and the engine-level behaviour — 文号 rules, phrases and
word alternatives, exclusions, filters, ids, sorting, ties, paging, facets, updates — is
checked on each engine (parametrized)."""

from __future__ import annotations

import json
import pickle
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from helpers import CORPUS, Corpus, cli_json, import_docs, run_cli

from archive import Archive, Document
from indexer import analysis
from indexer.analysis import TermPositions, term_positions
from indexer.engines.base import Engine, EngineHit, Filters, IndexDoc
from indexer.query import cut_phrases, parse
from indexer.reading import iter_files
from indexer.service import ENGINES, Gongkai, init_data_dir, open_engine, read_config
from indexer.vocabulary import Vocabulary

# -- one imported corpus per engine ------------------------------------------------------


@pytest.fixture(scope="module")
def corpora(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Corpus]:
    """The fixture corpus imported through the library into a data directory per engine."""
    found = {}
    for name in ENGINES:
        data = tmp_path_factory.mktemp(f"corpus-{name}")
        init_data_dir(data, name)
        found[name] = Corpus(data, import_docs(data, CORPUS))
    return found


def _sources(corpus: Corpus, result) -> list[str]:  # type: ignore[no-untyped-def]
    return [corpus.source(h.id) for h in result.hits]


def search_sources(corpus: Corpus, query: str, **kwargs: object) -> tuple[int, list[str]]:
    """(total, source file names of the hits) of a search through the service."""
    with Gongkai(corpus.data, readonly=True) as gk:
        # Engine behaviour: same-title documents listed, not grouped (tests/test_matching.py).
        kwargs.setdefault("collapse", False)
        result = gk.search(query, limit=100, **kwargs)  # type: ignore[arg-type]
    return result.total, _sources(corpus, result)


def test_each_data_directory_runs_its_engine(corpora: dict[str, Corpus]) -> None:
    for name, corpus in corpora.items():
        assert read_config(corpus.data)["engine"] == name
        assert (corpus.data / "index" / name).is_dir()
        with Gongkai(corpus.data, readonly=True) as gk:
            assert gk.engine.name == name
            assert gk.verify()["ok"]


# Queries whose first three hits are decided by the rules both engines share (exact 文号 and
# 索引号, title boost, adjacency), not by the fine print of two BM25 implementations.
TOP3_QUERIES = [
    "国办发〔2017〕1号",
    "国办发(2017)16号",
    "〔2017〕1号",
    "国办发［2019］2号",
    "000014349/2017-00001",
    "qc-lyj-2016-0038",
    "湿地保护",
    "候鸟迁徙",
    "政务公开",
    "title:通知",
    "标题:公报",
    '"湿地保护修复"',
    '"开展候鸟迁徙观测"',
    '"国务院办公厅"',
    "养护 -通知",
    "湿地 OR 图书馆",
    "页面安全检查",
]


#: Queries whose order after the first hit is decided by BM25 (term rarity, field length),
#: which Typesense does not compute: on it, the same documents, in its own order.
ORDER_BY_BM25 = {"title:通知", "湿地 OR 图书馆"}


@pytest.mark.parametrize("query", TOP3_QUERIES)
def test_parity_top3(corpora: dict[str, Corpus], query: str) -> None:
    answers = {name: search_sources(c, query) for name, c in corpora.items()}
    whoosh_total, whoosh_hits = answers["whoosh"]
    assert whoosh_hits, f"{query!r} must find something to compare"
    for name in ENGINES[1:]:
        total, hits = answers[name]
        if not (name == "typesense" and query in ORDER_BY_BM25):
            assert hits[:3] == whoosh_hits[:3], name
        assert total == whoosh_total, name
        assert set(hits) == set(whoosh_hits), name


PARITY_FILTERS = [
    Filters(agency=["国务院办公厅"]),
    Filters(agency=["青川市林业局", "青川市财政局"]),
    Filters(kind=["interpretation"]),
    Filters(kind=["request_answer", "interpretation"]),
    Filters(validity=["有效", "部分失效"]),
    Filters(validity=["已废止"]),
    Filters(year=[2017]),
    Filters(year=[2015, 2022]),
    Filters(category=["城乡建设"]),
    Filters(date_from="2017-01-01", date_to="2017-12-31"),
    Filters(date_from="2021-06-08"),
    Filters(date_to="2016-04-01"),
    Filters(agency=["国务院办公厅"], validity=["有效"]),
]


@pytest.mark.parametrize("filters", PARITY_FILTERS, ids=lambda f: repr(f)[8:60])
@pytest.mark.parametrize("query", ["", "通知", "养护 OR 湿地保护 OR 通知"])
def test_parity_filters_and_facets(
    corpora: dict[str, Corpus], filters: Filters, query: str
) -> None:
    results = {}
    for name, corpus in corpora.items():
        with Gongkai(corpus.data, readonly=True) as gk:
            results[name] = gk.search(query, filters=filters, limit=100, facets=True)
    whoosh = results["whoosh"]
    for name in ENGINES[1:]:
        other = results[name]
        assert other.total == whoosh.total, name
        assert {h.id for h in other.hits} == {h.id for h in whoosh.hits}, name
        assert other.facets == whoosh.facets, name


@pytest.mark.parametrize("name", ENGINES)
def test_facets_of_everything_match_the_archive(corpora: dict[str, Corpus], name: str) -> None:
    corpus = corpora[name]
    docs = _documents(corpus)
    assert any(not d.date_issued for d in docs), "the corpus must hold an undated document"
    with Gongkai(corpus.data, readonly=True) as gk:
        facets = gk.search("", limit=1, facets=True).facets
    assert facets["kind"] == dict(Counter(d.kind for d in docs))
    assert facets["agency"] == dict(Counter(d.agency for d in docs if d.agency))
    assert facets["year"] == dict(Counter(d.date_issued[:4] for d in docs if d.date_issued))


def test_parity_facets_of_everything(corpora: dict[str, Corpus]) -> None:
    facets = {}
    for name, corpus in corpora.items():
        with Gongkai(corpus.data, readonly=True) as gk:
            facets[name] = gk.search("", limit=1, facets=True).facets
    for name in ENGINES[1:]:
        assert facets[name] == facets["whoosh"], name
        assert sum(facets[name]["kind"].values()) == len(corpora[name].ids)


@pytest.mark.parametrize(
    ("as_of", "validity"),
    [("2016-06-01", ["有效"]), ("2016-06-01", ["失效"]), ("2030-01-01", ["有效"])],
)
def test_parity_as_of(corpora: dict[str, Corpus], as_of: str, validity: list[str]) -> None:
    answers = {
        name: search_sources(c, "", filters=Filters(validity=validity), as_of=as_of)
        for name, c in corpora.items()
    }
    for name in ENGINES[1:]:
        assert answers[name][0] == answers["whoosh"][0], name
        assert set(answers[name][1]) == set(answers["whoosh"][1]), name


@pytest.mark.parametrize("sort", ["newest", "oldest"])
def test_parity_sort_and_paging(corpora: dict[str, Corpus], sort: str) -> None:
    pages = {}
    for name, corpus in corpora.items():
        with Gongkai(corpus.data, readonly=True) as gk:
            everything = gk.search("", sort=sort, limit=100)
            page = gk.search("", sort=sort, limit=3, offset=3)
        dates = [h.date_issued for h in everything.hits]
        assert dates == sorted(dates, reverse=(sort == "newest"))
        assert [h.id for h in page.hits] == [h.id for h in everything.hits[3:6]]
        assert page.total == everything.total == len(corpus.ids)
        pages[name] = dates
    for name in ENGINES[1:]:
        assert pages[name] == pages["whoosh"], name


# -- the service, on each engine ----------------------------------------------------------


@pytest.fixture(params=ENGINES)
def corpus_on(request: pytest.FixtureRequest, corpora: dict[str, Corpus]) -> Corpus:
    return corpora[request.param]


def test_doc_number_never_matches_a_longer_number(corpus_on: Corpus) -> None:
    citing = (CORPUS / "ludi-jiedu.txt").read_text(encoding="utf-8")
    assert "国办发〔2017〕1号" in citing
    total, hits = search_sources(corpus_on, "〔2017〕1号")
    assert hits[0] == "guoban-2017-1.txt"
    assert "ludi-jiedu.txt" in hits
    assert "guoban-2017-16.txt" not in hits
    assert total == len(hits)
    assert search_sources(corpus_on, "国办发〔2017〕16号") == (1, ["guoban-2017-16.txt"])


def test_title_ranks_above_body_only(corpus_on: Corpus) -> None:
    assert search_sources(corpus_on, "湿地保护")[1] == ["shidi-xize.txt", "huanjing-gongbao.txt"]


def test_equal_scores_newer_first(corpus_on: Corpus) -> None:
    with Gongkai(corpus_on.data, readonly=True) as gk:
        hits = gk.search("候鸟迁徙", collapse=False).hits
    assert [h.date_issued for h in hits] == ["2016-04-01", "2015-04-01"]
    assert hits[0].score == hits[1].score


def test_paging_total_and_order(corpus_on: Corpus) -> None:
    with Gongkai(corpus_on.data, readonly=True) as gk:
        everything = gk.search("通知", limit=100, collapse=False)
        page = gk.search("通知", limit=2, offset=2, collapse=False)
    assert len(everything.hits) >= 4
    assert [h.id for h in page.hits] == [h.id for h in everything.hits[2:4]]
    assert page.total == everything.total == len(everything.hits)


def test_facets_agree_with_the_hits(corpus_on: Corpus) -> None:
    with Gongkai(corpus_on.data, readonly=True) as gk:
        result = gk.search("养护 OR 湿地保护 OR 通知", limit=100, facets=True, collapse=False)
    hits = result.hits
    assert result.total == len(hits) >= 5
    assert result.facets["agency"] == dict(Counter(h.agency for h in hits if h.agency))
    assert result.facets["validity"] == dict(Counter(h.validity for h in hits))
    assert result.facets["kind"] == dict(Counter(h.kind for h in hits))
    assert result.facets["year"] == dict(Counter(h.date_issued[:4] for h in hits if h.date_issued))


def _documents(corpus: Corpus) -> list[Document]:
    with Archive.open(corpus.data, readonly=True) as archive:
        return list(archive.iter_documents())


def test_filters_match_archive_metadata(corpus_on: Corpus) -> None:
    docs = _documents(corpus_on)
    checks = [
        (Filters(agency=["国务院办公厅"]), lambda d: d.agency == "国务院办公厅"),
        (Filters(kind=["request_answer"]), lambda d: d.kind == "request_answer"),
        (Filters(year=[2017]), lambda d: d.date_issued.startswith("2017")),
        (Filters(date_to="2016-04-01"), lambda d: "" < d.date_issued <= "2016-04-01"),
        (Filters(ids=frozenset()), lambda d: False),
    ]
    for filters, predicate in checks:
        expected = {d.source_name for d in docs if predicate(d)}
        total, hits = search_sources(corpus_on, "", filters=filters)
        assert set(hits) == expected, filters
        assert total == len(expected)


def test_ids_filter_restricts_a_query(corpus_on: Corpus) -> None:
    ids = frozenset({corpus_on.ids["guoban-2017-16.txt"], corpus_on.ids["ludi-jiedu.txt"]})
    total, hits = search_sources(corpus_on, "养护", filters=Filters(ids=ids))
    assert (total, set(hits)) == (2, {"guoban-2017-16.txt", "ludi-jiedu.txt"})


def test_engine_is_the_configured_one_and_cli_reports_it(corpus_on: Corpus) -> None:
    result = run_cli(corpus_on.data, "stats", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["engine"] == read_config(corpus_on.data)["engine"]


# -- the engines alone --------------------------------------------------------------------


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    made = open_engine(tmp_path, request.param)
    try:
        yield made
    finally:
        made.close()


def _ids(engine: Engine, query: str, **kwargs: object) -> list[str]:
    return [h.id for h in engine.search(parse(query), limit=50, **kwargs).hits]  # type: ignore[arg-type]


def test_newer_first_on_ties_regardless_of_index_order(engine: Engine) -> None:
    for day in ("2011-01-01", "2013-01-01", "2012-01-01"):
        engine.add([IndexDoc(id=day, rev=1, title="同名", body="同样的正文", date_issued=day)])
    assert _ids(engine, "同样") == ["2013-01-01", "2012-01-01", "2011-01-01"]


def test_add_replaces_by_id_and_delete_and_revisions(engine: Engine) -> None:
    engine.add([IndexDoc(id="a", rev=1, title="旧标题", body="候鸟观测")])
    engine.add(
        [IndexDoc(id="a", rev=2, title="新标题", body="湿地保护"), IndexDoc("b", 1, "乙", "湿地")]
    )
    assert engine.revisions() == {"a": 2, "b": 1}
    assert _ids(engine, "候鸟") == []
    assert _ids(engine, "湿地保护") == ["a"]
    assert engine.delete(["a"]) == 1
    assert engine.revisions() == {"b": 1}
    engine.clear()
    assert engine.revisions() == {}


@pytest.mark.parametrize("name", ["whoosh", "tantivy"])
def test_searching_an_emptied_index(tmp_path: Path, name: str) -> None:
    engine = open_engine(tmp_path, name)
    try:
        engine.add([IndexDoc(id="a", rev=1, title="甲", body="湿地")])
        engine.clear()
        assert engine.search(parse("湿地"), limit=5, facets=True).total == 0
        assert engine.search(parse(""), limit=5).hits == []
    finally:
        engine.close()


def test_presegmented_terms_are_indexed_as_given(engine: Engine) -> None:
    """Terms cut beforehand (an import worker's packed map, or a plain dict) are what the
    engine indexes; it does not cut the text again."""
    engine.add(
        [
            IndexDoc("a", 1, "甲", "湿地保护", body_terms=TermPositions.of("候鸟观测")),
            IndexDoc("b", 1, "乙", "湿地保护", title_terms=term_positions("图书馆")),
        ]
    )
    assert _ids(engine, "候鸟观测") == ["a"]
    assert _ids(engine, "湿地") == ["b"]
    assert _ids(engine, "title:图书馆") == ["b"]


@pytest.mark.parametrize("name", ENGINES)
def test_presegmented_and_plain_documents_index_alike(tmp_path: Path, name: str) -> None:
    texts = [
        ("关于推进政务公开工作的通知", "各部门要推进政务公开工作，依照第1条和第16条办理。"),
        ("湿地保护条例", "为了加强湿地保护，维护湿地生态功能，开展候鸟迁徙观测。湿地保护修复。"),
        ("中华人民共和国政府信息公开条例", "政务信息应当依法公开；政务公开是原则。"),
    ]
    plain, cut = open_engine(tmp_path / "plain", name), open_engine(tmp_path / "cut", name)
    try:
        plain.add([IndexDoc(f"d{i}", 1, t, b) for i, (t, b) in enumerate(texts)])
        cut.add(
            [
                IndexDoc(f"d{i}", 1, t, b, title_terms=TermPositions.of(t), body_terms=pickled(b))
                for i, (t, b) in enumerate(texts)
            ]
        )
        for query in ["政务公开", '"湿地保护修复"', "第1条", "title:条例", "公开 -通知", "湿地"]:
            a = plain.search(parse(query), limit=10, facets=True)
            b = cut.search(parse(query), limit=10, facets=True)
            assert a.total > 0, query
            assert (a.total, a.hits, a.facets) == (b.total, b.hits, b.facets), query
    finally:
        plain.close()
        cut.close()


def pickled(text: str) -> TermPositions:
    """The packed terms of ``text`` as an import worker sends them (through pickle)."""
    return pickle.loads(pickle.dumps(TermPositions.of(text)))


@pytest.mark.parametrize("name", ENGINES)
def test_parallel_import_segments_in_the_workers(
    tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With workers, documents reach the index already cut: the importing process segments
    only what it re-indexes (after linking), and the index answers as after a serial import."""
    cut_here: list[str] = []
    segment = analysis.term_positions

    def counting(text: str) -> dict[str, list[int]]:
        cut_here.append(text)
        return segment(text)

    serial = tmp_path / "serial"
    init_data_dir(serial, name)
    serial_corpus = Corpus(serial, import_docs(serial, CORPUS))
    monkeypatch.setattr(analysis, "term_positions", counting)
    data = tmp_path / "parallel"
    init_data_dir(data, name)
    with Gongkai(data) as gk:
        report = gk.import_files(iter_files([CORPUS]), workers=2)
        assert report.counts()["imported"] == len(serial_corpus.ids)
        parallel = Corpus(data, {Path(o.path).name: o.id for o in report.outcomes})
        docs = list(gk.archive.iter_documents())
        assert gk.verify()["ok"]
    first_pass = [d for d in docs if d.rev == 1]  # indexed once, from the workers' terms
    assert len(first_pass) > len(docs) // 2
    assert not {d.text for d in first_pass} & set(cut_here)
    monkeypatch.undo()
    for query in ["湿地保护", '"开展候鸟迁徙观测"', "政务公开", "国办发〔2017〕1号", "title:通知"]:
        assert search_sources(parallel, query) == search_sources(serial_corpus, query)


def test_parallel_import_stores_originals_of_built_documents_only(tmp_path: Path) -> None:
    """Workers write the originals of the documents they built (the archive finds them in
    place); a file that fails to extract leaves nothing in the store."""
    src = tmp_path / "src"
    src.mkdir()
    for name in ("shidi-xize.txt", "houniao-2016.txt"):
        (src / name).write_bytes((CORPUS / name).read_bytes())
    (src / "empty.txt").write_bytes(b"")
    (src / "junk.txt").write_bytes(bytes(range(256)) * 16)
    with Gongkai(tmp_path / "data") as gk:
        report = gk.import_files(iter_files([src]), workers=2)
        assert report.counts()["imported"] == 2 and report.counts()["failed"] == 2
        rows = gk.archive.conn.execute("SELECT sha256 FROM documents").fetchall()
        assert gk.archive.originals.all_digests() == {r["sha256"] for r in rows}
        assert gk.verify()["ok"]


def test_word_alternatives_match_a_split_word(engine: Engine) -> None:
    # 城市绿地 is one dictionary word; "城市，绿地" puts 城市 and 绿地 at adjacent positions.
    engine.add(
        [
            IndexDoc(id="whole", rev=1, title="甲", body="城市绿地养护"),
            IndexDoc(id="split", rev=1, title="乙", body="建设城市，绿地养护"),
            IndexDoc(id="apart", rev=1, title="丙", body="城市道路与郊区绿地"),
        ]
    )
    assert set(_ids(engine, "城市绿地")) == {"whole", "split"}
    assert set(_ids(engine, '"城市绿地养护"')) == {"whole", "split"}
    assert set(_ids(engine, "城市 绿地")) == {"whole", "split", "apart"}
    # The engine alone matches a quoted phrase word by word; with the archive's vocabulary
    # it is also its characters in a row, white space and punctuation aside, whatever the
    # word boundaries (indexer.query.cut_phrases): 城市绿地 holds "城市 绿地" too.
    assert set(_ids(engine, '"城市 绿地"')) == {"split"}
    vocab = Vocabulary.build([], engine)
    found = engine.search(cut_phrases(parse('"城市 绿地"'), vocab), limit=50).hits
    assert {h.id for h in found} == {"whole", "split"}


def test_phrase_exclusion_or_and_title_prefix(engine: Engine) -> None:
    engine.add(
        [
            IndexDoc(id="1", rev=1, title="湿地保护条例", body="鸟类栖息地"),
            IndexDoc(id="2", rev=1, title="公报", body="保护湿地，鸟类迁徙"),
            IndexDoc(id="3", rev=1, title="图书馆公告", body="开放时间"),
        ]
    )
    assert _ids(engine, '"湿地保护"') == ["1"]
    assert set(_ids(engine, "湿地 保护")) == {"1", "2"}
    assert _ids(engine, "湿地 -迁徙") == ["1"]
    assert set(_ids(engine, "湿地保护 OR 图书馆")) == {"1", "2", "3"}  # 湿地保护: two words
    assert set(_ids(engine, '"湿地保护" OR 图书馆')) == {"1", "3"}
    assert _ids(engine, "title:公报") == ["2"]
    assert _ids(engine, "-湿地") == ["3"]


def test_doc_numbers_and_index_numbers_exactly(engine: Engine) -> None:
    engine.add(
        [
            IndexDoc(id="n1", rev=1, title="一号", body="正文", doc_number="国办发〔2017〕1号"),
            IndexDoc(id="n16", rev=1, title="十六号", body="正文", doc_number="国办发〔2017〕16号"),
            IndexDoc(id="cite", rev=1, title="解读", body="根据国办发〔2017〕1号文件"),
            IndexDoc(id="ix", rev=1, title="索引", body="正文", index_number="QC-LYJ-2016-0038"),
        ]
    )
    assert _ids(engine, "国办发(2017)1号") == ["n1", "cite"]
    assert _ids(engine, "〔2017〕16号") == ["n16"]
    assert _ids(engine, "qc-lyj-2016-0038") == ["ix"]


def test_phrases_over_repeated_words(engine: Engine) -> None:
    # tantivy is given tokens term by term, so positions reach it out of text order
    engine.add([IndexDoc(id="r", rev=1, title="重复", body="养护城市养护管理，城市绿地")])
    assert _ids(engine, '"城市养护管理"') == ["r"]
    assert _ids(engine, '"养护城市养护"') == ["r"]
    assert _ids(engine, '"管理城市绿地"') == ["r"]  # punctuation takes no position
    assert _ids(engine, '"养护养护"') == []
    assert _ids(engine, '"城市管理"') == []


def test_facet_top_keeps_the_most_frequent_values_of_the_long_facets(engine: Engine) -> None:
    """``facet_top=2``: agency and category hold at least their two most frequent values with
    their counts (Typesense exactly those: it reads a stored document for each value it
    names); the other facets stay whole."""
    agencies = ["甲局"] * 4 + ["乙局"] * 3 + ["丙局"] * 2 + ["丁局"]
    categories = ["林业"] * 5 + ["水利"] * 3 + ["环保"] * 2
    engine.add(
        [
            IndexDoc(
                id=f"f{n}",
                rev=1,
                title="湿地保护通知",
                body="湿地",
                agency=agency,
                categories=(categories[n],),
                date_issued=f"{2010 + n}-01-01",
            )
            for n, agency in enumerate(agencies)
        ]
    )
    whole = engine.search(parse("湿地"), limit=3, facets=True).facets
    cut = engine.search(parse("湿地"), limit=3, facets=True, facet_top=2).facets
    assert whole["agency"] == {"甲局": 4, "乙局": 3, "丙局": 2, "丁局": 1}
    assert {"甲局": 4, "乙局": 3}.items() <= cut["agency"].items()
    assert {"林业": 5, "水利": 3}.items() <= cut["category"].items()
    for name in ("year", "validity", "kind", "doc_type"):
        assert cut[name] == whole[name], name
    assert len(whole["year"]) == 10
    if engine.name == "typesense":
        assert cut["agency"] == {"甲局": 4, "乙局": 3}
        assert cut["category"] == {"林业": 5, "水利": 3}


def test_words_and_phrases_at_the_end_of_a_long_body_are_found(engine: Engine) -> None:
    """A body of some 60,000 characters (Typesense holds its pairs and runs of three as one
    text of ~90,000 values): the last words and phrases are found, and counted as often as
    they occur."""
    filler = "".join(f"第{n}条 本办法所称单位应当按照第{n + 1}款执行。" for n in range(2500))
    engine.add(
        [
            IndexDoc(id="long", rev=1, title="长文", body=filler + "候鸟迁徙通道保护。"),
            IndexDoc(id="short", rev=1, title="短文", body="候鸟迁徙通道保护。候鸟迁徙。"),
        ]
    )
    assert len(filler) > 60_000
    assert _ids(engine, '"候鸟迁徙通道保护"') == ["short", "long"]
    assert _ids(engine, '"迁徙通道"') == ["short", "long"]
    assert _ids(engine, "第2499条") == ["long"]


def test_a_phrase_is_not_its_word_pairs_found_apart(engine: Engine) -> None:
    # "apart" holds every adjacent pair of the phrases below, each somewhere else.
    engine.add(
        [
            IndexDoc(id="whole", rev=1, title="甲", body="保护野生鸟类栖息地"),
            IndexDoc(id="apart", rev=1, title="乙", body="野生鸟类。鸟类栖息地。保护野生"),
        ]
    )
    assert _ids(engine, '"野生鸟类栖息地"') == ["whole"]
    assert _ids(engine, '"保护野生鸟类栖息地"') == ["whole"]
    assert set(_ids(engine, '"鸟类栖息地"')) == {"whole", "apart"}
    assert set(_ids(engine, "保护野生鸟类栖息地")) == {"whole", "apart"}


def test_long_query_with_many_alternatives_stays_bounded(engine: Engine) -> None:
    text = "城市绿地 农村公路 政务服务 生态环境 卫生健康 城市绿地 农村公路"
    engine.add([IndexDoc(id="x", rev=1, title="长", body=text.replace(" ", ""))])
    assert _ids(engine, f'"{text.replace(" ", "")}"') == ["x"]
    assert _ids(engine, text) == ["x"]


def test_a_foreign_tantivy_index_is_refused_until_rebuilt(tmp_path: Path) -> None:
    engine = open_engine(tmp_path, "tantivy")
    engine.add([IndexDoc(id="a", rev=1, title="甲", body="湿地")])
    engine.close()
    (tmp_path / "index" / "tantivy" / "gongkai-schema").write_text("0")
    stale = open_engine(tmp_path, "tantivy")
    with pytest.raises(RuntimeError, match="reindex"):
        stale.revisions()
    stale.clear()
    assert stale.revisions() == {}
    stale.add([IndexDoc(id="b", rev=1, title="乙", body="湿地")])
    assert _ids(stale, "湿地") == ["b"]


def _separate_fields(fields: list[dict]) -> list[dict]:
    return [f for f in fields if f["name"] not in ("tm", "pr")] + [
        {"name": n, "type": "string[]", "optional": True} for n in ("tt", "bt", "at")
    ]


def _frequency_bits(fields: list[dict]) -> list[dict]:
    return [*fields, {"name": "fq", "type": "string[]", "optional": True}]


def _pairs_listed(fields: list[dict]) -> list[dict]:
    return [{**f, "type": "string[]"} if f["name"] in ("pr", "tr") else f for f in fields]


@pytest.mark.parametrize("older", [_separate_fields, _frequency_bits, _pairs_listed])
def test_a_typesense_collection_of_the_older_layout_is_refused_until_rebuilt(
    tmp_path: Path, older: Callable[[list[dict]], list[dict]]
) -> None:
    """A collection of an older layout holds values no query of this version finds or
    scores: the terms of title and body in fields of their own (``tt``, ``bt``, ``at``…),
    frequencies as indexed bits (``fq``) or pairs as a list of values. Reported, then
    rebuilt."""
    from indexer.engines.typesense import TypesenseEngine, collection_schema

    engine = open_engine(tmp_path, "typesense")
    assert isinstance(engine, TypesenseEngine)
    schema = collection_schema(engine.collection)
    schema["fields"] = older(schema["fields"])
    engine._writer.collections.create(schema)
    with pytest.raises(RuntimeError, match=r"older layout.*reindex"):
        engine.search(parse("湿地"), limit=5)
    engine.clear()
    engine.add([IndexDoc(id="b", rev=1, title="乙", body="湿地")])
    assert _ids(engine, "湿地") == ["b"]
    engine.drop()


def _tantivy_and_typesense(
    tmp_path: Path, docs: list[IndexDoc], query: str, limit: int
) -> dict[str, list[EngineHit]]:
    """The hits of ``query`` over ``docs`` on tantivy and on Typesense (its collection
    dropped after)."""
    found = {}
    for name in ("tantivy", "typesense"):
        engine = open_engine(tmp_path / name, name)
        try:
            engine.add(docs)
            engine.refresh()
            found[name] = engine.search(parse(query), limit=limit).hits
        finally:
            if name == "typesense":
                engine.drop()  # type: ignore[attr-defined]
            engine.close()
    return found


@pytest.mark.parametrize("size", [1, 4, 7])
def test_typesense_pages_past_its_candidates_show_every_match_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: int
) -> None:
    """With 5 + 3 candidates scored and pages of 12 (Typesense's 100, 50 and 250 made small),
    the pages of a query matching 30 documents, one of them by its 文号 too, show each match
    once: the exact match first, the scored candidates (the text match's best and those
    saying 湿地 most often), then the rest in text match order, through one search's page and
    past it."""
    import indexer.engines.typesense as ts

    monkeypatch.setattr(ts, "CANDIDATES", 5)
    monkeypatch.setattr(ts, "OFTEN", 3)
    monkeypatch.setattr(ts, "PAGE", 12)
    docs = [
        IndexDoc(
            id=f"d{n:02d}",
            rev=1,
            title=f"湿地名录第{n}号",
            body="湿地，" * (1 + n % 6) + "保护。",
            date_issued=f"20{10 + n % 9}-0{1 + n % 9}-1{n % 10}",
            doc_number="津滨司发〔2017〕16号" if n == 17 else "",
        )
        for n in range(30)
    ]
    engine = open_engine(tmp_path, "typesense")
    try:
        engine.add(docs)
        engine.refresh()
        query = parse("湿地 津滨司发〔2017〕16号 OR 湿地")
        seen: list[str] = []
        totals = set()
        for offset in range(0, 30, size):
            result = engine.search(query, limit=size, offset=offset)
            totals.add(result.total)
            seen += [h.id for h in result.hits]
        assert totals == {30}
        assert sorted(seen) == sorted(d.id for d in docs)
        assert seen[0] == "d17"
    finally:
        engine.drop()  # type: ignore[attr-defined]
        engine.close()


def test_typesense_scores_the_bodies_saying_the_words_most_often(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With 2 candidates by text match (which weighs a word said once as much as one said
    twenty times, and so takes the newest), the old document saying 湿地 twenty times is
    still scored, through the window of the bodies saying the query's words most often: it
    ranks first, as on tantivy."""
    import indexer.engines.typesense as ts

    monkeypatch.setattr(ts, "CANDIDATES", 2)
    monkeypatch.setattr(ts, "OFTEN", 2)
    docs = [
        IndexDoc(
            id=f"new{n}",
            rev=1,
            title=f"通知{n}",
            body="湿地。" + "本办法自公布之日起施行。" * 5,
            date_issued=f"2020-01-{10 + n}",
        )
        for n in range(8)
    ]
    docs.append(
        IndexDoc(id="old", rev=1, title="名录", body="湿地，" * 20, date_issued="2001-01-01")
    )
    top = {
        name: [h.id for h in hits]
        for name, hits in _tantivy_and_typesense(tmp_path, docs, "湿地", limit=3).items()
    }
    assert top["tantivy"][0] == "old"
    assert top["typesense"][0] == "old"


def test_a_typesense_collection_without_runs_of_three_answers_phrases_by_pairs(
    tmp_path: Path,
) -> None:
    """A collection made before runs of three (``tr``) were sent still answers a phrase, by
    its ANDed pairs, until it is rebuilt; then the phrase is exact."""
    from indexer.engines.typesense import TypesenseEngine, collection_schema

    engine = open_engine(tmp_path, "typesense")
    assert isinstance(engine, TypesenseEngine)
    schema = collection_schema(engine.collection)
    schema["fields"] = [f for f in schema["fields"] if f["name"] != "tr"]
    engine._writer.collections.create(schema)
    docs = [
        IndexDoc(id="whole", rev=1, title="甲", body="保护野生鸟类栖息地"),
        IndexDoc(id="apart", rev=1, title="乙", body="野生鸟类。鸟类栖息地。保护野生"),
    ]
    try:
        engine.add(docs)
        assert set(_ids(engine, '"野生鸟类栖息地"')) == {"whole", "apart"}
        engine.clear()
        engine.add(docs)
        assert _ids(engine, '"野生鸟类栖息地"') == ["whole"]
    finally:
        engine.drop()


def test_a_typesense_data_directory_may_check_phrases_by_pairs_only(tmp_path: Path) -> None:
    """`init --phrases pairs`: a smaller index without the runs of three, whose phrases of
    three words or more may match their pairs found apart (what a collection made before
    does); the setting is refused for an engine it does not belong to."""
    from indexer.engines.typesense import TypesenseEngine

    data = tmp_path / "data"
    made = run_cli(data, "init", "--engine", "typesense", "--phrases", "pairs", "--json")
    assert made.exit_code == 0, made.stderr
    assert read_config(data)["typesense"]["phrases"] == "pairs"
    engine = open_engine(data, "typesense")
    assert isinstance(engine, TypesenseEngine)
    try:
        engine.add(
            [
                IndexDoc(id="whole", rev=1, title="甲", body="保护野生鸟类栖息地"),
                IndexDoc(id="apart", rev=1, title="乙", body="野生鸟类。鸟类栖息地。保护野生"),
            ]
        )
        fields = engine._writer.collections[engine.collection].retrieve()["fields"]
        assert "tr" not in {f["name"] for f in fields}
        assert set(_ids(engine, '"野生鸟类栖息地"')) == {"whole", "apart"}
        assert _ids(engine, '"鸟类栖息地" -保护') == []
    finally:
        engine.drop()
        engine.close()
    refused = run_cli(tmp_path / "other", "init", "--engine", "tantivy", "--phrases", "pairs")
    assert refused.exit_code == 2 and "typesense" in refused.stderr


def test_a_typesense_import_with_workers_stores_what_one_without_does(tmp_path: Path) -> None:
    """With import workers, each worker hashes its documents' terms, pairs and runs for the
    collection (:func:`indexer.engines.prepare_text`) and the index writer only adds the
    metadata: the collection holds exactly what an import without workers stores. (The
    rules of 青测市 are invented for this test.)"""
    from indexer.engines.typesense import TypesenseEngine

    folder = tmp_path / "docs"
    folder.mkdir()
    for i in range(40):
        (folder / f"rule-{i}.txt").write_text(
            f"名称：青测市第{i}号湿地保护办法\n发布机构：青测市人民政府\n"
            f"文号：青测发〔2022〕{i}号\n发布日期：2022-04-{i % 27 + 1:02d}\n\n"
            f"第一条 为了保护青测市第{i}片湿地，制定本办法。湿地保护应当坚持生态优先。\n",
            encoding="utf-8",
        )
    stored = {}
    for workers in (1, 2):
        data = tmp_path / f"data-{workers}"
        init_data_dir(data, "typesense")
        with Gongkai(data) as gk:
            report = gk.import_paths([folder], workers=workers)
            assert report.counts()["imported"] == 40
            assert gk.verify()["ok"]
            engine = gk.engine
            assert isinstance(engine, TypesenseEngine)
            try:
                found = list(engine._export("title,body,th,pr,tr,tq,tn,bn,f0,f1,f2,f3,dn"))
                assert gk.search('"湿地保护"', limit=50).total == 40
            finally:
                engine.drop()
        stored[workers] = {d["title"]: d for d in found}
    assert len(stored[1]) == 40 and stored[1] == stored[2]
    assert all(d.get("tr") for d in stored[2].values())  # runs of three: phrases exact


def test_typesense_scores_from_either_side_of_each_set_are_tantivys(tmp_path: Path) -> None:
    """The scorer loads which candidates hold a term from the smaller side: the holders, or
    the others through ``!=`` (here the body's 湿地, which most candidates hold; ``c`` has no
    pair at all); how often, each candidate's stored frequency map says, beyond any cap
    (``g`` says 湿地 seventy times). Either way the scores are tantivy's."""
    docs = [
        IndexDoc(
            id="a", rev=1, title="湿地保护", body="湿地保护，湿地保护，湿地保护。湿地与保护。"
        ),
        IndexDoc(id="b", rev=1, title="通知", body="湿地保护条例。湿地保护。"),
        IndexDoc(id="c", rev=1, title="湿地", body="保护"),
        IndexDoc(id="d", rev=1, title="湿地保护规划", body="湿地，湿地，湿地，保护。"),
        IndexDoc(id="e", rev=1, title="保护湿地", body="湿地保护，湿地保护。"),
        IndexDoc(id="f", rev=1, title="候鸟", body="候鸟迁徙"),
        IndexDoc(id="g", rev=1, title="名录", body="湿地，" * 70 + "保护。"),
    ]
    scores = {
        name: {h.id: h.score for h in hits}
        for name, hits in _tantivy_and_typesense(tmp_path, docs, "湿地 保护", limit=10).items()
    }
    assert scores["typesense"].keys() == scores["tantivy"].keys() == set("abcdeg")
    for doc, score in scores["tantivy"].items():
        assert scores["typesense"][doc] == pytest.approx(score, rel=1e-5), doc


# -- choosing and converting the engine ---------------------------------------------------


def test_cli_engine_names_are_the_service_engines() -> None:
    from cli import ENGINE_NAMES

    assert tuple(ENGINE_NAMES) == tuple(ENGINES)


def test_init_records_the_engine_and_refuses_to_switch_a_full_directory(tmp_path: Path) -> None:
    data = tmp_path / "data"
    result = run_cli(data, "init", "--engine", "tantivy", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads((data / "gongkai.json").read_text())["engine"] == "tantivy"
    assert run_cli(data, "init", "--engine", "whoosh").exit_code == 0  # still empty: allowed
    assert run_cli(data, "init", "--engine", "tantivy").exit_code == 0
    assert run_cli(data, "import", "-q", str(CORPUS / "shidi-xize.txt")).exit_code == 0
    refused = run_cli(data, "init", "--engine", "whoosh")
    assert refused.exit_code == 2
    assert "reindex --engine whoosh" in refused.stderr
    assert read_config(data)["engine"] == "tantivy"
    assert run_cli(data, "init", "--engine", "tantivy").exit_code == 0  # same engine: fine
    assert run_cli(data, "init", "--engine", "solr").exit_code == 2


@pytest.mark.parametrize("name", ENGINES)
def test_parallel_reindex_builds_the_same_index(corpora: dict[str, Corpus], name: str) -> None:
    """A rebuild with workers (segmenting processes and a background writer) answers every
    query exactly as the import's index did."""
    corpus = corpora[name]
    queries = ["湿地保护", '"开展候鸟迁徙观测"', "政务公开", "国办发〔2017〕1号", "title:通知"]
    before = [search_sources(corpus, q) for q in queries]
    with Gongkai(corpus.data) as gk:
        assert gk.reindex(workers=2) == len(corpus.ids)
        assert gk.verify()["ok"]
    assert [search_sources(corpus, q) for q in queries] == before


def test_reindex_converts_between_engines(fresh_corpus: Corpus) -> None:
    data = fresh_corpus.data
    assert read_config(data)["engine"] == "whoosh"
    before = cli_json(data, "search", "--json", "湿地保护")
    result = run_cli(data, "reindex", "--engine", "tantivy", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {"indexed": len(fresh_corpus.ids), "engine": "tantivy"}
    assert read_config(data)["engine"] == "tantivy"
    after = cli_json(data, "search", "--json", "湿地保护")
    assert [h["id"] for h in after["hits"]] == [h["id"] for h in before["hits"]]
    assert run_cli(data, "verify").exit_code == 0
    assert cli_json(data, "stats", "--json")["engine"] == "tantivy"
    # and back, after an import that only the tantivy index saw
    assert run_cli(data, "import", "-q", str(CORPUS.parent / "web")).exit_code in (0, 1)
    back = run_cli(data, "reindex", "--engine", "whoosh", "--json")
    assert back.exit_code == 0, back.stderr
    assert read_config(data)["engine"] == "whoosh"
    assert run_cli(data, "verify").exit_code == 0
