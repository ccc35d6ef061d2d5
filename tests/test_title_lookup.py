"""Title look-up as staff type titles (issue 13): wrapped as 关于印发…的通知 without 《》,
in traditional characters, or with one wrong character, a title is found, with a confidence
below 1 and a label that asks to check it — never as certain. On both engines."""

from __future__ import annotations

import pytest
from helpers import Corpus, cli_json, import_docs, run_cli, write_doc

from indexer.service import ENGINES, init_data_dir


@pytest.fixture(scope="module", params=ENGINES)
def corpus(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    src = tmp_path_factory.mktemp(f"titles-src-{request.param}")
    paths = [
        write_doc(
            src,
            "parking.txt",
            title="青测市公共停车场管理办法",
            number="青测发〔2019〕4号",
            issued="2019-05-01",
            validity="有效",
            body="第一条 为规范公共停车场管理，制定本办法。",
        ),
        write_doc(
            src,
            "river.txt",
            title="关于印发《青测市河道清淤管理细则》的通知",
            number="青测水〔2020〕2号",
            issued="2020-06-01",
            validity="有效",
            body="现将《青测市河道清淤管理细则》印发给你们，请遵照执行。",
        ),
        write_doc(
            src,
            "signs.txt",
            title="青测市户外广告设置规定",
            number="青测发〔2021〕8号",
            issued="2021-02-01",
            validity="有效",
            body="第一条 户外广告设置应当安全美观。",
        ),
    ]
    data = tmp_path_factory.mktemp(f"titles-{request.param}") / "data"
    init_data_dir(data, request.param)
    return Corpus(data, import_docs(data, *paths))


@pytest.mark.parametrize(
    ("query", "source", "how"),
    [
        # wrapped as 关于印发…的通知 without 《》, around a title the archive holds bare
        ("关于印发青测市公共停车场管理办法的通知", "parking.txt", "title_similar"),
        # the same, the archive holding the wrapped title with 《》
        ("关于印发青测市河道清淤管理细则的通知", "river.txt", "title_similar"),
        ("青测市河道清淤管理细则", "river.txt", "title_similar"),
        # traditional characters
        ("青測市戶外廣告設置規定", "signs.txt", "title_similar"),
        ("關於印發《青測市河道清淤管理細則》的通知", "river.txt", "title_similar"),
        # one wrong, missing or extra character
        ("青测市公共停车场管里办法", "parking.txt", "title_fuzzy"),
        ("青测市户外广告设规定", "signs.txt", "title_fuzzy"),
        ("青测市河道的清淤管理细则", "river.txt", "title_fuzzy"),
        ("关于印发《青测市公共停车厂管理办法》的通知", "parking.txt", "title_fuzzy"),
    ],
)
def test_title_written_differently_is_found_but_not_certain(
    corpus: Corpus, query: str, source: str, how: str
) -> None:
    [result] = cli_json(corpus.data, "check", "--json", query)
    assert result["found"], query
    assert [corpus.source(m["id"]) for m in result["matches"]] == [source]
    assert result["matched_by"] == how
    assert 0.5 < result["confidence"] < 1


def test_exact_title_is_certain_and_unrelated_titles_are_not_found(corpus: Corpus) -> None:
    [exact] = cli_json(corpus.data, "check", "--json", "青测市公共停车场管理办法")
    assert (exact["matched_by"], exact["confidence"]) == ("title", 1.0)
    [far] = cli_json(corpus.data, "check", "--json", "青测市公共厕所保洁办法", exit_code=4)
    assert not far["found"] and far["matched_by"] == "none"
    # two wrong characters in a short title is another title, not a typo
    [two] = cli_json(corpus.data, "check", "--json", "青测市户内广告设立规定", exit_code=4)
    assert not two["found"]


def test_guesses_are_labelled_with_their_confidence_in_text_and_csv(corpus: Corpus) -> None:
    text = run_cli(corpus.data, "check", "青测市公共停车场管里办法")
    assert text.exit_code == 0
    assert "名称相近，可能有错字" in text.output and "可信度 90%" in text.output
    table = run_cli(corpus.data, "check", "--csv", "青測市戶外廣告設置規定")
    row = table.output.splitlines()[1]
    assert "名称近似（请核对）" in row and "0.95" in row and "可信度 95%" in row


def test_check_page_shows_the_label_and_confidence(corpus: Corpus) -> None:
    from helpers import html, texts

    from search_app import create_app

    app = create_app({"DATA_DIR": corpus.data, "TESTING": True, "SECRET_KEY": "t"})
    page = html(app.test_client().get("/check?refs=青测市户外广告设规定"))
    [match] = texts(page, ".check-table td.match")
    assert "可能有错字" in match and "可信度" in match
