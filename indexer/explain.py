"""Why a hit ranks where it does ("为什么排在这里"), in words a reader can check.

Computed only when asked (``gongkai search --explain``, ``explain=1``), after the search, from
what Gongkai already has: the parsed query, the archive text of each hit (segmented as the
index segments it), the engine's score and the boosts the engine module declares. No engine
internals are read, so both engines explain alike; the score itself is the engine's.

An explanation is a list of plain dicts, each ``{"factor": …, "detail": …}`` plus data keys,
so other steps of a search (typo correction, relaxed matching, re-ranking) can append their
own entries to :attr:`indexer.searching.Hit.explanation`. Factors written here:

* ``fields`` — which fields matched: 标题, 正文, 文号, 索引号
* ``word`` — each query word with its counts in title and body
* ``phrase`` — a quoted phrase (or several-word term) found adjacent, with counts
* ``proximity`` — unquoted words found next to each other, as the query cut them
* ``boost`` — title, exact 文号/索引号 and proximity weights that applied (from the engine)
* ``synonym`` — which other term of a synonym group was found (also for a synonym term read
  from pinyin: then with ``pinyin``, the Latin query word)
* ``excluded`` — excluded words, none of which occur
* ``ignored`` — question and filler words that were not required
* ``score`` — the engine's score and how it scores
* ``tie_break`` — equal scores: the newer document first
* ``sort`` — sorted by date, not by relevance
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

from archive.store import Document
from indexer import analysis
from indexer.normalize import doc_number_suffix, fold, normalize_index_number
from indexer.query import Expansion, Match, ParsedQuery, Word, doc_number_terms

Entry = dict[str, object]
FIELD_LABELS = {"title": "标题", "body": "正文", "doc_number": "文号", "index_number": "索引号"}
#: How each engine scores (the engines use their library's default similarity).
SCORING = {
    "whoosh": "Whoosh 的 BM25F 相关度（词频、逆文档频率、字段长度）",
    "tantivy": "tantivy 的 BM25 相关度（词频、逆文档频率、字段长度）",
    "typesense": "BM25 相关度，由 Typesense 给出的词频、文档频率、字段长度算出",
}


class _Explained(Protocol):
    id: str
    score: float
    explanation: list[Entry] | None


class _Positions:
    """A field's index-mode terms with their positions, as the engines index it."""

    def __init__(self, text: str) -> None:
        self.terms: dict[str, set[int]] = {
            term: set(found) for term, found in analysis.term_positions(text).items()
        }

    def at(self, tokens: tuple[str, ...], start: int) -> bool:
        return all(start + k in self.terms.get(t, ()) for k, t in enumerate(tokens))

    def sequence(self, words: Sequence[Sequence[tuple[str, ...]]]) -> int:
        """How many positions start ``words`` (each a list of alternatives) adjacent and in
        order."""
        if not words:
            return 0
        starts = {p for alt in words[0] for p in self.terms.get(alt[0], ())}
        count = 0
        for start in starts:
            frontier = {start}
            for alternatives in words:
                frontier = {
                    p + len(alt) for p in frontier for alt in alternatives if self.at(alt, p)
                }
                if not frontier:
                    break
            count += bool(frontier)
        return count


def _term_alternatives(term: str) -> list[tuple[str, ...]]:
    cut = analysis.words(term)
    if len(cut) == 1:
        return analysis.alternatives(cut[0])
    return [tuple(cut)] if cut else []


def _count_text(counts: Mapping[str, int]) -> str:
    return "，".join(f"{FIELD_LABELS[f]} {n} 次" for f, n in counts.items() if n) or "未出现"


def _boosts(engine: str) -> dict[str, float]:
    """The weights the engine module declares (both engines: title ×3, exact ×50, near ×2)."""
    try:
        module = importlib.import_module(f"indexer.engines.{engine}")
    except ImportError:
        return {}
    names = {"title": "TITLE_BOOST", "exact": "EXACT_BOOST", "proximity": "PROXIMITY_BOOST"}
    return {k: float(getattr(module, v)) for k, v in names.items() if hasattr(module, v)}


