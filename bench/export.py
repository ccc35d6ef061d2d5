"""Memory and time of ``gongkai export`` (issue 20 item 4: streamed, constant memory at 100,000
documents), for each format, on generated archives of several sizes.

Each archive is written straight through :meth:`archive.Archive.add` (metadata of our own
wording, a one-line text; no index: the export reads only the archive), then ``gongkai export
--format F -o FILE`` runs as a new process and its wall time and peak resident memory
(``ru_maxrss`` of the child) are printed. Constant memory shows as the same peak at every size.

    .venv/bin/python bench/export.py [--docs 10000 100000] [--formats csv jsonl xlsx]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from archive import Archive, Document  # noqa: E402

AGENCIES = ("青测市测试局", "青测市交通局", "青测市教育局", "青测市人民政府")


def build(data: Path, count: int) -> None:
    data.mkdir(parents=True, exist_ok=True)
    with Archive.open(data) as archive:
        archive.begin_group()
        for i in range(count):
            doc = Document(
                title=f"关于加强第{i}号事项管理的通知",
                text=f"第一条 第{i}号事项的管理。",
                agency=AGENCIES[i % len(AGENCIES)],
                doc_number=f"青测政发〔{2000 + i % 24}〕{i}号",
                index_number=f"QC-{i:08d}",
                date_issued=f"{2000 + i % 24}-0{1 + i % 9}-1{i % 10}",
                validity="有效" if i % 5 else "已废止",
                validity_raw="现行有效" if i % 5 else "废止",
            )
            archive.add(doc, f"{i}\n{doc.title}\n".encode())
            if i % 2000 == 1999:
                archive.commit_group()
                archive.begin_group()
        archive.commit_group()


#: The export in a new process that reports its own peak resident memory (KB) on stderr:
#: ``VmHWM``, the high-water mark of this process's memory since its exec. (Not ``ru_maxrss``:
#: Linux keeps that across fork and exec, so a child started by a parent that built 100,000
#: documents would report the parent's size.)
_CHILD = (
    "import re, sys, cli\n"
    "try:\n    cli.main()\n"
    "finally:\n"
    "    status = open('/proc/self/status').read()\n"
    "    print(re.search(r'VmHWM:\\s+(\\d+)', status).group(1), file=sys.stderr)\n"
)


def export(data: Path, fmt: str, out: Path) -> tuple[float, float]:
    """(seconds, peak resident MB) of one ``gongkai export`` process."""
    start = time.perf_counter()
    command = [sys.executable, "-c", _CHILD, "--data", str(data), "export", "--format", fmt]
    done = subprocess.run(
        [*command, "-o", str(out)],
        check=True,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    seconds = time.perf_counter() - start
    return seconds, int(done.stderr.strip().splitlines()[-1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--formats", nargs="+", default=["csv", "jsonl", "xlsx"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for count in args.docs:
            data = Path(tmp) / f"data-{count}"
            started = time.perf_counter()
            build(data, count)
            print(f"{count:>7} documents archived in {time.perf_counter() - started:.1f} s")
            for fmt in args.formats:
                out = Path(tmp) / f"catalogue-{count}.{fmt}"
                seconds, peak = export(data, fmt, out)
                size = out.stat().st_size / 1e6
                print(f"  {fmt:<5} {seconds:6.1f} s  peak RSS {peak:6.0f} MB  file {size:6.1f} MB")
                out.unlink()


if __name__ == "__main__":
    main()
