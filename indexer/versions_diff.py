"""新旧对照: two versions of a regulation aligned article by article, with word-level changes.

A revision renumbers articles (one inserted early shifts every later number), moves some,
deletes and adds others, and rewrites a few words in many. A line diff shows all of that as
noise; a character diff splits words. So the texts are cut into blocks — the preamble (title,
enactment lines, anything before 第一条), chapter headings (第X章/节/编) and articles (第X条,
Chinese or Arabic numerals, 第十条之一) — articles are paired by content (identical text
first, then the most similar bag of words, whatever their numbers), and inside each pair the
changes are found on the analyzer's words (rjieba, as the index cuts them) with
:class:`difflib.SequenceMatcher`.

Pure functions over text: the web page (``/doc/<a>/compare/<b>``), ``gongkai diff`` and the
plain-text report (:mod:`indexer.diff_report`) all read :func:`compare_texts`.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from difflib import SequenceMatcher

import rjieba

from indexer.normalize import fold

_NUM = "零〇一二两三四五六七八九十百千0-9０-９"
#: An article heading at the start of a line: 第一百零二条, 第12条, 第十条之一 (Markdown # allowed).
_ARTICLE = re.compile(rf"^[ \t　#]*(第[{_NUM}]+条(?:之[一二三四五六七八九十]+)?)(?=[ \t　:：]|$)")
#: The same without the space after the number (第一条为了…), used when a text has none spaced.
_ARTICLE_LOOSE = re.compile(
    rf"^[ \t　#]*(第[{_NUM}]+条(?:之[一二三四五六七八九十]+)?)(?![的规和、至])"
)
_CHAPTER = re.compile(rf"^[ \t　#]*第[{_NUM}]+[编章节](?:[ \t　]|$)")
_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}
_UNITS = {"十": 10, "百": 100, "千": 1000}

#: Below this bag-of-words similarity two articles are not the same article rewritten.
MATCH_THRESHOLD = 0.5

SAME, MODIFIED, ADDED, DELETED = "same", "modified", "added", "deleted"
PREAMBLE, CHAPTER, ARTICLE = "preamble", "chapter", "article"


def chinese_number(text: str) -> int:
    """第一百零二条 → 102 (also 十二, 二十, 一千零一, Arabic and full-width digits); -1 if none."""
    digits = re.sub(r"[第条章节编之]", "", text).translate(
        str.maketrans("０１２３４５６７８９", "0123456789")
    )
    if digits.isdigit():
        return int(digits)
    total, current = 0, 0
    for ch in digits:
        if ch in _DIGITS:
            current = _DIGITS[ch]
        elif ch in _UNITS:
            total += (current or 1) * _UNITS[ch]
            current = 0
        else:
            return -1
    total += current
    return total if digits else -1


@dataclass
class Block:
    """One article (or the preamble) of a version."""

    kind: str  # PREAMBLE or ARTICLE
    label: str  # 第一条, or "" for the preamble
    number: int  # 1 for 第一条 (-1 for the preamble)
    chapter: str  # the heading of the chapter it is in ("" before any)
    text: str  # the whole block, its heading included
    words: list[str] = field(default_factory=list)


def words_of(text: str) -> list[str]:
    """``text`` cut into the analyzer's words, punctuation and spaces kept as their own pieces
    (so the pieces join back into ``text``)."""
    folded = fold(text)
    return [text[start:end] for _word, start, end in rjieba.tokenize(folded, hmm=True)]


def split_blocks(text: str) -> list[Block]:
    """The preamble (always first, maybe empty) and the articles of ``text``, each with the
    chapter heading it falls under."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    pattern = _ARTICLE
    if not any(_ARTICLE.match(line) for line in lines):
        pattern = _ARTICLE_LOOSE
    out = [Block(PREAMBLE, "", -1, "", "")]
    current: list[str] = []
    chapter = ""
    for line in lines:
        found = pattern.match(line)
        if found:
            out[-1].text = "\n".join(current).strip()
            label = found.group(1)
            out.append(Block(ARTICLE, label, chinese_number(label.split("之")[0]), chapter, ""))
            current = [line.strip(" \t　#")]
        elif _CHAPTER.match(line):  # a heading: it belongs to the articles after it
            chapter = re.sub(r"\s+", " ", line.strip(" \t　#"))
        else:
            current.append(line.rstrip())
    out[-1].text = "\n".join(current).strip()
    for block in out:
        block.words = words_of(block.text)
    return out


