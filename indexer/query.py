"""The user's query language, parsed once into a structure every engine and the highlighter read.

Syntax (documented in README): words are ANDed; ``"quoted phrase"`` (also “…” and 「…」) must
match as adjacent words; ``-word`` / ``-"phrase"`` excludes; ``OR`` between two clauses makes
either one enough; ``title:word`` / ``标题:word`` searches titles only. A clause that is a 文号
(any bracket style) or a 索引号 matches that field exactly and ranks first. An unbalanced quote
is a :class:`QuerySyntaxError`, not a guess.

Synonyms (:func:`parse` with a :class:`~indexer.synonyms.Synonyms` table): an unquoted, not
excluded word — or a run of words — that is a term of the table also matches the other terms
of its group (公租房 → 公共租赁住房). The run becomes one :class:`Word` whose alternatives are
the run as typed and each other term as the analyzer cuts it, so the engines need no change. A
term is matched as a term: a run of several words must then be adjacent. Quoted phrases and
exclusions are never expanded (exact), nor are 文号 and 索引号. What was added is reported in
:attr:`ParsedQuery.expansions`.

A query's cost is bounded before any engine sees it: at most :data:`MAX_QUERY_CHARS`
characters, :data:`MAX_CLAUSES` terms (each side of an OR counts) and :data:`MAX_WORDS`
segmented words. A pasted 5,000-term OR query once took 7.6 s and slowed every other search;
past these limits it is a :class:`QuerySyntaxError` that says which limit.

Phrases cut anywhere (:func:`cut_phrases`, given the archive's vocabulary): a quoted phrase
copied from a document may begin or end inside a word (``"提取标"`` where the text says
提取标准) or lie inside one word (``"管理委"`` in 管理委员会). The index holds words, so the
phrase is also searched as variants whose first word is any term *ending* with the phrase's
first piece, whose last word is any term *beginning* with its last piece, and, for a short
phrase, as any term *containing* it — the terms taken from the vocabulary, at most
:data:`~indexer.vocabulary.MAX_EXPANSIONS` of each (the most frequent), and at most
:data:`MAX_CUT_VARIANTS` variants. They are further options of the phrase's clause, so
exclusions and OR apply to them as to the phrase. The big engines index character bigrams for
this instead; on tantivy that tripled the index and cost 70% more import CPU.

Questions and filler (:mod:`indexer.question`): 还有效吗, 最新, 如何 … need not match; they are
taken out before parsing and reported in :attr:`ParsedQuery.ignored` (and
:attr:`ParsedQuery.validity_question`), unless nothing would be left to search.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Protocol

from archive.errors import InvalidInput
from indexer import analysis, question
from indexer.normalize import (
    doc_number_suffix,
    fold,
    looks_like_doc_number,
    looks_like_index_number,
    normalize_doc_number,
    normalize_index_number,
)

if TYPE_CHECKING:
    from indexer.synonyms import Synonyms

TEXT_FIELDS = ("title", "body")
_QUOTES = {'"': '"', "＂": "＂", "“": "”", "「": "」", "”": "”"}
#: Limits on one query (README, "Security").
MAX_QUERY_CHARS = 256
MAX_CLAUSES = 64
MAX_WORDS = 128
#: Word-level variants a quoted phrase is also searched as (:func:`cut_phrases`).
MAX_CUT_VARIANTS = 8
#: The first/last piece of a cut phrase is made of at most this many of its words.
MAX_EDGE_WORDS = 2
_FIELD_PREFIXES = {"title": "title", "标题": "title", "body": "body", "正文": "body"}


class QuerySyntaxError(InvalidInput):
    """The query cannot be read; the message says where and why, in plain words."""


@dataclass(frozen=True)
class Word:
    """One query word and the token sequences it may have been indexed as."""

    text: str
    alternatives: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Match:
    """Words that must all occur in one of ``fields``; adjacent and in order when ``phrase``."""

    words: tuple[Word, ...]
    phrase: bool
    fields: tuple[str, ...] = TEXT_FIELDS
    doc_number: str = ""  # canonical 文号 when the clause is one; matched exactly as well
    index_number: str = ""  # canonical 索引号 when the clause is one
    quoted: bool = False  # typed in quotes: also matched as characters in a row (cut anywhere)
    #: A variant of a quoted phrase whose edge words are vocabulary terms (:func:`cut_phrases`):
    #: highlights mark the phrase's characters, not those whole words.
    cut: bool = False

    @property
    def chars(self) -> str:
        """The phrase's characters, folded, letters, digits and ideographs only
        (:func:`indexer.analysis.bigram_chars`): what a highlight looks for in a row."""
        return analysis.bigram_chars("".join(w.text for w in self.words))


@dataclass(frozen=True)
class Clause:
    """Alternatives joined by OR; a negated clause excludes what it matches."""

    options: tuple[Match, ...]
    negated: bool = False


@dataclass(frozen=True)
class Expansion:
    """A query term that also searched the other terms of its synonym group; ``pinyin`` is the
    Latin query word the term was read from (:mod:`indexer.pinyin_query`), "" when typed."""

    term: str
    also: tuple[str, ...]
    pinyin: str = ""

    def to_dict(self) -> dict[str, object]:
        data: dict[str, object] = {"term": self.term, "also": list(self.also)}
        if self.pinyin:
            data["pinyin"] = self.pinyin
        return data


@dataclass(frozen=True)
class ParsedQuery:
    text: str
    clauses: tuple[Clause, ...] = field(default_factory=tuple)
    expansions: tuple[Expansion, ...] = ()
    #: Question and filler words taken out of the query (indexer.question), and whether they
    #: asked about validity (还有效吗, 是否废止 …).
    ignored: tuple[str, ...] = ()
    validity_question: bool = False

    @property
    def positive(self) -> list[Match]:
        return [m for c in self.clauses if not c.negated for m in c.options]

    @property
    def is_empty(self) -> bool:
        return not any(not c.negated for c in self.clauses)


@dataclass
class _Raw:
    text: str
    quoted: bool
    negated: bool
    fields: tuple[str, ...]


def _split(query: str) -> list[_Raw | str]:
    """Split into raw clauses and the OR operator."""
    items: list[_Raw | str] = []
    i, n = 0, len(query)
    while i < n:
        ch = query[i]
        if ch.isspace():
            i += 1
            continue
        negated = False
        fields: tuple[str, ...] = TEXT_FIELDS
        if ch in "-－" and i + 1 < n and not query[i + 1].isspace():
            negated = True
            i += 1
        prefix = re.match(r"(title|标题|body|正文)[:：]", query[i:], re.IGNORECASE)
        if prefix:
            fields = (_FIELD_PREFIXES[prefix.group(1).lower()],)
            i += prefix.end()
        if i < n and query[i] in _QUOTES:
            close = _QUOTES[query[i]]
            end = query.find(close, i + 1)
            if end < 0:
                raise QuerySyntaxError(
                    f"引号不配对：第 {i + 1} 个字符处的 {query[i]} 没有对应的 {close}"
                    f"（unbalanced quote at character {i + 1}）"
                )
            items.append(_Raw(query[i + 1 : end], True, negated, fields))
            i = end + 1
            continue
        end = i
        while end < n and not query[end].isspace() and query[end] not in _QUOTES:
            end += 1
        word = query[i:end]
        i = end
        if word == "OR" and not negated and fields == TEXT_FIELDS:
            items.append("OR")
        elif word:
            items.append(_Raw(word, False, negated, fields))
        elif negated or fields != TEXT_FIELDS:
            raise QuerySyntaxError("“-” 或 “title:” 后面缺少检索词（operator without a word）")
    return items


def _words(text: str) -> tuple[Word, ...]:
    return tuple(Word(w, tuple(analysis.alternatives(w))) for w in analysis.words(text))


def term_alternatives(term: str) -> list[tuple[str, ...]]:
    """The token sequences a synonym term may be indexed as: its words, and when it is one
    word, that word's sub-word tiling too."""
    cut = analysis.words(term)
    if len(cut) == 1:
        return analysis.alternatives(cut[0])
    return [tuple(cut)] if cut else []


