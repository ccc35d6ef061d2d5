"""Fixing metadata after import: ``gongkai edit``, the staff form, and manifests applied to
documents already archived.

Archivists import first and find the metadata later (a spreadsheet from the office that
published the files). A manifest row that matches an archived document — by the bytes of the
file it names (``path`` or ``body``), or, for a row without content, by ``id``, ``sha256``,
文号 or 索引号 — updates that document's metadata instead of being reported a duplicate and
ignored. Every value goes through the manifest's own checks (:func:`indexer.manifest.row_meta`),
so the command line, the web form and manifests accept and refuse the same things.

Each change is one new revision with one ``edit`` history entry: each field before and after,
who (``--by``, else the account running the command) and why (``--reason``). The text and the
original file never change. A dry run computes the same changes and writes nothing. Validity
edited by hand goes through the staff status records (:meth:`indexer.curation.Curator.set_status`),
as before; a manifest's ``validity`` is the published 有效性, as at import.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from archive import Archive, Document
from archive.edits import update_document
from archive.errors import InvalidInput, NotFoundError
from archive.originals import first_id
from archive.vocab import DOC_TYPES, canonical_doc_type
from indexer.items import DUPLICATE, FAILED, UPDATED, FileOutcome, Item
from indexer.normalize import normalize_doc_number, normalize_index_number

#: What a person may call each editable field (English or Chinese) → the manifest's name.
FIELD_ALIASES = {
    "title": "title",
    "标题": "title",
    "名称": "title",
    "doc_number": "doc_number",
    "文号": "doc_number",
    "发文字号": "doc_number",
    "index_number": "index_number",
    "索引号": "index_number",
    "agency": "agency",
    "发布机构": "agency",
    "机构": "agency",
    "category": "category",
    "分类": "category",
    "主题分类": "category",
    "date_written": "date_written",
    "成文日期": "date_written",
    "date_issued": "date_issued",
    "发布日期": "date_issued",
    "date_effective": "date_effective",
    "施行日期": "date_effective",
    "kind": "kind",
    "类别": "kind",
    "doc_type": "doc_type",
    "type": "doc_type",
    "文件类型": "doc_type",
    "validity": "validity",
    "有效性": "validity",
}
#: The fields ``gongkai edit`` and the staff form take, in the order they are shown.
EDIT_FIELDS = (
    "title",
    "doc_number",
    "index_number",
    "agency",
    "category",
    "date_written",
    "date_issued",
    "date_effective",
    "kind",
    "doc_type",
    "validity",
)
#: Columns compared and reported (``*_norm`` and ``doc_type_origin`` follow silently).
_REPORTED = (
    "title",
    "doc_number",
    "index_number",
    "agency",
    "category",
    "date_written",
    "date_issued",
    "date_effective",
    "validity",
    "validity_raw",
    "kind",
    "doc_type",
)
_FOLLOWING = ("doc_number_norm", "index_number_norm", "doc_type_origin")

if TYPE_CHECKING:
    from indexer.curation import Curator

Changes = dict[str, dict[str, object]]
Lock = Callable[[], AbstractContextManager[None]]


def who(by: str = "") -> str:
    """The actor an edit is recorded under: ``by``, else the account running the command."""
    if by.strip():
        return by.strip()
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container)
        return "unknown"


@dataclass
class EditResult:
    """What an edit changed (or, in a dry run, would change): field → before/after."""

    id: str
    title: str
    changes: Changes = field(default_factory=dict)
    dry_run: bool = False
    actor: str = ""
    reason: str = ""
    #: The status today after a validity edit (``validity`` given), else None.
    status: dict[str, object] | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "title": self.title,
            "changed": bool(self.changes),
            "changes": self.changes,
            "dry_run": self.dry_run,
            "actor": self.actor,
            "reason": self.reason,
            "status": self.status,
        }


def parse_assignments(pairs: Iterable[str]) -> dict[str, str]:
    """``field=value`` pairs (``文号=京政发〔2024〕1号``) → manifest field → value; an unknown
    field or a pair without ``=`` is :class:`InvalidInput` naming the fields there are."""
    fields: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        key = FIELD_ALIASES.get(name.strip()) or FIELD_ALIASES.get(name.strip().lower())
        if not sep or key is None:
            raise InvalidInput(
                f"{pair!r} is not field=value with a field among {', '.join(EDIT_FIELDS)} "
                "(or 标题, 文号, 索引号, 发布机构, 分类, 成文日期, 发布日期, 施行日期, 类别, "
                "文件类型, 有效性)"
            )
        fields[key] = value.strip()
    if not fields:
        raise InvalidInput(
            f"nothing to change: give field=value (fields: {', '.join(EDIT_FIELDS)})"
        )
    return fields


def checked_meta(fields: dict[str, str]) -> dict[str, object]:
    """The metadata of ``fields`` (manifest names → text), checked as a manifest row is:
    :class:`InvalidInput` saying what is wrong and what is allowed. An empty value clears a
    field, except the title (required) and the kind and type (which cannot be empty)."""
    from indexer.manifest import row_meta

    given = {k: v for k, v in fields.items() if v != ""}
    cleared = [k for k, v in fields.items() if v == ""]
    for name in cleared:
        if name in ("title", "kind", "doc_type", "validity"):
            raise InvalidInput(f"{name} cannot be empty")
    if "doc_type" in given and canonical_doc_type(given["doc_type"]) is None:
        raise InvalidInput(
            f"unknown document type {given['doc_type']!r} (one of {', '.join(DOC_TYPES)}, "
            "or their Chinese names such as 规章 or 规范性文件)"
        )
    try:
        meta = row_meta(dict[str, object](given))
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    meta.pop("extra", None)  # doc_type, when given, is in meta already
    meta.update({name: "" for name in cleared})
    return meta


def changes_of(doc: Document, meta: dict[str, object]) -> tuple[Changes, dict[str, object]]:
    """What applying ``meta`` (a manifest row's metadata) to ``doc`` changes: (field →
    before/after, for reports; column → new value, for the archive). The id never changes."""
    from indexer.building import apply_meta

    meta = {k: v for k, v in meta.items() if k != "id"}
    after = Document.from_row(doc.to_dict())
    apply_meta(after, meta)
    if "kind" not in meta:
        after.kind = doc.kind  # apply_meta infers it from a new title; an edit keeps it
    if "doc_number" in meta and not meta["doc_number"]:
        after.doc_number_norm = ""
    if "index_number" in meta and not meta["index_number"]:
        after.index_number_norm = ""
    if "doc_type" in meta and not meta["doc_type"]:
        after.doc_type_origin = ""
    if after.doc_type == doc.doc_type:
        after.doc_type_origin = doc.doc_type_origin  # the same type given again: no change
    mirrored = after.extra.get("doc_type")
    if (
        "doc_type" not in doc.extra
        and isinstance(mirrored, str)
        and canonical_doc_type(mirrored) == after.doc_type
    ):
        del after.extra["doc_type"]  # the manifest's copy of a type the document already has
    report: Changes = {}
    values: dict[str, object] = {}
    for column in (*_REPORTED, *_FOLLOWING):
        old, new = getattr(doc, column), getattr(after, column)
        if old != new:
            values[column] = new
            if column in _REPORTED:
                report[column] = {"before": old, "after": new}
    if after.extra != doc.extra:
        values["extra"] = after.extra
        for key in sorted(set(doc.extra) | set(after.extra)):
            if doc.extra.get(key) != after.extra.get(key):
                report[f"extra.{key}"] = {
                    "before": doc.extra.get(key, ""),
                    "after": after.extra.get(key, ""),
                }
    return report, values


def apply_changes(
    archive: Archive,
    doc: Document,
    meta: dict[str, object],
    *,
    actor: str,
    reason: str = "",
    source: str = "",
    dry_run: bool = False,
) -> Changes:
    """Apply ``meta`` to ``doc`` (unless ``dry_run``): one revision, one ``edit`` history
    entry (changes, why, and the manifest row it came from as ``source``). Returns the
    changes; nothing is written when there are none. The caller holds the write lock and
    re-indexes."""
    report, values = changes_of(doc, meta)
    if report and not dry_run:
        detail: dict[str, object] = {"changes": report}
        if reason:
            detail["why"] = reason
        if source:
            detail["source"] = source
        update_document(archive, doc.id, values, expected_rev=doc.rev, actor=actor, detail=detail)
    return report


def render_changes(changes: Changes, indent: str = "  ") -> list[str]:
    """One line per changed field: ``title: '旧' → '新'``."""
    return [f"{indent}{name}: {c['before']!r} → {c['after']!r}" for name, c in changes.items()]


def render_edit(result: EditResult) -> str:
    """The text report of ``gongkai edit``."""
    head = f"{result.id} {result.title}"
    if not result.changes:
        return f"{head}: nothing to change"
    verb = "would change" if result.dry_run else "changed"
    lines = [f"{head}: {verb} {len(result.changes)} field(s)", *render_changes(result.changes)]
    if result.status is not None:
        lines.append(f"  status today: {result.status.get('validity', '')}")
    return "\n".join(lines)


def render_updates(outcomes: Iterable[FileOutcome]) -> list[str]:
    """The lines of the import summary for the rows that updated a document, field by field."""
    lines = []
    for outcome in outcomes:
        if outcome.status == UPDATED and outcome.changes:
            lines.append(f"  UPDATED {outcome.id} ({outcome.path}):")
            lines.extend(render_changes(outcome.changes, indent="    "))
    return lines


# -- manifests applied to archived documents ---------------------------------------------------


def _matches(archive: Archive, item: Item) -> tuple[list[Document], str]:
    """The archived documents a manifest row names, and by what."""
    from indexer.manifest import NO_CONTENT

    meta = item.meta or {}
    raw_extra = meta.get("extra")
    extra: dict[str, object] = raw_extra if isinstance(raw_extra, dict) else {}
    if item.skip != NO_CONTENT:  # a row with a file or a body: its bytes decide
        from archive.originals import sha256_of

        try:
            data = item.data if item.data is not None else item.path.read_bytes()
        except OSError:
            return [], ""  # the import reports it
        found = archive.has_sha256(
            item.sha256 if item.data is not None and item.sha256 else sha256_of(data)
        )
        return ([archive.get(found)] if found else []), "sha256"  # type: ignore[list-item]
    if meta.get("id"):
        doc = archive.get(str(meta["id"]))
        return ([doc] if doc else []), "id"
    digest = str(extra.get("sha256", "")).strip().lower()
    if digest:
        found = archive.has_sha256(digest)
        return ([archive.get(found)] if found else []), "sha256"  # type: ignore[list-item]
    if meta.get("doc_number"):
        norm = normalize_doc_number(str(meta["doc_number"]))
        docs = [d for d in archive.find_by_doc_number(norm) if d.doc_number_norm == norm]
        return docs, "文号"
    if meta.get("index_number"):
        return archive.find_by_index_number(
            normalize_index_number(str(meta["index_number"]))
        ), "索引号"
    return [], ""


#: Items whose bytes are in hand are looked up in the archive this many at a time.
LOOK_AHEAD = 100


def _looked_ahead(items: Iterable[Item], archive: Archive | None) -> Iterator[Item]:
    """``items``; those whose bytes are in hand (a manifest's bodies) hashed, and their
    digests looked up in the archive :data:`LOOK_AHEAD` at a time
    (:meth:`~archive.store.Archive.look_ahead`): the manifest-row match and the read stage's
    duplicate and copy checks then ask the database nothing (a round trip each on
    PostgreSQL)."""
    from archive.originals import sha256_of

    if archive is None:
        yield from items
        return
    source = iter(items)
    try:
        while True:
            ahead: list[Item] = []
            try:
                for item in source:
                    ahead.append(item)
                    if item.data is not None and not item.skip:
                        item.sha256 = sha256_of(item.data)
                    if len(ahead) >= LOOK_AHEAD:
                        break
            except BaseException:
                yield from ahead  # the items before an input that breaks off are still imported
                raise
            if not ahead:
                return
            hashed = [i for i in ahead if i.sha256]
            if hashed:  # (plain files only: they are looked up by indexer.read_ahead)
                archive.look_ahead([i.sha256 for i in hashed], [_wanted_id(i) for i in hashed])
            yield from ahead
    finally:
        archive.known.clear()  # (a web server's archive lives on: ask afresh next time)


def _wanted_id(item: Item) -> str:
    """The id a new document from ``item`` asks for: its row's, else its digest's first ten
    characters (:meth:`~archive.store.Archive.add`)."""
    given = (item.meta or {}).get("id")
    return str(given) if given else first_id(item.sha256)


def _row_meta_for_update(meta: dict[str, object]) -> dict[str, object]:
    """A row's metadata as an update: what only located the document is left out (the
    ``sha256`` column is not metadata, and the row's label is where a new document came from,
    not a change to one already archived)."""
    meta = dict(meta)
    extra = dict(meta.get("extra") or {})  # type: ignore[call-overload]
    extra.pop("sha256", None)
    extra.pop("manifest_row", None)
    if extra:
        meta["extra"] = extra
    else:
        meta.pop("extra", None)
    return meta


def updating(
    items: Iterable[Item],
    archive: Archive | None,
    *,
    actor: str,
    reason: str = "",
    dry_run: bool = False,
) -> Iterator[Item]:
    """``items``, with each manifest row that matches an archived document applied to it (in
    a dry run, only computed) and turned into its outcome: ``updated`` with the changes,
    ``duplicate`` when nothing changes. A row without content that matches nothing, or more
    than one document, fails saying so. Other items pass unchanged. The caller holds the write
    lock and re-indexes afterwards."""
    from indexer.manifest import NO_CONTENT

    for item in _looked_ahead(items, archive):
        metadata_only = item.skip == NO_CONTENT
        if item.meta is None or (item.skip and not metadata_only) or archive is None:
            if metadata_only:
                item.skip = f"{NO_CONTENT}, and no archived document matches it"
            yield item
            continue
        docs, by = _matches(archive, item)
        if not docs:
            if metadata_only:
                item.skip = (
                    f"{NO_CONTENT}, and no archived document matches its id, sha256, 文号 or 索引号"
                )
            yield item
            continue
        if len(docs) > 1:
            ids = ", ".join(d.id for d in docs[:5])
            item.skip, item.skip_status = f"{by} matches {len(docs)} documents ({ids})", FAILED
            yield item
            continue
        doc = docs[0]
        try:
            changes = apply_changes(
                archive,
                doc,
                _row_meta_for_update(item.meta),
                actor=actor,
                reason=reason,
                source=item.label,
                dry_run=dry_run,
            )
        except (InvalidInput, NotFoundError) as exc:
            item.skip, item.skip_status = str(exc), FAILED
            yield item
            continue
        item.skip_id, item.changes = doc.id, changes or None
        if changes:
            item.skip_status = UPDATED
            item.skip = f"matched by {by}: " + "; ".join(
                line.strip() for line in render_changes(changes)
            )
        else:
            item.skip_status = DUPLICATE
            item.skip = f"matched by {by}: metadata already as given"
        yield item


# -- gongkai edit, the staff form ----------------------------------------------------------------


def edit_document(
    archive: Archive,
    curator: Curator,
    lock: Lock,
    sync: Callable[[], object],
    doc_id: str,
    fields: dict[str, str],
    *,
    actor: str,
    reason: str = "",
    dry_run: bool = False,
) -> EditResult:
    """Set ``fields`` (manifest names → text, see :func:`parse_assignments`) on ``doc_id``:
    checked first, then one revision and one history entry, re-indexed at once. ``validity``
    is recorded as a staff status (:meth:`Curator.set_status`, with ``reason`` as its note).
    With ``dry_run``, only what would change."""
    from archive.vocab import VALIDITY, canonical_validity

    fields = dict(fields)
    validity = fields.pop("validity", None)
    if validity is not None and canonical_validity(validity) is None:
        raise InvalidInput(f"unknown validity {validity!r} (known: {', '.join(VALIDITY)})")
    meta = checked_meta(fields) if fields else {}
    result = EditResult(doc_id, "", dry_run=dry_run, actor=actor, reason=reason)
    if dry_run:
        doc = _get(archive, doc_id)
        result.changes = changes_of(doc, meta)[0]
    else:
        with lock():
            doc = _get(archive, doc_id)
            result.changes = apply_changes(archive, doc, meta, actor=actor, reason=reason)
            if result.changes:
                sync()
    result.id, result.title = doc.id, (archive.get(doc.id) or doc).title
    if validity is not None:
        wanted = canonical_validity(validity)
        before = curator.validity.status(doc).validity
        if dry_run:
            after = wanted
        else:
            status = curator.set_status(doc.id, str(wanted), note=reason, actor=actor)
            after, result.status = status.validity, {"validity": status.validity}
        if before != after:
            result.changes["status"] = {"before": before, "after": after}
    return result


def _get(archive: Archive, doc_id: str) -> Document:
    doc = archive.get(doc_id)
    if doc is None:
        raise NotFoundError(f"no document with id {doc_id}")
    return doc
