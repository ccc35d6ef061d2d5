"""Pinyin queries and typo correction (issue 11, items 3 and 4) on both engines: pinyin and
initials find what the Chinese words find, ASCII queries that matched before match the same
way, a typo gets a suggestion and the corrected results when the query as typed finds nothing,
a correct query gets none, and ``exact`` searches the query as typed — through the library, the
CLI, the API and the results page."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from helpers import CORPUS, Corpus, TermDictionary, cli_json, import_docs, run_cli
from selectolax.lexbor import LexborHTMLParser

from indexer import vocabulary as vocabulary_module
from indexer.pinyin_query import expand
from indexer.query import parse
from indexer.service import ENGINES, Gongkai, init_data_dir
from indexer.spelling import correct
from indexer.vocabulary import Vocabulary, spellings, vocabulary_for


@pytest.fixture(scope="module")
def corpora(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Corpus]:
    found = {}
    for name in ENGINES:
        data = tmp_path_factory.mktemp(f"suggest-{name}")
        init_data_dir(data, name)
        found[name] = Corpus(data, import_docs(data, CORPUS))
    return found


def sources(corpus: Corpus, query: str, **options: object) -> tuple[list[str], object]:
    with Gongkai(corpus.data, readonly=True) as gk:
        result = gk.search(query, limit=50, **options)  # type: ignore[arg-type]
    return sorted(corpus.source(h.id) for h in result.hits), result


# -- the vocabulary --------------------------------------------------------------------------


def test_spellings_give_full_pinyin_and_initials_for_each_reading() -> None:
    assert ("shidi", "sd") in spellings("湿地")
    assert ("guanli", "gl") in spellings("管理")
    # 长 reads chang or zhang: both are offered
    assert {full for full, _ in spellings("长江")} >= {"changjiang", "zhangjiang"}
    assert spellings("ab") == []


@pytest.mark.parametrize("engine", ENGINES)
def test_vocabulary_holds_the_index_terms_and_title_phrases(
    corpora: dict[str, Corpus], engine: str
) -> None:
    with Gongkai(corpora[engine].data, readonly=True) as gk:
        vocab = gk.vocabulary()
        assert vocab.df("湿地") >= 1 and vocab.title["湿地"] >= 1
        assert vocab.df("候鸟") == 2  # two notices, one a year apart
        assert vocab.df("管里") == 0
        assert vocab.phrases[("湿地", "保护")] >= 1
        assert [e.text for e in vocab.spelled("shidibaohu")][:1] == ["湿地保护"]
        assert "候鸟迁徙" in [e.text for e in vocab.spelled("hnqx")]


def test_both_engines_give_the_same_vocabulary(corpora: dict[str, Corpus]) -> None:
    vocabs = []
    for name in ENGINES:
        with Gongkai(corpora[name].data, readonly=True) as gk:
            vocabs.append(gk.vocabulary())
    assert vocabs[0].title == vocabs[1].title
    assert vocabs[0].body == vocabs[1].body
    assert vocabs[0].phrases == vocabs[1].phrases


def test_vocabulary_is_saved_and_rebuilt_when_the_archive_changes(
    fresh_corpus: Corpus, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(vocabulary_module, "REBUILD_INTERVAL", 0.0)
    with Gongkai(fresh_corpus.data) as gk:
        first = vocabulary_for(gk.archive, gk.engine)
        assert vocabulary_module.cache_path(gk.engine).exists()
        assert vocabulary_for(gk.archive, gk.engine) is first  # unchanged: no rebuild
        assert first.df("鹳鹤") == 0
    new = tmp_path / "new.txt"
    new.write_text("名称：关于鹳鹤栖息地调查的通知\n\n鹳鹤栖息地调查工作安排如下。\n", "utf-8")
    import_docs(fresh_corpus.data, new)
    with Gongkai(fresh_corpus.data, readonly=True) as gk:
        assert vocabulary_for(gk.archive, gk.engine).df("鹳鹤") >= 1


def test_a_reader_holding_a_vocabulary_never_waits_for_a_rebuild(
    fresh_corpus: Corpus, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A long-lived reader (a web worker) answers with the vocabulary it has while a fresh
    one is built in a thread of its own; only an import or a reindex builds in the
    foreground."""
    monkeypatch.setattr(vocabulary_module, "REBUILD_INTERVAL", 0.0)
    builds: list[str] = []
    build = Vocabulary.build.__func__  # type: ignore[attr-defined]

    def recording_build(cls: type[Vocabulary], titles: object, engine: object) -> Vocabulary:
        builds.append(threading.current_thread().name)
        return build(cls, titles, engine)

    with Gongkai(fresh_corpus.data, readonly=True) as reader:
        first = reader.vocabulary()
        new = tmp_path / "new.txt"
        new.write_text("名称：关于鹳鹤栖息地调查的通知\n\n鹳鹤栖息地调查工作安排如下。\n", "utf-8")
        imported = subprocess.run(  # another process: it builds and saves at its end
            [
                sys.executable,
                "-m",
                "cli",
                "--data",
                str(fresh_corpus.data),
                "import",
                "-q",
                str(new),
            ],
            capture_output=True,
            check=False,
        )
        assert imported.returncode == 0, imported.stderr
        path = vocabulary_module.cache_path(reader.engine)
        path.unlink()  # as if that import had been killed before it could
        monkeypatch.setattr(Vocabulary, "build", classmethod(recording_build))
        assert reader.vocabulary() is first  # answered at once, with what it had
        deadline = time.monotonic() + 60
        while reader.vocabulary().df("鹳鹤") == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert reader.vocabulary().df("鹳鹤") >= 1
    assert builds == ["gongkai-vocabulary"]  # built once, and not in the searching thread
    assert path.exists()  # and saved for the next process


