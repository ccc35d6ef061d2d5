"""Backups and restores (issue 12 item 12): ``gongkai backup DEST`` takes a consistent copy
while another process imports and searches; ``gongkai restore SRC`` checks every file against
the manifest, refuses a data directory that holds anything unless ``--force``, rebuilds the
index and verifies; the restored archive answers with the same documents."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from helpers import CLI_MODULE, CORPUS, ROOT, cli_json, run_cli, write_notices

from indexer.service import Gongkai

READER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from indexer.service import Gongkai
    data, stop = sys.argv[1], Path(sys.argv[2])
    with Gongkai(data, readonly=True) as gk:
        while not stop.exists():
            assert gk.search("管理", limit=3).total >= 0
    """
)


def _documents(data: Path) -> dict[str, tuple[str, str, str]]:
    with Gongkai(data, readonly=True) as gk:
        return {d.id: (d.title, d.text, d.sha256) for d in gk.archive.iter_documents()}


def test_backup_while_writing_and_reading_then_restore(tmp_path: Path) -> None:
    data, src = tmp_path / "data", tmp_path / "src"
    cli_json(data, "import", "-q", "--json", str(CORPUS))
    write_notices(src, 300, ["河道保洁", "燃气安全"], series="备份发〔2023〕", clauses=20)
    stop = tmp_path / "stop"
    importer = subprocess.Popen(
        [*CLI_MODULE, "--data", str(data), "import", "-q", str(src)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(data), str(stop)], cwd=ROOT, stderr=subprocess.PIPE
    )
    try:
        backed = cli_json(data, "backup", str(tmp_path / "backup"), "--json")
        still_importing = importer.poll() is None
    finally:
        stop.touch()
        importer.wait(timeout=300)
        reader.wait(timeout=60)
    assert importer.returncode == 0, importer.stderr.read() if importer.stderr else ""
    assert reader.returncode == 0
    assert still_importing, "the import ended before the backup: the test proves nothing"
    assert backed["ok"] and backed["documents"] >= 12

    restored_dir = tmp_path / "restored"
    restored = cli_json(restored_dir, "restore", str(tmp_path / "backup"), "--json")
    assert restored["ok"], restored
    assert restored["documents"] == backed["documents"] == restored["indexed"]
    assert restored["verify"]["ok"] and restored["verify"]["originals_checked"] == "hashed"

    source, copy = _documents(data), _documents(restored_dir)
    assert len(copy) == backed["documents"]
    assert all(source[i] == copy[i] for i in copy)  # each one as the source holds it
    with Gongkai(restored_dir, readonly=True) as gk:
        assert gk.search("管理").total == sum("管理" in t[0] + t[1] for t in copy.values())
    assert cli_json(restored_dir, "verify", "--json")["ok"]


def test_restore_refuses_a_full_directory_and_a_tampered_backup(tmp_path: Path) -> None:
    data = tmp_path / "data"
    cli_json(data, "import", "-q", "--json", str(CORPUS))
    backup = tmp_path / "backup"
    cli_json(data, "backup", str(backup), "--json")

    again = run_cli(data, "backup", str(backup))
    assert again.exit_code == 2 and "already exists" in again.stderr

    refused = run_cli(data, "restore", str(backup))
    assert refused.exit_code == 2 and "--force" in refused.stderr

    with Gongkai(data) as gk:  # a change after the backup that --force takes back
        gk.set_status(sorted(_documents(data))[0], "失效", actor="test", note="")
    forced = cli_json(data, "restore", str(backup), "--force", "--json")
    assert forced["ok"] and forced["verify"]["ok"]

    original = next((backup / "originals").rglob("*"))
    while original.is_dir():
        original = next(original.iterdir())
    raw = bytearray(original.read_bytes())
    raw[0] ^= 0xFF
    original.write_bytes(bytes(raw))
    target = tmp_path / "elsewhere"
    damaged = run_cli(target, "restore", str(backup))
    assert damaged.exit_code == 7, damaged.stderr
    assert "does not match its manifest" in damaged.stderr and original.name in damaged.stderr
    assert not (target / "archive.sqlite3").exists()

    not_a_backup = run_cli(target, "restore", str(tmp_path / "data"))
    assert not_a_backup.exit_code == 4
