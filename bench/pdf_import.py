"""PDF import benchmark: 200 real PDFs made from the shared corpus, imported by `gongkai import`.

Steps:

1. the first ``--limit`` (200) corpus rows, in order, become PDFs in a temp folder (never in
   the repository), made with reportlab: most with the CID font STSong-Light (no font file in
   the PDF), every ``--ttf-every``-th with the TrueType CJK font WenQuanYi Micro Hei embedded
   (Debian's ``fonts-wqy-microhei``, ``/usr/share/fonts/truetype/wqy/wqy-microhei.ttc``);
   each has the header block (名称, 发布机构, 发文日期, 有效性) and the body, wrapped to the
   page width, on as many A4 pages as it needs;
2. ``gongkai import --workers 1`` and ``--workers 2`` into fresh data directories, each in a
   subprocess measured by a wrapper process (wall time, CPU time, the child's peak RSS from
   ``ru_maxrss``, and the peak RSS of the whole process tree sampled from /proc);
3. quality: how many documents the archive holds whose title and text equal the source title
   and body character for character once whitespace is removed, and which extractor was used;
4. the extractors alone, in this process on the same PDFs: pdfminer.six
   (``extract_text`` with the import's LAParams) and pypdfium2 (``get_text_range`` per page),
   pages/s, and how many of their outputs equal the source text (header and body) likewise.

Prints a table and writes ``bench/out/pdf_import.json``. Usage::

    .venv/bin/python bench/pdf_import.py            # ~3-5 minutes on 2 cores
    .venv/bin/python bench/pdf_import.py --limit 40  # quick run
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import DEFAULT_CORPUS, OUT_DIR, REPO, load_corpus

TTF_PATH = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
FONT_SIZE = 10.5
LEADING = 16
MARGIN = 56
_SPACE = re.compile(r"\s+")


def squeeze(text: str) -> str:
    """``text`` without any whitespace (the comparison ignores layout)."""
    return _SPACE.sub("", text)


def source_header(doc: dict) -> list[str]:
    return [
        f"名称: {doc.get('title') or ''}",
        f"发布机构: {doc.get('agency') or ''}",
        f"发文日期: {doc.get('date_issued') or ''}",
        f"有效性: {doc.get('validity') or ''}",
    ]


# -- making the PDFs ---------------------------------------------------------------------------


def register_fonts() -> tuple[str, str | None]:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFont

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    ttf = None
    if TTF_PATH.exists():
        pdfmetrics.registerFont(TTFont("WQYMicroHei", str(TTF_PATH), subfontIndex=0))
        ttf = "WQYMicroHei"
    return "STSong-Light", ttf


def wrap(line: str, font: str, width: float, cache: dict[tuple[str, str], float]) -> list[str]:
    """``line`` broken into pieces no wider than ``width`` points (character by character, as
    Chinese text is set)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    pieces, current, used = [], "", 0.0
    for ch in line:
        w = cache.get((font, ch))
        if w is None:
            w = cache[(font, ch)] = stringWidth(ch, font, FONT_SIZE)
        if current and used + w > width:
            pieces.append(current)
            current, used = "", 0.0
        current += ch
        used += w
    pieces.append(current)
    return pieces


