"""Synonyms and abbreviations of Chinese government language (低保 ↔ 最低生活保障).

People search with the words they speak (低保, 人社局, 放管服, 公租房); documents are written in
the full official form (最低生活保障, 人力资源和社会保障局, 简政放权、放管结合、优化服务,
公共租赁住房), and the other way round. Segmentation cannot bridge that gap: the two spellings
share no word. This module holds the reviewed table of equivalent terms shipped in
``indexer/data/synonyms.tsv`` (its header documents the format), checks it strictly, and answers
two questions the query layer will ask:

* :meth:`Synonyms.expand` — the other spellings of one term;
* :meth:`Synonyms.groups_for_text` — which groups a query string mentions, and where.

It does not decide how a search uses them (that belongs to the query layer); besides the
standard library it imports only :func:`indexer.normalize.fold` and the error hierarchy.

Matching rule of :meth:`Synonyms.groups_for_text` (Chinese has no spaces, so a 2-character
abbreviation occurs by accident inside other words: 低保 in 降低保费, 非遗 in 并非遗漏):

1. Text and terms are compared after :func:`~indexer.normalize.fold` (full-width forms, case),
   which keeps offsets, so spans point into the original text.
2. The text is scanned left to right; at each position the longest dictionary string starting
   there wins (国家发改委 before 发改委, 非遗传承人 before 非遗). Dictionary strings are the
   terms of the groups and the *guard* words of the file (type ``guard``).
3. A guard word is consumed without producing a match: 降低 eats the 低 of 降低保费, so 低保
   is never tried there.
4. A term is refused when a guard word starts strictly inside it and ends after it — the term
   would cut that word in half: 低保 in 最低保障 (guard 保障), 劳动法 in 劳动法律 (guard 法律).
   The next shorter term at the same position is tried, then the scan moves on one character.
5. A term that begins or ends with an ASCII letter or digit only matches when the neighbouring
   character is not one (PPP not inside PPPoE, 5G not inside 15G).

The rule errs towards not matching: a missed expansion loses some recall, a wrong one brings in
documents about something else. Known limit: 劳动法规定 matches 劳动法 (as it should) but so does
劳动法规 (labour regulations in general); 法规 is not a guard because 法规定 is far more common.

Staff can add to the table (:meth:`Synonyms.extended`): a plain group *extends* — it joins the one
shipped group it shares a term with (or becomes a new group); an :class:`Extension` with
``replace=True`` *overrides* — its terms leave every group they were in and form a group of their
own (a single term means "this term has no synonyms here"). A staff term that is also a guard
word stops being a guard: staff know their own usage.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

from archive.errors import InvalidInput
from indexer.normalize import fold

DEFAULT_PATH = Path(__file__).with_name("data") / "synonyms.tsv"

#: Kinds of line in the file; ``guard`` lines hold words inside which no term may match.
TYPES = ("abbreviation", "synonym", "agency", "programme", "guard")
GUARD = "guard"

#: Policy areas; a closed list, so that a typo in the file is an error and not a new domain.
DOMAINS = (
    "agriculture",
    "civil_affairs",
    "commerce",
    "culture",
    "digital",
    "education",
    "emergency",
    "employment",
    "enterprise",
    "environment",
    "finance",
    "government",
    "health",
    "housing",
    "justice",
    "law",
    "market",
    "politics",
    "regional",
    "science",
    "social_security",
    "statistics",
    "tax",
    "transport",
)

_COLUMNS = ("terms", "type", "domain", "source")
_BAD_IN_TERM = re.compile(r"[\s#]")
_ASCII_ALNUM = re.compile(r"[0-9A-Za-z]")


class SynonymsError(InvalidInput):
    """The synonyms file or a staff entry is malformed; the message names the line or entry."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where = where


@dataclass(frozen=True)
class SynonymGroup:
    """Terms that mean the same thing; ``terms[0]`` is the canonical (full, official) form."""

    terms: tuple[str, ...]
    type: str
    domain: str
    source: str
    #: Where the group was defined: ``"synonyms.tsv:12"`` or ``"staff entry 3"``.
    origin: str = ""
    #: True when staff added to or created this group.
    staff: bool = False

    @property
    def canonical(self) -> str:
        return self.terms[0]


@dataclass(frozen=True)
class Extension:
    """A staff-added group. ``replace=False`` extends the group it overlaps; ``replace=True``
    takes its terms out of every other group first (a single term: remove its synonyms)."""

    terms: Sequence[str]
    replace: bool = False
    note: str = ""
    domain: str = "government"


@dataclass(frozen=True, slots=True)
class Match:
    """One occurrence of a group's term in a text; ``start``/``end`` index the original text."""

    group: SynonymGroup
    term: str  # the text as it stands between start and end
    start: int
    end: int


@dataclass
class _Parsed:
    groups: list[SynonymGroup] = field(default_factory=list)
    guards: dict[str, str] = field(default_factory=dict)  # folded guard word -> where


