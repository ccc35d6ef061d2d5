"""Finding documents by what staff type: id, 文号 in any bracket style, 索引号, exact title, and
titles that are only similar — one chain used by ``show``, ``check``, ``/wenhao/…``, the staff
forms and ``link``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from archive import Archive, Document
from archive.reads import read_together
from archive.validity import Status, today
from indexer.linking import title_key, title_keys
from indexer.normalize import (
    STATE_PREFIX,
    decree_tail,
    fold,
    is_decree_number,
    looks_like_doc_number,
    looks_like_index_number,
    normalize_doc_number,
    normalize_index_number,
)
from indexer.pending import Pending, pending_for
from indexer.validity_view import ValidityView


@dataclass
class CheckResult:
    """One query of ``gongkai check``: the documents it matched and their status."""

    query: str
    as_of: str
    matched_by: str  # id / doc_number / index_number / title / title_similar / title_fuzzy / none
    confidence: float
    matches: list[tuple[Document, Status]] = field(default_factory=list)
    #: The documents the statuses name (``by``, ``current_version``), by id.
    refs: dict[str, Document] = field(default_factory=dict)
    #: Proposals that would change a match's validity, by document id (not its status).
    pending: dict[str, list[Pending]] = field(default_factory=dict)

    @property
    def found(self) -> bool:
        return bool(self.matches)

    @property
    def valid(self) -> bool:
        """Found, and some match is in force on the date."""
        return any(status.in_force for _, status in self.matches)

    def to_dict(self) -> dict[str, object]:
        return {
            "query": self.query,
            "as_of": self.as_of,
            "found": self.found,
            "valid": self.valid,
            "matched_by": self.matched_by,
            "confidence": self.confidence,
            "matches": [
                {
                    "id": doc.id,
                    "title": doc.title,
                    "doc_number": doc.doc_number,
                    "agency": doc.agency,
                    "date_issued": doc.date_issued,
                    **status.to_dict(),
                    **_named(self.refs, status),
                    "pending": [p.to_dict() for p in self.pending.get(doc.id, [])],
                }
                for doc, status in self.matches
            ],
        }


def _named(refs: dict[str, Document], status: Status) -> dict[str, str]:
    basis, current = refs.get(status.by), refs.get(status.current_version)
    return {
        "basis_title": basis.title if basis else "",
        "basis_doc_number": basis.doc_number if basis else "",
        "current_version_title": current.title if current else "",
        "current_version_doc_number": current.doc_number if current else "",
    }


def exact(archive: Archive, ref: str) -> tuple[list[Document], str]:
    """Exact matches of ``ref`` (stripped) and how they were found: by id, then 文号, 索引号,
    title (:func:`exact_many` of one reference)."""
    return exact_many(archive, [ref]).get(ref.strip(), ([], "none"))


def exact_many(archive: Archive, refs: Iterable[str]) -> dict[str, tuple[list[Document], str]]:
    """:func:`exact` of each of ``refs`` (stripped), by ref: the ids, 文号, 索引号 and titles
    of all of them looked up together (one round trip on PostgreSQL); only a 文号 without its
    issuer or prefix, or a decree number, is looked up on its own (:func:`by_doc_number`)."""
    refs = list(dict.fromkeys(r.strip() for r in refs if r.strip()))
    numbers = {r: normalize_doc_number(r) for r in refs if looks_like_doc_number(r)}
    plain = [n for n in numbers.values() if not n.startswith("〔") and not is_decree_number(n)]
    indexes = {r: normalize_index_number(r) for r in refs if looks_like_index_number(r)}
    by_id, by_number, by_index, by_title = read_together(
        archive.conn,
        [
            archive.documents_read(refs),
            archive.documents_with_read("doc_number_norm", plain),
            archive.documents_with_read("index_number_norm", indexes.values()),
            archive.documents_with_read("title", refs),
        ],
    )
    found: dict[str, tuple[list[Document], str]] = {}
    for ref in refs:
        number = numbers.get(ref, "")
        if ref in by_id:
            found[ref] = [by_id[ref]], "id"
        elif number and (docs := by_number.get(number) or by_doc_number(archive, number, plain)):
            found[ref] = docs, "doc_number"
        elif ref in indexes and indexes[ref] in by_index:
            found[ref] = by_index[indexes[ref]], "index_number"
        else:
            found[ref] = by_title.get(ref, []), ("title" if ref in by_title else "none")
    return found


def by_doc_number(archive: Archive, normalized: str, asked: Iterable[str] = ()) -> list[Document]:
    """Documents with the canonical 文号 ``normalized``. A decree number matches however its
    issuer is spelled (国务院令第656号 = 中华人民共和国国务院令第656号); one without an issuer
    (令第656号), like one without a prefix (〔2017〕1号), matches that number under any."""
    if not is_decree_number(normalized):
        if normalized in asked:  # looked up already (exact_many): none has it
            return []
        return archive.find_by_doc_number(normalized)
    if normalized == decree_tail(normalized):
        return archive.find_by_doc_number_ending(normalized)
    bare = normalized.removeprefix(STATE_PREFIX)
    found: dict[str, Document] = {}
    for spelling in dict.fromkeys([normalized, bare, STATE_PREFIX + bare]):
        for doc in archive.find_by_doc_number(spelling):
            found.setdefault(doc.id, doc)
    return sorted(found.values(), key=lambda d: d.date_issued, reverse=True)


def lookup(archive: Archive, ref: str) -> list[Document]:
    """Documents by id, 文号 (any bracket style), 索引号 or exact title."""
    return exact(archive, ref.strip())[0]


#: How sure a title match is when the title differs from one in the archive only in form
#: (《》, 关于印发…的通知 around it, traditional characters): close, never certain.
SAME_TITLE_CONFIDENCE = 0.95
#: A title with wrong characters is never rated above this.
FUZZY_CEILING = 0.9


def similar_title(archive: Archive, ref: str) -> tuple[list[Document], str, float]:
    """Documents whose title is the one typed, but written differently or slightly wrong,
    with how they matched and a confidence below 1 (a guess is never presented as certain):

    * ``title_similar``: the same title once folded (traditional characters, width), without
      《》 and spaces, or with 关于印发…的通知 taken off either side (0.95); or a title that
      contains the one typed (the share of the title it covers);
    * ``title_fuzzy``: a title one or two characters off (a wrong, missing or extra
      character; two only in titles of 20 characters or more), 1 − edits / length, at most
      0.9."""
    keys = _query_keys(ref)
    if not keys or max(len(k) for k in keys) < 4:
        return [], "none", 0.0
    scored: dict[str, tuple[float, str]] = {}
    # A 文号 or 索引号 that matched nothing is not a misspelt title: no search by halves.
    fuzzy = not (looks_like_doc_number(ref) or looks_like_index_number(ref))
    for doc_id, title in _candidates(archive, keys, fuzzy=fuzzy):
        found = _score(keys, title)
        if found and found[0] > scored.get(doc_id, (0.0, ""))[0]:
            scored[doc_id] = found
    if not scored:
        return [], "none", 0.0
    best = max(score for score, _ in scored.values())
    ids = [doc_id for doc_id, (score, _) in scored.items() if score == best]
    how = "title_similar" if any(scored[i][1] == "title_similar" for i in ids) else "title_fuzzy"
    docs = archive.get_many(ids)
    ordered = sorted(docs.values(), key=lambda d: d.date_issued, reverse=True)
    return ordered, how, best


def _query_keys(ref: str) -> set[str]:
    """The typed title in comparable form, and the title it issues if it is wrapped as
    关于印发…的通知 (with or without 《》)."""
    return title_keys(Document(title=fold(ref.strip()), text=""))


def _candidates(archive: Archive, keys: set[str], *, fuzzy: bool) -> list[tuple[str, str]]:
    """(id, title) of documents that may match: titles holding a whole key, or (``fuzzy``)
    half of one (a title with one wrong character still holds the half without it)."""
    fragments: set[str] = set()
    for key in keys:
        fragments.add(key)
        if fuzzy and len(key) >= 6:
            middle = len(key) // 2
            fragments.update((key[:middle], key[middle:]))
    found: dict[str, str] = {}
    for fragment in sorted(fragments, key=len, reverse=True):
        for doc_id, title in archive.titles_containing(fragment):
            found.setdefault(doc_id, title)
    return list(found.items())


def _score(keys: set[str], title: str) -> tuple[float, str] | None:
    doc_keys = title_keys(Document(title=title, text=""))
    if keys & doc_keys:
        return SAME_TITLE_CONFIDENCE, "title_similar"
    whole = title_key(title)
    inside = [len(k) / len(whole) for k in keys if k in whole]
    if inside:
        return round(min(max(inside), SAME_TITLE_CONFIDENCE), 2), "title_similar"
    best: tuple[float, str] | None = None
    for key in keys:
        allowed = 2 if len(key) >= 20 else 1
        for doc_key in doc_keys:
            edits = edit_distance(key, doc_key, allowed)
            if edits <= allowed:
                score = round(min(1 - edits / max(len(key), len(doc_key)), FUZZY_CEILING), 2)
                if best is None or score > best[0]:
                    best = (score, "title_fuzzy")
    return best


def edit_distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance of ``a`` and ``b``, or ``limit + 1`` once it is over ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, char in enumerate(a, 1):
        current = [i]
        for j, other in enumerate(b, 1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char != other))
            )
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


def match(archive: Archive, query: str) -> tuple[list[Document], str, float]:
    """Documents for one query, how they were matched and how sure the match is
    (1.0 for id, 文号, 索引号 and exact title; less for a similar title)."""
    ref = query.strip()
    if not ref:
        return [], "none", 0.0
    found, how = exact(archive, ref)
    if found:
        return found, how, 1.0
    return similar_title(archive, ref)


def check(
    archive: Archive, validity: ValidityView, queries: Iterable[str], as_of: str | None = None
) -> list[CheckResult]:
    """For each query (文号 in any bracket style, 索引号, id or title): the matching
    documents and their status on ``as_of`` (default today)."""
    as_of = as_of or today()
    queries = list(queries)
    exacts = exact_many(archive, queries)
    matched = []
    for query in queries:
        ref = query.strip()
        docs, matched_by = exacts.get(ref, ([], "none"))
        confidence = 1.0
        if not docs:
            docs, matched_by, confidence = similar_title(archive, ref) if ref else ([], "none", 0.0)
        matched.append((query, docs, matched_by, confidence))
    found = validity.statuses([d for _, docs, _, _ in matched for d in docs], as_of)
    results = [
        CheckResult(
            query=query,
            as_of=as_of,
            matched_by=matched_by,
            confidence=confidence,
            matches=[(d, found[d.id]) for d in docs],
        )
        for query, docs, matched_by, confidence in matched
    ]
    named = {i for r in results for _, s in r.matches for i in (s.by, s.current_version) if i}
    refs = archive.get_many(sorted(named)) if named else {}
    pending = pending_for(archive, {d.id for r in results for d, _ in r.matches})
    for result in results:
        result.refs = refs
        result.pending = {d.id: pending[d.id] for d, _ in result.matches if d.id in pending}
    return results
