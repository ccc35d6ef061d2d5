"""Questions and filler in a query: words people add that no document contains.

People type ``<title> 还有效吗``, ``<title>是否有效``, ``<title> 最新`` or ``如何申请公租房``.
Every query word must match, so such a word makes the query find nothing. :func:`read` takes
them out of the query text before it is parsed (:func:`indexer.query.parse` calls it), and
says which words it took and whether the query asked about validity — the results page then
shows the top hit's status first.

The words are found on the analyzer's segmentation, not on spaces: they are often glued to the
title (``…管理办法还有效吗``). A filler word is taken only when it is whole words of the
segmentation (so 有效 inside 有效期 stays). Question words (怎么, 如何, 还有效吗 …) are taken
anywhere in a chunk; words that also occur in real titles (有关, 最新, 全文, 原文) only at a
chunk's start or end, so an exact title such as 关于做好有关工作的通知 keeps its 有关.

Never touched: quoted phrases, excluded chunks (``-最新``), a chunk that is a 文号 or 索引号,
and a chunk that is one side of ``OR``. When taking the words would leave no positive clause,
the query is searched as typed (the parser checks that).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from indexer import analysis
from indexer.normalize import fold, looks_like_doc_number, looks_like_index_number

if TYPE_CHECKING:
    from archive import Archive
    from archive.validity import Status

#: Asking whether a document is still in force: ignored, and the status is shown first.
VALIDITY_QUESTIONS = (
    "还有效吗",
    "是否有效",
    "是否还有效",
    "是否废止",
    "是否失效",
    "是否现行有效",
    "现行有效吗",
    "有效吗",
    "还能用吗",
    "失效了吗",
    "废止了吗",
    "作废了吗",
)
#: Question words: ignored wherever they stand in a chunk.
QUESTION_WORDS = ("怎么", "怎样", "如何", "哪些")
#: Words that also occur in titles: ignored only at the start or end of a chunk.
EDGE_FILLER = ("最新", "最新版", "最新版本", "全文", "原文", "有关")

_ANYWHERE = frozenset(VALIDITY_QUESTIONS + QUESTION_WORDS)
_EDGE = frozenset(EDGE_FILLER)
_LONGEST = max(map(len, _ANYWHERE | _EDGE))
# The same quotes and field prefixes as indexer.query (kept here: the parser imports this).
_QUOTES = {'"': '"', "＂": "＂", "“": "”", "「": "」", "”": "”"}
_PREFIX = re.compile(r"(title|标题|body|正文)[:：]", re.IGNORECASE)


@dataclass(frozen=True)
class Question:
    """What :func:`read` found: the query without its filler, and the words taken."""

    query: str
    ignored: tuple[str, ...] = ()
    validity: bool = False  # a validity question (还有效吗, 是否废止 …) was asked


@dataclass
class _Chunk:
    start: int  # offsets of the chunk's text (after any field prefix) in the query
    end: int
    prefixed: bool
    cuts: list[tuple[int, int, str]]  # (start, end, word) in the query, in order


def read(query: str) -> Question:
    """The query with its question and filler words taken out (see the module docstring).

    An unbalanced quote leaves the query as it is, for the parser to report."""
    text = query or ""
    if looks_like_doc_number(text.strip()):
        return Question(text)
    items = _chunks(text)
    if items is None:
        return Question(text)
    pieces: list[tuple[int, int, str]] = []
    ignored: list[str] = []
    for k, item in enumerate(items):
        if not isinstance(item, _Chunk) or not item.cuts:
            continue
        whole = sum(e - s for s, e, _ in item.cuts) == len(_content(text, item))
        beside_or = any(0 <= j < len(items) and items[j] == "OR" for j in (k - 1, k + 1))
        if whole and beside_or:
            continue  # `a OR 最新` keeps its right side
        for s, e, word in item.cuts:
            middle = s > item.start and e < item.end and not item.prefixed
            pieces.append((s, e, " " if middle else ""))
            ignored.append(word)
        if whole and item.prefixed:  # `title:最新`: the prefix goes too
            pieces.append((_prefix_start(text, item), item.start, ""))
    if not pieces:
        return Question(text)
    out, last = [], 0
    for s, e, glue in sorted(pieces):
        out.append(text[last:s] + glue)
        last = e
    out.append(text[last:])
    validity = any(w in VALIDITY_QUESTIONS for w in ignored)
    return Question("".join(out), tuple(dict.fromkeys(ignored)), validity)


def _content(text: str, chunk: _Chunk) -> str:
    """The chunk's characters that the analyzer keeps (punctuation such as ？ does not count)."""
    inside = text[chunk.start : chunk.end]
    return "".join(t.text for t in analysis.tokenize(inside))


