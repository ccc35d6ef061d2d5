"""The user's query language, parsed once into a structure every engine and the highlighter read.

Syntax (documented in README): words are ANDed; ``"quoted phrase"`` (also “…” and 「…」) must
match as adjacent words; ``-word`` / ``-"phrase"`` excludes; ``OR`` between two clauses makes
either one enough; ``title:word`` / ``标题:word`` searches titles only. A clause that is a 文号
(any bracket style) or a 索引号 matches that field exactly and ranks first. An unbalanced quote
is a :class:`QuerySyntaxError`, not a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from archive.errors import InvalidInput
from indexer import analysis
from indexer.normalize import (
    doc_number_suffix,
    looks_like_doc_number,
    looks_like_index_number,
    normalize_doc_number,
    normalize_index_number,
)

TEXT_FIELDS = ("title", "body")
_QUOTES = {'"': '"', "＂": "＂", "“": "”", "「": "」", "”": "”"}
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

    @property
    def chars(self) -> str:
        """The phrase's characters as a bigram field holds them
        (:func:`indexer.analysis.bigram_chars`)."""
        return analysis.bigram_chars("".join(w.text for w in self.words))


@dataclass(frozen=True)
class Clause:
    """Alternatives joined by OR; a negated clause excludes what it matches."""

    options: tuple[Match, ...]
    negated: bool = False


@dataclass(frozen=True)
class ParsedQuery:
    text: str
    clauses: tuple[Clause, ...] = field(default_factory=tuple)

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
        fields = TEXT_FIELDS
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


def _match(raw: _Raw) -> Match | None:
    text = raw.text.strip()
    if not raw.quoted and looks_like_doc_number(text):
        number = normalize_doc_number(text)
        return Match(_words(text), True, raw.fields, doc_number=number)
    if not raw.quoted and looks_like_index_number(text) and any(ch.isdigit() for ch in text):
        return Match(_words(text), True, raw.fields, index_number=normalize_index_number(text))
    words = _words(text)
    if not words:
        return None
    # An excluded chunk excludes the expression, not each of its words.
    return Match(words, raw.quoted or raw.negated or len(words) == 1, raw.fields, quoted=raw.quoted)


def parse(query: str) -> ParsedQuery:
    """Parse a user query. Raises :class:`QuerySyntaxError` for unreadable syntax."""
    whole = (query or "").strip()
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
        match = _match(item)
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
    if pending_or:
        raise QuerySyntaxError("OR 需要左右两边都有检索词（OR needs a word on each side）")
    return ParsedQuery(query, tuple(clauses))


def doc_number_terms(match: Match) -> list[str]:
    """The exact doc_number field terms a 文号 clause looks up."""
    if not match.doc_number:
        return []
    suffix = doc_number_suffix(match.doc_number)
    return [match.doc_number] if match.doc_number != suffix else [suffix]