def explain(
    parsed: ParsedQuery, doc: Document, score: float, engine: str, *, sort: str = "relevance"
) -> list[Entry]:
    """The explanation of one hit (see the module docstring); no tie-break entry, which needs
    the other hits (:func:`explain_hits`)."""
    fields = {"title": _Positions(doc.title), "body": _Positions(doc.text)}
    boosts = _boosts(engine)
    matched: dict[str, None] = {}
    words: list[Entry] = []
    phrases: list[Entry] = []
    near: list[Entry] = []
    synonyms: list[Entry] = []
    exact: list[str] = []
    expanded = {e.term: e.also for e in parsed.expansions if not e.pinyin}
    read: dict[str, list[Expansion]] = {}  # a pinyin word -> the synonym terms read from it
    for expansion in parsed.expansions:
        if expansion.pinyin:
            read.setdefault(expansion.pinyin, []).append(expansion)
    for match in parsed.positive:
        exact += _exact(match, doc)
        for word in match.words:
            counts = {f: fields[f].sequence([word.alternatives]) for f in match.fields}
            matched.update(dict.fromkeys(f for f, n in counts.items() if n))
            words.append(
                {
                    "factor": "word",
                    "word": word.text,
                    **counts,
                    "detail": f"“{word.text}”：{_count_text(counts)}",
                }
            )
            if word.text in expanded:
                synonyms.append(_synonym(word, expanded[word.text], fields, match.fields))
            for expansion in read.get(word.text, []):
                synonyms.append(_synonym(word, expansion.also, fields, match.fields, expansion))
        if len(match.words) > 1:
            entry = _sequence(match, fields)
            if entry is not None:
                (phrases if match.phrase else near).append(entry)
    if exact:
        matched.update(dict.fromkeys(exact))
    entries: list[Entry] = [
        {
            "factor": "fields",
            "fields": list(matched),
            "detail": "匹配字段：" + ("、".join(FIELD_LABELS[f] for f in matched) or "无"),
        },
        *words,
        *phrases,
        *near,
        *synonyms,
    ]
    entries += _boost_entries(boosts, "title" in matched, exact, bool(near))
    excluded = [w.text for c in parsed.clauses if c.negated for m in c.options for w in m.words]
    if excluded:
        entries.append(
            {
                "factor": "excluded",
                "words": excluded,
                "detail": "不含排除的词：" + "、".join(excluded),
            }
        )
    if parsed.ignored:
        entries.append(
            {
                "factor": "ignored",
                "words": list(parsed.ignored),
                "detail": "未要求匹配的提问词：" + "、".join(parsed.ignored),
            }
        )
    if sort == "relevance":
        how = SCORING.get(engine, f"{engine} 的相关度")
        entries.append(
            {
                "factor": "score",
                "engine": engine,
                "score": round(score, 4),
                "detail": f"得分 {score:.4f}：{how}，乘以上述加权",
            }
        )
    else:
        order = "最新" if sort == "newest" else "最早"
        entries.append(
            {"factor": "sort", "sort": sort, "detail": f"按发文日期排序（{order}在前），不按相关度"}
        )
    return entries


def _exact(match: Match, doc: Document) -> list[str]:
    """The exact fields (文号, 索引号) this clause matched in ``doc``."""
    if match.doc_number and doc.doc_number_norm:
        held = {doc.doc_number_norm, doc_number_suffix(doc.doc_number_norm)}
        if held & set(doc_number_terms(match)):
            return ["doc_number"]
    if (
        match.index_number
        and doc.index_number
        and normalize_index_number(doc.index_number) == match.index_number
    ):
        return ["index_number"]
    return []