# -- pinyin -----------------------------------------------------------------------------------


PINYIN = [
    ("shidibaohu", "湿地保护"),
    ("shidi baohu", "湿地 保护"),
    ("shi di bao hu", "湿地保护"),
    ("houniao qianxi", "候鸟 迁徙"),
    ("hnqx", "候鸟迁徙"),
    ("sdbh", "湿地保护"),
    ("zhengwu gongkai", "政务 公开"),
]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("query", "chinese"), PINYIN)
def test_pinyin_and_initials_find_what_the_words_find(
    corpora: dict[str, Corpus], engine: str, query: str, chinese: str
) -> None:
    found, result = sources(corpora[engine], query)
    expected, _ = sources(corpora[engine], chinese, exact=True)
    assert expected and found == expected
    assert result.pinyin  # type: ignore[attr-defined]
    exact, _ = sources(corpora[engine], query, exact=True)
    assert exact == []  # the spelling itself is in no document


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    "query", ["script", "alert", "alert script", "QC-LYJ-2016-0038", "000014349/2017-00001"]
)
def test_ascii_queries_that_match_are_not_read_as_pinyin(
    corpora: dict[str, Corpus], engine: str, query: str
) -> None:
    found, result = sources(corpora[engine], query)
    exact, _ = sources(corpora[engine], query, exact=True)
    assert exact and found == exact
    assert not result.pinyin and not result.suggestion  # type: ignore[attr-defined]


def test_a_latin_word_of_the_archive_is_kept_as_it_is() -> None:
    vocab = Vocabulary(title={"林业局": 3}, body={"lyj": 2, "林业局": 3})
    vocab = Vocabulary.build([], TermDictionary(vocab.title, vocab.body))
    parsed = parse("lyj")
    assert expand(parsed, vocab) == (parsed, {})
    assert vocab.spelled("lyj")[0].text == "林业局"


# -- typo correction --------------------------------------------------------------------------


def _vocab(**body: int) -> Vocabulary:
    return Vocabulary.build([], TermDictionary({}, body))


def test_correction_reads_same_pinyin_and_prefers_the_frequent_word() -> None:
    vocab = _vocab(管理=40, 办法=30, 物业=10, 惯例=5)
    fix = correct("物业管里办法", vocab)
    assert fix is not None and fix.query == "物业管理办法"
    assert [(f.old, f.new) for f in fix.fixes] == [("管里", "管理")]
    assert correct("物业管理办法", vocab) is None


def test_correction_ignores_rare_words_and_other_readings() -> None:
    vocab = _vocab(管理=2, 办法=30)  # 管理 too rare to be offered
    assert correct("管里办法", vocab) is None
    assert correct("关羽办法", _vocab(办法=30, 管理=40)) is None


