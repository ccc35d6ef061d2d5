"""Questions and filler in a query (indexer.question) and explained ranking (indexer.explain).

Both engines (parametrized, as in test_engines.py) over the fixture corpus: a title followed by
还有效吗 / 是否有效 / 最新 finds the document and answers with its status; filler inside quotes
or a 文号 is kept; ``--explain`` / ``explain=1`` say which fields and words matched, the
boosts and the synonyms. The parser-level rules are checked without an index."""

from __future__ import annotations

import pytest
from helpers import CORPUS, Corpus, cli_json, html, import_docs, run_cli, texts

from indexer.query import parse
from indexer.question import read, validity_answer
from indexer.service import ENGINES, Gongkai, init_data_dir
from search_app import create_app

REPEALED = "国务院办公厅关于调整农村公路养护补助标准的通知"  # guoban-2017-16, 有效性：废止
IN_FORCE = "青川市湿地保护条例实施细则"  # shidi-xize, 有效


@pytest.fixture(scope="module", params=ENGINES)
def corpus(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    data = tmp_path_factory.mktemp(f"questions-{request.param}")
    init_data_dir(data, request.param)
    return Corpus(data, import_docs(data, CORPUS))


def search(corpus: Corpus, query: str, **options: object):  # type: ignore[no-untyped-def]
    with Gongkai(corpus.data, readonly=True) as gk:
        return gk.search(query, limit=20, **options)  # type: ignore[arg-type]


def sources(corpus: Corpus, result) -> list[str]:  # type: ignore[no-untyped-def]
    return [corpus.source(h.id) for h in result.hits]


# -- the parser ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "kept", "ignored", "validity"),
    [
        ("湿地保护条例还有效吗", "湿地保护条例", ("还有效吗",), True),
        ("湿地保护条例是否有效", "湿地保护条例", ("是否有效",), True),
        ("湿地保护条例 是否废止", "湿地保护条例 ", ("是否废止",), True),
        ("湿地保护条例现行有效吗？", "湿地保护条例 ？", ("现行有效吗",), True),
        ("湿地保护条例 最新", "湿地保护条例 ", ("最新",), False),
        ("湿地保护条例最新版 全文", "湿地保护条例 ", ("最新版", "全文"), False),
        ("如何申请公租房", "申请公租房", ("如何",), False),
        ("公租房怎么申请", "公租房 申请", ("怎么",), False),
        ("title:湿地保护条例最新", "title:湿地保护条例", ("最新",), False),
    ],
)
def test_question_and_filler_words_are_taken_out(
    query: str, kept: str, ignored: tuple[str, ...], validity: bool
) -> None:
    asked = read(query)
    assert (asked.query, asked.ignored, asked.validity) == (kept, ignored, validity)
    parsed = parse(query)
    assert parsed.ignored == ignored and parsed.validity_question is validity
    assert parsed.text == query
    words = {w.text for m in parsed.positive for w in m.words}
    assert not words & set(ignored)


@pytest.mark.parametrize(
    "query",
    [
        '"湿地保护条例 最新"',  # a quoted phrase is exact
        "「条例是否有效」",
        "最新办发〔2020〕3号",  # a 文号 (whatever its agency code says)
        "湿地 -最新",  # an exclusion was meant
        "湿地 OR 最新",  # one side of OR
        "关于做好有关工作的通知",  # 有关 inside a title: only taken at a chunk's edge
        "有效期",  # 有效 inside a longer word
        "还有效吗",  # nothing would be left: searched as typed
        "-湿地 最新",
    ],
)
def test_filler_is_kept_where_it_means_something(query: str) -> None:
    parsed = parse(query)
    assert parsed.ignored == () and not parsed.validity_question
    assert parsed == parse(query, questions=False)


def test_validity_answer_sentences() -> None:
    assert validity_answer("某办法", "有效") == "《某办法》现行有效"
    assert (
        validity_answer("某暂行办法", "已废止", "2020-05-01", "某办法")
        == "《某暂行办法》已于 2020-05-01 废止，现行版本：《某办法》"
    )
    assert validity_answer("某通知", "失效") == "《某通知》已失效"


