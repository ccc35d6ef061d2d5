"""How people write their queries: traditional characters and synonyms/abbreviations.

Both engines (parametrized, as in test_engines.py) over the fixture corpus plus
``tests/fixtures/words`` (our own fictional texts): a simplified 公共租赁住房 regulation, a
notice that only says 公租房, a notice written in traditional characters and a simplified one.
Checked through the library, the CLI, the web page and the API; staff synonym entries through
the CLI and the staff page, with their history."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import CORPUS, FIXTURES, PASSWORD, Corpus, cli_json, html, login, run_cli, texts

from indexer.config import ANALYZER_VERSION, read_config, write_config
from indexer.normalize import fold, traditional_to_simplified
from indexer.query import parse
from indexer.service import ENGINES, Gongkai, init_data_dir
from indexer.synonyms import load
from search_app import create_app
from search_app.auth import add_user

WORDS = FIXTURES / "words"
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module", params=ENGINES)
def words(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    """The fixture corpus and the words fixtures in one data directory per engine."""
    from helpers import import_docs

    data = tmp_path_factory.mktemp(f"words-{request.param}")
    init_data_dir(data, request.param)
    ids = import_docs(data, CORPUS, WORDS)
    with Gongkai(data) as gk:
        add_user(gk.archive, "alice", PASSWORD)
    return Corpus(data, ids)


def found(corpus: Corpus, query: str, **options: object) -> list[str]:
    with Gongkai(corpus.data, readonly=True) as gk:
        result = gk.search(query, limit=50, **options)  # type: ignore[arg-type]
    return [corpus.source(h.id) for h in result.hits]


# -- traditional characters ---------------------------------------------------------------


def test_fold_maps_traditional_to_simplified_one_to_one() -> None:
    assert fold("公共租賃住房管理辦法") == "公共租赁住房管理办法"
    assert fold("國務院辦公廳") == "国务院办公厅"
    # simplified text is left as it is (著 is a simplified character too)
    assert fold("著作权法") == "著作权法"
    table = traditional_to_simplified()
    assert len(table) > 3000
    assert all(len(chr(t)) == 1 and len(chr(s)) == 1 for t, s in table.items())


def test_ts_table_matches_opencc() -> None:
    """The committed table is what the generator makes from the installed OpenCC."""
    pytest.importorskip("opencc")
    import subprocess
    import sys

    script = REPO / "indexer" / "data" / "make_ts_chars.py"
    done = subprocess.run(
        [sys.executable, str(script), "--check"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_traditional_title_finds_the_simplified_document(words: Corpus) -> None:
    assert found(words, "青川市公共租賃住房管理辦法")[0] == "gongzu-banfa.txt"
    assert found(words, "檔案館查閱")[0] == "jianti-dangan.txt"


def test_simplified_query_finds_traditional_document_and_marks_its_characters(
    words: Corpus,
) -> None:
    with Gongkai(words.data, readonly=True) as gk:
        result = gk.search("青川市图书馆开放时间调整")
    hit = next(h for h in result.hits if words.source(h.id) == "fanti-tushuguan.txt")
    marked = [hit.title[s:e] for s, e in hit.title_highlights]
    assert "圖書館開放時間" in "".join(marked)
    assert any("圖書館開放時間" in hit.snippet[s:e] for s, e in hit.highlights)


def test_an_index_built_by_an_older_analyzer_needs_a_reindex(tmp_path: Path) -> None:
    from helpers import import_docs

    data = tmp_path / "data"
    import_docs(data, WORDS)
    assert run_cli(data, "verify").exit_code == 0
    config = read_config(data)
    del config["analyzer"]  # as written before the marker existed
    write_config(data, config)
    report = cli_json(data, "verify", "--json", exit_code=1)
    assert report["reindex_needed"] is True
    assert report["analyzer"] == {"index": "1", "current": ANALYZER_VERSION}
    assert "gongkai reindex" in run_cli(data, "verify").stdout
    assert run_cli(data, "reindex").exit_code == 0
    assert cli_json(data, "verify", "--json")["reindex_needed"] is False


# -- synonyms -----------------------------------------------------------------------------


def test_abbreviation_finds_the_full_form_and_back(words: Corpus) -> None:
    assert set(found(words, "公租房")) == {"gongzu-banfa.txt", "gongzufang-peizu.txt"}
    assert set(found(words, "公共租赁住房")) == {"gongzu-banfa.txt", "gongzufang-peizu.txt"}
    assert found(words, "公租房", expand=False) == ["gongzufang-peizu.txt"]
    assert found(words, "公共租赁住房", expand=False) == ["gongzu-banfa.txt"]


def test_highlight_marks_the_synonym_in_the_document(words: Corpus) -> None:
    with Gongkai(words.data, readonly=True) as gk:
        result = gk.search("公租房")
    hit = next(h for h in result.hits if words.source(h.id) == "gongzu-banfa.txt")
    assert "公共租赁住房" in [hit.snippet[s:e] for s, e in hit.highlights]
    assert [e.to_dict() for e in result.expansions] == [
        {"term": "公租房", "also": ["公共租赁住房"]}
    ]


def test_quoted_phrases_and_exclusions_are_not_expanded(words: Corpus) -> None:
    assert found(words, '"公租房"') == ["gongzufang-peizu.txt"]
    assert parse('"公租房"', load()).expansions == ()
    assert "gongzu-banfa.txt" in found(words, "住房 -公租房")
    assert parse("住房 -公租房", load()).expansions == ()


def test_doc_number_precision_is_kept_with_synonyms(words: Corpus) -> None:
    one = found(words, "〔2017〕1号")
    assert one[0] == "guoban-2017-1.txt" and "guoban-2017-16.txt" not in one
    sixteen = found(words, "国办发〔2017〕16号")
    assert sixteen[0] == "guoban-2017-16.txt" and "guoban-2017-1.txt" not in sixteen


def test_cli_search_json_and_no_synonyms(words: Corpus) -> None:
    data = cli_json(words.data, "search", "公租房", "--json")
    assert {"total", "hits", "expansions"} <= set(data)
    assert data["expansions"] == [{"term": "公租房", "also": ["公共租赁住房"]}]
    assert data["total"] == 2
    exact = cli_json(words.data, "search", "公租房", "--no-synonyms", "--json")
    assert exact["expansions"] == [] and exact["total"] == 1
    text = run_cli(words.data, "search", "公租房").stdout
    assert "同时搜索" in text and "公共租赁住房" in text


def test_web_page_says_what_was_also_searched_and_switches_it_off(words: Corpus) -> None:
    client = create_app({"DATA_DIR": words.data, "TESTING": True, "SECRET_KEY": "t"}).test_client()
    page = html(client.get("/search?q=公租房"))
    assert texts(page, "p.expansions .expansion") == ["公共租赁住房"]
    link = page.css_first("p.expansions a.no-expand").attributes["href"]
    assert link is not None and "expand=0" in link
    exact = html(client.get(link))
    assert len(exact.css("li.hit")) == 1
    assert not exact.css("p.expansions .expansion")
    api = client.get("/api/v1/search?q=公租房").get_json()
    assert api["expansions"] == [{"term": "公租房", "also": ["公共租赁住房"]}]
    assert client.get("/api/v1/search?q=公租房&expand=0").get_json()["total"] == 1


# -- staff entries ------------------------------------------------------------------------


@pytest.fixture
def own(tmp_path: Path) -> Path:
    """A private data directory (whoosh) with the words fixtures and a staff account."""
    from helpers import import_docs

    data = tmp_path / "data"
    import_docs(data, WORDS)
    with Gongkai(data) as gk:
        add_user(gk.archive, "alice", PASSWORD)
    return data


def test_staff_synonyms_on_the_cli_change_results_and_are_in_history(own: Path) -> None:
    assert cli_json(own, "search", "查档", "--json")["total"] == 0
    entry = cli_json(own, "synonyms", "add", "查阅档案", "查档", "--note", "市民常说", "--json")
    assert set(entry) >= {"id", "terms", "replace", "actor", "created_at", "note"}
    assert entry["terms"] == ["查阅档案", "查档"]
    hits = cli_json(own, "search", "查档", "--json")
    assert hits["total"] == 1 and hits["hits"][0]["title"] == "青测市档案馆查阅服务办法"
    assert [e["id"] for e in cli_json(own, "synonyms", "list", "--json")] == [entry["id"]]
    cli_json(own, "synonyms", "remove", str(entry["id"]), "--note", "误加", "--json")
    assert cli_json(own, "search", "查档", "--json")["total"] == 0
    assert cli_json(own, "synonyms", "list", "--json") == []
    with Gongkai(own, readonly=True) as gk:
        log = gk.archive.history("synonyms")
    assert [(e["action"], e["detail"]["why"]) for e in log] == [
        ("synonyms.add", "市民常说"),
        ("synonyms.remove", "误加"),
    ]
    # an entry that would join two shipped groups is refused with the reason, exit 2
    refused = run_cli(own, "synonyms", "add", "公租房", "低保")
    assert refused.exit_code == 2 and "join" in refused.stderr
    assert run_cli(own, "synonyms", "remove", "999").exit_code == 4


def test_staff_synonyms_page(own: Path) -> None:
    app = create_app({"DATA_DIR": own, "TESTING": True, "SECRET_KEY": "t"})
    client = app.test_client()
    assert client.get("/staff/synonyms").status_code in (302, 401)
    assert login(client).status_code == 302
    token = html(client.get("/staff/synonyms")).css_first('input[name="csrf_token"]')
    form = {"action": "add", "terms": "查阅档案|查档", "note": "市民常说"}
    assert client.post("/staff/synonyms", data=form).status_code == 400  # no CSRF token
    form["csrf_token"] = token.attributes["value"] or ""
    assert client.post("/staff/synonyms", data=form).status_code == 302
    page = html(client.get("/staff/synonyms"))
    assert texts(page, "#synonym-entries td.terms") == ["查阅档案、查档"]
    assert client.get("/api/v1/search?q=查档").get_json()["total"] == 1
    entry = page.css_first("#synonym-entries tbody tr").attributes["data-entry"]
    removed = client.post(
        "/staff/synonyms",
        data={"action": "remove", "entry": entry, "csrf_token": form["csrf_token"]},
    )
    assert removed.status_code == 302
    assert client.get("/api/v1/search?q=查档").get_json()["total"] == 0
    with Gongkai(own, readonly=True) as gk:
        assert [e["actor"] for e in gk.archive.history("synonyms")] == ["alice", "alice"]


def test_cli_help_lists_synonyms() -> None:
    from click.testing import CliRunner

    from cli import main

    out = CliRunner().invoke(main, ["synonyms", "--help"]).output
    assert all(word in out for word in ("list", "add", "remove"))
    assert json  # the CLI JSON is parsed above