@pytest.mark.parametrize("engine", ENGINES)
def test_a_typo_with_no_results_shows_the_corrected_results(
    corpora: dict[str, Corpus], engine: str
) -> None:
    found, result = sources(corpora[engine], "绿地养户")
    expected, _ = sources(corpora[engine], "绿地养护", exact=True)
    assert expected and found == expected
    assert result.corrected and result.suggestion == "绿地养护"  # type: ignore[attr-defined]
    assert result.original_query == "绿地养户"  # type: ignore[attr-defined]
    data = result.to_dict()  # type: ignore[attr-defined]
    assert (data["suggestion"], data["corrected"], data["original_query"]) == (
        "绿地养护",
        True,
        "绿地养户",
    )
    _, plain = sources(corpora[engine], "绿地养户", exact=True)
    # As typed, nothing matches every word: at most partial matches, and no correction.
    assert plain.total == 0 and not plain.suggestion  # type: ignore[attr-defined]
    assert all(hit.partial for hit in plain.hits)  # type: ignore[attr-defined]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_typo_beside_results_gets_a_suggestion_only(
    corpora: dict[str, Corpus], engine: str
) -> None:
    found, result = sources(corpora[engine], "绿地养户 OR 候鸟")
    as_typed, _ = sources(corpora[engine], "绿地养户 OR 候鸟", exact=True)
    assert found == as_typed and found
    assert result.suggestion == "绿地养护 OR 候鸟" and not result.corrected  # type: ignore[attr-defined]
    assert "original_query" not in result.to_dict()  # type: ignore[attr-defined]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    "query", ["湿地保护", "绿地养护", "候鸟迁徙观测", "政务公开", "国办发〔2017〕1号"]
)
def test_a_correct_query_gets_no_suggestion(
    corpora: dict[str, Corpus], engine: str, query: str
) -> None:
    found, result = sources(corpora[engine], query)
    assert found and not result.suggestion and not result.corrected  # type: ignore[attr-defined]
    assert "suggestion" not in result.to_dict()  # type: ignore[attr-defined]


# -- CLI, API, page ---------------------------------------------------------------------------


def test_cli_prints_the_correction_and_honours_exact(corpus: Corpus) -> None:
    out = run_cli(corpus.data, "search", "绿地养户")
    assert out.exit_code == 0, out.output
    assert "以下是 绿地养护 的结果" in out.output and "--exact" in out.output
    assert "城市绿地养护" in out.output
    exact = run_cli(corpus.data, "search", "--exact", "绿地养户")
    assert exact.exit_code == 0 and "0 条结果" in exact.output and "以下是" not in exact.output
    data = cli_json(corpus.data, "search", "绿地养户", "--json")
    assert data["corrected"] is True and data["original_query"] == "绿地养户"
    assert "suggestion" not in cli_json(corpus.data, "search", "--exact", "绿地养户", "--json")
    assert "拼音 sdbh：湿地保护" in run_cli(corpus.data, "search", "sdbh").output


@pytest.fixture
def client(corpus: Corpus):  # type: ignore[no-untyped-def]
    from search_app import create_app

    app = create_app({"DATA_DIR": str(corpus.data), "TESTING": True, "SECRET_KEY": "t"})
    return app.test_client()


def test_api_reports_the_correction_and_takes_exact(client) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(client.get("/api/v1/search?q=绿地养户").data)
    assert data["corrected"] is True and data["suggestion"] == "绿地养护" and data["total"]
    exact = json.loads(client.get("/api/v1/search?q=绿地养户&exact=1").data)
    assert exact["total"] == 0 and "suggestion" not in exact


def test_page_shows_corrected_results_with_a_link_to_the_query_as_typed(client) -> None:  # type: ignore[no-untyped-def]
    page = LexborHTMLParser(client.get("/search?q=绿地养户").data.decode())
    note = page.css_first("p.suggestion.corrected")
    assert note is not None and note.css_first(".corrected-query").text() == "绿地养护"
    link = note.css_first("a.search-exact")
    assert link.text() == "绿地养户" and "exact=1" in link.attributes["href"]
    assert page.css("ol.hits li")
    exact = LexborHTMLParser(client.get(link.attributes["href"]).data.decode())
    # As typed: no full match (partial matches, if any, are in their own list), no correction.
    assert len(exact.css("ol.hits li")) == len(exact.css("ol.partial li"))
    assert not exact.css("p.suggestion")
    plain = LexborHTMLParser(client.get("/search?q=绿地养护").data.decode())
    assert not plain.css("p.suggestion") and plain.css("ol.hits li")


def test_a_known_abbreviation_is_not_a_typo() -> None:
    vocab = _vocab(法院=50, 条例=40)
    assert correct("法援条例", vocab).query == "法院条例"  # type: ignore[union-attr]
    assert correct("法援条例", vocab, {"法援"}) is None
