"""Extraction of every supported format, and clear failures for files that cannot be read."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest
from helpers import cjk_pdf, run_cli

from archive import Document
from indexer.building import build_document
from indexer.extract import ExtractionError, extract
from indexer.service import Gongkai

HEADER_TEXT = """名称：青川市关于加强古树名木保护的通知
文号：青政办发〔2020〕5号
发布机构：青川市人民政府办公室
发布日期：2020年6月1日
有效性：现行有效

各区县人民政府：
古树名木是不可再生的资源，第1条规定应当登记建档，落实管护责任。
"""


def check_header_document(path: Path, data: bytes) -> Document:
    """The notice of HEADER_TEXT (or HTML) read from ``data``, its header checked field by field."""
    doc = build_document(path, data)
    assert doc.title == "青川市关于加强古树名木保护的通知"
    assert doc.doc_number_norm == "青政办发〔2020〕5号"
    assert doc.agency == "青川市人民政府办公室"
    assert doc.date_issued == "2020-06-01"
    assert doc.validity == "有效"
    assert "第1条规定应当登记建档" in doc.text
    assert "名称" not in doc.text
    return doc


@pytest.mark.parametrize(
    ("name", "encode"),
    [
        ("utf8.txt", lambda s: s.encode("utf-8")),
        ("bom.txt", lambda s: s.encode("utf-8-sig")),
        ("gbk.txt", lambda s: s.encode("gbk")),
        ("gb18030.txt", lambda s: s.encode("gb18030")),
        ("notes.md", lambda s: s.encode("gbk")),
        ("crlf.txt", lambda s: s.replace("\n", "\r\n").encode("utf-8")),
    ],
)
def test_text_encodings(name: str, encode) -> None:
    check_header_document(Path(name), encode(HEADER_TEXT))


def test_gb18030_only_characters() -> None:
    text = "名称：关于㐀字库补充的说明\n\n正文提到㐀和𠀀两个字。\n"
    data = text.encode("gb18030")
    with pytest.raises(UnicodeEncodeError):
        text.encode("gbk")
    doc = build_document(Path("x.txt"), data)
    assert doc.title == "关于㐀字库补充的说明"
    assert "㐀和𠀀" in doc.text


def test_bom_is_not_part_of_the_first_label() -> None:
    extracted = extract(Path("a.txt"), HEADER_TEXT.encode("utf-8-sig"))
    assert extracted.text.startswith("名称")


HTML = """<!DOCTYPE html>
<html><head><meta charset="{charset}"><title>古树名木保护</title>
<style>.x {{ color: red }}</style><script>var menu = "首页";</script></head>
<body>
<nav><a href="/">首页</a> <a href="/zc">政策文件</a> <a href="/hd">互动交流</a></nav>
<div class="breadcrumb">当前位置：首页 &gt; 政策文件</div>
<div class="content">
  <table class="xxgk">
    <tr><td>名　　称：</td><td>青川市关于加强古树名木保护的通知</td></tr>
    <tr><td>索 引 号</td><td>QC-ZFB-2020-0005</td>
        <td>发布机构</td><td>青川市人民政府办公室</td></tr>
    <tr><td>文　　号</td><td>青政办发〔2020〕5号</td><td>发布日期</td><td>2020年6月1日</td></tr>
    <tr><td>有 效 性</td><td>现行有效</td></tr>
  </table>
  <div class="article">
    <p>各区县人民政府：</p>
    <p>古树名木是不可再生的资源，第1条规定应当登记建档，落实管护责任。</p>
    <p>对擅自移植古树的行为，依法予以处理。</p>
  </div>
