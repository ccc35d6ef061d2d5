"""Version chains without 文号: the versions of one regulation found by title and agency.

A regulation revised twice is three documents whose titles differ only in markers —
《青测市养老服务办法》, 《青测市养老服务办法（2019年修订）》, 《青测市养老服务暂行办法》 — and
whose 文号 usually say nothing of each other. The linker's sentence rules link them only when
the newer text repeals the older by name; here, as a linker step (see
:class:`indexer.linking.Linker`), every imported document is keyed by its title without those
markers and its agency (:func:`version_key`, kept by :class:`archive.versions.VersionIndex`
under an index), and its neighbours under the same key, ordered by date, become versions:
the newer ``supersedes`` the older (which turns 已修改, pointing to the current version).

* Same agency, and the newer text says 修订/修正/修改 or cites the older (its 文号, or its
  title in 《》): strong evidence, the relation is ``confirmed`` at once.
* Otherwise (an agency unknown on either side, or nothing in the text): ``proposed``, for
  staff to confirm or reject (``gongkai proposals``, /staff), like any proposal.
* Two different agencies: never chained (two cities may each have a 养老服务办法).

Only neighbours are linked (the version just before and just after), so a version imported
between two others — in the same run or a later one — slots into the chain. Existing
relations, and staff decisions about them, are never changed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING

from archive import Document
from archive.relation_batch import NewRelation
from archive.relations import CONFIRMED, PROPOSED, SUPERSEDES
from archive.validity import statuses
from archive.versions import VersionIndex, VersionKey
from archive.vocab import ANSWERING_KINDS, INTERPRETATION
from indexer.linking import effective_date, title_key, title_keys
from indexer.normalize import find_doc_numbers, fold

if TYPE_CHECKING:
    from indexer.linking import Linker, LinkReport

#: A bracketed marker of a version: （2019年修订）, (2018修正), （试行）, 〔2020年第二次修正〕.
_BRACKETED = re.compile(
    r"[（(〔\[［【]\s*(?:(?:19|20)\d{2}\s*年?\s*)?(?:\d{1,2}\s*月\s*(?:\d{1,2}\s*日)?\s*)?"
    r"(?:第[一二三四五六七八九十\d]{1,3}次)?\s*(?:修订|修正|修改|试行|暂行|修订版|修正版)?"
    r"\s*(?:版|本|稿)?\s*[)）〕\]］】]"
)
#: Markers outside brackets: 暂行办法 and 办法 are versions of one another.
_BARE = re.compile(r"试行|暂行|修订稿|修订版|(?<=[法则例定见案])修订$|(?<=[法则例定见案])修正$")
_WRAPPED = re.compile(
    r"^关于(?:印发|发布|公布|颁布|修订印发)(?P<inner>.+?)的(?:通知|决定|公告|通告)$"
)
_SPACES = re.compile(r"\s+")
#: The newer text says it is a revision.
_REVISED = re.compile(r"修订|修正|修改")
#: Keys shorter than this are too common to chain by (通知, 公告 …).
_MIN_KEY = 6


def version_key(title: str) -> str:
    """A title without its version markers, in comparable form ("" for a title too short to
    chain by). 关于印发《X》的通知 counts as X."""
    text = _SPACES.sub("", fold(title))
    wrapped = _WRAPPED.match(text)
    if wrapped:
        text = wrapped["inner"]
    text = _BRACKETED.sub("", text)
    text = _BARE.sub("", text)
    key = title_key(text)
    return key if len(key) >= _MIN_KEY else ""


def agency_key(agency: str) -> str:
    """An agency in comparable form ("" when unknown)."""
    return _SPACES.sub("", fold(agency))


def keys_of(doc: Document) -> VersionKey | None:
    """The key ``doc`` is filed under, or None for a document that has no versions of its
    own (an interpretation or answer quotes the title of what it explains)."""
    if doc.kind == INTERPRETATION or doc.kind in ANSWERING_KINDS:
        return None
    key = version_key(doc.title)
    return VersionKey(doc.id, key, agency_key(doc.agency)) if key else None


def _date(doc: Document) -> str:
    return doc.date_issued or doc.date_effective


def cites(newer: Document, older: Document) -> str:
    """Where ``newer``'s text names ``older`` (its 文号 or its title in 《》), or ""."""
    if older.doc_number_norm:
        for mention in find_doc_numbers(newer.text):
            if mention.matches(older.doc_number_norm):
                return newer.text[mention.start : mention.end]
    older_keys = title_keys(older)
    for match in re.finditer(r"《([^《》\n]{2,120})》", newer.text):
        if title_key(match.group(1)) in older_keys:
            return match.group()
    return ""


def evidence(newer: Document, older: Document) -> tuple[bool, str]:
    """Whether ``newer`` is certainly the next version of ``older``, and why (in words)."""
    same_agency = bool(newer.agency) and agency_key(newer.agency) == agency_key(older.agency)
    named = cites(newer, older)
    revised = _REVISED.search(newer.title) or _REVISED.search(newer.text)
    reasons = ["同名文件（忽略修订、试行和年份标记）"]
    reasons.append("发布机构相同" if same_agency else "发布机构未知，无法核对")
    if named:
        reasons.append(f"新版本引用旧版本：{named}")
    elif revised:
        where = newer.title if _REVISED.search(newer.title) else newer.text
        start = max(revised.start() - 20, 0)
        reasons.append(f"新版本称“{_SPACES.sub(' ', where[start : revised.end() + 20]).strip()}”")
    else:
        reasons.append("新版本正文未提及修订")
    return same_agency and bool(named or revised), "；".join(reasons)


