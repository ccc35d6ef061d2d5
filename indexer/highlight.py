"""Snippets and highlights from the archive text, the same for every engine.

The text is segmented with the index analyzer, so a highlight covers exactly the words (or
word sequences, for phrases) that matched, never half a word, and never a single digit of a
longer number. The result is data (text and spans); the web app escapes it and marks
matches with ``<mark>``, the only markup a snippet carries (``search_app.filters``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from indexer import analysis
from indexer.normalize import fold
from indexer.query import Match, ParsedQuery, Word

WINDOW = 2000  # texts longer than this are segmented only around the places that may match
PER_NEEDLE = 10  # …the first this many places of each query word
_SENTENCE_END = re.compile(r"[。；;！!？?\n]")


@dataclass(frozen=True)
class Snippet:
    text: str
    spans: tuple[tuple[int, int], ...]  # offsets into ``text``

    def pieces(self) -> list[tuple[str, bool]]:
        """See :func:`pieces`."""
        return pieces(self.text, self.spans)


def pieces(text: str, spans: Iterable[Sequence[int]]) -> list[tuple[str, bool]]:
    """``text`` cut at the highlight ``spans``: (piece, whether it matched), in order, so that
    the web app (``<mark>``, escaped) and the CLI (brackets, bold) each render it their way."""
    out: list[tuple[str, bool]] = []
    last = 0
    for start, end in spans:
        if start > last:
            out.append((text[last:start], False))
        out.append((text[start:end], True))
        last = end
    if last < len(text):
        out.append((text[last:], False))
    return out


def _regions(text: str, matches: list[Match]) -> list[tuple[int, int]]:
    if len(text) <= WINDOW:
        return [(0, len(text))]
    folded = fold(text)
    needles = {
        alt[0] for m in matches if not m.cut for w in m.words for alt in w.alternatives if alt[0]
    }
    regions: list[tuple[int, int]] = []
    for needle in needles:
        start = folded.find(needle)
        count = 0
        while start >= 0 and count < PER_NEEDLE:
            regions.append((max(0, start - 80), min(len(text), start + 160)))
            start = folded.find(needle, start + len(needle))
            count += 1
    regions.sort()
    merged: list[tuple[int, int]] = []
    for start, end in regions:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


class _TokenTable:
    """Tokens of one stretch of text, looked up by (position, word) and by word. Only the
    ``wanted`` words (those of the query) are kept: nothing else is ever looked up."""

    def __init__(self, text: str, wanted: AbstractSet[str]) -> None:
        self.at: dict[tuple[int, str], tuple[int, int]] = {}
        self.positions: dict[str, list[int]] = {}
        for word, pos, start, end in analysis.tokens_of(text, wanted):
            key = (pos, word)
            if key not in self.at:
                self.at[key] = (start, end)
                self.positions.setdefault(word, []).append(pos)

    def sequence(self, pos: int, seq: tuple[str, ...]) -> tuple[int, int] | None:
        """Offsets of ``seq`` when its words stand at ``pos``, ``pos + 1`` …"""
        first = self.at.get((pos, seq[0]))
        if first is None:
            return None
        end = first[1]
        for offset, word in enumerate(seq[1:], start=1):
            found = self.at.get((pos + offset, word))
            if found is None:
                return None
            end = found[1]
        return first[0], end

    def word(self, pos: int, w: Word) -> tuple[int, int, int] | None:
        """Offsets of ``w`` (any of its alternatives) at ``pos``, and how many positions."""
        for alt in w.alternatives:
            found = self.sequence(pos, alt)
            if found:
                return found[0], found[1], len(alt)
        return None

    def starts(self, w: Word) -> list[int]:
        """Positions where ``w`` may start: where the first word of an alternative stands."""
        found: set[int] = set()
        for alt in w.alternatives:
            found.update(self.positions.get(alt[0], ()))
        return sorted(found)


def _char_spans(text: str, matches: list[Match]) -> list[tuple[int, int, str]]:
    """Where a quoted phrase's characters stand in a row in ``text`` (folded; anything but
    letters, digits and ideographs between them ignored): a phrase cut inside a word is
    marked character by character, not word by word."""
    spans: list[tuple[int, int, str]] = []
    folded: str | None = None
    for match in matches:
        chars = match.chars if match.quoted and not match.cut else ""
        if len(chars) < 2:
            continue
        folded = fold(text) if folded is None else folded
        pattern = r"[\W_]*".join(map(re.escape, chars))
        for found in re.finditer(pattern, folded):
            spans.append((found.start(), found.end(), "phrase"))
    return spans


def find_spans(
    text: str, parsed: ParsedQuery, fields: str = "body"
) -> list[tuple[int, int, frozenset[str]]]:
    """Character spans of ``text`` that the query's positive clauses match, with the word."""
    matches = [m for m in parsed.positive if fields in m.fields]
    if not matches:
        return []
    spans: list[tuple[int, int, str]] = _char_spans(text, matches)
    # A cut phrase's variants stand for the phrase's characters, marked above: their edge
    # words (提取标 → 标准) would mark more than was asked for.
    matches = [m for m in matches if not m.cut]
    wanted = {t for m in matches for w in m.words for alt in w.alternatives for t in alt}
    for region_start, region_end in _regions(text, matches):
        table = _TokenTable(text[region_start:region_end], wanted)
        for match in matches:
            if match.phrase:
                for pos in table.starts(match.words[0]):
                    cursor, first, last = pos, None, None
                    for w in match.words:
                        found = table.word(cursor, w)
                        if not found:
                            break
                        first = found[0] if first is None else first
                        last = found[1]
                        cursor += found[2]
                    else:
                        if first is not None and last is not None:
                            spans.append((region_start + first, region_start + last, "phrase"))
            else:
                for w in match.words:
                    for pos in table.starts(w):
                        found = table.word(pos, w)
                        if found:
                            spans.append((region_start + found[0], region_start + found[1], w.text))
    return _merge(spans)