</div>
<div id="share">分享到：微信 微博</div>
<footer>主办单位：青川市人民政府办公室 网站标识码：0000000000 版权所有</footer>
</body></html>
"""


@pytest.mark.parametrize("charset", ["utf-8", "gbk"])
def test_html_header_table_and_main_text(charset: str) -> None:
    data = HTML.format(charset=charset).encode(charset)
    doc = check_header_document(Path("page.html"), data)
    assert doc.index_number == "QC-ZFB-2020-0005"
    assert "依法予以处理" in doc.text
    for chrome in ("首页", "政策文件", "互动交流", "分享到", "版权所有", "网站标识码", "var menu"):
        assert chrome not in doc.text, chrome


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_pdf_text_extracts_character_for_character() -> None:
    lines = HEADER_TEXT.splitlines()
    data = cjk_pdf(lines)
    extracted = extract(Path("notice.pdf"), data)
    assert squeeze(extracted.text) == squeeze(HEADER_TEXT)
    check_header_document(Path("notice.pdf"), data)


BAD_FILES = {
    "truncated.pdf": "pdf",
    "random.pdf": "pdf",
    "junk.txt": "binary",
    "empty.txt": "empty",
}


def write_mixed_folder(folder: Path) -> tuple[list[str], dict[str, bytes]]:
    """Good and bad files side by side; returns good names and the bad files' bytes."""
    folder.mkdir()
    good = {
        "a-utf8.txt": HEADER_TEXT.encode("utf-8"),
        "b-gbk.txt": HEADER_TEXT.replace("古树名木", "城市绿道").encode("gbk"),
        "c-page.html": HTML.format(charset="gbk").replace("古树", "名泉").encode("gbk"),
        "d-scan.pdf": cjk_pdf(["名称：关于开展湿地巡护的通知", "", "请各单位开展湿地巡护。"]),
    }
    rng = random.Random(7)
    whole_pdf = cjk_pdf(["名称：被截断的文件", "正文。"])
    bad = {
        "truncated.pdf": whole_pdf[: len(whole_pdf) // 3],
        "random.pdf": bytes(rng.randrange(256) for _ in range(3000)),
        "junk.txt": bytes(rng.randrange(256) for _ in range(3000)) + b"\x00\x01",
        "empty.txt": b"",
    }
    for name, data in {**good, **bad}.items():
        (folder / name).write_bytes(data)
    return list(good), bad


def test_bad_files_fail_clearly_while_the_rest_import(tmp_path: Path) -> None:
    good, bad = write_mixed_folder(tmp_path / "in")
    data, report = tmp_path / "data", tmp_path / "report.jsonl"
    result = run_cli(data, "import", "-q", "--json", "--report", str(report), str(tmp_path / "in"))
    assert result.exit_code == 1, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["imported"], summary["failed"], summary["duplicate"]) == (len(good), 4, 0)
    assert {Path(f["path"]).name for f in summary["failures"]} == set(bad)

    rows = [json.loads(line) for line in report.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == len(good) + len(bad)
    by_name = {Path(r["path"]).name: r for r in rows}
    for name in good:
        assert by_name[name]["status"] == "imported" and by_name[name]["id"]
    for name in bad:
        row = by_name[name]
        assert row["status"] == "failed"
        assert row["reason"].strip(), name
        assert "Traceback" not in row["reason"]
    assert "empty" in by_name["empty.txt"]["reason"]
    assert "PDF" in by_name["random.pdf"]["reason"]
    assert "PDF" in by_name["truncated.pdf"]["reason"]

    with Gongkai(data, readonly=True) as gk:
        assert gk.archive.count() == len(good)
        assert gk.search("湿地巡护").total == 1
        assert gk.search("城市绿道").total == 1
        assert gk.search("名泉").total == 1


def test_extract_errors_are_extraction_errors() -> None:
    with pytest.raises(ExtractionError, match="empty"):
        extract(Path("a.txt"), b"  \n ")
    with pytest.raises(ExtractionError, match="unsupported"):
        extract(Path("a.xyz"), b"abc")
    with pytest.raises(ExtractionError):
        extract(Path("a.txt"), b"\x00\x01\x02binary")
    with pytest.raises(ExtractionError):
        extract(Path("a.pdf"), b"%PDF-1.4\n garbage that is not a pdf body")