def _split_terms(cell: str, where: str) -> tuple[tuple[str, ...], list[str]]:
    """The terms of a ``|``-separated cell and their fold keys; raise naming ``where``.

    The checks run on the whole cell at once (``|`` survives NFKC and folding unchanged), and
    only look at single terms to word the error: loading must stay well under 20 ms."""
    terms = tuple(cell.split("|"))
    if "" in terms:
        raise SynonymsError(where, "empty term (two '|' in a row, or one at either end)")
    bad = _BAD_IN_TERM.search(cell)
    if bad:
        term = next(t for t in terms if _BAD_IN_TERM.search(t))
        raise SynonymsError(where, f"term {term!r} contains white space or '#'")
    if not unicodedata.is_normalized("NFKC", cell):
        term = next(t for t in terms if not unicodedata.is_normalized("NFKC", t))
        raise SynonymsError(
            where,
            f"term {term!r} is not NFKC-normalised; write it as "
            f"{unicodedata.normalize('NFKC', term)!r} (half-width letters, digits and brackets)",
        )
    keys = fold(cell).split("|")
    if len(set(keys)) != len(keys):
        term = next(t for i, (t, k) in enumerate(zip(terms, keys, strict=True)) if k in keys[:i])
        raise SynonymsError(where, f"term {term!r} appears twice in the group")
    return terms, keys


def parse(text: str, name: str = "synonyms.tsv") -> _Parsed:
    """Parse and check the file format; raise :class:`SynonymsError` naming the first bad line."""
    parsed = _Parsed()
    seen: dict[str, str] = {}  # folded term -> where it was defined
    for number, raw in enumerate(text.splitlines(), start=1):
        where = f"{name}, line {number}"
        if raw.strip() == "":
            continue
        if raw.startswith("#"):
            continue
        cells = raw.split("\t")
        if len(cells) != len(_COLUMNS):
            raise SynonymsError(
                where,
                f"expected {len(_COLUMNS)} tab-separated columns ({', '.join(_COLUMNS)}), "
                f"found {len(cells)}",
            )
        for column, cell in zip(_COLUMNS, cells, strict=True):
            if cell != cell.strip():
                raise SynonymsError(where, f"white space around the {column} column")
            if cell == "":
                raise SynonymsError(where, f"the {column} column is empty")
        cell_terms, kind, domain, source = cells
        if kind not in TYPES:
            raise SynonymsError(where, f"unknown type {kind!r}; expected one of {', '.join(TYPES)}")
        if domain not in DOMAINS:
            raise SynonymsError(
                where, f"unknown domain {domain!r}; expected one of {', '.join(DOMAINS)}"
            )
        terms, keys = _split_terms(cell_terms, where)
        for term, key in zip(terms, keys, strict=True):
            if key in seen:
                raise SynonymsError(where, f"term {term!r} is already defined at {seen[key]}")
            seen[key] = f"line {number}"
        if kind == GUARD:
            for key in keys:
                parsed.guards[key] = where
            continue
        if len(terms) < 2:
            raise SynonymsError(where, "a group needs at least two terms")
        origin = f"{name}:{number}"
        parsed.groups.append(SynonymGroup(terms, kind, domain, source, origin))
    return parsed


