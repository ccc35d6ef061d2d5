"""Time of 新旧对照 (:func:`indexer.versions_diff.compare_texts`) on the longest pair of
versions in the shared corpus: two rows with the same title, the older first.

    python bench/diff.py [--corpus ../shared/corpus/local-regulations.jsonl] [--runs 5] [--json]

Prints the pair, the summary, the first call's time (it loads the jieba dictionary when the
process has not segmented anything yet) and the min / median of ``--runs`` further calls.
The target is under 1 s for a page or ``gongkai diff``. Nothing of the corpus is written.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import DEFAULT_CORPUS, load_corpus
from indexer.versions_diff import compare_texts, summary_line


def longest_pair(rows: list[dict]) -> tuple[dict, dict]:
    """The two rows sharing a title with the most text between them, older first."""
    by_title: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_title[row["title"]].append(row)
    pairs = [
        sorted(group, key=lambda r: r.get("date_issued") or "")[-2:]
        for group in by_title.values()
        if len(group) > 1
    ]
    if not pairs:
        raise SystemExit("no two rows of the corpus share a title")
    old, new = max(pairs, key=lambda p: len(p[0]["body"]) + len(p[1]["body"]))
    return old, new


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    old, new = longest_pair(load_corpus(args.corpus))
    start = time.perf_counter()
    comparison = compare_texts(old["body"], new["body"])
    first = time.perf_counter() - start
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        compare_texts(old["body"], new["body"])
        times.append(time.perf_counter() - start)
    report = {
        "title": new["title"],
        "old": old["id"],
        "new": new["id"],
        "chars": len(old["body"]) + len(new["body"]),
        "summary": comparison.summary,
        "first_s": round(first, 3),
        "min_s": round(min(times), 3),
        "median_s": round(statistics.median(times), 3),
    }
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return
    print(f"{report['title']}  {old['id']} → {new['id']}  ({report['chars']:,} characters)")
    print(summary_line(comparison.summary))
    print(
        f"first call {report['first_s']:.3f} s (loads the dictionary); "
        f"then min {report['min_s']:.3f} s, median {report['median_s']:.3f} s over {args.runs} runs"
    )


if __name__ == "__main__":
    main()
