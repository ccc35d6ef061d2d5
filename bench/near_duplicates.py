"""What finding copies at import costs, and what it finds (issue 17, item 3).

Writes the shared corpus as ``<id>.txt`` files (:func:`common.write_texts`) in a temp folder,
then imports them into fresh data directories, each import in a subprocess measured as a whole
(wall time, CPU of every process of the import):

- ``before``: the code of ``--base`` (default ``main``, taken with ``git archive``), which has
  no fingerprints, no copy detection and no run records;
- ``after``: this tree (fingerprints computed in the workers, copies looked up at commit, the
  run and its items recorded);

alternating ``--rounds`` times, so that both see the same load on a shared machine. Then, into
the ``after`` data directory, a second run imports ``--copies`` copies of corpus documents
(each re-saved as GB18030, or with CRLF line breaks, or with three characters changed) and counts
how many were found as ``duplicate-text``. The corpus import itself also says how many corpus
documents were taken for copies of others (the corpus has no real copies: ideally none, see the
README for what they are). Outputs the table and ``bench/out/near_duplicates.json``; nothing of
the corpus text is kept.

    .venv/bin/python bench/near_duplicates.py --limit 600 --rounds 2 --workers 2
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import time
from pathlib import Path

from common import DEFAULT_CORPUS, OUT_DIR, REPO, TreeMonitor, load_corpus, write_texts

_WORKER = r"""
import json, sys, time
from pathlib import Path
code, texts, data, workers, out = sys.argv[1:6]
from common import TreeMonitor
from indexer.reading import iter_files
from indexer.service import Gongkai
import indexer
assert indexer.__file__.startswith(code), indexer.__file__
started = time.perf_counter()
with TreeMonitor() as tree, Gongkai(Path(data)) as gk:
    report = gk.import_files(iter_files([Path(texts)]), workers=int(workers))
