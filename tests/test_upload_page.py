"""The staff upload page (issue 17 item 7): reasons in Chinese (English kept in the JSON), a
file picker that offers every format the importer reads, duplicates named by their title, and
a manifest uploaded with the files."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from helpers import PASSWORD, attrs, csrf_token, html, import_docs, login, texts, visible

from indexer.service import Gongkai
from search_app import create_app
from search_app.auth import add_user

NOTICE = (
    "名  称: 青川市河滨步道夜间照明管理办法\n文  号: 青园发〔2025〕3号\n\n步道照明至二十二时。\n"
)


@pytest.fixture
def staff(tmp_path: Path) -> tuple[FlaskClient, str, Path]:
    src = tmp_path / "src"
    src.mkdir()
    (src / "步道.txt").write_text(NOTICE, encoding="utf-8")
    data = tmp_path / "data"
    import_docs(data, src)
    with Gongkai(data) as gk:
        add_user(gk.archive, "alice", PASSWORD)
    app: Flask = create_app({"DATA_DIR": data, "TESTING": True, "SECRET_KEY": "u"})
    client = app.test_client()
    assert login(client).status_code == 302
    return client, csrf_token(client.get("/staff/")), data


def test_the_picker_offers_every_format_the_importer_reads(staff) -> None:
    client, _, _ = staff
    tree = html(client.get("/staff/"))
    accept = attrs(tree, 'input[name="files"]', "accept")[0].split(",")
    for suffix in (".docx", ".pdf", ".txt", ".html", ".png", ".jpg", ".jpeg", ".tif", ".tiff"):
        assert suffix in accept
    assert attrs(tree, 'input[name="manifest"]', "accept") == [".csv,.tsv,.jsonl,.ndjson"]


def test_reasons_in_chinese_and_duplicates_by_title(staff) -> None:
    client, token, _ = staff
    files = [
        (io.BytesIO(NOTICE.encode()), "again.txt"),
        (io.BytesIO(b"%PDF-1.4 broken"), "broken.pdf"),
        (io.BytesIO(b"\x89PNG\r\n"), "cut.png"),
    ]
    response = client.post(
        "/staff/import",
        data={"csrf_token": token, "files": files},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    tree = html(response)
    reasons = texts(tree, "#import-report td.reason")
    assert reasons[0] == "与已归档的文件内容完全相同"
    assert reasons[1] == "PDF 文件已损坏，无法读取"
    assert reasons[2] == "无法读取的 PNG 图片"
    assert texts(tree, "#import-report tr.status-duplicate a") == ["青川市河滨步道夜间照明管理办法"]
    shown = visible(response)
    assert "same bytes" not in shown and "broken PDF" not in shown and "青园发〔2025〕3号" in shown


def test_json_keeps_the_english_reasons(staff) -> None:
    client, token, _ = staff
    response = client.post(
        "/staff/import",
        data={"csrf_token": token, "files": [(io.BytesIO(b"%PDF-1.4 broken"), "broken.pdf")]},
        content_type="multipart/form-data",
        headers={"Accept": "application/json"},
    )
    outcome = response.get_json()["outcomes"][0]
    assert outcome["status"] == "failed" and outcome["reason"].startswith("broken PDF")
    assert outcome["reason_zh"] == "PDF 文件已损坏，无法读取"


def test_a_manifest_uploaded_with_its_files_gives_their_metadata(staff) -> None:
    client, token, data = staff
    manifest = (
        "path,title,doc_number,agency\n"
        "灯杆.txt,青川市灯杆广告设置规定,青园发〔2025〕9号,青川市园林局\n"
    )
    response = client.post(
        "/staff/import",
        data={
            "csrf_token": token,
            "files": [(io.BytesIO("灯杆上不得设置广告。\n".encode()), "灯杆.txt")],
            "manifest": (io.BytesIO(manifest.encode("gb18030")), "清单.csv"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert "导入 1 件" in visible(response)
    with Gongkai(data, readonly=True) as gk:
        doc = gk.lookup("青园发(2025)9号")[0]
    assert doc.title == "青川市灯杆广告设置规定" and doc.agency == "青川市园林局"


def test_a_manifest_of_the_wrong_kind_is_refused(staff) -> None:
    client, token, _ = staff
    response = client.post(
        "/staff/import",
        data={"csrf_token": token, "manifest": (io.BytesIO(b"x"), "list.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "清单须为 .csv、.tsv 或 .jsonl 文件" in visible(response)
