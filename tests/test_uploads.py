"""Staff uploads survive a kill (issue 12 item 10): the account is recorded in the import's own
history entry (the same transaction as the document), and a later server start removes the
upload folders a killed server left behind."""

from __future__ import annotations

import os
from pathlib import Path

from helpers import import_docs, write_doc

from indexer.service import Gongkai
from search_app import create_app


def test_the_importing_account_is_in_the_documents_own_import_entry(tmp_path: Path) -> None:
    path = write_doc(tmp_path / "src", "a.txt", title="关于署名测试的通知", body="正文。")
    with Gongkai(tmp_path / "data") as gk:
        report = gk.import_paths([path], actor="alice")
        (entry,) = gk.archive.history(report.outcomes[0].id)
    assert (entry["actor"], entry["action"]) == ("alice", "import")


def test_a_new_server_removes_upload_folders_of_dead_servers(tmp_path: Path) -> None:
    data = tmp_path / "data"
    import_docs(data, write_doc(tmp_path / "src", "a.txt", title="关于清理的通知", body="正文。"))
    dead = data / ".uploads" / "upload-999999999-abc"
    live = data / ".uploads" / f"upload-{os.getpid()}-def"
    for folder in (dead, live):
        (folder / "0").mkdir(parents=True)
        (folder / "0" / "x.txt").write_text("x", encoding="utf-8")
    create_app({"DATA_DIR": data, "SECRET_KEY": "test"})
    assert not dead.exists()
    assert live.exists()
