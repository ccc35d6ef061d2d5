"""Shared pieces of the import/search benchmark: the corpus, the .txt files both engines read,
the query set, and the measuring helpers.

The corpus is read at run time from ``../shared/corpus``; nothing of its text is kept in the
repository (outputs go to ``bench/out/``, which git ignores).
"""

from __future__ import annotations

import json
import os
import random
import re
import resource
import statistics
import threading
from collections.abc import Iterable
from pathlib import Path

import rjieba

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus" / "local-regulations.jsonl"
OUT_DIR = REPO / "bench" / "out"
SEED = 20240601

_HAN_WORD = re.compile(r"^[\u4e00-\u9fff]{2,}$")
_SENTENCE_END = re.compile(r"[。；;！？\n]")
# Common words that say nothing about a regulation; a query made of them tests little.
_DULL = frozenset(
    {
        "条例",
        "规定",
        "办法",
        "本条",
        "本市",
        "本省",
        "应当",
        "可以",
        "或者",
        "以及",
        "有关",
        "规定的",
        "第一",
        "第二",
        "第三",
        "其他",
        "进行",
        "按照",
        "根据",
        "依照",
        "并且",
        "不得",
    }
)


def write_results(out: Path, results: dict) -> None:
    """The benchmark's figures as JSON at ``out`` (its folder made if needed)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"wrote {out}")


def load_corpus(path: Path, limit: int | None = None) -> list[dict]:
    """The corpus rows (id, title, agency, date_issued, validity, body, ...), first ``limit``."""
    docs: list[dict] = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            docs.append(json.loads(line))
            if limit is not None and len(docs) >= limit:
                break
    return docs


def body_bytes(docs: Iterable[dict]) -> int:
    """UTF-8 size of the body texts: the denominator of every MB/s figure."""
    return sum(len((d.get("body") or "").encode("utf-8")) for d in docs)


def header_text(doc: dict) -> str:
    """A corpus row as a 政府信息公开-style .txt file: header block, blank line, body."""
    return (
        f"名称: {doc.get('title') or ''}\n"
        f"发布机构: {doc.get('agency') or ''}\n"
        f"发文日期: {doc.get('date_issued') or ''}\n"
        f"有效性: {doc.get('validity') or ''}\n"
        f"\n"
        f"{doc.get('body') or ''}"
    )


def write_texts(docs: Iterable[dict], folder: Path) -> int:
    """Write one ``<id>.txt`` per document into ``folder``; returns the number written."""
    folder.mkdir(parents=True, exist_ok=True)
    count = 0
    for doc in docs:
        (folder / f"{doc['id']}.txt").write_text(header_text(doc), encoding="utf-8")
        count += 1
    return count


def read_text_file(path: Path) -> tuple[str, str]:
    """(title, body) of a file written by :func:`write_texts`, read the simple way a stock user
    would: the 名称 line gives the title, everything after the first blank line is the body."""
    text = path.read_text(encoding="utf-8")
    head, _, body = text.partition("\n\n")
    title = ""
    for line in head.splitlines():
        if line.startswith("名称:"):
            title = line.split(":", 1)[1].strip()
    return title, body


def _han_words(text: str) -> list[str]:
    return [w for w in rjieba.cut(text) if _HAN_WORD.match(w) and w not in _DULL]


def _sentences(body: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(body) if len(s) >= 12 and not s.startswith("#")]


def make_queries(docs: list[dict], n: int = 120, seed: int = SEED) -> list[dict]:
    """A deterministic query set of ``n`` queries drawn from ``docs`` with a fixed seed.

    Mix (by share of ``n``): one title word 25%, one body word 20%, two words from one body
    sentence 20%, three or four words from one sentence 10%, a quoted phrase of 2–3 adjacent
    words 15%, a title word with a body word 5%, 文号-like references 5%. Each query is a dict
    ``{"q": text, "kind": name}``.
    """
    rng = random.Random(seed)
    plan = [
        ("title_word", 0.25),
        ("body_word", 0.20),
        ("two_words", 0.20),
        ("three_four_words", 0.10),
        ("quoted_phrase", 0.15),
        ("title_and_body", 0.05),
    ]
    counts = {kind: max(1, round(n * share)) for kind, share in plan}
    counts["doc_number"] = max(1, n - sum(counts.values()))
    queries: list[dict] = []
    seen: set[str] = set()

    def add(kind: str, q: str) -> bool:
        if q and q not in seen:
            seen.add(q)
            queries.append({"q": q, "kind": kind})
            return True
        return False

    def pick_sentence_words(min_words: int) -> list[str]:
        for _ in range(50):
            doc = rng.choice(docs)
            sentences = _sentences(doc.get("body") or "")
            if not sentences:
                continue
            words = _han_words(rng.choice(sentences))
            if len(words) >= min_words:
                return words
        return []

    for kind, _ in plan:
        made = 0
        tries = 0
        while made < counts[kind] and tries < counts[kind] * 50:
            tries += 1
            doc = rng.choice(docs)
            q = ""
            if kind == "title_word":
                words = _han_words(doc.get("title") or "")
                q = rng.choice(words) if words else ""
            elif kind == "body_word":
                words = pick_sentence_words(1)
                q = rng.choice(words) if words else ""
            elif kind == "two_words":
                words = pick_sentence_words(2)
                if words:
                    i = rng.randrange(len(words) - 1)
                    q = f"{words[i]} {words[rng.randrange(i + 1, len(words))]}"
            elif kind == "three_four_words":
                words = pick_sentence_words(4)
                if words:
                    q = " ".join(rng.sample(words, rng.choice((3, 4))))
            elif kind == "quoted_phrase":
                q = _quoted_phrase(rng, doc)
            elif kind == "title_and_body":
                title_words = _han_words(doc.get("title") or "")
                body_words = _han_words(rng.choice(_sentences(doc.get("body") or "") or [""]))
                if title_words and body_words:
                    q = f"{rng.choice(title_words)} {rng.choice(body_words)}"
            made += add(kind, q)

    for q in _doc_number_queries(rng, docs, counts["doc_number"]):
        add("doc_number", q)
    return queries


def _quoted_phrase(rng: random.Random, doc: dict) -> str:
    """2–3 adjacent precise-mode words of a body sentence, in double quotes."""
    sentences = _sentences(doc.get("body") or "")
    if not sentences:
        return ""
    tokens = [w for w in rjieba.cut(rng.choice(sentences))]
    runs = [
        tokens[i : i + size]
        for size in (2, 3)
        for i in range(len(tokens) - size + 1)
        if all(_HAN_WORD.match(t) for t in tokens[i : i + size])
    ]
    if not runs:
        return ""
    return '"' + "".join(rng.choice(runs)) + '"'


_DOC_NUMBER_RE = re.compile(r"[\u4e00-\u9fff]{0,6}[〔\[［(（]\d{4}[〕\]］)）]\d{1,4}号")
_PREFIXES = ("国发", "国办发", "沪府发", "京政发", "鲁政办发", "豫政", "浙政发", "渝府发", "粤府")
_BRACKETS = (("〔", "〕"), ("[", "]"), ("（", "）"), ("［", "］"))


def _doc_number_queries(rng: random.Random, docs: list[dict], n: int) -> list[str]:
    """文号-shaped queries: the citations the bodies carry, topped up with made-up numbers in
    assorted bracket styles (most of which match nothing, as real mistyped look-ups do)."""
    found: list[str] = []
    for doc in docs:
        found.extend(m.group(0) for m in _DOC_NUMBER_RE.finditer(doc.get("body") or ""))
    found = sorted(set(found))
    rng.shuffle(found)
    out = found[: n // 2]
    while len(out) < n:
        left, right = rng.choice(_BRACKETS)
        year = rng.randrange(2000, 2024)
        out.append(f"{rng.choice(_PREFIXES)}{left}{year}{right}{rng.randrange(1, 120)}号")
    return out


def percentile(values: list[float], pct: float) -> float:
    """The ``pct`` percentile (nearest-rank on sorted values); 0.0 for an empty list."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, round(pct / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def latency_summary(latencies_ms: list[float], hits: list[int]) -> dict[str, float]:
    """p50/p95/max/mean latency and mean hit count of a query run."""
    return {
        "queries": len(latencies_ms),
        "p50_ms": round(percentile(latencies_ms, 50), 2),
        "p95_ms": round(percentile(latencies_ms, 95), 2),
        "max_ms": round(max(latencies_ms, default=0.0), 2),
        "mean_ms": round(statistics.fmean(latencies_ms), 2) if latencies_ms else 0.0,
        "mean_hits": round(statistics.fmean(hits), 1) if hits else 0.0,
        "zero_hit_queries": sum(1 for h in hits if h == 0),
    }


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class TreeMonitor:
    """Samples this process and all its descendants (import workers, the background index
    writer, fork servers) from ``/proc`` every ``interval`` seconds, in a thread: the peak of
    their summed resident memory, and the CPU time each used (last seen, summed). Linux only;
    elsewhere the figures stay 0. Use as a context manager."""

    def __init__(self, interval: float = 0.25) -> None:
        self.interval = interval
        self.peak_rss_mb = 0.0
        self._cpu: dict[int, float] = {}
        self._base: dict[int, float] = {}  # CPU already used when the monitor started
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._page = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
        self._tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

    @property
    def cpu_seconds(self) -> float:
        """CPU time used since the monitor started, by this process and its descendants."""
        used = sum(cpu - self._base.get(pid, 0.0) for pid, cpu in self._cpu.items())
        return round(used, 2)

    def __enter__(self) -> TreeMonitor:
        self._sample()
        self._base = dict(self._cpu)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def _sample(self) -> None:
        stats: dict[int, list[str]] = {}
        for entry in Path("/proc").glob("[0-9]*/stat"):
            try:
                text = entry.read_text()
            except OSError:
                continue
            # the command name (field 2) may hold spaces; the fields after it are numbers
            fields = text[text.rfind(")") + 2 :].split()
            stats[int(entry.parent.name)] = fields
        tree = {os.getpid()}
        grew = True
        while grew:
            grew = False
            for pid, fields in stats.items():
                if pid not in tree and int(fields[1]) in tree:
                    tree.add(pid)
                    grew = True
        rss = 0
        for pid in tree:
            fields = stats.get(pid)
            if fields is None:
                continue
            rss += int(fields[21]) * self._page  # field 24: rss (pages)
            self._cpu[pid] = (int(fields[11]) + int(fields[12])) / self._tick  # utime+stime
        self.peak_rss_mb = max(self.peak_rss_mb, round(rss / 1e6, 1))


def cpu_seconds() -> float:
    """User + system CPU time of this process so far (not of its children)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def dir_size(path: Path) -> int:
    """Total bytes of the regular files under ``path``."""
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            file = Path(root) / name
            if file.is_file() and not file.is_symlink():
                total += file.stat().st_size
    return total
