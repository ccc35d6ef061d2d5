"""The ``gongkai`` command line end to end: JSON shapes, ``show``, ``stats``, exit codes, the
installed console script as a real process, and a second writer refused while one holds the
lock."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from helpers import CORPUS, Corpus, cli_json, run_cli, run_installed, search_json

from archive import Archive

HIT_KEYS = {
    "id",
    "title",
    "doc_number",
    "index_number",
    "agency",
    "date_issued",
    "validity",
    "kind",
    "doc_type",  # 法律, 规章, 规范性文件 … (issue 14 item 4)
    "source",
    "score",
    "snippet",
    "highlights",
    "status",  # validity on the date asked, with since/by/current version (issue 3)
    "cluster",  # interpretations, answers, versions, repealed-by of the hit
    "partial",  # a relaxed match holding only some of the words (issue 11)
    "same_title",  # documents of the same title grouped under this one (issue 11)
}


def test_search_json_shape(corpus: Corpus) -> None:
    result = search_json(corpus.data, "政务公开")
    # expansions: synonyms searched too; ignored, validity_question: question words (还有效吗);
    # relaxed, relaxed_total: partial matches
    keys = {"total", "hits", "expansions", "ignored", "validity_question", "relaxed"}
    assert set(result) == keys | {"relaxed_total"}
    assert result["total"] == len(result["hits"]) == 2
    for hit in result["hits"]:
        assert set(hit) == HIT_KEYS
        assert isinstance(hit["score"], float)
        for start, end in hit["highlights"]:
            assert 0 <= start < end <= len(hit["snippet"])
    top = result["hits"][0]
    assert top["id"] == corpus.ids["guoban-2019-2.txt"]
    assert top["title"] == "国务院办公厅关于进一步做好政务公开工作的通知"
    assert top["doc_number"] == "国办发〔2019〕2号"
    assert top["index_number"] == "000014349/2019-00002"
    assert top["agency"] == "国务院办公厅"
    assert top["date_issued"] == "2019-01-15"
    assert top["validity"] == "有效"
    assert top["kind"] == "notice"
    assert top["source"] == "guoban-2019-2.txt"


def test_search_text_output_marks_matches(corpus: Corpus) -> None:
    result = run_cli(corpus.data, "search", '"政务公开"')
    assert result.exit_code == 0
    assert "1 条结果" in result.stdout
    assert "[政务公开]" in result.stdout
    assert corpus.ids["guoban-2019-2.txt"] in result.stdout


def test_show_by_id_json_and_text(corpus: Corpus) -> None:
    doc_id = corpus.ids["caizheng-dafu.txt"]
    result = run_cli(corpus.data, "show", "--json", doc_id)
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["id"] == doc_id
    assert data["kind"] == "request_answer"
    assert data["agency"] == "青川市财政局"
    assert "现答复如下" in data["text"]
    text = run_cli(corpus.data, "show", doc_id)
    assert "发布机构: 青川市财政局" in text.stdout
    assert "现答复如下" in text.stdout
    assert "现答复如下" not in run_cli(corpus.data, "show", "--no-text", doc_id).stdout


@pytest.mark.parametrize(
    ("ref", "source"),
    [
        ("QC-WJW-2020-0031", "weijian-zongjie.txt"),
        ("qc-wjw-2020-0031", "weijian-zongjie.txt"),
        ("000014349/2019-00002", "guoban-2019-2.txt"),
        ("国办发 (2019) 2 号", "guoban-2019-2.txt"),
        ("青川市图书馆开放时间调整公告", "tushuguan-gonggao.md"),
    ],
)
def test_show_by_index_number_doc_number_or_title(corpus: Corpus, ref: str, source: str) -> None:
    shown = cli_json(corpus.data, "show", "--json", "--no-text", ref)
    assert isinstance(shown, dict) and shown["id"] == corpus.ids[source]


def test_show_same_title_lists_both(corpus: Corpus) -> None:
    result = run_cli(corpus.data, "show", "--json", "--no-text", "关于开展候鸟迁徙观测活动的通知")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert [d["date_issued"] for d in data] == ["2016-04-01", "2015-04-01"]


@pytest.mark.parametrize("ref", ["国办发〔2019〕3号", "0000000000", "不存在的文件"])
def test_show_not_found_exits_4(corpus: Corpus, ref: str) -> None:
    result = run_cli(corpus.data, "show", ref)
    assert result.exit_code == 4
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert ref in result.stderr


def test_reading_a_missing_data_dir_exits_4(tmp_path: Path) -> None:
    result = run_cli(tmp_path / "nothing", "search", "--json", "通知")
    assert result.exit_code == 4
    assert "gongkai import" in result.stderr
    assert not (tmp_path / "nothing").exists() or not any((tmp_path / "nothing").iterdir())


def test_stats_json(corpus: Corpus) -> None:
    result = run_cli(corpus.data, "stats", "--json")
    assert result.exit_code == 0
    stats = json.loads(result.stdout)
    with Archive.open(corpus.data, readonly=True) as archive:
        docs = list(archive.iter_documents())
    assert stats["documents"] == len(corpus.ids) == len(docs)
    assert stats["engine"] == "whoosh"
    assert stats["by_validity"] == dict(Counter(d.validity for d in docs))
    assert stats["by_kind"] == dict(Counter(d.kind for d in docs))
    assert stats["by_agency"]["国务院办公厅"] == 3
    assert stats["original_bytes"] == sum((CORPUS / n).stat().st_size for n in corpus.ids)


def test_usage_error_exits_2(corpus: Corpus) -> None:
    assert run_cli(corpus.data, "search", "--kind", "nonsense", "通知").exit_code == 2
    assert run_cli(corpus.data, "search", "OR").exit_code == 2


# -- real processes -------------------------------------------------------------------------


def test_installed_console_script_end_to_end(tmp_path: Path) -> None:
    data = tmp_path / "data"
    imported = run_installed(data, "import", "--quiet", "--json", str(CORPUS))
    assert imported.returncode == 0, imported.stderr
    assert json.loads(imported.stdout)["imported"] == len(list(CORPUS.iterdir()))

    found = run_installed(data, "search", "--json", "国办发【2019】2号")
    assert found.returncode == 0, found.stderr
    hits = json.loads(found.stdout)["hits"]
    assert hits[0]["doc_number"] == "国办发〔2019〕2号"

    shown = run_installed(data, "show", "--json", "国办发[2017]16号")
    assert shown.returncode == 0
    assert json.loads(shown.stdout)["validity"] == "已废止"

    bad = run_installed(data, "search", "“政务公开")
    assert bad.returncode == 2
    assert "引号" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1
    assert "Traceback" not in bad.stderr

    assert run_installed(data, "verify").returncode == 0


HOLDER = """
import sys
from indexer.service import Gongkai
gk = Gongkai(sys.argv[1])
with gk.write_lock():
    print("locked", flush=True)
    sys.stdin.read()
"""


@pytest.mark.usefixtures("archive_backend")  # write.lock, or PostgreSQL's advisory lock
def test_second_writer_is_refused_with_exit_5(fresh_corpus: Corpus, tmp_path: Path) -> None:
    new_file = tmp_path / "new.txt"
    new_file.write_text("名称：锁定期间提交的文件\n\n正文。", encoding="utf-8")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(fresh_corpus.data)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parent.parent,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        refused = run_installed(fresh_corpus.data, "import", "--quiet", str(new_file))
        assert refused.returncode == 5, refused.stderr
        lines = refused.stderr.strip().splitlines()
        assert len(lines) == 1
        assert "being written" in lines[0] and f"pid {holder.pid}" in lines[0]
        assert run_installed(fresh_corpus.data, "reindex").returncode == 5
    finally:
        holder.communicate(input="", timeout=30)
    assert holder.returncode == 0
    with Archive.open(fresh_corpus.data, readonly=True) as archive:
        assert archive.count() == len(fresh_corpus.ids)  # nothing slipped in
    # once the lock is released, the same import succeeds
    assert run_installed(fresh_corpus.data, "import", "--quiet", str(new_file)).returncode == 0