def _expanded_words(text: str, synonyms: Synonyms, found: list[Expansion]) -> tuple[Word, ...]:
    """The words of ``text``, each run of words that is a synonym term made one :class:`Word`
    with the other terms of its group as alternatives; what was added goes to ``found``."""
    tokens = list(analysis.tokenize(text))
    words = [Word(t.text, tuple(analysis.alternatives(t.text))) for t in tokens]
    starts = {t.start: i for i, t in enumerate(tokens)}
    ends = {t.end: i for i, t in enumerate(tokens)}
    replaced: list[tuple[int, int, Word]] = []
    for hit in synonyms.groups_for_text(text):
        first, last = starts.get(hit.start), ends.get(hit.end)
        if first is None or last is None or last < first:
            continue  # the term is part of a longer word: not this term
        alts = list(words[first].alternatives) if first == last else []
        if first != last:
            alts.append(tuple(t.text for t in tokens[first : last + 1]))
        others = [t for t in hit.group.terms if fold(t) != fold(hit.term)]
        for other in others:
            alts += [a for a in term_alternatives(other) if a not in alts]
        replaced.append((first, last, Word(hit.term, tuple(alts))))
        found.append(Expansion(hit.term, tuple(others)))
    for first, last, word in reversed(replaced):
        words[first : last + 1] = [word]
    return tuple(words)