def _sequence(match: Match, fields: Mapping[str, _Positions]) -> Entry | None:
    """A phrase (all alternatives) or the proximity bonus (the words as the query cut them,
    which is what both engines boost)."""
    seq: list[Sequence[tuple[str, ...]]]
    if match.phrase:
        seq = [w.alternatives for w in match.words]
        factor, label = "phrase", "短语连续出现"
    else:
        seq = [[(w.text,)] for w in match.words]
        factor, label = "proximity", "检索词相邻出现"
    counts = {f: fields[f].sequence(seq) for f in match.fields}
    text = "".join(w.text for w in match.words)
    if factor == "proximity" and not any(counts.values()):
        return None
    return {
        "factor": factor,
        "phrase": text,
        **counts,
        "detail": f"{label}“{text}”：{_count_text(counts)}",
    }


def _synonym(
    word: Word,
    also: Iterable[str],
    fields: Mapping[str, _Positions],
    names: Sequence[str],
    read: Expansion | None = None,
) -> Entry:
    """The synonym entry of ``word``; ``read`` when the synonym term was read from the
    pinyin ``word`` (gongzufang → 公租房 → 公共租赁住房)."""
    term = read.term if read is not None else word.text
    found: dict[str, dict[str, int]] = {}
    for each in (term, *also):
        alts = _term_alternatives(fold(each))
        counts = {f: fields[f].sequence([alts]) for f in names} if alts else {}
        if any(counts.values()):
            found[each] = counts
    others = [t for t in found if t != term]
    said = f"“{word.text}”（拼音，读作“{term}”）" if read is not None else f"“{term}”"
    if others:
        detail = f"{said}同时搜索了" + "、".join(
            f"“{t}”（{_count_text(found[t])}）" for t in others
        )
    else:
        detail = f"{said}同时搜索了{'、'.join(also)}，本文未出现这些词"
    entry: Entry = {
        "factor": "synonym",
        "term": term,
        "also": list(also),
        "matched": others,
        "detail": detail,
    }
    if read is not None:
        entry["pinyin"] = word.text
    return entry


def _boost_entries(
    boosts: Mapping[str, float], in_title: bool, exact: list[str], near: bool
) -> list[Entry]:
    out: list[Entry] = []
    if in_title and "title" in boosts:
        weight = boosts["title"]
        out.append(
            {
                "factor": "boost",
                "boost": "title",
                "weight": weight,
                "detail": f"标题中的匹配加权 ×{weight:g}",
            }
        )
    if exact and "exact" in boosts:
        weight = boosts["exact"]
        names = "、".join(FIELD_LABELS[f] for f in exact)
        out.append(
            {
                "factor": "boost",
                "boost": "exact",
                "weight": weight,
                "detail": f"{names}完全一致加权 ×{weight:g}，排在最前",
            }
        )
    if near and "proximity" in boosts:
        weight = boosts["proximity"]
        out.append(
            {
                "factor": "boost",
                "boost": "proximity",
                "weight": weight,
                "detail": f"检索词相邻出现加权 ×{weight:g}",
            }
        )
    return out


def explain_hits(
    hits: Sequence[_Explained],
    docs: Mapping[str, Document],
    parsed: ParsedQuery,
    engine: str,
    *,
    sort: str = "relevance",
) -> None:
    """Set ``explanation`` on each hit; equal scores (as the engines round them) get the
    tie-break entry: the engines list the newer document first."""
    for i, hit in enumerate(hits):
        doc = docs.get(hit.id)
        if doc is None:
            continue
        entries = explain(parsed, doc, hit.score, engine, sort=sort)
        tied = [
            j + 1
            for j, other in enumerate(hits)
            if j != i and round(other.score, 6) == round(hit.score, 6)
        ]
        if sort == "relevance" and tied:
            entries.append(
                {
                    "factor": "tie_break",
                    "tied_with": tied,
                    "detail": "与本页第 "
                    + "、".join(map(str, tied))
                    + " 条得分相同：发文日期较新的排在前面",
                }
            )
        hit.explanation = entries
