"""Text normalization that keeps character offsets: full-width forms, radicals, 文号 and 索引号."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Brackets that people type around the year of a 文号; all mean 〔〕.
_OPEN_BRACKETS = "〔[［(（【〖{｛<＜《"
_CLOSE_BRACKETS = "〕]］)）】〗}｝>＞》"


class _FoldTable(dict):
    """A str.translate table that folds one character to one character, computed on demand.

    NFKC folds full-width ASCII (２０１９ → 2019), ideographic space and the Kangxi/CJK radical
    look-alikes that PDF extraction produces (⽂ → 文). Only one-to-one results are used, so the
    folded text has exactly the same length and every character offset still points into the
    original text.
    """

    def __missing__(self, code: int) -> int | None:
        ch = chr(code)
        folded = unicodedata.normalize("NFKC", ch).lower()
        result = ord(folded) if len(folded) == 1 else code
        if unicodedata.category(chr(result)) == "Zs":
            result = 0x20
        self[code] = result
        return result


_FOLD = _FoldTable()


def fold(text: str) -> str:
    """Fold width, case and radical variants without changing the length of ``text``."""
    return text.translate(_FOLD)


_DOC_NUMBER_RE = re.compile(
    r"(?P<prefix>[\u4e00-\u9fffA-Za-z]{0,20}?)\s*"
    r"[" + re.escape(_OPEN_BRACKETS) + r"]?\s*(?P<year>(?:19|20)\d{2})\s*年?\s*"
    r"[" + re.escape(_CLOSE_BRACKETS) + r"]?\s*[-—–]?\s*第?\s*(?P<number>\d{1,5})\s*号"
)
# A decree number has no year: 国务院令第656号, 中华人民共和国国务院令 第 656 号, 财政部令（第9号）.
_DECREE_RE = re.compile(
    r"(?P<prefix>[\u4e00-\u9fffA-Za-z]{0,30}?令)\s*[" + re.escape(_OPEN_BRACKETS) + r"]?\s*"
    r"第?\s*(?P<number>\d{1,6})\s*号\s*[" + re.escape(_CLOSE_BRACKETS) + r"]?"
)
#: The issuer that national decree numbers often spell out in front (中华人民共和国国务院令).
STATE_PREFIX = "中华人民共和国"
_INDEX_NUMBER_RE = re.compile(r"^[A-Za-z0-9]{1,20}(?:[-/][A-Za-z0-9]{1,20}){2,6}$")


def normalize_doc_number(raw: str) -> str:
    """Canonical form of a 文号: ``国办发〔2019〕2号`` for any bracket style, width or spacing,
    with or without brackets (国办发2019年2号, 国办发2019-2号, 国办发〔2019〕第2号); a decree number
    becomes ``国务院令第656号`` (国务院令656号, 国务院令（第656号）).

    A string that does not look like a 文号 is returned folded with spaces removed, so that it
    can still be compared for equality.
    """
    text = fold(raw).strip()
    match = _DOC_NUMBER_RE.fullmatch(text)
    if match:
        number = str(int(match["number"]))
        return f"{match['prefix']}〔{match['year']}〕{number}号"
    decree = _DECREE_RE.fullmatch(text)
    if decree:
        return f"{decree['prefix']}第{int(decree['number'])}号"
    return re.sub(r"\s+", "", text)


def is_decree_number(normalized: str) -> bool:
    """True for a canonical decree number (``国务院令第656号``), which has no year."""
    return _DECREE_RE.fullmatch(normalized) is not None


def decree_tail(normalized: str) -> str:
    """The part every spelling of a decree number ends with: ``令第656号``."""
    cut = normalized.rfind("令第")
    return normalized[cut:] if cut >= 0 else normalized


def doc_number_suffix(normalized: str) -> str:
    """The year-and-number part of a canonical 文号: ``〔2019〕2号`` of ``国办发〔2019〕2号``;
    for a decree number, the number without the spelled-out issuer 中华人民共和国, so that an
    index holding both finds 中华人民共和国国务院令第656号 by 国务院令第656号."""
    if _DECREE_RE.fullmatch(normalized):
        return normalized.removeprefix(STATE_PREFIX)
    cut = normalized.find("〔")
    return normalized[cut:] if cut >= 0 else normalized


_MENTION_RE = re.compile(
    r"[" + re.escape(_OPEN_BRACKETS) + r"]\s*(?P<year>(?:19|20)\d{2})\s*"
    r"[" + re.escape(_CLOSE_BRACKETS) + r"]\s*第?\s*(?P<number>\d{1,5})\s*号"
)


@dataclass(frozen=True)
class DocNumberMention:
    """A 文号 cited in running text. Where its prefix starts cannot be told from the text alone
    (``要求和国办发〔2019〕2号``), so a mention keeps the text before it and is matched against
    known 文号 with :meth:`matches`."""

    suffix: str
    before: str
    start: int
    end: int

    def matches(self, normalized: str) -> bool:
        if not normalized.endswith(self.suffix):
            return False
        prefix = normalized[: -len(self.suffix)]
        return bool(prefix) and self.before.endswith(prefix)


def find_doc_numbers(text: str) -> list[DocNumberMention]:
    """Every 文号-shaped citation in ``text``, with offsets into the original text."""
    folded = fold(text)
    found = []
    for match in _MENTION_RE.finditer(folded):
        suffix = f"〔{match['year']}〕{int(match['number'])}号"
        before = re.sub(r"\s+", "", folded[max(0, match.start() - 24) : match.start()])
        found.append(DocNumberMention(suffix, before, match.start(), match.end()))
    return found


def looks_like_doc_number(query: str) -> bool:
    """True when the whole query is one 文号 in some spelling, decree numbers included."""
    text = fold(query).strip()
    return _DOC_NUMBER_RE.fullmatch(text) is not None or _DECREE_RE.fullmatch(text) is not None


def normalize_index_number(raw: str) -> str:
    """Canonical 索引号: folded, no spaces, upper-case letters."""
    return re.sub(r"\s+", "", fold(raw)).upper()


def looks_like_index_number(query: str) -> bool:
    return _INDEX_NUMBER_RE.fullmatch(normalize_index_number(query)) is not None