def _match(
    raw: _Raw, synonyms: Synonyms | None = None, found: list[Expansion] | None = None
) -> Match | None:
    text = raw.text.strip()
    if not raw.quoted and looks_like_doc_number(text):
        number = normalize_doc_number(text)
        return Match(_words(text), True, raw.fields, doc_number=number)
    if not raw.quoted and looks_like_index_number(text) and any(ch.isdigit() for ch in text):
        return Match(_words(text), True, raw.fields, index_number=normalize_index_number(text))
    if synonyms is not None and found is not None and not raw.quoted and not raw.negated:
        words = _expanded_words(text, synonyms, found)
    else:
        words = _words(text)
    if not words:
        return None
    # An excluded chunk excludes the expression, not each of its words.
    return Match(words, raw.quoted or raw.negated or len(words) == 1, raw.fields, quoted=raw.quoted)


def parse(query: str, synonyms: Synonyms | None = None, *, questions: bool = True) -> ParsedQuery:
    """Parse a user query. Raises :class:`QuerySyntaxError` for unreadable syntax.

    With ``synonyms``, words that are synonym terms also match their group's other terms
    (see the module docstring). With ``questions`` (the default), question and filler words
    are not required (:mod:`indexer.question`)."""
    if any("\ud800" <= ch <= "\udfff" for ch in query or ""):
        raise QuerySyntaxError("检索式含有无效字符（a lone surrogate is not text）")
    if questions:
        asked = question.read(query)
        if asked.ignored:
            stripped = parse(asked.query, synonyms, questions=False)
            if not stripped.is_empty:
                return replace(
                    stripped,
                    text=query,
                    ignored=asked.ignored,
                    validity_question=asked.validity,
                )
    found: list[Expansion] = []
    whole = (query or "").strip()
    if len(whole) > MAX_QUERY_CHARS:
        raise QuerySyntaxError(
            f"检索式过长：最多 {MAX_QUERY_CHARS} 个字符（query longer than {MAX_QUERY_CHARS}"
            f" characters: {len(whole)}）"
        )
    if looks_like_doc_number(whole):
        # A 文号 typed with spaces (国办发 (2019) 2 号) is one clause, not four words.
        items: list[_Raw | str] = [_Raw(whole, False, False, TEXT_FIELDS)]
    else:
        items = _split(query or "")
    clauses: list[Clause] = []
    pending_or = False
    for item in items:
        if item == "OR":
            if not clauses or clauses[-1].negated or pending_or:
                raise QuerySyntaxError("OR 需要左右两边都有检索词（OR needs a word on each side）")
            pending_or = True
            continue
        assert isinstance(item, _Raw)
        match = _match(item, synonyms, found)
        if match is None:
            pending_or = False
            continue
        if pending_or:
            if item.negated:
                raise QuerySyntaxError("OR 后面不能是排除词（OR cannot join an excluded word）")
            last = clauses.pop()
            clauses.append(Clause((*last.options, match)))
            pending_or = False
        else:
            clauses.append(Clause((match,), item.negated))
        _check_cost(clauses)
    if pending_or:
        raise QuerySyntaxError("OR 需要左右两边都有检索词（OR needs a word on each side）")
    return ParsedQuery(query, tuple(clauses), _merged(found))


def _merged(found: list[Expansion]) -> tuple[Expansion, ...]:
    """Each expanded term once, in query order."""
    seen: dict[str, Expansion] = {}
    for expansion in found:
        seen.setdefault(expansion.term, expansion)
    return tuple(seen.values())


