"""Search keeps working (read-only) while `gongkai import` runs in another process: every
search succeeds with valid JSON, totals only grow, a second import is refused clearly, and
when the import ends the total is what it imported."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

from helpers import CLI_MODULE, ROOT, run_process, write_notices

FILES = 800  # two index batches of 500, so searches also meet an index commit mid-import
TOPICS = ["秸秆禁烧", "河道保洁", "燃气安全", "冬春农田水利", "学生资助", "电梯检验", "古树保护"]


def test_search_while_importing(tmp_path: Path) -> None:
    src, data = tmp_path / "src", tmp_path / "data"
    write_notices(src, FILES, TOPICS, series="并行发〔2021〕", clauses=29)
    seed = tmp_path / "seed.txt"
    seed.write_text("名  称: 关于加强种子管理的通知\n\n请做好种子管理。\n", encoding="utf-8")
    assert run_process(data, "import", "-q", str(seed)).returncode == 0

    importer = subprocess.Popen(
        [*CLI_MODULE, "--data", str(data), "import", "-q", "--json", "--workers", "2", str(src)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    totals: list[int] = []
    refused = None
    try:
        while importer.poll() is None:
            result = run_process(data, "search", "管理", "--json", "--limit", "3")
            assert result.returncode == 0, result.stderr
            totals.append(json.loads(result.stdout)["total"])
            if refused is None and importer.poll() is None:
                refused = run_process(data, "import", "-q", str(seed))
            time.sleep(0.05)
        out, err = importer.communicate(timeout=120)
    finally:
        if importer.poll() is None:
            importer.kill()
            importer.wait()
    assert importer.returncode == 0, err
    assert json.loads(out)["imported"] == FILES

    assert len(totals) >= 3, f"the import ended before enough searches ran: {totals}"
    assert totals == sorted(totals), totals  # never a half-written index
    assert 1 <= totals[0] <= FILES + 1
    assert refused is not None
    assert refused.returncode == 5 and "being written" in refused.stderr, refused.stderr

    final = json.loads(run_process(data, "search", "管理", "--json").stdout)
    assert final["total"] == FILES + 1  # the seed and every imported file
    check = run_process(data, "verify", "--json")
    assert check.returncode == 0 and json.loads(check.stdout)["ok"]
