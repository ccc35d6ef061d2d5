"""Copies at import (issue 17, item 3): a document re-saved as GBK, with CRLF line breaks or as
an HTML page with its site's navigation is one document, and each copy is reported as
``duplicate-text`` of it and kept with it; a near copy is found above the threshold, a
different document made from the same template is not; ``--keep-copies`` imports them all.

The documents are fictional (青测市, invented 文号), written here; the files are real files in
real encodings, imported into a real data directory.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import cli_json, run_cli, run_process

from archive.fingerprints import SAME_TEXT, Fingerprints
from indexer import near_duplicates
from indexer.copy_prefilter import KnownPrints
from indexer.near_duplicates import (
    THRESHOLD,
    CopyFinder,
    fingerprint,
    normalised_text,
    similarity,
)
from indexer.service import Gongkai

TITLE = "青测市湿地保护巡查办法"
NUMBER = "青林发〔2024〕7号"

# Each clause of the wetland rules, and of a fire-prevention notice made from the same
# template (same opening, same closing, same clause skeleton) but about something else.
WETLAND = [
    "市林业主管部门负责全市湿地保护巡查的组织协调和监督检查工作",
    "区县人民政府应当确定湿地巡查责任单位，落实巡查人员和经费保障",
    "巡查人员每月至少对重要湿地开展两次实地巡查并如实填写巡查记录",
    "发现违法占用、填埋、排干湿地行为的，巡查人员应当及时制止并报告",
    "湿地保护管理机构接到报告后应当在二十四小时内赶赴现场核实处理",
    "对候鸟迁徙季节的重点栖息地，应当增加巡查频次并设置警示标志",
    "巡查中发现湿地水质异常的，应当通报生态环境部门采样监测",
    "鼓励志愿者和周边村民参与湿地巡查，对举报属实者给予奖励",
    "巡查记录和处理结果应当归档保存，保存期限不少于五年",
    "未按规定开展巡查或者隐瞒不报的，依法追究有关人员责任",
]
FIRE = [
    "市应急管理部门负责全市森林防火宣传的组织协调和督促落实工作",
    "乡镇人民政府应当在进山路口设立防火检查站，配备专职检查人员",
    "清明、春节等重点时段，严禁在林区上坟烧纸、燃放烟花爆竹",
    "发现林区火情的，任何单位和个人都应当立即拨打火警电话报告",
    "专业扑火队伍接到指令后应当在三十分钟内集结出发赶赴火场",
    "林区内的施工单位应当制定用火管理制度并配备灭火器材",
    "气象部门应当及时发布森林火险等级预报并通报有关单位",
    "学校应当在防火期内对学生开展森林防火安全教育活动",
    "防火期结束后，各单位应当总结当年工作并报送市应急管理部门",
    "违反野外用火规定的，由林业主管部门依法给予行政处罚",
]


def body(clauses: list[str]) -> str:
    opening = "为了规范本市相关工作，根据有关法律法规，结合本市实际，制定本办法。"
    closing = "本办法自发布之日起施行，由市人民政府办公室负责解释。"
    lines = [opening] + [f"第{i}条　{c}。" for i, c in enumerate(clauses, start=1)] + [closing]
    return "\n".join(lines)


def text_file(
    title: str, clauses: list[str], number: str = NUMBER, date: str = "2024-03-01"
) -> str:
    head = [f"名  称: {title}", "发布机构: 青测市林业局"]
    if number:
        head.append(f"文  号: {number}")
    head.append(f"发文日期: {date}")
    return "\n".join(head) + "\n\n" + body(clauses) + "\n"


def html_page(title: str, clauses: list[str]) -> str:
    paragraphs = "".join(f"<p>{line}</p>" for line in body(clauses).splitlines())
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}_青测市人民政府</title>"
        "</head><body><nav><a href='/'>首页</a> <a href='/zwgk/'>政务公开</a> "
        "<a href='/hdjl/'>互动交流</a></nav>"
        f"<h1>{title}</h1>{paragraphs}"
        "<footer>主办：青测市人民政府办公室　网站标识码：QC0000000001　备案号：青ICP备00000001号"
        "</footer></body></html>"
    )


def write_copies(folder: Path) -> dict[str, Path]:
    """The original (UTF-8) in one office's folder, and its copies in another's."""
    original = text_file(TITLE, WETLAND)
    (folder / "市林业局").mkdir(parents=True)
    (folder / "市网站").mkdir(parents=True)
    files = {
        "utf8": folder / "市林业局" / "湿地巡查办法.txt",
        "gbk": folder / "市网站" / "湿地巡查办法（GBK）.txt",
        "crlf": folder / "市网站" / "湿地巡查办法-crlf.txt",
        "html": folder / "市网站" / "湿地巡查办法.html",
    }
    files["utf8"].write_text(original, encoding="utf-8")
    files["gbk"].write_bytes(original.encode("gbk"))
    files["crlf"].write_bytes(original.replace("\n", "\r\n").encode("utf-8"))
    files["html"].write_text(html_page(TITLE, WETLAND), encoding="utf-8")
    return files


# -- the fingerprint -------------------------------------------------------------------------


def test_normalised_text_ignores_width_breaks_punctuation_and_traditional_characters() -> None:
    simplified = "第１条　湿地保护，\r\n应当加强巡查。"
    other = "第1条 濕地保護,\n應當加強巡查."
    assert normalised_text(simplified) == normalised_text(other) == "第1条湿地保护应当加强巡查"


def test_a_few_characters_changed_stay_above_the_threshold_a_template_twin_does_not() -> None:
    original = fingerprint(body(WETLAND))
    changed = body(WETLAND).replace("两次", "三次").replace("五年", "十年").replace("奖励", "表彰")
    near = fingerprint(changed)
    twin = fingerprint(body(FIRE))
    assert near.text_hash != original.text_hash
    assert THRESHOLD <= similarity(original.minhash, near.minhash) < 1.0
    assert similarity(original.minhash, twin.minhash) < THRESHOLD
    assert similarity(original.minhash, original.minhash) == 1.0


# -- importing -------------------------------------------------------------------------------


@pytest.mark.usefixtures("archive_backend")  # both archive back ends
def test_copies_in_other_encodings_line_breaks_and_html_become_one_document(
    tmp_path: Path,
) -> None:
    files = write_copies(tmp_path / "收文")
    data = tmp_path / "data"
    report = cli_json(data, "import", "--quiet", "--json", "--workers", "1", str(tmp_path / "收文"))
    assert report["imported"] == 1
    assert report["duplicate-text"] == 3
    assert report["duplicate"] == 0 and report["failed"] == 0
    with Gongkai(data, readonly=True) as gk:
        assert gk.archive.count() == 1
        (doc,) = gk.archive.iter_documents()
        copies = Fingerprints(gk.archive).copies_of(doc.id)
        kept = {c.source_name: c for c in copies}
        # Every copy's bytes are in the store, byte for byte: nothing is lost.
        for key in ("gbk", "crlf", "html"):
            record = kept[files[key].name]
            assert gk.archive.originals.read(record.sha256) == files[key].read_bytes()
            assert record.path == f"收文/市网站/{files[key].name}"
        assert kept[files["gbk"].name].match == "same-text"
        assert kept[files["crlf"].name].match == "same-text"
        assert kept[files["html"].name].match == "near"
        assert kept[files["html"].name].similarity >= THRESHOLD
        history = [h["action"] for h in gk.archive.history(doc.id)]
    assert history.count("copy") == 3
    named = {Path(c["path"]).name: c for c in report["copies"]}
    assert set(named) == {files[k].name for k in ("gbk", "crlf", "html")}
    assert all(c["id"] == doc.id and c["title"] == TITLE for c in named.values())
    assert "same text as" in named[files["gbk"].name]["reason"]
    assert "near copy" in named[files["html"].name]["reason"]
    found = cli_json(data, "search", "--json", "湿地巡查")
    assert [h["id"] for h in found["hits"]] == [doc.id]
    assert cli_json(data, "verify", "--json")["ok"] is True

    # The plain-text report names the archived document by its title.
    again = run_cli(data, "import", "--quiet", str(tmp_path / "收文"))
    assert again.exit_code == 0, again.stderr
    assert f"《{TITLE}》" in again.stdout and "duplicate-text 3" in again.stdout


def test_keep_copies_imports_each_copy_as_a_document(tmp_path: Path) -> None:
    write_copies(tmp_path / "收文")
    data = tmp_path / "data"
    report = cli_json(data, "import", "-q", "--json", "--keep-copies", str(tmp_path / "收文"))
    assert report["imported"] == 4 and report["duplicate-text"] == 0
    runs = cli_json(data, "runs", "--json")
    assert runs[0]["arguments"]["keep_copies"] is True
    # Fingerprints are still kept: a later run without the flag finds copies of them.
    extra = tmp_path / "later"
    extra.mkdir()
    (extra / "再存一份.txt").write_bytes(text_file(TITLE, WETLAND).encode("gb18030") + b"\n\n")
    later = cli_json(data, "import", "-q", "--json", str(extra))
    assert later["duplicate-text"] == 1 and later["imported"] == 0


@pytest.mark.usefixtures("archive_backend")  # both archive back ends
def test_near_copy_is_found_and_a_template_twin_and_a_revision_are_not(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a-original.txt").write_text(text_file(TITLE, WETLAND), encoding="utf-8")
    changed = [c.replace("两次", "三次") for c in WETLAND]
    changed[8] = changed[8].replace("五年", "十年")
    (folder / "b-near.txt").write_text(text_file(TITLE, changed), encoding="utf-8")
    # Same template, other content, no 文号 to tell them apart: only the text decides.
    (folder / "c-fire.txt").write_text(
        text_file("青测市森林防火巡查办法", FIRE, number=""), encoding="utf-8"
    )
    # A revision: nearly the same text, but its own 文号 and date.
    (folder / "d-revised.txt").write_text(
        text_file(TITLE, changed, number="青林发〔2025〕3号", date="2025-02-01"), encoding="utf-8"
    )
    data = tmp_path / "data"
    with Gongkai(data) as gk:
        report = gk.import_paths([folder])
    status = {Path(o.path).name: o for o in report.outcomes}
    assert status["a-original.txt"].status == "imported"
    assert status["b-near.txt"].status == "duplicate-text"
    assert status["b-near.txt"].id == status["a-original.txt"].id
    assert "near copy" in status["b-near.txt"].reason
    assert status["c-fire.txt"].status == "imported"
    assert status["d-revised.txt"].status == "imported"


def test_an_old_version_with_another_published_validity_is_not_a_copy(tmp_path: Path) -> None:
    """As the shared corpus has them: the version in force and an old version (已修改, no
    date) of one regulation, with most of the text the same."""
    folder = tmp_path / "in"
    folder.mkdir()
    current = text_file(TITLE, WETLAND, number="").replace("\n\n", "\n有效性: 有效\n\n", 1)
    old_clauses = [c.replace("两次", "一次") for c in WETLAND]
    old = text_file(TITLE, old_clauses, number="", date="").replace(
        "发文日期: \n", "有效性: 已修改\n"
    )
    (folder / "a-current.txt").write_text(current, encoding="utf-8")
    (folder / "b-old.txt").write_text(old, encoding="utf-8")
    with Gongkai(tmp_path / "data") as gk:
        report = gk.import_paths([folder])
        docs = list(gk.archive.iter_documents())
    assert [o.status for o in report.outcomes] == ["imported", "imported"]
    assert sorted(d.validity for d in docs) == ["已修改", "有效"]
    near = fingerprint(docs[0].text), fingerprint(docs[1].text)
    assert similarity(near[0].minhash, near[1].minhash) >= THRESHOLD  # only metadata decides


def test_copies_are_found_across_runs_and_processes(tmp_path: Path) -> None:
    files = write_copies(tmp_path / "收文")
    data = tmp_path / "data"
    first = run_process(data, "import", "-q", "--json", str(files["utf8"]))
    assert first.returncode == 0, first.stderr
    for key in ("gbk", "html"):
        later = run_process(data, "import", "-q", "--json", str(files[key]))
        assert later.returncode == 0, later.stderr
        assert '"duplicate-text": 1' in later.stdout
    with Gongkai(data, readonly=True) as gk:
        assert gk.archive.count() == 1
        assert Fingerprints(gk.archive).count() == 1


def test_an_archive_from_before_fingerprints_is_fingerprinted_by_the_next_import(
    tmp_path: Path,
) -> None:
    files = write_copies(tmp_path / "收文")
    data = tmp_path / "data"
    with Gongkai(data) as gk:
        gk.import_paths([files["utf8"]])
        # As an archive made before migration 11 would be: documents without fingerprints.
        gk.archive.conn.execute("DELETE FROM text_buckets")
        gk.archive.conn.execute("DELETE FROM text_fingerprints")
        report = gk.import_paths([files["crlf"]])
        assert [o.status for o in report.outcomes] == ["duplicate-text"]
        assert Fingerprints(gk.archive).count() == 1


def test_replacing_a_fingerprint_reads_only_that_documents_keys(tmp_path: Path) -> None:
    """A fingerprint is replaced by deleting the document's bucket keys first: through an
    index on the document, not a scan of every key in the archive (which made an import
    quadratic: most of a 20,000-document import went there)."""
    data = tmp_path / "data"
    run_cli("--data", str(data), "init")
    with Gongkai(data) as gk:
        plan = gk.archive.conn.execute(
            "EXPLAIN QUERY PLAN DELETE FROM text_buckets WHERE doc_id = ?", ("x",)
        ).fetchall()
    assert "INDEX text_buckets_doc" in plan[0][-1]


# -- the copy check's first look, in memory (indexer.copy_prefilter) ------------------------


def _archived(tmp_path: Path) -> Path:
    """A data directory holding the wetland rules and the fire notice."""
    folder = tmp_path / "收文"
    folder.mkdir()
    (folder / "wetland.txt").write_text(text_file(TITLE, WETLAND), encoding="utf-8")
    (folder / "fire.txt").write_text(
        text_file("青测市森林防火宣传办法", FIRE, "青应发〔2024〕3号"), encoding="utf-8"
    )
    data = tmp_path / "data"
    with Gongkai(data) as gk:
        gk.import_paths([folder])
        assert gk.archive.count() == 2
    return data


def test_the_prefilter_rules_out_only_files_no_archived_document_shares(tmp_path: Path) -> None:
    data = _archived(tmp_path)
    with Gongkai(data, readonly=True) as gk:
        known = KnownPrints.load(Fingerprints(gk.archive))
        wetland = gk.archive.find_by_title(TITLE)[0]
    same = fingerprint(wetland.text)
    near = fingerprint(wetland.text.replace("二十四小时", "四十八小时"))
    assert same.text_hash != near.text_hash
    unrelated = fingerprint(
        "".join(
            f"第{n}项：本所第{n * 7}号公告所列{n % 5 + 2}类设备应于{n + 3}月底前年检。"
            for n in range(30)
        )
    )
    assert known.may_match(same.text_hash, same.buckets)  # by its text hash
    assert known.may_match(near.text_hash, near.buckets)  # by a shared bucket
    assert known.may_match(same.text_hash, ())  # a short text has no buckets
    assert not known.may_match(unrelated.text_hash, unrelated.buckets)
    known.note(unrelated.text_hash, unrelated.buckets)  # added by the run since
    assert known.may_match(unrelated.text_hash, unrelated.buckets)
    assert len(known) == 3


def test_the_archives_keys_are_read_in_chunks_and_all_of_them_come(
    tmp_path: Path, archive_backend: str
) -> None:
    data = _archived(tmp_path)
    with Gongkai(data, readonly=True) as gk:
        store = Fingerprints(gk.archive)
        hashes = [h for chunk in store.text_hashes(chunk=1) for h in chunk]
        keys = [k for chunk in store.bucket_keys(chunk=3) for k in chunk]
        expected_hashes = {
            r[0] for r in gk.archive.conn.execute("SELECT text_hash FROM text_fingerprints")
        }
        expected_keys = {r[0] for r in gk.archive.conn.execute("SELECT bucket FROM text_buckets")}
    assert len(hashes) == 2 and set(hashes) == expected_hashes
    assert set(keys) == expected_keys and len(expected_keys) > 3


def test_a_few_files_into_a_larger_archive_ask_it_and_more_read_it_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, archive_backend: str
) -> None:
    """Both ways find the same copy: by asking the archive (too few files checked yet to
    pay for reading its keys) and after reading them."""
    data = _archived(tmp_path)
    monkeypatch.setattr(near_duplicates, "PREFILTER_SHARE", 1)  # read after 2 files
    with Gongkai(data) as gk:
        finder = CopyFinder(gk.archive)
        wetland = gk.archive.find_by_title(TITLE)[0]
        print_ = fingerprint(wetland.text)
        answers = [finder.find(wetland, print_) for _ in range(3)]
        assert finder.known is not None and finder.load_after == 2
    assert [a.match if a else None for a in answers] == [SAME_TEXT] * 3
    assert {a.doc_id for a in answers if a} == {wetland.id}


def test_a_damaged_stored_hash_does_not_stop_the_copy_check(tmp_path: Path) -> None:
    data = _archived(tmp_path)
    with Gongkai(data) as gk:
        gk.archive.conn.execute(
            "UPDATE text_fingerprints SET text_hash = 'not-hex' WHERE doc_id IN "
            "(SELECT id FROM documents WHERE title = ?)",
            ("青测市森林防火宣传办法",),
        )
        known = KnownPrints.load(Fingerprints(gk.archive))
        wetland = gk.archive.find_by_title(TITLE)[0]
        same = fingerprint(wetland.text)
        assert len(known) == 1 and known.may_match(same.text_hash, ())
