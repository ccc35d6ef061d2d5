"""The one look-up (``indexer.lookup``): every 文号 shape that search knows, decree numbers
included, finds the same document through ``check``, ``show`` and ``/wenhao/…``, and search
puts it first — on both engines."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import Corpus, cli_json, import_docs, run_cli, write_doc

from archive import Archive
from indexer.lookup import exact, exact_many
from indexer.normalize import looks_like_doc_number, normalize_doc_number
from indexer.service import ENGINES, init_data_dir

# Shapes staff type for 青测发〔2018〕3号 and for decree 656 of the 青测市人民政府.
NUMBER_SHAPES = [
    "青测发〔2018〕3号",
    "青测发〔2018〕第3号",
    "青测发[2018]3号",
    "青测发（2018）3号",
    "青测发2018年3号",
    "青测发2018-3号",
    "青测发 2018 年 3 号",
    "青测发２０１８－３号",
    "青测发〔２０１８〕第０３号",
    "青测发 [2018] 3 号",
]
DECREE_SHAPES = [
    "青测市人民政府令第656号",
    "青测市人民政府令 第 656 号",
    "青测市人民政府令（第656号）",
    "青测市人民政府令656号",
    "青测市人民政府令第６５６号",
]
STATE_DECREE_SHAPES = ["国务院令第901号", "中华人民共和国国务院令第901号", "国务院令 第901号"]


@pytest.mark.parametrize("shape", NUMBER_SHAPES)
def test_number_shapes_normalize_alike(shape: str) -> None:
    assert looks_like_doc_number(shape)
    assert normalize_doc_number(shape) == "青测发〔2018〕3号"


@pytest.mark.parametrize("shape", DECREE_SHAPES)
def test_decree_shapes_normalize_alike(shape: str) -> None:
    assert looks_like_doc_number(shape)
    assert normalize_doc_number(shape) == "青测市人民政府令第656号"


def test_titles_and_clauses_are_not_numbers() -> None:
    for text in ("关于加强路灯维护的通知", "第三条", "青测市人民政府令", "2018年3月"):
        assert not looks_like_doc_number(text)
    assert normalize_doc_number("青测市人民政府令第656号") != normalize_doc_number(
        "青测市人民政府令第65号"
    )


@pytest.fixture(scope="module", params=ENGINES)
def corpus(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    """Four documents (a notice, a city decree, a State Council decree and a decree with the
    same number from another issuer) in a data directory per engine."""
    src = tmp_path_factory.mktemp(f"lookup-src-{request.param}")
    paths = [
        write_doc(
            src,
            "notice.txt",
            title="关于加强青测市路灯维护的通知",
            number="青测发〔2018〕3号",
            issued="2018-02-01",
            validity="有效",
            body="第一条 各区应当按月巡查路灯。",
        ),
        write_doc(
            src,
            "decree.txt",
            title="青测市公园管理规定",
            number="青测市人民政府令第656号",
            issued="2019-03-01",
            validity="有效",
            body="第一条 为加强公园管理，制定本规定。",
        ),
        write_doc(
            src,
            "state.txt",
            title="青测河道保护条例",
            number="中华人民共和国国务院令第901号",
            issued="2020-04-01",
            validity="有效",
            body="第一条 为保护河道，制定本条例。",
        ),
        write_doc(
            src,
            "other.txt",
            title="青测市绿地养护规定",
            number="青测市林业局令第656号",
            issued="2017-01-01",
            validity="有效",
            body="第一条 为养护绿地，制定本规定。",
        ),
    ]
    data = tmp_path_factory.mktemp(f"lookup-{request.param}") / "data"
    init_data_dir(data, request.param)
    return Corpus(data, import_docs(data, *paths))


def _check(corpus: Corpus, *refs: str) -> list[dict]:
    return cli_json(corpus.data, "check", "--json", *refs)


def test_check_finds_every_shape_in_one_batch(corpus: Corpus) -> None:
    results = _check(corpus, *NUMBER_SHAPES, *DECREE_SHAPES, *STATE_DECREE_SHAPES)
    assert len(results) == len(NUMBER_SHAPES) + len(DECREE_SHAPES) + len(STATE_DECREE_SHAPES)
    for result in results:
        assert result["found"], result["query"]
        assert result["matched_by"] == "doc_number"
        assert len(result["matches"]) == 1, result["query"]
    sources = [corpus.source(r["matches"][0]["id"]) for r in results]
    assert sources == (
        ["notice.txt"] * len(NUMBER_SHAPES)
        + ["decree.txt"] * len(DECREE_SHAPES)
        + ["state.txt"] * len(STATE_DECREE_SHAPES)
    )


def test_decree_without_issuer_matches_every_issuer(corpus: Corpus) -> None:
    result = _check(corpus, "令第656号")[0]
    assert {corpus.source(m["id"]) for m in result["matches"]} == {"decree.txt", "other.txt"}


def test_unknown_decree_is_not_found(corpus: Corpus) -> None:
    result = run_cli(corpus.data, "check", "青测市人民政府令第65号")
    assert result.exit_code == 4


@pytest.mark.parametrize("shape", [NUMBER_SHAPES[4], DECREE_SHAPES[2], STATE_DECREE_SHAPES[0]])
def test_show_and_search_agree_with_check(corpus: Corpus, shape: str) -> None:
    wanted = _check(corpus, shape)[0]["matches"][0]["id"]
    shown = cli_json(corpus.data, "show", "--json", shape)
    assert shown["id"] == wanted
    found = cli_json(corpus.data, "search", "--json", shape)
    assert found["hits"][0]["id"] == wanted


def test_wenhao_page_and_api_take_decree_numbers(corpus: Corpus) -> None:
    from search_app import create_app

    app = create_app({"DATA_DIR": corpus.data, "TESTING": True, "SECRET_KEY": "t"})
    client = app.test_client()
    wanted = _check(corpus, "国务院令第901号")[0]["matches"][0]["id"]
    page = client.get("/wenhao/国务院令第901号")
    assert page.status_code == 302
    assert page.headers["Location"].endswith(wanted)
    api = client.get("/api/v1/wenhao/青测市人民政府令（第656号）")
    assert api.status_code == 200
    assert [d["id"] for d in api.get_json()["documents"]] == [
        _check(corpus, DECREE_SHAPES[0])[0]["matches"][0]["id"]
    ]


@pytest.mark.usefixtures("archive_backend")
def test_many_references_looked_up_together_find_what_each_finds_alone(tmp_path: Path) -> None:
    """``check`` looks its references up together (one round trip on PostgreSQL): each ref,
    in every shape, finds the same documents, the same way, as when looked up alone."""
    src = tmp_path / "src"
    write_doc(src, "notice.txt", title="关于加强青测市路灯维护的通知", number="青测发〔2018〕3号",
              issued="2018-02-01", body="第一条 各区应当按月巡查路灯。")  # fmt: skip
    write_doc(src, "decree.txt", title="青测市公园管理规定", number="青测市人民政府令第656号",
              issued="2019-03-01", body="第一条 为加强公园管理，制定本规定。")  # fmt: skip
    write_doc(src, "state.txt", title="青测河道保护条例", number="中华人民共和国国务院令第901号",
              issued="2020-04-01", body="第一条 为保护河道，制定本条例。")  # fmt: skip
    (src / "indexed.txt").write_text(
        "名  称: 青测市桥梁巡查办法\n索 引 号: QC-2021-00017\n发文日期: 2021-05-01\n\n"
        "第一条 桥梁每季度巡查一次。\n",
        encoding="utf-8",
    )
    data = tmp_path / "data"
    ids = import_docs(data, src)
    refs = [
        *NUMBER_SHAPES[:3], DECREE_SHAPES[1], "令第656号", "〔2018〕3号", *STATE_DECREE_SHAPES,
        "关于加强青测市路灯维护的通知", " 青测市公园管理规定 ", ids["state.txt"], "qc-2021-00017",
        "不存在的规定", "青测市人民政府令第65号", "青测发〔2018〕4号",
    ]  # fmt: skip
    with Archive.open(data, readonly=True) as archive:
        together = exact_many(archive, refs)
        alone = {ref.strip(): exact(archive, ref.strip()) for ref in refs}
    assert {r: ([d.id for d in docs], how) for r, (docs, how) in together.items()} == {
        r: ([d.id for d in docs], how) for r, (docs, how) in alone.items()
    }
    assert together["qc-2021-00017"][1] == "index_number"
    assert together[ids["state.txt"]][1] == "id"
    assert together["青测市公园管理规定"][1] == "title"
    assert together["不存在的规定"] == ([], "none")