def _prefix_start(text: str, chunk: _Chunk) -> int:
    i = chunk.start - 1
    while i > 0 and text[i - 1] not in " \t\n\u3000":
        i -= 1
    return max(i, 0)


def _chunks(text: str) -> list[_Chunk | str] | None:
    """Unquoted, not excluded chunks (with their filler cuts), "OR", and "" for anything
    left alone; None when a quote is unbalanced."""
    items: list[_Chunk | str] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        negated = text[i] in "-－" and i + 1 < n and not text[i + 1].isspace()
        if negated:
            i += 1
        prefix = _PREFIX.match(text, i)
        if prefix:
            i = prefix.end()
        if i < n and text[i] in _QUOTES:
            end = text.find(_QUOTES[text[i]], i + 1)
            if end < 0:
                return None
            items.append("")
            i = end + 1
            continue
        start = i
        while i < n and not text[i].isspace() and text[i] not in _QUOTES:
            i += 1
        word = text[start:i]
        if word == "OR" and not negated and not prefix:
            items.append("OR")
        elif negated or not word or looks_like_doc_number(word) or _is_index_number(word):
            items.append("")
        else:
            items.append(_Chunk(start, i, bool(prefix), _cuts(word, start)))
    return items


def _is_index_number(word: str) -> bool:
    return looks_like_index_number(word) and any(ch.isdigit() for ch in word)


def _cuts(chunk: str, offset: int) -> list[tuple[int, int, str]]:
    """The filler words of one chunk as (start, end, word), offsets in the query."""
    tokens = list(analysis.tokenize(chunk))
    found: dict[int, tuple[int, str]] = {}  # first token → (last token, word)
    for i in range(len(tokens)):
        joined, best = "", None
        for j in range(i, len(tokens)):
            if j > i and tokens[j].start != tokens[j - 1].end:
                break
            joined += tokens[j].text
            if len(joined) > _LONGEST:
                break
            if joined in _ANYWHERE or joined in _EDGE:
                best = (j, joined)
        if best is not None:
            found[i] = best
    taken: dict[int, tuple[int, str]] = {}
    i = 0
    while i < len(tokens):  # anywhere words, left to right, longest first
        if i in found and found[i][1] in _ANYWHERE:
            taken[i] = found[i]
            i = found[i][0] + 1
        else:
            i += 1
    _take_edges(found, taken, len(tokens))
    return [
        (offset + tokens[i].start, offset + tokens[j].end, fold(word))
        for i, (j, word) in sorted(taken.items())
    ]


def _take_edges(
    found: dict[int, tuple[int, str]], taken: dict[int, tuple[int, str]], count: int
) -> None:
    """Add the edge-only words that stand at the chunk's start or end, once the words already
    taken are gone (``<title> 最新 全文`` loses both)."""
    i = 0
    while i < count:  # from the start
        if i in taken:
            i = taken[i][0] + 1
        elif i in found:
            taken[i] = found[i]
            i = found[i][0] + 1
        else:
            break
    ends = {last: first for first, (last, _) in found.items()}
    taken_ends = {last: first for first, (last, _) in taken.items()}
    j = count - 1
    while j >= 0:  # from the end
        if j in taken_ends:
            j = taken_ends[j] - 1
        elif j in ends and not any(f <= j <= last for f, (last, _) in taken.items()):
            first = ends[j]
            taken[first] = found[first]
            j = first - 1
        else:
            break


def validity_answer(title: str, validity: str, since: str = "", current: str = "") -> str:
    """The answer to a validity question about one document, as one sentence:
    ``《…》现行有效`` or ``《…》已于 2020-01-01 废止，现行版本：《…》``. ``current`` is the title of
    the version in force when this one has been superseded."""
    on = f"已于 {since} " if since else "已"
    said = {
        "有效": "现行有效",
        "部分失效": f"部分失效{f'（自 {since} 起）' if since else ''}，引用前请核对条款",
        "已修改": f"{on}修改",
        "已废止": f"{on}废止",
        "失效": f"{on}失效",
        "尚未生效": f"尚未生效{f'，自 {since} 起施行' if since else ''}",
        "未知": "有效性未知，请以发布机关公布为准",
    }.get(validity, validity)
    sentence = f"《{title}》{said}"
    if current:
        sentence += f"，现行版本：《{current}》"
    return sentence


def answer_for(archive: Archive, title: str, status: Status | None) -> str:
    """:func:`validity_answer` for a hit with its status on the search's date ("" without)."""
    if status is None:
        return ""
    current = ""
    if status.current_version:
        found = archive.get(status.current_version)
        current = found.title if found is not None else ""
    return validity_answer(title, status.validity, status.since, current)