def _merge(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, frozenset[str]]]:
    """Overlapping or touching spans become one mark, labelled with all the words in it."""
    spans.sort()
    merged: list[tuple[int, int, frozenset[str]]] = []
    for start, end, word in spans:
        if merged and start <= merged[-1][1]:
            prev = merged[-1]
            merged[-1] = (prev[0], max(prev[1], end), prev[2] | {word})
        else:
            merged.append((start, end, frozenset({word})))
    return merged


def snippet(text: str, parsed: ParsedQuery, width: int = 160) -> Snippet:
    """The passage of about ``width`` characters with the most distinct matched words."""
    spans = find_spans(text, parsed)
    if not spans:
        head = text[:width].strip()
        return Snippet(re.sub(r"\s+", " ", head), ())
    best_i, best_key = 0, (-1, -1, -1)
    for i, (start, _, _) in enumerate(spans):
        # Merged spans are disjoint and sorted, so their ends rise: stop at the first too far.
        inside, limit = [], start + width
        for j in range(i, len(spans)):
            if spans[j][1] > limit:
                break
            inside.append(spans[j])
        words: set[str] = set().union(*(s[2] for s in inside))
        # Most distinct words, then most marks holding several words together, then most marks.
        key = (len(words), sum(len(s[2]) > 1 for s in inside), len(inside))
        if key > best_key:
            best_i, best_key = i, key
    anchor = spans[best_i][0]
    begin = max(0, anchor - 30)
    boundary = None
    for m in _SENTENCE_END.finditer(text, begin, anchor):
        boundary = m.end()
    if boundary is not None:
        begin = boundary
    end = min(len(text), begin + width)
    chosen = [(s - begin, e - begin) for s, e, _ in spans if s >= begin and e <= end]
    raw = text[begin:end]
    # Fold white space but keep offsets right: rebuild the string and shift spans.
    out: list[str] = []
    mapping: list[int] = []
    prev_space = False
    for ch in raw:
        space = ch.isspace()
        if space and prev_space:
            mapping.append(len(out) - 1)
            continue
        mapping.append(len(out))
        out.append(" " if space else ch)
        prev_space = space
    mapping.append(len(out))
    shifted = tuple((mapping[s], mapping[e]) for s, e in chosen)
    prefix = "…" if begin > 0 else ""
    suffix = "…" if end < len(text) else ""
    body = "".join(out)
    shifted = tuple((s + len(prefix), e + len(prefix)) for s, e in shifted)
    return Snippet(prefix + body + suffix, shifted)


def title_spans(title: str, parsed: ParsedQuery) -> Snippet:
    """The title with its matched words marked."""
    spans = [(s, e) for s, e, _ in find_spans(title, parsed, fields="title")]
    return Snippet(title, tuple(spans))