def make_pdf(doc: dict, font: str, cache: dict[tuple[str, str], float]) -> tuple[bytes, int]:
    """The PDF bytes of one corpus row and its page count."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    width, height = A4
    lines = [*source_header(doc), "", *(doc.get("body") or "").splitlines()]
    y, pages = height - MARGIN, 1
    page.setFont(font, FONT_SIZE)
    for line in lines:
        for piece in wrap(line.rstrip(), font, width - 2 * MARGIN, cache) if line.strip() else [""]:
            if y < MARGIN:
                page.showPage()
                page.setFont(font, FONT_SIZE)
                y, pages = height - MARGIN, pages + 1
            if piece:
                page.drawString(MARGIN, y, piece)
            y -= LEADING
    page.save()
    return buffer.getvalue(), pages


def make_pdfs(docs: list[dict], folder: Path, ttf_every: int) -> list[dict]:
    """Write one PDF per row; returns per-file facts (name, font, pages, bytes)."""
    cid, ttf = register_fonts()
    folder.mkdir(parents=True, exist_ok=True)
    cache: dict[tuple[str, str], float] = {}
    made = []
    for i, doc in enumerate(docs):
        font = ttf if (ttf and ttf_every and i % ttf_every == ttf_every - 1) else cid
        data, pages = make_pdf(doc, font, cache)
        name = f"{doc['id']}.pdf"
        (folder / name).write_bytes(data)
        made.append(
            {"name": name, "id": doc["id"], "font": font, "pages": pages, "bytes": len(data)}
        )
    return made


# -- measuring one import in a subprocess ----------------------------------------------------


_TICK = os.sysconf("SC_CLK_TCK")


def tree_rss_kib(root: int, cpu: dict[int, float] | None = None) -> int:
    """Resident memory of ``root`` and all its descendants now, in KiB (from /proc); their
    CPU seconds so far go into ``cpu`` by pid."""
    total, stack, seen = 0, [root], set()
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            with open(f"/proc/{pid}/status") as handle:
                for line in handle:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
            if cpu is not None:
                with open(f"/proc/{pid}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
                cpu[pid] = (int(fields[11]) + int(fields[12])) / _TICK  # utime + stime
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as handle:
                    stack.extend(int(c) for c in handle.read().split())
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return total


def measure(command: list[str]) -> dict[str, object]:
    """Run ``command`` and report wall time, CPU time of it and its descendants, its peak RSS
    (``ru_maxrss`` of the largest descendant) and the sampled peak of the whole tree. Runs in
    a wrapper process of its own, so that ``RUSAGE_CHILDREN`` covers this command only."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = [0]
    cpu: dict[int, float] = {}

    def sample() -> None:
        while proc.poll() is None:
            peak[0] = max(peak[0], tree_rss_kib(proc.pid, cpu))
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - start
    sampler.join()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "returncode": proc.returncode,
        "stdout": out,
        "stderr": err[-2000:],
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,  # waited-for descendants only
        "tree_cpu_s": sum(cpu.values()),  # sampled: every process of the tree
        "peak_rss_mb": usage.ru_maxrss / 1024,
        "peak_tree_rss_mb": peak[0] / 1024,
    }


def run_import(folder: Path, data: Path, workers: int) -> dict[str, object]:
    command = [sys.executable, "-m", "cli", "--data", str(data), "import", "-q", "--json"]
    command += ["--workers", str(workers), str(folder)]
    wrapper = [sys.executable, str(Path(__file__).resolve()), "--measure", json.dumps(command)]
    result = subprocess.run(wrapper, capture_output=True, text=True, cwd=REPO, check=True)
    return json.loads(result.stdout)


def quality(data: Path, docs: list[dict], made: list[dict]) -> dict[str, object]:
    """Documents whose title and text equal the source (whitespace removed), by font, and the
    extractors used."""
    source = {d["id"]: d for d in docs}
    font_of = {m["name"]: m["font"] for m in made}
    conn = sqlite3.connect(f"file:{data / 'archive.sqlite3'}?mode=ro", uri=True)
    identical: dict[str, int] = {}
    totals: dict[str, int] = {}
    extractors: dict[str, int] = {}
    mismatched: list[str] = []
    for name, title, text, extractor in conn.execute(
        "SELECT source_name, title, text, extractor FROM documents"
    ):
        doc = source[name.removesuffix(".pdf")]
        font = font_of[name]
        totals[font] = totals.get(font, 0) + 1
        extractors[extractor] = extractors.get(extractor, 0) + 1
        same = title == (doc.get("title") or "").strip() and squeeze(text) == squeeze(
            doc.get("body") or ""
        )
        if same:
            identical[font] = identical.get(font, 0) + 1
        else:
            mismatched.append(name)
    conn.close()
    return {
        "documents": sum(totals.values()),
        "identical": sum(identical.values()),
        "identical_by_font": {f: f"{identical.get(f, 0)}/{n}" for f, n in totals.items()},
        "extractors": extractors,
        "mismatched": sorted(mismatched),
    }


# -- the extractors alone ---------------------------------------------------------------------


def extractors_alone(folder: Path, docs: list[dict], made: list[dict]) -> dict[str, object]:
    import pypdfium2 as pdfium
    from pdfminer.high_level import extract_text
    from pdfminer.layout import LAParams

    source = {d["id"]: squeeze("\n".join(source_header(d)) + (d.get("body") or "")) for d in docs}
    pages = sum(m["pages"] for m in made)
    results = {}

    def pdfminer_text(data: bytes) -> str:
        return extract_text(io.BytesIO(data), laparams=LAParams(char_margin=4.0))

    def pdfium_text(data: bytes) -> str:
        pdf = pdfium.PdfDocument(data)
        try:
            parts = []
            for index in range(len(pdf)):
                page = pdf[index]
                textpage = page.get_textpage()
                parts.append(textpage.get_text_range())
                textpage.close()
                page.close()
            return "\n".join(parts)
        finally:
            pdf.close()

    for name, func in (("pdfminer.six", pdfminer_text), ("pypdfium2", pdfium_text)):
        same = 0
        start = time.perf_counter()
        for m in made:
            text = func((folder / m["name"]).read_bytes())
            same += squeeze(text) == source[m["id"]]
        seconds = time.perf_counter() - start
        results[name] = {
            "seconds": seconds,
            "pages_per_s": pages / seconds,
            "docs_per_s": len(made) / seconds,
            "identical": same,
        }
    return results