# -- search on both engines ---------------------------------------------------------------


@pytest.mark.parametrize("tail", ["还有效吗", "是否有效", " 还有效吗", " 是否废止", "现行有效吗？"])
def test_a_validity_question_finds_the_document_and_answers(corpus: Corpus, tail: str) -> None:
    assert search(corpus, REPEALED + "能否报销").total == 0  # other words are still required
    result = search(corpus, REPEALED + tail)
    assert sources(corpus, result)[:1] == ["guoban-2017-16.txt"]
    assert result.validity_question is True
    assert result.validity_answer == f"《{REPEALED}》已废止"
    data = result.to_dict()
    assert data["validity_question"] is True and data["ignored"] == [tail.strip().rstrip("？")]
    assert data["validity_answer"] == result.validity_answer


@pytest.mark.parametrize("tail", [" 最新", "最新版", " 全文", " 原文"])
def test_filler_after_a_title_finds_it_without_a_validity_answer(corpus: Corpus, tail: str) -> None:
    result = search(corpus, IN_FORCE + tail)
    assert sources(corpus, result)[:1] == ["shidi-xize.txt"]
    assert result.validity_question is False and result.validity_answer == ""
    assert result.to_dict()["validity_question"] is False


def test_a_plain_query_reports_no_question(corpus: Corpus) -> None:
    data = search(corpus, "湿地保护").to_dict()
    assert data["validity_question"] is False and data["ignored"] == []
    assert "validity_answer" not in data
    assert all("explanation" not in hit for hit in data["hits"])  # only when asked


def test_filler_inside_quotes_or_a_wenhao_is_still_required(corpus: Corpus) -> None:
    assert search(corpus, f'"{IN_FORCE}最新"').total == 0
    assert search(corpus, f'"{IN_FORCE}"').total >= 1
    exact = search(corpus, "国办发〔2017〕1号 最新")
    assert sources(corpus, exact)[:1] == ["guoban-2017-1.txt"] and exact.ignored == ["最新"]


def test_the_status_line_comes_first_in_the_cli(corpus: Corpus) -> None:
    lines = run_cli(corpus.data, "search", REPEALED + "还有效吗").stdout.splitlines()
    assert lines[0] == f"有效性 / status: 《{REPEALED}》已废止"
    plain = run_cli(corpus.data, "search", REPEALED).stdout.splitlines()
    assert not plain[0].startswith("有效性")


def test_the_results_page_answers_a_validity_question(corpus: Corpus) -> None:
    client = create_app({"DATA_DIR": corpus.data, "TESTING": True, "SECRET_KEY": "t"}).test_client()
    page = html(client.get(f"/search?q={IN_FORCE}是否有效"))
    assert texts(page, "p.validity-answer") == [f"《{IN_FORCE}》现行有效"]
    assert texts(page, ".ignored-word") == ["是否有效"]
    assert not html(client.get(f"/search?q={IN_FORCE}")).css("p.validity-answer")
    api = client.get(f"/api/v1/search?q={REPEALED}还有效吗").get_json()
    assert api["validity_question"] is True and api["validity_answer"].endswith("已废止")


# -- explanations -------------------------------------------------------------------------


def factors(entries: list[dict]) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for entry in entries:
        assert isinstance(entry["detail"], str) and entry["detail"]
        found.setdefault(str(entry["factor"]), []).append(entry)
    return found