def _check_cost(clauses: list[Clause]) -> None:
    terms = sum(len(c.options) for c in clauses)
    if terms > MAX_CLAUSES:
        raise QuerySyntaxError(
            f"检索词过多：最多 {MAX_CLAUSES} 个（more than {MAX_CLAUSES} terms in one query）"
        )
    words = sum(len(m.words) for c in clauses for m in c.options)
    if words > MAX_WORDS:
        raise QuerySyntaxError(
            f"检索式分词后过长：最多 {MAX_WORDS} 个词（more than {MAX_WORDS} words in one query）"
        )


def doc_number_terms(match: Match) -> list[str]:
    """The exact doc_number field terms a 文号 clause looks up."""
    if not match.doc_number:
        return []
    suffix = doc_number_suffix(match.doc_number)
    return [match.doc_number] if match.doc_number != suffix else [suffix]


class TermLookup(Protocol):
    """Where cut phrases find their words (:class:`indexer.vocabulary.Vocabulary`)."""

    def starting(self, piece: str) -> tuple[str, ...]: ...
    def ending(self, piece: str) -> tuple[str, ...]: ...
    def containing(self, piece: str) -> tuple[str, ...]: ...


def _edge(text: str, terms: tuple[str, ...]) -> Word:
    return Word(text, tuple((t,) for t in terms))


def _resplit(texts: list[str], terms: TermLookup) -> list[list[str]]:
    """``texts`` (the phrase's words), then, when no term begins with its last word, with that
    word split in two (and likewise the first word when no term ends with it): the query is
    cut without the document's context (取标准由管 → 取 标准 由管, where the text says 提取 标准
    由 管理委员会), so an edge may fall inside one of its own words. A last word some term
    begins with is not split: each variant is one more phrase for the engine to check."""
    out = [texts]
    first, last = texts[0], texts[-1]
    if not terms.ending(first):
        out += [[first[:i], first[i:], *texts[1:]] for i in range(1, len(first))]
    if len(texts) > 1 and not terms.starting(last):
        out += [[*texts[:-1], last[:i], last[i:]] for i in range(1, len(last))]
    return out


def _cut_variants(match: Match, terms: TermLookup) -> list[Match]:
    """Word-level variants of a quoted phrase that may begin or end inside a word, or lie in
    one (see the module docstring); only those whose edges exist in the vocabulary."""
    chars = match.chars
    if len(chars) < 2:
        return []
    found: list[tuple[Word, ...]] = []
    inside = terms.containing(chars)
    if inside:
        found.append((_edge(chars, inside),))
    # The phrase as typed, and its characters alone (white space and punctuation can change
    # how it is cut: "城市 绿地" may be one word 城市绿地 in a document).
    typed = [w.text for w in match.words]
    cuts = [typed]
    plain = _words(chars)
    if [w.text for w in plain] != typed:
        cuts.append([w.text for w in plain])
        found.append(plain)
    ending: dict[str, tuple[str, ...]] = {}
    starting: dict[str, tuple[str, ...]] = {}
    for texts in (t for cut in cuts for t in _resplit(cut, terms)):
        n = len(texts)
        for h, t in itertools.product(range(1, MAX_EDGE_WORDS + 1), repeat=2):
            if h + t > n or len(found) >= MAX_CUT_VARIANTS:
                continue
            head, tail = "".join(texts[:h]), "".join(texts[n - t :])
            if head not in ending:
                ending[head] = terms.ending(head)
            if tail not in starting:
                starting[tail] = terms.starting(tail)
            if ending[head] and starting[tail]:
                middle = tuple(Word(w, tuple(analysis.alternatives(w))) for w in texts[h : n - t])
                variant = (_edge(head, ending[head]), *middle, _edge(tail, starting[tail]))
                if variant not in found:
                    found.append(variant)
    return [
        replace(match, words=words, cut=True, doc_number="", index_number="")
        for words in found[:MAX_CUT_VARIANTS]
    ]


def cut_phrases(parsed: ParsedQuery, terms: TermLookup) -> ParsedQuery:
    """``parsed`` with each quoted phrase also searched as the word-level variants that let it
    begin or end inside a word or lie inside one (see the module docstring), as further
    options of its clause; ``parsed`` itself when there is no quoted phrase."""
    if not any(m.quoted for c in parsed.clauses for m in c.options):
        return parsed
    clauses = []
    for clause in parsed.clauses:
        options = list(clause.options)
        for match in clause.options:
            if match.quoted and not match.cut:
                options += _cut_variants(match, terms)
        clauses.append(replace(clause, options=tuple(options)))
    return replace(parsed, clauses=tuple(clauses))
