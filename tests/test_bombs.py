"""Hostile files fail alone (issue 12 item 8): a FlateDecode bomb PDF is refused with a clear
reason while the importer's memory stays small, even with no worker processes asked for; a
worker that runs out of memory fails only its file; staff uploads are extracted in workers."""

from __future__ import annotations

import os
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from indexer.extract import ExtractionError
from indexer.extract.pdf import inflate_bounded
from indexer.items import FAILED, IMPORTED

BOMB_BYTES = 400 * 1024 * 1024  # inflated size of the bomb's page stream


def bomb_pdf(inflated: int = BOMB_BYTES) -> bytes:
    """A one-page PDF whose content stream is ``inflated`` bytes of spaces, deflated (about
    ``inflated / 1000`` bytes on disk), written by hand."""
    packer = zlib.compressobj(9)
    block = b" " * (1 << 20)
    parts = [packer.compress(block) for _ in range(inflated // len(block))]
    stream = b"".join(parts) + packer.flush()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def test_inflate_bounded_refuses_a_bomb_and_keeps_honest_streams() -> None:
    assert inflate_bounded(zlib.compress(b"abc" * 1000), 10_000) == b"abc" * 1000
    with pytest.raises(ExtractionError, match="inflates past the limit"):
        inflate_bounded(zlib.compress(b"\0" * 100_000), 10_000)
    with pytest.raises(zlib.error):
        inflate_bounded(zlib.compress(b"abc" * 1000)[:-5], 10_000)


# The importer's peak RSS from /proc (VmHWM starts afresh at exec; ru_maxrss would carry over
# the peak of the pytest process that forked it).
IMPORT_AND_MEASURE = """
import json, sys
from pathlib import Path
from indexer.service import Gongkai
with Gongkai(Path(sys.argv[1])) as gk:
    report = gk.import_paths([Path(sys.argv[2])], workers=int(sys.argv[3]))
print(json.dumps({
    "outcomes": {Path(o.path).name: [o.status, o.reason] for o in report.outcomes},
    "self_kb": next(
        int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM")
    ),
}))
"""


@pytest.mark.parametrize("workers", [1, 2])
def test_a_pdf_bomb_fails_alone_and_the_importer_stays_small(tmp_path: Path, workers) -> None:
    import json

    src = tmp_path / "src"
    src.mkdir()
    (src / "bomb.pdf").write_bytes(bomb_pdf())
    (src / "good.txt").write_text("关于炸弹测试的通知\n\n各单位：内容。\n", encoding="utf-8")
    assert (src / "bomb.pdf").stat().st_size < 1_000_000
    run = subprocess.run(
        [sys.executable, "-c", IMPORT_AND_MEASURE, str(tmp_path / "data"), str(src), str(workers)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["outcomes"]["good.txt"][0] == IMPORTED
    status, reason = result["outcomes"]["bomb.pdf"]
    assert status == FAILED
    assert "limit" in reason
    # the importer never held the inflated stream (400 MB): it stays near its own size
    assert result["self_kb"] < 150 * 1024, result["self_kb"]


def test_a_worker_over_its_memory_limit_fails_only_that_file(tmp_path: Path) -> None:
    from indexer.workers import WorkerPool

    pool = WorkerPool(1, _allocate, preload=[], memory_limit=200 * 1024 * 1024)
    try:
        small = pool.result(pool.submit(1_000_000, b""))
        huge = pool.result(pool.submit(2_000_000_000, b""))
        after = pool.result(pool.submit(1_000_000, b""))
    finally:
        pool.shutdown()
    assert small == "ok"
    assert huge in ("out of memory",) or "crashed" in huge
    assert after == "ok"


def _allocate(chunk: list, *args) -> list[str]:
    results = []
    for size, _ in chunk:
        try:
            block = bytearray(size)
            results.append("ok" if len(block) == size else "?")
        except MemoryError:
            results.append("out of memory")
    return results


def test_staff_uploads_are_extracted_in_a_worker(tmp_path: Path, monkeypatch) -> None:
    """The web server's own process never extracts an upload: a text upload is built in
    a worker too (the build runs in another process id)."""
    from indexer import building

    seen: list[int] = []
    real = building.build_safely

    def spy(*args, **kwargs):
        seen.append(os.getpid())
        return real(*args, **kwargs)

    monkeypatch.setattr(building, "build_safely", spy)
    from indexer.service import Gongkai

    path = tmp_path / "up.txt"
    path.write_text("关于上传测试的通知\n\n内容。\n", encoding="utf-8")
    with Gongkai(tmp_path / "data") as gk:
        report = gk.import_paths([path], isolate=True)
    assert report.outcomes[0].status == IMPORTED
    assert seen == []  # never called in this process (the worker has its own module)