def test_explanation_lists_fields_words_phrases_and_boosts(corpus: Corpus) -> None:
    result = search(corpus, "湿地 保护 最新", explain=True)
    top = result.hits[0]
    assert corpus.source(top.id) == "shidi-xize.txt"
    assert top.explanation is not None
    found = factors(top.explanation)
    assert found["fields"][0]["fields"] == ["title", "body"]
    words = {e["word"]: (e["title"], e["body"]) for e in found["word"]}
    assert words == {"湿地": (1, 1), "保护": (1, 1)}  # counted in our own fixture text
    assert {e["boost"]: e["weight"] for e in found["boost"]} == {"title": 3.0}
    assert found["ignored"][0]["words"] == ["最新"]
    assert found["score"][0]["engine"] == corpus_engine(corpus)
    assert found["score"][0]["score"] == round(top.score, 4)
    adjacent = search(corpus, "湿地保护", explain=True).hits[0].explanation or []
    near = factors(adjacent)
    assert near["proximity"][0]["phrase"] == "湿地保护"
    assert {"title", "proximity"} <= {e["boost"] for e in near["boost"]}
    phrase = factors(search(corpus, '"候鸟迁徙观测"', explain=True).hits[0].explanation or [])
    assert phrase["phrase"][0]["title"] == 1 and "proximity" not in phrase


def test_explanation_of_a_wenhao_exclusion_and_a_tie(corpus: Corpus) -> None:
    hit = search(corpus, "国办发〔2017〕1号", explain=True).hits[0]
    found = factors(hit.explanation or [])
    assert "doc_number" in found["fields"][0]["fields"]
    assert [e["weight"] for e in found["boost"] if e["boost"] == "exact"] == [50.0]
    # two notices with the same title, listed apart (not grouped under one)
    twins = search(corpus, "候鸟迁徙 -湿地", explain=True, collapse=False)
    first, second = (factors(h.explanation or []) for h in twins.hits[:2])
    assert first["excluded"][0]["words"] == ["湿地"]
    if round(twins.hits[0].score, 6) == round(twins.hits[1].score, 6):
        assert first["tie_break"][0]["tied_with"] == [2]
        assert twins.hits[0].date_issued > twins.hits[1].date_issued
    else:
        assert "tie_break" not in first and "tie_break" not in second


def test_explanation_names_the_synonym_that_was_found(corpus: Corpus) -> None:
    hit = search(corpus, REPEALED, explain=True).hits[0]
    synonym = factors(hit.explanation or [])["synonym"][0]
    assert synonym["term"] == "国务院办公厅" and "国办" in synonym["also"]
    assert synonym["matched"] == ["国办"]  # the body says 国办发〔2017〕16号
    sorted_ = search(corpus, "湿地", sort="newest", explain=True).hits[0]
    assert "sort" in factors(sorted_.explanation or []) and "score" not in factors(
        sorted_.explanation or []
    )


def corpus_engine(corpus: Corpus) -> str:
    with Gongkai(corpus.data, readonly=True) as gk:
        return gk.engine.name


def test_cli_explain_json_keys(corpus: Corpus) -> None:
    data = cli_json(corpus.data, "search", "湿地保护", "--explain", "--json")
    assert {"total", "hits", "expansions", "ignored", "validity_question"} <= set(data)
    for hit in data["hits"]:
        assert hit["explanation"] and {"factor", "detail"} <= set(hit["explanation"][0])
    plain = cli_json(corpus.data, "search", "湿地保护", "--json")
    assert all("explanation" not in hit for hit in plain["hits"])
    text = run_cli(corpus.data, "search", "湿地保护", "--explain").stdout
    assert "匹配字段：标题、正文" in text and "标题中的匹配加权 ×3" in text


def test_web_and_api_explain(corpus: Corpus) -> None:
    client = create_app({"DATA_DIR": corpus.data, "TESTING": True, "SECRET_KEY": "t"}).test_client()
    page = html(client.get("/search?q=湿地保护"))
    links = page.css("p.why a")
    assert links and len(links) == len(page.css("li.hit"))
    href = links[0].attributes["href"] or ""
    assert "explain=1" in href and "#why-" in href
    explained = html(client.get(href.split("#")[0]))
    assert not explained.css("p.why")
    blocks = explained.css("li.hit details.explanation")
    assert len(blocks) == len(explained.css("li.hit"))
    assert "匹配字段：标题、正文" in texts(explained, "details.explanation li")
    api = client.get("/api/v1/search?q=湿地保护&explain=1").get_json()
    assert api["hits"][0]["explanation"][0]["factor"] == "fields"
    assert "explanation" not in client.get("/api/v1/search?q=湿地保护").get_json()["hits"][0]
