"""Provenance (issue 17, item 4): each document keeps the path under the imported folder
(which office's folder it came from), the manifest line that gave its metadata, and the import
run that brought it; runs are listed by ``gongkai runs``, the last one in ``gongkai stats``;
staff see the path in the document's history, the public never sees internal folder names.

The documents are fictional (青测市, invented 文号), written here.
"""

from __future__ import annotations

from pathlib import Path

from helpers import PASSWORD, cli_json, html, login, run_cli, visible, write_doc

from archive.runs import Runs
from indexer.service import Gongkai
from search_app import create_app
from search_app.auth import add_user


def offices(root: Path) -> Path:
    """收文/ with two offices' folders, one notice each."""
    folder = root / "收文"
    write_doc(
        folder / "市教育局",
        "校车管理.txt",
        title="青测市校车安全管理通知",
        body="各学校应当每学期对校车驾驶人开展一次安全培训，并建立培训台账。",
        number="青教发〔2023〕11号",
        issued="2023-09-01",
    )
    write_doc(
        folder / "市水务局",
        "节水通知.txt",
        title="青测市节约用水工作通知",
        body="各单位应当安装节水器具，公共机构年度用水量较上年下降百分之二。",
        number="青水发〔2023〕4号",
        issued="2023-05-10",
    )
    return folder


def test_show_runs_and_stats_say_where_a_document_came_from(tmp_path: Path) -> None:
    data = tmp_path / "data"
    folder = offices(tmp_path)
    report = cli_json(data, "import", "-q", "--json", str(folder))
    assert report["imported"] == 2 and isinstance(report["run"], int)
    run_id = report["run"]

    shown = cli_json(data, "show", "--json", "--no-text", "青教发〔2023〕11号")
    (source,) = shown["provenance"]["sources"]
    assert source["path"] == "收文/市教育局/校车管理.txt"
    assert source["run"] == run_id and source["status"] == "imported"
    assert source["manifest_row"] == ""
    assert shown["provenance"]["copies"] == []

    runs = cli_json(data, "runs", "--json")
    assert [r["id"] for r in runs] == [run_id]
    assert runs[0]["counts"]["imported"] == 2 and runs[0]["ended_at"]
    assert runs[0]["arguments"]["paths"] == [str(folder)]

    detail = cli_json(data, "runs", str(run_id), "--json")
    by_path = {i["path"]: i for i in detail["items"]}
    assert by_path["收文/市水务局/节水通知.txt"]["title"] == "青测市节约用水工作通知"
    assert by_path["收文/市水务局/节水通知.txt"]["status"] == "imported"

    # A second run finds both again: a run of its own, and the latest in stats.
    again = cli_json(data, "import", "-q", "--json", str(folder))
    assert again["run"] == run_id + 1 and again["duplicate"] == 2
    stats = cli_json(data, "stats", "--json")
    assert stats["last_run"]["id"] == run_id + 1
    assert stats["last_run"]["counts"]["duplicate"] == 2
    text = run_cli(data, "stats")
    assert f"last import run: #{run_id + 1}" in text.stdout
    listing = run_cli(data, "runs", str(run_id))
    assert (
        "收文/市教育局/校车管理.txt" in listing.stdout
        and "《青测市校车安全管理通知》" in listing.stdout
    )

    with Gongkai(data, readonly=True) as gk:
        doc_id = shown["id"]
        (entry,) = [h for h in gk.archive.history(doc_id) if h["action"] == "import"]
    assert entry["detail"]["path"] == "收文/市教育局/校车管理.txt"
    assert entry["detail"]["run"] == run_id


def test_a_manifest_line_is_kept_with_the_document(tmp_path: Path) -> None:
    folder = offices(tmp_path)
    manifest = folder / "清单.csv"
    manifest.write_text(
        "path,title,agency\n市水务局/节水通知.txt,青测市节约用水工作通知（修订稿）,青测市水务局\n",
        encoding="utf-8",
    )
    data = tmp_path / "data"
    report = cli_json(data, "import", "-q", "--json", "--manifest", str(manifest))
    assert report["imported"] == 1
    shown = cli_json(data, "show", "--json", "--no-text", "青水发〔2023〕4号")
    (source,) = shown["provenance"]["sources"]
    assert source["manifest_row"] == "清单.csv:2"
    assert source["path"] == "市水务局/节水通知.txt"
    history = run_cli(data, "history", shown["id"])
    assert "清单 清单.csv:2" in history.stdout and f"导入批次 #{report['run']}" in history.stdout


def test_unknown_run_is_not_found(tmp_path: Path) -> None:
    data = tmp_path / "data"
    cli_json(data, "import", "-q", "--json", str(offices(tmp_path)))
    result = run_cli(data, "runs", "99")
    assert result.exit_code == 4
    assert "no import run 99" in result.stderr


def test_an_interrupted_run_is_listed_without_an_end(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with Gongkai(data) as gk:
        run_id = Runs(gk.archive).start("wang", {"paths": ["x"]})
    (run,) = cli_json(data, "runs", "--json")
    assert run["id"] == run_id and run["ended_at"] == "" and run["actor"] == "wang"
    assert "(not finished)" in run_cli(data, "runs").stdout


def test_staff_see_the_folder_path_the_public_does_not(tmp_path: Path) -> None:
    data = tmp_path / "data"
    cli_json(data, "import", "-q", "--json", str(offices(tmp_path)))
    doc_id = cli_json(data, "show", "--json", "--no-text", "青教发〔2023〕11号")["id"]
    with Gongkai(data) as gk:
        add_user(gk.archive, "alice", PASSWORD)
    app = create_app({"DATA_DIR": data, "TESTING": True, "SECRET_KEY": "prov"})
    public = app.test_client().get(f"/doc/{doc_id}")
    assert public.status_code == 200
    assert "市教育局" not in visible(public) and "收文" not in public.get_data(as_text=True)
    staff = app.test_client()
    assert login(staff).status_code == 302
    page = staff.get(f"/doc/{doc_id}")
    history = html(page).css_first("#history")
    assert history is not None and "收文/市教育局/校车管理.txt" in history.text()