def chain_versions(linker: Linker, docs: list[Document], report: LinkReport) -> None:
    """A linker step: file ``docs`` under their version keys and link each to its nearest
    older and newer version (same key, same or unknown agency) already archived or in the
    batch."""
    index = VersionIndex(linker.archive)
    if not index.available:
        return
    keys = {k.doc_id: k for k in (keys_of(d) for d in docs) if k is not None}
    if not keys:
        return
    index.set_keys(keys.values())
    groups = index.same_title({k.title_key for k in keys.values()})
    wanted = {k.doc_id for group in groups.values() for k in group if len(group) > 1}
    if not wanted:
        return
    # Without their texts: a batch's groups hold thousands of documents once titles repeat
    # (the same 通知 every year), and only the newer side of a new link is read for evidence.
    found = linker.archive.get_many(sorted(wanted), text=False)
    before = briefs(linker, found.values())
    decided = index.linked(found, SUPERSEDES)  # asked once, not pair by pair
    pairs: list[tuple[str, str]] = []  # (newer, older)
    for doc_id, key in keys.items():
        doc = found.get(doc_id)
        if doc is None or not _date(doc):
            continue
        others = [
            found[k.doc_id]
            for k in groups.get(key.title_key, [])
            if k.doc_id != doc_id
            and k.doc_id in found
            and _date(found[k.doc_id])
            and (not k.agency_key or not key.agency_key or k.agency_key == key.agency_key)
        ]
        older = [d for d in others if _date(d) < _date(doc)]
        newer = [d for d in others if _date(d) > _date(doc)]
        if older:
            pairs.append((doc.id, max(older, key=lambda d: (_date(d), d.id)).id))
        if newer:
            pairs.append((min(newer, key=lambda d: (_date(d), d.id)).id, doc.id))
    texts = _with_texts(linker, found, {d.id: d.text for d in docs}, {n for n, _ in pairs})
    links: list[NewRelation] = []
    for newer_id, older_id in pairs:
        if newer_id in texts:
            links += _link(texts[newer_id], found[older_id], decided)
    linker.add(links, report)
    log_changes(linker, found.values(), before)


def _with_texts(
    linker: Linker, found: dict[str, Document], known: dict[str, str], ids: set[str]
) -> dict[str, Document]:
    """``found``'s documents ``ids`` with their texts: the batch's own (``known``) as they
    came, the others read."""
    read = linker.archive.get_many(sorted(i for i in ids if i not in known))
    return {
        i: read[i] if i in read else replace(found[i], text=known[i])
        for i in ids
        if i in read or i in known
    }


def briefs(linker: Linker, docs: Iterable[Document]) -> dict[str, dict[str, object]]:
    """The status of ``docs`` today, as the history records it."""
    return {
        doc_id: {
            "validity": s.validity,
            "since": s.since,
            "by": s.by,
            "current_version": s.current_version,
            "source": s.source,
        }
        for doc_id, s in statuses(linker.archive, list(docs)).items()
    }


def log_changes(
    linker: Linker, docs: Iterable[Document], before: dict[str, dict[str, object]]
) -> None:
    """Write to each document's history how its status changed since ``before`` (as staff
    changes are written), so that a version link is seen there as 有效 → 已修改."""
    docs = [d for d in docs if d.id in before]
    linker.relations.log_validities(
        (
            (doc_id, before[doc_id], after)
            for doc_id, after in briefs(linker, docs).items()
            if after != before[doc_id]
        ),
        linker.actor,
    )


def version_effective(newer: Document) -> str:
    """When ``newer`` replaces the version before it: its 施行日期, else the date its text
    puts it in force unless that is before its issue (a revised text keeps the first
    version's 本条例自2011年4月1日起施行), else its date of issue."""
    if newer.date_effective:
        return newer.date_effective
    stated = effective_date(newer.text, newer)
    return stated if stated >= newer.date_issued else newer.date_issued


def _link(newer: Document, older: Document, decided: set[tuple[str, str]]) -> list[NewRelation]:
    """The relation making ``newer`` the next version of ``older``, unless a supersedes
    relation between them is in ``decided`` (the pairs already related, either way; the new
    one added to it)."""
    if (newer.id, older.id) in decided or (older.id, newer.id) in decided:
        return []  # already decided (by the text, a manifest, staff or an earlier run)
    decided.add((newer.id, older.id))
    strong, why = evidence(newer, older)
    return [
        NewRelation(
            newer.id,
            SUPERSEDES,
            older.id,
            effective=version_effective(newer),
            state=CONFIRMED if strong else PROPOSED,
            evidence=why,
            note="同名新版本" if strong else "同名新版本？请核对",
        )
    ]
