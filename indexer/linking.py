"""Automatic linking at import: what a document's text says about other documents.

* An interpretation (政策解读: 关于《……》的解读, 《……》政策解读, ……答记者问) names the document it
  interprets in its title or body → ``interprets``.
* An answered disclosure request (告知书, 答复书, 办理结果) that cites a title or 文号 → ``answers``
  (citations of a legal basis, 根据《……条例》, are only ``cites``).
* A document's own 有效期 (本规定有效期三年, 有效期至……, 试行两年, or the header's 有效期) → the
  day it ends, kept beside the document (:mod:`indexer.expiry`) like the 施行日期 its text states.
* A notice's repeal and amendment clauses (《……》（……〔……〕……号）同时废止, 自……起废止, 予以废止,
  决定修改) → ``repeals`` / ``amends``, or ``supersedes`` when the repealed document has the same
  title (a new version), with the effective date the text states.

A relation is made ``confirmed`` when the reference names the target's 文号 exactly, or, for
relations that do not change validity, when the title names exactly one document; otherwise it
is ``proposed`` and waits for staff (``gongkai proposals``). Every reference found is kept in
the archive (``refs``), so a document imported later is linked to the documents that named it
before it arrived: linking runs in both directions.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from archive import Archive, Document
from archive.relation_batch import NewRelation, add_auto
from archive.relations import (
    AMENDS,
    ANSWERS,
    CITES,
    CONFIRMED,
    INTERPRETS,
    PROPOSED,
    REPEALS,
    SUPERSEDES,
    VALIDITY_EFFECT,
    Expiry,
    Reference,
    Relations,
)
from archive.vocab import ANSWERING_KINDS, INTERPRETATION, LINKER_ACTOR, NOTICE
from indexer.expiry import find_expiry
from indexer.header import parse_date
from indexer.normalize import DocNumberMention, doc_number_suffix, find_doc_numbers, fold

if TYPE_CHECKING:
    from indexer.items import Prepared

ACTOR = LINKER_ACTOR

_QUOTES = re.compile(r"[\s《》〈〉“”\"'‘’「」『』]+")
_TITLE_RE = re.compile(r"《(?P<title>[^《》\n]{2,120})》")
_WRAPPED_RE = re.compile(
    r"^关于(?:印发|发布|转发|公布|颁布|修订印发)(?P<inner>.+?)的(?:通知|决定|公告|通告|函)$"
)
_INTERP_TITLE_RES = (
    re.compile(r"^关于(?P<t>.+?)的(?:政策)?(?:解读|图解|问答)"),
    re.compile(r"^(?P<t>.+?)(?:政策)?(?:解读|图解|问答)$"),
    re.compile(r"就(?P<t>.+?)(?:答记者问|答问)"),
)
_CLAUSE_END = re.compile(r"[。；;！？!?\n]")
_LIST_ITEM = re.compile(
    r"^\s*(?:\d{1,3}\s*[.、．]|[（(][一二三四五六七八九十\d]{1,3}[）)]|"
    r"[一二三四五六七八九十]{1,3}、|《)"
)
_REPEAL_RE = re.compile(r"废止|停止执行|不再执行")
_AMEND_RE = re.compile(
    r"决定(?:对[^。；]{0,120})?修改|作(?:如下|以下)修改|修改如下|予以修改|修正如下"
)
#: The version history printed under a revised text: （2016年3月1日青住建规〔2016〕2号印发
#: 根据2019年6月3日青住建规〔2019〕4号决定修改）.
_VERSION_NOTE_RE = re.compile(
    r"^[（(][^（）()]*(?:印发|公布|发布)[^（）()]*(?:修改|修订|修正)[^（）()]*[）)]$"
)
_BASIS_RE = re.compile(r"(?:根据|依据|按照|依照|参照|贯彻|落实|遵照)[^，。；：]{0,8}$")
_DATE = r"(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|(?:19|20)\d{2}-\d{1,2}-\d{1,2}"
_FROM_DATE_RE = re.compile(rf"自\s*(?P<date>{_DATE}|(?:发布|印发|公布|颁布)之日)\s*起")
_IN_FORCE_RE = re.compile(
    rf"自\s*(?P<date>{_DATE}|(?:发布|印发|公布|颁布)之日)\s*起\s*(?:施行|实施|执行|生效)"
)
#: The document's own start: 本办法自2027年1月1日起施行.
_OWN_IN_FORCE_RE = re.compile(
    rf"本(?:办法|规定|通知|意见|决定|方案|细则|规则|条例|批复|标准|措施|制度)\s*"
    rf"自\s*(?P<date>{_DATE})\s*起\s*(?:施行|实施|执行|生效)"
)
#: An interpretation names the document it explains near the top.
_INTERP_LEAD = 600
#: How far after a title a 文号 in brackets still belongs to it: 《……》（青政发〔2015〕3号）.
_PAIR_GAP = 24


def title_key(title: str) -> str:
    """A title in comparable form: folded, without spaces, quotes or 《》."""
    return _QUOTES.sub("", fold(title))


def title_keys(doc: Document) -> set[str]:
    """Every way a document's title may be cited: the whole title, and the title of what it
    issues (关于印发《X》的通知 → X)."""
    keys = {title_key(doc.title)}
    wrapped = _WRAPPED_RE.match(re.sub(r"\s+", "", doc.title))
    if wrapped:
        keys.add(title_key(wrapped["inner"]))
    keys.discard("")
    return keys


@dataclass
class _Span:
    start: int
    end: int
    text: str


def _clauses(text: str) -> list[_Span]:
    """Sentences, with a 废止/修改 line ending in ： joined to the list items after it."""
    bounds: list[tuple[int, int]] = []
    start = 0
    for match in _CLAUSE_END.finditer(text):
        if match.start() > start:
            bounds.append((start, match.end()))
        start = match.end()
    if start < len(text):
        bounds.append((start, len(text)))
    merged: list[tuple[int, int]] = []
    open_list = False
    for begin, end in bounds:
        if open_list and merged and _LIST_ITEM.match(text[begin:end]):
            merged[-1] = (merged[-1][0], end)
            continue
        merged.append((begin, end))
        # Only a clause ending in ： can open a list (checked first: the cheap test).
        stripped = text[begin:end].strip()
        open_list = stripped.rstrip("\n").endswith(("：", ":")) and bool(
            _REPEAL_RE.search(stripped) or _AMEND_RE.search(stripped)
        )
    return [_Span(begin, end, text[begin:end]) for begin, end in merged]


def _clause_at(clauses: list[_Span], starts: list[int], pos: int, text: str) -> _Span:
    """The clause of ``clauses`` (with their ``starts``) holding position ``pos``."""
    i = bisect.bisect_right(starts, pos) - 1
    if i >= 0 and clauses[i].start <= pos < clauses[i].end:
        return clauses[i]
    return _Span(0, len(text), text)


def _date_in(text: str, doc: Document, pattern: re.Pattern[str]) -> str:
    match = pattern.search(text)
    if not match:
        return ""
    value = match["date"]
    if value.endswith("之日"):
        return doc.date_issued
    return parse_date(value)


def _effective(clause: str, doc: Document) -> str:
    """When a repeal or amendment in ``clause`` of ``doc`` takes effect."""
    return (
        _date_in(clause, doc, _FROM_DATE_RE)
        or _date_in(doc.text, doc, _IN_FORCE_RE)
        or doc.date_effective
        or doc.date_issued
    )


def effective_date(text: str, doc: Document) -> str:
    """When what ``doc`` decides takes effect: the date its text puts it in force
    (本决定自公布之日起施行), else its 施行日期, else its date of issue."""
    return _date_in(text, doc, _IN_FORCE_RE) or doc.date_effective or doc.date_issued


def _excerpt(text: str, start: int, end: int, limit: int = 160) -> str:
    snippet = re.sub(r"\s+", " ", text[start:end]).strip()
    return snippet if len(snippet) <= limit else snippet[: limit - 1] + "…"


def find_references(doc: Document) -> list[Reference]:
    """The documents ``doc`` names (by title in 《》 and/or 文号), with the relation each
    sentence implies. Nothing is resolved here; see :class:`Linker`."""
    refs: list[Reference] = []
    seen: set[tuple[str, str, str, str]] = set()

    def add(ref: Reference) -> None:
        key = (ref.type, ref.title_key, ref.number_suffix, ref.number_before)
        if key not in seen and (ref.title_key or ref.number_suffix):
            seen.add(key)
            refs.append(ref)

    own = title_keys(doc)
    # The title of an interpretation or answer names its subject.
    if doc.kind == INTERPRETATION or doc.kind in ANSWERING_KINDS:
        rel_type = INTERPRETS if doc.kind == INTERPRETATION else ANSWERS
        named = [m["title"] for m in _TITLE_RE.finditer(doc.title)]
        if not named and doc.kind == INTERPRETATION:
            compact = re.sub(r"\s+", "", doc.title)
            for pattern in _INTERP_TITLE_RES:
                match = pattern.search(compact)
                if match and len(match["t"]) >= 4:
                    named.append(match["t"])
                    wrapped = _WRAPPED_RE.match(match["t"])
                    if wrapped:
                        named.append(wrapped["inner"])
                    break
        for title in named:
            add(Reference(doc.id, rel_type, title_key(title), evidence=f"标题：{doc.title}"))
        for mention in find_doc_numbers(doc.title):
            add(
                Reference(
                    doc.id,
                    rel_type,
                    number_suffix=mention.suffix,
                    number_before=mention.before,
                    evidence=f"标题：{doc.title}",
                )
            )

    text = doc.text
    numbers = find_doc_numbers(text)
    paired: set[int] = set()
    mentions: list[tuple[int, int, str, DocNumberMention | None]] = []  # start, end, title, no.
    for match in _TITLE_RE.finditer(text):
        number = None
        for i, mention in enumerate(numbers):
            gap = text[match.end() : mention.start]
            if 0 <= mention.start - match.end() <= _PAIR_GAP and re.fullmatch(
                r"\s*[（(]\s*[\u4e00-\u9fffA-Za-z]*\s*", gap
            ):
                number = mention
                paired.add(i)
                break
        end = number.end if number else match.end()
        mentions.append((match.start(), end, match["title"], number))
    for i, mention in enumerate(numbers):
        if i not in paired:
            mentions.append((mention.start, mention.end, "", mention))
    mentions.sort(key=lambda m: m[0])

    clauses = _clauses(text) if mentions else []
    starts = [c.start for c in clauses]
    for start, _end, title, number in mentions:
        key = title_key(title) if title else ""
        clause = _clause_at(clauses, starts, start, text)
        before = text[clause.start : start]
        if _VERSION_NOTE_RE.match(clause.text.strip()) and doc.kind not in (
            INTERPRETATION,
            *ANSWERING_KINDS,
        ):
            rel_type = SUPERSEDES  # （2016年…印发　根据…决定修改）: earlier versions of this one
        elif _BASIS_RE.search(before):
            rel_type = CITES
        elif doc.kind == INTERPRETATION:
            rel_type = INTERPRETS if (start < _INTERP_LEAD or number) else CITES
        elif doc.kind in ANSWERING_KINDS:
            # 已被《X》废止: X is what repealed the subject, not the subject.
            rel_type = CITES if before.rstrip().endswith(("被", "已被")) else ANSWERS
        elif _REPEAL_RE.search(clause.text):
            rel_type = REPEALS
        elif _AMEND_RE.search(clause.text):
            rel_type = AMENDS
        else:
            rel_type = CITES
        if key and key in own and not number and rel_type not in VALIDITY_EFFECT:
            continue  # the document naming itself (本办法 / its own title)
        effective = _effective(clause.text, doc) if rel_type in VALIDITY_EFFECT else ""
        add(
            Reference(
                doc.id,
                rel_type,
                title_key=key,
                number_suffix=number.suffix if number else "",
                number_before=number.before if number else "",
                effective=effective,
                evidence=_excerpt(text, clause.start, clause.end),
            )
        )
    return refs


@dataclass
class _Info:
    date: str
    keys: set[str]
    number: str


_PRIORITY = {REPEALS: 0, SUPERSEDES: 0, AMENDS: 0, INTERPRETS: 1, ANSWERS: 1, CITES: 2}


@dataclass
class LinkReport:
    """What one linking run did."""

    added: list[int] = field(default_factory=list)  # relation ids
    proposed: int = 0
    confirmed: int = 0
    affected: set[str] = field(default_factory=set)  # documents whose validity may change


#: Work a linker does for each batch before it applies the batch's references (e.g.
#: :func:`indexer.decisions.apply_to_batch`): called with the linker, the batch and the report.
BatchStep = Callable[["Linker", list[Document], "LinkReport"], None]


class Linker:
    """Links documents to the archive they are imported into (one per import run)."""

    def __init__(
        self, archive: Archive, *, actor: str = ACTOR, steps: Sequence[BatchStep] = ()
    ) -> None:
        self.archive = archive
        self.relations = Relations(archive)
        self.actor = actor
        self.steps = tuple(steps)
        self._info: dict[str, _Info] = {}
        self._by_key: dict[str, set[str]] = {}
        self._by_suffix: dict[str, set[tuple[str, str]]] = {}
        names = ["id", "title", "doc_number_norm", "date_issued", "date_effective"]
        for row in archive.fields(names):
            self._remember(
                Document(
                    title=row["title"],
                    text="",
                    id=row["id"],
                    doc_number_norm=row["doc_number_norm"],
                    date_issued=row["date_issued"],
                    date_effective=row["date_effective"],
                )
            )

    def _remember(self, doc: Document, text_date: str = "") -> None:
        keys = title_keys(doc)
        start = doc.date_effective or text_date or doc.date_issued
        self._info[doc.id] = _Info(start, keys, doc.doc_number_norm)
        for key in keys:
            self._by_key.setdefault(key, set()).add(doc.id)
        if doc.doc_number_norm:
            suffix = doc_number_suffix(doc.doc_number_norm)
            self._by_suffix.setdefault(suffix, set()).add((doc.doc_number_norm, doc.id))

    def resolve(self, ref: Reference) -> tuple[list[str], bool]:
        """The documents ``ref`` names, and whether by exact 文号."""
        if ref.number_suffix:
            mention = DocNumberMention(ref.number_suffix, ref.number_before, 0, 0)
            found = sorted(
                doc_id
                for norm, doc_id in self._by_suffix.get(ref.number_suffix, ())
                if doc_id != ref.src and mention.matches(norm)
            )
            if found:
                return found, True
        if not ref.title_key:
            return [], False
        found = sorted(d for d in self._by_key.get(ref.title_key, ()) if d != ref.src)
        if len(found) > 1:
            # Several versions share the title: the latest one dated before the citing one.
            src_date = self._info[ref.src].date if ref.src in self._info else ""
            dated = [d for d in found if not src_date or self._info[d].date <= src_date]
            if dated:
                latest = max(self._info[d].date for d in dated)
                found = [d for d in dated if self._info[d].date == latest]
        return found, False

    def link(
        self, docs: Iterable[Document], prepared: Mapping[str, Prepared] | None = None
    ) -> LinkReport:
        """Find the references of ``docs``, keep them, and resolve them and every earlier
        reference that names one of ``docs``. Existing relations are never changed.

        References an import worker already found (``prepared``, by id) are taken from there
        when they were found in the document's present title and text."""
        docs = list(docs)
        report = LinkReport()
        with self.relations.transaction():
            kept = self.relations.expiries(d.id for d in docs)  # one look-up for the batch
            for doc in docs:
                own = self._own_effective(doc)
                self._remember(doc, own)
                if self._own_expiry(doc, own, kept):
                    report.affected.add(doc.id)
            refs: list[Reference] = []
            by_doc: dict[str, list[Reference]] = {}
            for doc in docs:
                done = prepared.get(doc.id) if prepared is not None else None
                if done is not None and done.fits(doc.title, doc.text):
                    by_doc[doc.id] = [replace(r, src=doc.id) for r in done.references]
                else:
                    by_doc[doc.id] = find_references(doc)
                refs.extend(by_doc[doc.id])
            self.relations.replace_refs(by_doc)  # the batch's in a few statements
            for step in self.steps:
                step(self, docs, report)
            keys = {k for d in docs for k in self._info[d.id].keys}
            suffixes = self.suffixes_of(docs)
            new_ids = {d.id for d in docs}
            earlier = self.relations.refs_naming(title_keys=keys, number_suffixes=suffixes)
            refs.extend(r for r in earlier if r.src not in new_ids)
            refs.sort(key=lambda r: _PRIORITY[r.type])
            wanted = [rel for ref in refs for rel in self._relations_of(ref)]
            self.add(wanted, report)
        if report.affected:
            self.relations.touch(report.affected)
        return report

    @staticmethod
    def suffixes_of(docs: Iterable[Document]) -> set[str]:
        """The 文号 suffixes (``〔2019〕2号``) by which ``docs`` may be cited."""
        return {doc_number_suffix(d.doc_number_norm) for d in docs if d.doc_number_norm}

    def _own_effective(self, doc: Document) -> str:
        """Keep a document's 施行日期 from its text when the header has none; returns it."""
        if doc.date_effective or doc.kind != NOTICE:
            return ""
        match = _OWN_IN_FORCE_RE.search(doc.text)
        if not match:
            return ""
        effective = parse_date(match["date"])
        if not effective or effective == doc.date_issued:
            return ""
        evidence = _excerpt(doc.text, match.start(), match.end())
        self.relations.fill_effective(doc.id, effective, evidence=evidence, actor=self.actor)
        return effective

    def _own_expiry(
        self, doc: Document, text_date: str, kept: Mapping[str, Expiry] | None = None
    ) -> bool:
        """Keep the end of the document's own 有效期 (本规定有效期三年, header 有效期 …; see
        :mod:`indexer.expiry`), counted from its 施行日期 (header, else ``text_date`` from its
        text, else its date of issue); returns whether it changed. Interpretations and answers
        quote other documents' clauses, so only documents in their own right are read."""
        if doc.kind == INTERPRETATION or doc.kind in ANSWERING_KINDS:
            return False
        found = find_expiry(doc, doc.date_effective or text_date)
        return self.relations.set_expiry(doc.id, found, actor=self.actor, kept=kept)

    def _relations_of(self, ref: Reference) -> list[NewRelation]:
        """The relations ``ref`` asks for: one to each document it names."""
        targets, exact = self.resolve(ref)
        wanted = []
        for dst in targets:
            rel_type = ref.type
            src_info, dst_info = self._info.get(ref.src), self._info.get(dst)
            same_title = bool(src_info and dst_info and src_info.keys & dst_info.keys)
            if rel_type == REPEALS and same_title:
                rel_type = SUPERSEDES  # a new version of the same document
            elif rel_type == SUPERSEDES and not same_title:
                rel_type = CITES  # a version note naming a decision, not a version
            confirmed = exact or (len(targets) == 1 and rel_type not in VALIDITY_EFFECT)
            wanted.append(
                NewRelation(
                    ref.src,
                    rel_type,
                    dst,
                    effective=ref.effective,
                    state=CONFIRMED if confirmed else PROPOSED,
                    evidence=ref.evidence,
                    note="文号一致" if exact else "按标题匹配",
                )
            )
        return wanted

    def add(self, wanted: Sequence[NewRelation], report: LinkReport) -> None:
        """Make the relations of ``wanted`` that are not there (a citation adds nothing where
        a stronger relation between the two documents exists: see
        :func:`archive.relation_batch.plan`), all at once, and count them in ``report``."""
        for rel in add_auto(self.relations, wanted, actor=self.actor):
            report.added.append(rel.id)
            if rel.state == CONFIRMED:
                report.confirmed += 1
                if rel.type in VALIDITY_EFFECT:
                    report.affected.add(rel.dst)
            else:
                report.proposed += 1


def relink_all(
    archive: Archive, *, batch: int = 500, steps: Sequence[BatchStep] = ()
) -> LinkReport:
    """Link every archived document (for archives imported before linking, or after the
    linker improved). Existing relations, and staff decisions about them, are kept."""
    linker = Linker(archive, steps=steps)
    total = LinkReport()
    pending: list[Document] = []

    def flush() -> None:
        part = linker.link(pending)
        total.added += part.added
        total.proposed += part.proposed
        total.confirmed += part.confirmed
        total.affected |= part.affected
        pending.clear()

    for doc in archive.iter_documents():
        pending.append(doc)
        if len(pending) >= batch:
            flush()
    if pending:
        flush()
    return total