@dataclass
class Row:
    """One line of the comparison: a pair of articles, an added or deleted one, the preamble
    or a chapter heading. ``old``/``new`` are the two sides as [op, text] pieces, op one of
    ``same``, ``del`` (only in ``old``), ``ins`` (only in ``new``)."""

    kind: str  # PREAMBLE, CHAPTER or ARTICLE
    change: str  # SAME, MODIFIED, ADDED or DELETED
    old_label: str = ""
    new_label: str = ""
    old: list[list[str]] = field(default_factory=list)
    new: list[list[str]] = field(default_factory=list)
    renumbered: bool = False  # an article paired with one of another number
    moved: bool = False  # … and out of order with the articles around it
    similarity: float = 1.0

    def to_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "change": self.change,
            "old_label": self.old_label,
            "new_label": self.new_label,
            "renumbered": self.renumbered,
            "moved": self.moved,
            "similarity": round(self.similarity, 3),
            "old": self.old,
            "new": self.new,
        }


@dataclass
class Comparison:
    rows: list[Row]
    summary: dict[str, int]

    def to_dict(self) -> dict[str, object]:
        return {"summary": self.summary, "rows": [r.to_dict() for r in self.rows]}


def _merge(pieces: list[list[str]]) -> list[list[str]]:
    out: list[list[str]] = []
    for op, text in pieces:
        if not text:
            continue
        if out and out[-1][0] == op:
            out[-1][1] += text
        else:
            out.append([op, text])
    return out


def word_diff(old: list[str], new: list[str]) -> tuple[list[list[str]], list[list[str]]]:
    """The two sides of a word diff of ``old`` and ``new`` (word lists), as [op, text] pieces."""
    left: list[list[str]] = []
    right: list[list[str]] = []
    matcher = SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            left.append(["same", "".join(old[i1:i2])])
            right.append(["same", "".join(new[j1:j2])])
        else:
            left.append(["del", "".join(old[i1:i2])])
            right.append(["ins", "".join(new[j1:j2])])
    return _merge(left), _merge(right)


def _bag(block: Block) -> Counter[str]:
    return Counter(w for w in block.words if w.strip() and any(ch.isalnum() for ch in w))


def _dice(a: Counter[str], b: Counter[str], size_a: int, size_b: int) -> float:
    if not size_a or not size_b:
        return 0.0
    return 2 * sum((a & b).values()) / (size_a + size_b)


def _body(block: Block) -> str:
    """The article without its number (so a renumbered article compares equal)."""
    return block.text[len(block.label) :].strip() if block.label else block.text


def pair_articles(old: list[Block], new: list[Block]) -> dict[int, tuple[int, float]]:
    """Which new article each old article became: {old index: (new index, similarity)}.

    Identical bodies pair first (in order), then the most similar remaining pairs by
    bag-of-words Dice coefficient, ties going to the same number and the nearer position;
    pairs below :data:`MATCH_THRESHOLD` stay unpaired (deleted / added)."""
    pairs: dict[int, tuple[int, float]] = {}
    by_body: dict[str, list[int]] = {}
    for j, block in enumerate(new):
        by_body.setdefault(_body(block), []).append(j)
    taken: set[int] = set()
    for i, block in enumerate(old):
        for j in by_body.get(_body(block), []):
            if j not in taken:
                pairs[i] = (j, 1.0)
                taken.add(j)
                break
    old_left = [i for i in range(len(old)) if i not in pairs]
    new_left = [j for j in range(len(new)) if j not in taken]
    bags_old = {i: _bag(old[i]) for i in old_left}
    bags_new = {j: _bag(new[j]) for j in new_left}
    sizes_old = {i: sum(b.values()) for i, b in bags_old.items()}
    sizes_new = {j: sum(b.values()) for j, b in bags_new.items()}
    candidates = []
    for i in old_left:
        for j in new_left:
            small, large = sorted((sizes_old[i], sizes_new[j]))
            if not large or 2 * small / (small + large) < MATCH_THRESHOLD:
                continue  # too different in length to reach the threshold
            score = _dice(bags_old[i], bags_new[j], sizes_old[i], sizes_new[j])
            if score >= MATCH_THRESHOLD:
                same_number = old[i].number == new[j].number
                distance = abs(i / max(len(old), 1) - j / max(len(new), 1))
                candidates.append((-score, not same_number, distance, i, j))
    candidates.sort()
    used_old: set[int] = set()
    for neg_score, _n, _d, i, j in candidates:
        if i in used_old or j in taken:
            continue
        pairs[i] = (j, -neg_score)
        used_old.add(i)
        taken.add(j)
    return pairs


