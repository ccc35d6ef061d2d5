"""A batch check of 1,000 references is allowed through the API and the CLI (issue 13 item
11); one more is refused. Speed is measured by bench/check_batch.py, not here."""

from __future__ import annotations

from pathlib import Path

from helpers import cli_json, import_docs, write_doc

from search_app import create_app
from search_app.checking import MAX_LINES


def _archive(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    for i in range(3):
        write_doc(
            tmp_path / "docs",
            f"n{i}.txt",
            title=f"关于测试批量核查第{i}项的通知",
            number=f"青测政发〔2020〕{i + 1}号",
            issued="2020-01-01",
            validity="有效",
            body="各单位遵照执行。",
        )
    import_docs(data, tmp_path / "docs")
    return data


def test_a_thousand_refs_are_checked_by_api_and_cli(tmp_path: Path) -> None:
    data = _archive(tmp_path)
    refs = [f"青测政发[2020]{1 + i % 3}号" for i in range(1000)]
    assert MAX_LINES >= 1000
    client = create_app({"DATA_DIR": data, "TESTING": True}).test_client()
    response = client.post("/api/v1/check", json={"refs": refs})
    assert response.status_code == 200
    body = response.get_json()
    assert len(body["results"]) == 1000 and body["not_found"] == []
    assert {r["validity"] for r in body["results"]} == {"有效"}
    too_many = client.post("/api/v1/check", json={"refs": [*refs, "青测政发〔2020〕1号"]})
    assert too_many.status_code == 400
    listing = tmp_path / "refs.txt"
    listing.write_text("\n".join(refs), encoding="utf-8")
    results = cli_json(data, "check", "--file", str(listing), "--json")
    assert len(results) == 1000 and all(r["found"] for r in results)