seconds = time.perf_counter() - started
copies = [o.to_dict() for o in report.outcomes if o.status == "duplicate-text"]
Path(out).write_text(json.dumps({
    "seconds": seconds, "cpu_seconds": tree.cpu_seconds, "counts": report.counts(),
    "copies": [{"path": Path(c["path"]).name, "of": c["id"], "reason": c["reason"]}
               for c in copies],
}, ensure_ascii=False))
"""


def run_import(code: Path, texts: Path, data: Path, workers: int, tmp: Path) -> dict:
    out = tmp / f"result-{time.monotonic_ns()}.json"
    # Without site (-S, which the import's worker processes inherit), so that the editable
    # install's finder, which maps the packages to this worktree, is not installed: the
    # packages come from ``code``, the dependencies from site-packages.
    site = sysconfig.get_paths()["purelib"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(code), str(code / "bench"), site])}
    arguments = [str(code), str(texts), str(data), str(workers), str(out)]
    subprocess.run(
        [sys.executable, "-S", "-c", _WORKER, *arguments],
        check=True,
        env=env,
        cwd=tmp,  # not the worktree: ``-c`` puts the working folder first on sys.path
    )
    return json.loads(out.read_text(encoding="utf-8"))


def base_tree(ref: str, tmp: Path) -> Path:
    """The code of ``ref`` (a branch or commit of this repository) in ``tmp/base``."""
    folder = tmp / "base"
    folder.mkdir()
    archive = tmp / "base.tar"
    with archive.open("wb") as handle:
        subprocess.run(["git", "-C", str(REPO), "archive", ref], stdout=handle, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(folder, filter="data")
    return folder


def write_copies(docs: list[dict], folder: Path, count: int, seed: int) -> dict[str, str]:
    """``count`` copies of random corpus documents: GB18030, CRLF, or three characters of
    the body changed; file name → how it was made."""
    from common import header_text

    folder.mkdir(parents=True)
    rng = random.Random(seed)
    made: dict[str, str] = {}
    for n, doc in enumerate(rng.sample(docs, min(count, len(docs)))):
        text = header_text(doc)
        kind = ("gb18030", "crlf", "edited")[n % 3]
        name = f"copy-{n:04d}-{kind}.txt"
        if kind == "gb18030":
            data = text.encode("gb18030") + b"\n"
        elif kind == "crlf":
            data = text.replace("\n", "\r\n").encode("utf-8")
        else:  # three characters of the body changed
            chars = list(text)
            body_at = text.find("\n\n") + 2
            han = [i for i in range(body_at, len(chars)) if "\u4e00" <= chars[i] <= "\u9fff"]
            for i in rng.sample(han, min(3, len(han))):
                chars[i] = "某"
            data = "".join(chars).encode("utf-8")
        (folder / name).write_bytes(data)
        made[name] = kind
    return made


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--limit", type=int, help="first N documents (default: all)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=2, help="before/after pairs (default 2)")
    ap.add_argument("--copies", type=int, default=150, help="copies in the second run")
    ap.add_argument("--base", default="main", help="git ref of the 'before' code")
    ap.add_argument("--seed", type=int, default=17)
    ap.add_argument("--out", type=Path, default=OUT_DIR)
    args = ap.parse_args(argv)

    docs = load_corpus(args.corpus, args.limit)
    with tempfile.TemporaryDirectory(prefix="gongkai-dups-") as name:
        tmp = Path(name)
        texts = tmp / "texts"
        write_texts(docs, texts)
        base = base_tree(args.base, tmp)
        runs: dict[str, list[dict]] = {"before": [], "after": []}
        for round_ in range(args.rounds):
            for label, code in (("before", base), ("after", REPO)):
                data = tmp / f"data-{label}-{round_}"
                runs[label].append(run_import(code, texts, data, args.workers, tmp))
        made = write_copies(docs, tmp / "copies", args.copies, args.seed)
        with TreeMonitor():
            second = run_import(REPO, tmp / "copies", tmp / "data-after-0", args.workers, tmp)

    def best(label: str, key: str) -> float:
        return min(r[key] for r in runs[label])

    def median(label: str, key: str) -> float:
        return statistics.median(r[key] for r in runs[label])

    found = {c["path"] for c in second["copies"]}
    by_kind = {
        kind: f"{sum(1 for n, k in made.items() if k == kind and n in found)}"
        f"/{sum(1 for k in made.values() if k == kind)}"
        for kind in ("gb18030", "crlf", "edited")
    }
    n = len(docs)
    result = {
        "documents": n,
        "workers": args.workers,
        "rounds": args.rounds,
        "before": runs["before"],
        "after": [{k: v for k, v in r.items() if k != "copies"} for r in runs["after"]],
        "docs_per_s": {
            "before_best": round(n / best("before", "seconds"), 1),
            "after_best": round(n / best("after", "seconds"), 1),
            "before_median": round(n / median("before", "seconds"), 1),
            "after_median": round(n / median("after", "seconds"), 1),
        },
        "cpu_seconds_median": {
            "before": round(median("before", "cpu_seconds"), 2),
            "after": round(median("after", "cpu_seconds"), 2),
        },
        "corpus_taken_for_copies": runs["after"][0]["copies"],
        "copies_found": by_kind,
        "copies_second_run": second["counts"],
    }
    rate = result["docs_per_s"]
    slower = 100 * (1 - rate["after_median"] / rate["before_median"])
    cpu = result["cpu_seconds_median"]
    result["slower_percent_median"] = round(slower, 1)
    print(f"corpus: {n} documents, {args.workers} workers, {args.rounds} rounds")
    print(
        f"import docs/s  before {rate['before_median']} (best {rate['before_best']})  "
        f"after {rate['after_median']} (best {rate['after_best']})  → {slower:+.1f}% slower"
    )
    print(f"import CPU s (all processes, median)  before {cpu['before']}  after {cpu['after']}")
    print(f"corpus documents taken for copies of others: {len(result['corpus_taken_for_copies'])}")
    for copy in result["corpus_taken_for_copies"]:
        print(f"  {copy['path']}: {copy['reason']}")
    print("copies found in the second run: " + ", ".join(f"{k} {v}" for k, v in by_kind.items()))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "near_duplicates.json").write_text(
        json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