class Synonyms:
    """The table of synonym groups: a dict from folded term to group, plus the guard words.

    Build one with :func:`load` (cached per process) or :meth:`extended`; it is immutable.
    """

    def __init__(self, groups: Iterable[SynonymGroup], guards: Iterable[str] = ()) -> None:
        self.groups: tuple[SynonymGroup, ...] = tuple(groups)
        self._by_key: dict[str, SynonymGroup] = {}
        for group in self.groups:
            for term, key in zip(group.terms, fold("|".join(group.terms)).split("|"), strict=True):
                if key in self._by_key:  # only reachable by building one by hand
                    raise SynonymsError(group.origin, f"term {term!r} is in two groups")
                self._by_key[key] = group
        self._guards: frozenset[str] = frozenset(k for k in guards if k not in self._by_key)
        # the distinct lengths, longest first: a query tries only lengths some string has
        self._guard_sizes = sorted({len(k) for k in self._guards})
        self._lengths = sorted(
            {len(k) for k in self._by_key} | set(self._guard_sizes), reverse=True
        )

    def __len__(self) -> int:
        return len(self.groups)

    def __contains__(self, term: object) -> bool:
        return isinstance(term, str) and fold(term) in self._by_key

    @property
    def guards(self) -> frozenset[str]:
        return self._guards

    def group_of(self, term: str) -> SynonymGroup | None:
        """The group ``term`` belongs to (width and case folded), or None."""
        return self._by_key.get(fold(term.strip()))

    def expand(self, term: str) -> list[str]:
        """The other terms of ``term``'s group, canonical first; [] for an unknown term."""
        group = self.group_of(term)
        if group is None:
            return []
        key = fold(term.strip())
        return [t for t in group.terms if fold(t) != key]

    def _guard_crosses(self, folded: str, start: int, end: int) -> bool:
        """A guard word starts inside [start, end) (not at start) and ends after ``end``."""
        for k in range(start + 1, end):
            for size in self._guard_sizes:
                if (
                    k + size > end
                    and k + size <= len(folded)
                    and folded[k : k + size] in self._guards
                ):
                    return True
        return False

    def groups_for_text(self, text: str) -> list[Match]:
        """The terms found in ``text``, in text order, by the rule in the module docstring."""
        folded = fold(text)
        n = len(folded)
        matches: list[Match] = []
        i = 0
        while i < n:
            advance = 1
            for size in self._lengths:
                if size > n - i:
                    continue
                piece = folded[i : i + size]
                if piece in self._guards:
                    advance = size
                    break
                group = self._by_key.get(piece)
                if group is None:
                    continue
                end = i + size
                if _ASCII_ALNUM.match(piece[0]) and i > 0 and _ASCII_ALNUM.match(folded[i - 1]):
                    continue
                if _ASCII_ALNUM.match(piece[-1]) and end < n and _ASCII_ALNUM.match(folded[end]):
                    continue
                if self._guard_crosses(folded, i, end):
                    continue
                matches.append(Match(group, text[i:end], i, end))
                advance = size
                break
            i += advance
        return matches

    def extended(self, entries: Iterable[Extension | Sequence[str]]) -> Synonyms:
        """A new table with staff ``entries`` merged in, in order (see the module docstring).

        A plain sequence of terms is ``Extension(terms)``. Raises :class:`SynonymsError` naming
        the entry for an empty or malformed term, or a plain group that would join two groups.
        """
        groups = list(self.groups)
        for number, entry in enumerate(entries, start=1):
            where = f"staff entry {number}"
            if isinstance(entry, str) or isinstance(getattr(entry, "terms", None), str):
                raise SynonymsError(where, "terms must be a list of strings, not one string")
            ext = entry if isinstance(entry, Extension) else Extension(tuple(entry))
            if any(not isinstance(t, str) or "|" in t for t in ext.terms):
                raise SynonymsError(where, "every term must be a string without '|'")
            terms, keys = _split_terms("|".join(ext.terms), where) if ext.terms else ((), [])
            if not terms:
                raise SynonymsError(where, "no terms")
            if ext.domain not in DOMAINS:
                raise SynonymsError(where, f"unknown domain {ext.domain!r}")
            source = f"staff: {ext.note}" if ext.note else "staff"
            if ext.replace:
                groups = _without(groups, set(keys))
                if len(terms) >= 2:
                    groups.append(SynonymGroup(terms, "synonym", ext.domain, source, where, True))
                continue
            if len(terms) < 2:
                raise SynonymsError(where, "a group needs at least two terms")
            hit = [g for g in groups if any(fold(t) in keys for t in g.terms)]
            if len(hit) > 1:
                names = " and ".join(f"{g.canonical} ({g.origin})" for g in hit)
                raise SynonymsError(
                    where,
                    f"it would join {names}; use Extension(..., replace=True) to regroup",
                )
            if not hit:
                groups.append(SynonymGroup(terms, "synonym", ext.domain, source, where, True))
                continue
            old = hit[0]
            have = {fold(t) for t in old.terms}
            added = tuple(t for t, k in zip(terms, keys, strict=True) if k not in have)
            merged = replace(
                old, terms=old.terms + added, source=f"{old.source}; {source}", staff=True
            )
            groups[groups.index(old)] = merged
        return Synonyms(groups, self._guards)


def _without(groups: list[SynonymGroup], keys: set[str]) -> list[SynonymGroup]:
    """``groups`` with the terms in ``keys`` removed; groups left with one term are dropped."""
    out = []
    for group in groups:
        kept = tuple(t for t in group.terms if fold(t) not in keys)
        if len(kept) == len(group.terms):
            out.append(group)
        elif len(kept) >= 2:
            out.append(replace(group, terms=kept, staff=True))
    return out


def loads(text: str, name: str = "synonyms.tsv") -> Synonyms:
    """A :class:`Synonyms` from the text of a synonyms file (checked; see :func:`parse`)."""
    parsed = parse(text, name)
    return Synonyms(parsed.groups, parsed.guards)


def load(path: str | Path | None = None) -> Synonyms:
    """The table in ``path`` (default: the shipped file), parsed once per process.

    The cache is keyed by path, size and modification time, so an edited file is read again.
    """
    p = Path(path) if path is not None else DEFAULT_PATH
    try:
        st = p.stat()
    except OSError as exc:
        raise SynonymsError(str(p), f"cannot read the synonyms file ({exc.strerror})") from exc
    return _load_cached(str(p.resolve()), st.st_size, st.st_mtime_ns)


@lru_cache(maxsize=8)
def _load_cached(path: str, size: int, mtime_ns: int) -> Synonyms:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SynonymsError(p.name, f"not UTF-8 (byte {exc.start})") from exc
    return loads(text, p.name)
