"""What a manifest row says a document supersedes, amends or repeals, made into relations.

A manifest may state what the text does not: columns ``supersedes``, ``amends`` and
``repeals`` (see :mod:`indexer.manifest`), each naming one or more documents (separated by
；) by 文号, 索引号, id or title, resolved with the one look-up (:func:`indexer.lookup.exact`).
The publisher's word is taken as confirmed (origin ``manifest``) when it names exactly one
document; a title several documents share is narrowed to the latest dated before the row's
document, else every candidate is proposed to staff.

A claim whose target is not archived yet is kept (:class:`archive.versions.VersionIndex`)
under every key its value could match, and applied when a document with that 文号, 索引号,
id or title arrives, in the same run or a later one: a linker step, like
:func:`indexer.versioning.chain_versions`. A relation staff rejected is never brought back.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from archive import Archive, Document
from archive.relations import AMENDS, CONFIRMED, MANIFEST, PROPOSED, REPEALS, SUPERSEDES
from archive.versions import Claim, VersionIndex
from archive.vocab import VALIDITY_EFFECT
from indexer.linking import effective_date, title_key, title_keys
from indexer.lookup import exact
from indexer.normalize import (
    looks_like_doc_number,
    looks_like_index_number,
    normalize_doc_number,
    normalize_index_number,
)
from indexer.versioning import briefs, log_changes

if TYPE_CHECKING:
    from indexer.linking import Linker, LinkReport

#: The manifest columns and the relation each makes.
CLAIM_COLUMNS = {"supersedes": SUPERSEDES, "amends": AMENDS, "repeals": REPEALS}
_SPLIT = re.compile(r"[；;\n]+")


def claims_of(doc: Document) -> list[Claim]:
    """The claims of ``doc``'s manifest row (kept in ``doc.extra`` at import)."""
    found: list[Claim] = []
    for column, rel_type in CLAIM_COLUMNS.items():
        raw = doc.extra.get(column)
        values = raw if isinstance(raw, list) else _SPLIT.split(str(raw or ""))
        for value in values:
            value = str(value).strip()
            if value:
                found.append(Claim(doc.id, rel_type, value))
    return found


def value_keys(value: str) -> list[str]:
    """Every key under which a document ``value`` names could be found."""
    keys = [f"id:{value}", f"t:{title_key(value)}"]
    if looks_like_doc_number(value):
        keys.append(f"wh:{normalize_doc_number(value)}")
    if looks_like_index_number(value):
        keys.append(f"sy:{normalize_index_number(value)}")
    return keys


def doc_keys(doc: Document) -> list[str]:
    """The keys under which claims naming ``doc`` are filed."""
    keys = [f"id:{doc.id}", *(f"t:{k}" for k in title_keys(doc))]
    if doc.doc_number_norm:
        keys.append(f"wh:{doc.doc_number_norm}")
    if doc.index_number_norm:
        keys.append(f"sy:{doc.index_number_norm}")
    return keys


def resolve(archive: Archive, claim: Claim, src: Document) -> tuple[list[Document], bool]:
    """The documents ``claim`` names, and whether certainly (exactly one)."""
    found, _how = exact(archive, claim.value)
    found = [d for d in found if d.id != src.id]
    if len(found) > 1:
        start = src.date_issued or src.date_effective
        dated = [d for d in found if (d.date_issued or d.date_effective) <= start] or found
        latest = max(d.date_issued or d.date_effective for d in dated)
        found = [d for d in dated if (d.date_issued or d.date_effective) == latest]
    return found, len(found) == 1


def apply_claims(linker: Linker, docs: list[Document], report: LinkReport) -> None:
    """A linker step: keep the claims of ``docs``' manifest rows, and apply them and every
    earlier claim naming one of ``docs``."""
    index = VersionIndex(linker.archive)
    if not index.available:
        return
    sources: dict[str, Document] = {}
    for doc in docs:
        claims = claims_of(doc)
        if claims:
            index.replace_claims(doc.id, [(c, value_keys(c.value)) for c in claims])
            sources[doc.id] = doc
    earlier = {c.src for c in index.claims_naming(k for d in docs for k in doc_keys(d))}
    earlier -= set(sources)
    sources.update(linker.archive.get_many(sorted(earlier)))
    for src in sources.values():
        for claim in claims_of(src):
            targets, certain = resolve(linker.archive, claim, src)
            before = briefs(linker, targets)
            for target in targets:
                _add(linker, src, claim, target, certain, report)
            log_changes(linker, targets, before)


def _add(
    linker: Linker, src: Document, claim: Claim, target: Document, certain: bool, report: LinkReport
) -> None:
    relations = linker.relations
    existing = relations.find(src.id, claim.type, target.id)
    if existing is not None and (existing.state != PROPOSED or not certain):
        return  # confirmed already, or rejected by staff: never brought back
    rel, added = relations.add(
        src.id,
        claim.type,
        target.id,
        effective=effective_date(src.text, src),
        origin=MANIFEST,
        state=CONFIRMED if certain else PROPOSED,
        evidence=f"导入清单：{claim.type} = {claim.value}",
        note="导入清单" if certain else "导入清单（名称对应多份文件，请核对）",
        actor=linker.actor,
    )
    if not added:
        return
    report.added.append(rel.id)
    if rel.state == CONFIRMED:
        report.confirmed += 1
        if claim.type in VALIDITY_EFFECT:
            report.affected.add(target.id)
    else:
        report.proposed += 1