def _in_order(pairs: list[tuple[int, int]]) -> set[tuple[int, int]]:
    """The longest run of ``pairs`` (sorted by new index) whose old indexes increase: the
    articles that kept their order; the others moved."""
    if not pairs:
        return set()
    tails: list[int] = []  # index into pairs of the smallest tail of each length
    back: list[int] = [-1] * len(pairs)
    for k, (old_i, _new_j) in enumerate(pairs):
        lo, hi = 0, len(tails)
        while lo < hi:
            mid = (lo + hi) // 2
            if pairs[tails[mid]][0] < old_i:
                lo = mid + 1
            else:
                hi = mid
        back[k] = tails[lo - 1] if lo else -1
        if lo == len(tails):
            tails.append(k)
        else:
            tails[lo] = k
    keep: set[tuple[int, int]] = set()
    k = tails[-1]
    while k >= 0:
        keep.add(pairs[k])
        k = back[k]
    return keep


def _pair_row(kind: str, a: Block, b: Block, similarity: float) -> Row:
    if a.text == b.text:
        pieces = [["same", a.text]] if a.text else []
        row = Row(kind, SAME, a.label, b.label, pieces, [list(p) for p in pieces])
    else:
        left, right = word_diff(a.words, b.words)
        same = _body(a) == _body(b)
        row = Row(kind, SAME if same else MODIFIED, a.label, b.label, left, right)
    row.renumbered = kind == ARTICLE and a.number != b.number
    row.similarity = similarity
    return row


def _chapter_row(old_chapter: str, new_chapter: str) -> Row:
    left, right = word_diff(words_of(old_chapter), words_of(new_chapter))
    if not old_chapter:
        return Row(CHAPTER, ADDED, new=[["ins", new_chapter]])
    if not new_chapter:
        return Row(CHAPTER, DELETED, old=[["del", old_chapter]])
    change = SAME if old_chapter == new_chapter else MODIFIED
    return Row(CHAPTER, change, old=left, new=right)


def _title(heading: str) -> str:
    return re.sub(rf"^第[{_NUM}]+[编章节]\s*", "", heading)


def pair_chapters(old: list[str], new: list[str]) -> dict[str, str]:
    """{new chapter heading: the old heading it continues} — same title first (whatever the
    number), else the most similar title (ratio ≥ 0.5), else the same number."""
    pairs: dict[str, str] = {}
    used: set[str] = set()
    for heading in new:
        same = [o for o in old if o not in used and _title(o) == _title(heading)]
        if same:
            pairs[heading] = same[0]
            used.add(same[0])
    for heading in new:
        if heading in pairs:
            continue
        scored = [
            (SequenceMatcher(None, _title(o), _title(heading)).ratio(), o)
            for o in old
            if o not in used
        ]
        if scored and max(scored)[0] >= 0.5:
            pairs[heading] = max(scored)[1]
            used.add(max(scored)[1])
    for heading in new:  # renamed: the same place (第二章 设立与运行 → 第二章 设立和开放)
        number = heading[: len(heading) - len(_title(heading))].strip()
        same_place = [o for o in old if o not in used and o.startswith(number)]
        if heading not in pairs and number and same_place:
            pairs[heading] = same_place[0]
            used.add(same_place[0])
    return pairs