# -- main -------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--limit", type=int, default=200)
    parser.add_argument("--ttf-every", type=int, default=4, help="every Nth PDF embeds the TTF")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--skip-alone", action="store_true", help="skip the extractors alone")
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    parser.add_argument("--keep", action="store_true", help="keep the temp folder")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:  # wrapper mode: measure one command, print JSON
        print(json.dumps(measure(json.loads(args.measure))))
        return

    docs = load_corpus(args.corpus, args.limit)
    work = Path(tempfile.mkdtemp(prefix="gongkai-pdf-bench-"))
    try:
        folder = work / "pdfs"
        start = time.perf_counter()
        made = make_pdfs(docs, folder, args.ttf_every)
        made_s = time.perf_counter() - start
        pages = sum(m["pages"] for m in made)
        pdf_mb = sum(m["bytes"] for m in made) / 1e6
        text_mb = sum(len((d.get("body") or "").encode("utf-8")) for d in docs) / 1e6
        fonts: dict[str, int] = {}
        for m in made:
            fonts[m["font"]] = fonts.get(m["font"], 0) + 1
        results: dict[str, object] = {
            "corpus": str(args.corpus),
            "pdfs": len(made),
            "fonts": fonts,
            "pages": pages,
            "pdf_mb": pdf_mb,
            "text_mb": text_mb,
            "generate_s": made_s,
            "cores": os.cpu_count(),
            "imports": {},
        }
        print(
            f"{len(made)} PDFs ({', '.join(f'{n} {f}' for f, n in fonts.items())}), {pages} pages, "
            f"{pdf_mb:.1f} MB of PDF, {text_mb:.1f} MB of body text; made in {made_s:.1f} s"
        )
        for workers in args.workers:
            data = work / f"data-w{workers}"
            run = run_import(folder, data, workers)
            if run["returncode"] != 0 and not run["stdout"]:
                raise SystemExit(f"import failed: {run['stderr']}")
            summary = json.loads(run["stdout"])
            wall = float(run["wall_s"])
            row = {
                "workers": workers,
                "imported": summary["imported"],
                "failed": summary["failed"],
                "wall_s": wall,
                "cpu_s": run["cpu_s"],
                "tree_cpu_s": run["tree_cpu_s"],
                "docs_per_s": len(made) / wall,
                "pdf_mb_per_s": pdf_mb / wall,
                "text_mb_per_s": text_mb / wall,
                "pages_per_s": pages / wall,
                "peak_rss_mb": run["peak_rss_mb"],
                "peak_tree_rss_mb": run["peak_tree_rss_mb"],
                "quality": quality(data, docs, made),
            }
            results["imports"][str(workers)] = row  # type: ignore[index]
            q = row["quality"]
            print(
                f"import --workers {workers}: {row['docs_per_s']:.1f} docs/s, "
                f"{row['pdf_mb_per_s']:.2f} MB/s of PDF ({row['text_mb_per_s']:.2f} MB/s of text), "
                f"{row['pages_per_s']:.1f} pages/s, wall {wall:.1f} s, "
                f"CPU {row['tree_cpu_s']:.1f} s, "
                f"peak RSS {row['peak_rss_mb']:.0f} MB (ru_maxrss; whole process tree "
                f"{row['peak_tree_rss_mb']:.0f} MB), failed {row['failed']}; identical to source "
                f"{q['identical']}/{q['documents']} {q['identical_by_font']}; "
                f"extractors {q['extractors']}"
            )
        if not args.skip_alone:
            alone = extractors_alone(folder, docs, made)
            results["extractors_alone"] = alone
            for name, figures in alone.items():
                print(
                    f"{name} alone: {figures['pages_per_s']:.1f} pages/s "
                    f"({figures['docs_per_s']:.1f} docs/s, {figures['seconds']:.1f} s), "
                    f"raw text identical to source {figures['identical']}/{len(made)}"
                )
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "pdf_import.json").write_text(
            json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8"
        )
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
