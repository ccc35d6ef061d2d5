"""How long a batch check of 1,000 文号 takes (issue 13 item 11: under 2 s through the CLI and
the web), on a generated archive of a few thousand documents.

Generates ``--docs`` notices of our own wording (文号 in several series, some decree numbers
令第N号, some published as 已废止), imports them into a temp data directory, then checks
``--refs`` queries (most of them 文号 in another bracket style than the archive's, some decree
numbers, some titles, some that match nothing) three ways and prints the wall time of each:
the library (``Gongkai.check``), ``gongkai check --file LIST --json`` as a new process (start-up
included) and the web (``POST /api/v1/check`` and the /check page, in-process through Flask's
test client, i.e. without the network).

    .venv/bin/python bench/check_batch.py [--docs 3000] [--refs 1000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from indexer.service import Gongkai  # noqa: E402

TOPICS = ("河道保洁", "路灯维护", "集市秩序", "绿地保护", "防汛值守", "社区养老", "校园安全")
SERIES = ("青测政发", "青测政办发", "青测财发", "青测教发")


def _notice(i: int) -> tuple[str, str, str]:
    """(file name, text, 文号) of generated notice ``i``."""
    topic = TOPICS[i % len(TOPICS)]
    year = 2000 + i % 24
    if i % 10 == 9:
        number = f"青测市人民政府令第{i}号"
    else:
        number = f"{SERIES[i % len(SERIES)]}〔{year}〕{i}号"
    validity = "已废止" if i % 7 == 3 else "有效"
    title = f"关于加强{topic}工作的通知（第{i}批）"
    body = f"各区县：\n为做好{topic}工作，现就第{i}批事项通知如下。\n一、各单位应当落实责任。"
    text = (
        f"名  称: {title}\n文  号: {number}\n发文日期: {year}-03-0{1 + i % 9}\n"
        f"有效性: {validity}\n\n{body}\n"
    )
    return f"n{i:05d}.txt", text, number


def _respelled(number: str, rng: random.Random) -> str:
    """The same 文号 as staff might type it: other brackets, no brackets, 第, full width."""
    if "令第" in number:
        return rng.choice([number, number.replace("令第", "令"), number[number.index("令第") :]])
    prefix, rest = number.split("〔")
    year, serial = rest.split("〕")
    return rng.choice(
        [
            f"{prefix}[{year}]{serial}",
            f"{prefix}（{year}）{serial}",
            f"{prefix}{year}年{serial}",
            f"{prefix}〔{year}〕第{serial}",
            f"{prefix} {year}-{serial}",
        ]
    )


def build(data: Path, count: int) -> list[tuple[str, str]]:
    """Import ``count`` generated notices; returns (文号, title) of each."""
    folder = data.parent / "docs"
    folder.mkdir(parents=True, exist_ok=True)
    known = []
    for i in range(count):
        name, text, number = _notice(i)
        (folder / name).write_text(text, encoding="utf-8")
        known.append((number, text.split("\n", 1)[0].split(": ", 1)[1]))
    with Gongkai(data) as gk:
        report = gk.import_paths([folder], workers=2)
    imported = sum(o.status == "imported" for o in report.outcomes)
    assert imported == count, f"{imported} of {count} imported"
    return known


def queries(known: list[tuple[str, str]], n: int, seed: int = 20261130) -> list[str]:
    rng = random.Random(seed)
    out = []
    for k in range(n):
        number, title = rng.choice(known)
        if k % 20 == 0:
            out.append(f"青测未知发〔2019〕{k}号")  # matches nothing
        elif k % 20 == 1:
            out.append(title)
        else:
            out.append(_respelled(number, rng))
    return out


def timed(label: str, run) -> float:
    start = time.perf_counter()
    result = run()
    seconds = time.perf_counter() - start
    print(f"{label:<44} {seconds:6.2f} s   {result}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=3000)
    parser.add_argument("--refs", type=int, default=1000)
    parser.add_argument("--keep", type=Path, help="Use (or make) this data directory.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = args.keep or Path(tmp) / "data"
        if args.keep and (data / "archive.sqlite3").exists():
            with Gongkai(data, readonly=True) as gk:
                known = [
                    (r["doc_number"], r["title"])
                    for r in gk.archive.fields(["doc_number", "title"])
                ]
        else:
            start = time.perf_counter()
            known = build(data, args.docs)
            print(f"archive: {args.docs} documents imported in {time.perf_counter() - start:.1f} s")
        refs = queries(known, args.refs)
        listing = data.parent / "refs.txt"
        listing.write_text("\n".join(refs) + "\n", encoding="utf-8")
        print(f"checking {len(refs)} queries")

        def library() -> str:
            with Gongkai(data, readonly=True) as gk:
                results = gk.check(refs)
            return f"{sum(r.found for r in results)} found"

        def cli() -> str:
            done = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "cli",
                    "--data",
                    str(data),
                    "check",
                    "--file",
                    str(listing),
                    "--json",
                ],
                cwd=REPO,
                capture_output=True,
                text=True,
            )
            results = json.loads(done.stdout)
            return f"{sum(r['found'] for r in results)} found, exit {done.returncode}"

        from search_app import create_app

        client = create_app({"DATA_DIR": data}).test_client()
        client.get("/")  # open the data directory once, as a running server has

        def api() -> str:
            response = client.post("/api/v1/check", json={"refs": refs})
            body = response.get_json()
            return f"HTTP {response.status_code}, {len(body['results'])} rows"

        form = client.get("/check").get_data(as_text=True)
        token = form.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]

        def page() -> str:
            sent = {"refs": "\n".join(refs), "csrf_token": token}
            response = client.post("/check", data=sent)
            return f"HTTP {response.status_code}, {len(response.data) // 1024} KB"

        timed("library: Gongkai.check", library)
        timed("CLI: gongkai check --file --json (process)", cli)
        timed("web: POST /api/v1/check", api)
        timed("web: POST /check (HTML page)", page)


if __name__ == "__main__":
    main()
