"""Ranking, filters and facets of the Whoosh engine behind ``gongkai search --json``."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest
from helpers import CORPUS, Corpus, search_json

from archive import Archive, Document
from indexer.engines.base import Filters, IndexDoc
from indexer.engines.whoosh import WhooshEngine
from indexer.query import parse
from indexer.service import Gongkai


def documents(corpus: Corpus) -> list[Document]:
    with Archive.open(corpus.data, readonly=True) as archive:
        return list(archive.iter_documents())


def hit_ids(corpus: Corpus, *args: str) -> list[str]:
    return [h["id"] for h in search_json(corpus.data, *args, "--limit", "100")["hits"]]


# -- ranking ------------------------------------------------------------------------------


def test_exact_doc_number_ranks_above_documents_citing_it(corpus: Corpus) -> None:
    citing = (CORPUS / "ludi-jiedu.txt").read_text(encoding="utf-8")
    assert citing.count("国办发〔2017〕1号") >= 2  # the interpretation cites it twice
    ids = hit_ids(corpus, "国办发〔2017〕1号")
    assert ids[0] == corpus.ids["guoban-2017-1.txt"]
    assert corpus.ids["ludi-jiedu.txt"] in ids[1:]


@pytest.mark.parametrize(
    ("query", "source"),
    [
        ("000014349/2017-00001", "guoban-2017-1.txt"),
        ("qc-lyj-2016-0038", "houniao-2016.txt"),
        ("QC-LYJ-２０１５-0041", "houniao-2015.txt"),
    ],
)
def test_exact_index_number_ranks_first(corpus: Corpus, query: str, source: str) -> None:
    assert hit_ids(corpus, query)[0] == corpus.ids[source]


def test_title_match_ranks_above_body_only_match(corpus: Corpus) -> None:
    body_only = (CORPUS / "huanjing-gongbao.txt").read_text(encoding="utf-8")
    assert body_only.count("湿地保护") == 2
    ids = hit_ids(corpus, "湿地保护")
    assert ids == [corpus.ids["shidi-xize.txt"], corpus.ids["huanjing-gongbao.txt"]]


def test_newer_first_on_equal_scores(corpus: Corpus) -> None:
    # The two notices share their title: the newer leads, the older is grouped under it.
    hits = search_json(corpus.data, "候鸟迁徙")["hits"]
    assert [(h["date_issued"], h["same_title"]) for h in hits] == [("2016-04-01", 1)]
    with Gongkai(corpus.data, readonly=True) as gk:
        listed = gk.search("候鸟迁徙", collapse=False).hits
    assert [h.date_issued for h in listed] == ["2016-04-01", "2015-04-01"]
    assert listed[0].score == listed[1].score


def test_newer_first_on_equal_scores_regardless_of_index_order(tmp_path) -> None:
    engine = WhooshEngine(tmp_path / "ix")
    try:
        for day in ("2011-01-01", "2013-01-01", "2012-01-01"):
            engine.add([IndexDoc(id=day, rev=1, title="同名", body="同样的正文", date_issued=day)])
        assert [h.id for h in engine.search(parse("同样"), limit=3).hits] == [
            "2013-01-01",
            "2012-01-01",
            "2011-01-01",
        ]
    finally:
        engine.close()


@pytest.mark.parametrize("sort", ["newest", "oldest"])
def test_sort_by_date(corpus: Corpus, sort: str) -> None:
    dates = [h["date_issued"] for h in search_json(corpus.data, "养护", "--sort", sort)["hits"]]
    assert len(dates) >= 3
    assert dates == sorted(dates, reverse=(sort == "newest"))


def test_paging_is_consistent(corpus: Corpus) -> None:
    result = search_json(corpus.data, "通知", "--limit", "100")
    everything = [h["id"] for h in result["hits"]]
    assert len(everything) >= 4
    page = search_json(corpus.data, "通知", "--limit", "2", "--offset", "2")
    assert [h["id"] for h in page["hits"]] == everything[2:4]
    # Documents grouped under a hit of the same title are counted, not listed.
    grouped = sum(h["same_title"] for h in result["hits"])
    assert grouped >= 1
    assert page["total"] == len(everything) + grouped


# -- filters ------------------------------------------------------------------------------

FILTERS: list[tuple[list[str], Callable[[Document], bool]]] = [
    (["--agency", "国务院办公厅"], lambda d: d.agency == "国务院办公厅"),
    (
        ["--agency", "青川市林业局", "--agency", "青川市财政局"],
        lambda d: d.agency in ("青川市林业局", "青川市财政局"),
    ),
    (["--kind", "interpretation"], lambda d: d.kind == "interpretation"),
    (["--kind", "request_answer"], lambda d: d.kind == "request_answer"),
    (["--year", "2017"], lambda d: d.date_issued.startswith("2017")),
    (["--valid-only"], lambda d: d.validity in ("有效", "部分失效")),
    (["--validity", "已废止"], lambda d: d.validity == "已废止"),
    (["--validity", "失效"], lambda d: d.validity == "失效"),
    (["--from", "2017-01-01", "--to", "2017-12-31"], lambda d: "2017" <= d.date_issued < "2018"),
    (["--from", "2021-06-08"], lambda d: d.date_issued >= "2021-06-08"),
    (["--to", "2016-04-01"], lambda d: "" < d.date_issued <= "2016-04-01"),
    (
        ["--agency", "国务院办公厅", "--valid-only"],
        lambda d: d.agency == "国务院办公厅" and d.validity == "有效",
    ),
]


@pytest.mark.parametrize(("args", "predicate"), FILTERS)
def test_filters_match_archive_metadata(
    corpus: Corpus, args: list[str], predicate: Callable[[Document], bool]
) -> None:
    expected = {d.id for d in documents(corpus) if predicate(d)}
    assert expected, "the fixture corpus must have documents for every filter"
    assert len(expected) < len(corpus.ids), "a filter that keeps everything proves nothing"
    result = search_json(corpus.data, *args, "--limit", "100")
    assert {h["id"] for h in result["hits"]} == expected
    assert result["total"] == len(expected)


def test_filters_combine_with_a_query(corpus: Corpus) -> None:
    assert set(hit_ids(corpus, "养护")) >= {
        corpus.ids["guoban-2017-1.txt"],
        corpus.ids["guoban-2017-16.txt"],
        corpus.ids["ludi-jiedu.txt"],
    }
    assert hit_ids(corpus, "养护", "--valid-only") == [corpus.ids["guoban-2017-1.txt"]]
    assert hit_ids(corpus, "养护", "--validity", "已废止") == [corpus.ids["guoban-2017-16.txt"]]


def test_validity_synonyms_are_stored_canonical(corpus: Corpus) -> None:
    by_source = {d.source_name: d for d in documents(corpus)}
    assert by_source["guoban-2019-2.txt"].validity == "有效"  # 现行有效
    assert by_source["guoban-2017-16.txt"].validity == "已废止"  # 废止
    assert by_source["houniao-2015.txt"].validity == "失效"  # 已失效
    assert by_source["ludi-jiedu.txt"].validity == "未知"  # no 有效性 line


def test_facet_counts_agree_with_the_hits(corpus: Corpus) -> None:
    with Gongkai(corpus.data, readonly=True) as gk:
        found = gk.search("养护 OR 湿地保护 OR 通知", facets=True, limit=100, collapse=False)
    result = found.to_dict()
    hits = result["hits"]
    assert isinstance(hits, list)
    assert result["total"] == len(hits) >= 5
    facets = result["facets"]
    assert set(facets) >= {"agency", "year", "validity", "kind"}
    assert facets["agency"] == dict(Counter(h["agency"] for h in hits if h["agency"]))
    assert facets["validity"] == dict(Counter(h["validity"] for h in hits))
    assert facets["kind"] == dict(Counter(h["kind"] for h in hits))
    years = Counter(h["date_issued"][:4] for h in hits if h["date_issued"])
    assert facets["year"] == dict(years)


def test_facets_follow_filters(corpus: Corpus) -> None:
    facets = search_json(corpus.data, "--agency", "国务院办公厅", "--facets")["facets"]
    assert facets["agency"] == {"国务院办公厅": 3}
    assert facets["year"] == {"2017": 2, "2019": 1}


def test_no_facets_key_without_the_flag(corpus: Corpus) -> None:
    keys = {"total", "hits", "expansions", "ignored", "validity_question", "relaxed"}
    assert set(search_json(corpus.data, "养护")) == keys | {"relaxed_total"}


def test_in_process_filters_object(corpus: Corpus) -> None:
    from indexer.service import Gongkai

    with Gongkai(corpus.data, readonly=True) as gk:
        result = gk.search("", filters=Filters(kind=["notice"], year=[2022]), limit=50)
    assert {h.source for h in result.hits} == {"anquan-jiancha.txt", "huanjing-gongbao.txt"}


def test_year_facet_has_no_value_for_undated_documents(tmp_path) -> None:
    """A document without 发文日期 counts under no year (not under a column sentinel)."""
    from indexer.service import Gongkai

    src = tmp_path / "src"
    src.mkdir()
    (src / "dated.txt").write_text(
        "名称: 有日期的通知\n发文日期: 2020-03-01\n\n正文关于垃圾分类。\n"
    )
    (src / "undated.txt").write_text("没有日期的通知\n\n正文也关于垃圾分类。\n")
    with Gongkai(tmp_path / "data") as gk:
        gk.import_paths([src])
        result = gk.search("垃圾分类", facets=True)
    assert result.total == 2
    assert result.facets["year"] == {"2020": 1}