def compare_texts(old_text: str, new_text: str) -> Comparison:
    """Align ``old_text`` and ``new_text`` (two versions) article by article; see the module."""
    old_blocks, new_blocks = split_blocks(old_text), split_blocks(new_text)
    old_pre, new_pre = old_blocks[0], new_blocks[0]
    old_arts, new_arts = old_blocks[1:], new_blocks[1:]
    pairs = pair_articles(old_arts, new_arts)
    by_new = {j: (i, sim) for i, (j, sim) in pairs.items()}
    ordered = sorted((i, j) for i, (j, _s) in pairs.items())
    kept = _in_order(sorted(ordered, key=lambda p: p[1]))
    # A deleted article is shown after the nearest earlier old article that was kept.
    after: dict[int, list[int]] = {}
    last = -1
    for i in range(len(old_arts)):
        if i in pairs:
            last = i
        else:
            after.setdefault(last, []).append(i)

    rows: list[Row] = []
    if old_pre.text or new_pre.text:
        rows.append(_pair_row(PREAMBLE, old_pre, new_pre, 1.0))
    chapters = pair_chapters(
        list(dict.fromkeys(b.chapter for b in old_arts if b.chapter)),
        list(dict.fromkeys(b.chapter for b in new_arts if b.chapter)),
    )
    matched_old = set(chapters.values())
    last_old, last_new = "", ""

    def chapter(old_chapter: str | None, new_chapter: str | None) -> None:
        nonlocal last_old, last_new
        if new_chapter is not None and new_chapter != last_new:
            rows.append(_chapter_row(chapters.get(new_chapter, ""), new_chapter))
            last_new, last_old = new_chapter, chapters.get(new_chapter, last_old)
        if old_chapter is not None and old_chapter != last_old:
            if old_chapter not in matched_old:  # a chapter of the old version only
                rows.append(_chapter_row(old_chapter, ""))
            last_old = old_chapter

    def deleted(i: int) -> None:
        block = old_arts[i]
        chapter(block.chapter, None)
        rows.append(Row(ARTICLE, DELETED, old_label=block.label, old=[["del", block.text]]))

    for i in after.get(-1, []):
        deleted(i)
    for j, block in enumerate(new_arts):
        if j in by_new:
            i, similarity = by_new[j]
            chapter(old_arts[i].chapter, block.chapter)
            row = _pair_row(ARTICLE, old_arts[i], block, similarity)
            row.moved = (i, j) not in kept
            rows.append(row)
            for k in after.get(i, []):
                deleted(k)
        else:
            chapter(None, block.chapter)
            rows.append(Row(ARTICLE, ADDED, new_label=block.label, new=[["ins", block.text]]))

    articles = [r for r in rows if r.kind == ARTICLE]
    summary = {
        "modified": sum(r.change == MODIFIED for r in articles),
        "added": sum(r.change == ADDED for r in articles),
        "deleted": sum(r.change == DELETED for r in articles),
        "unchanged": sum(r.change == SAME for r in articles),
        "renumbered": sum(r.renumbered for r in articles),
        "moved": sum(r.moved for r in articles),
        "old_articles": len(old_arts),
        "new_articles": len(new_arts),
        "preamble_changed": int(old_pre.text != new_pre.text),
    }
    return Comparison(rows, summary)


def summary_line(summary: dict[str, int]) -> str:
    """N 条修改，N 条新增，N 条删除，N 条未变 (and renumbered/moved when there are any)."""
    line = (
        f"{summary['modified']} 条修改，{summary['added']} 条新增，"
        f"{summary['deleted']} 条删除，{summary['unchanged']} 条未变"
    )
    extra = []
    if summary.get("renumbered"):
        extra.append(f"{summary['renumbered']} 条改变条号")
    if summary.get("moved"):
        extra.append(f"{summary['moved']} 条移动位置")
    return line + (f"（其中 {'，'.join(extra)}）" if extra else "")
