"""Attachments (附件): files imported together with the notice they belong to stay linked.

A file is taken for an attachment of a notice imported in the same run when

* it sits in the notice's folder and its name is the notice's stem plus a suffix such as
  ``-附件1``, ``_附件2`` or `` 附件3`` (anything may follow: ``通知-附件1-申请表.docx``);
* it sits in a sibling folder named ``<stem>附件`` or ``<stem>_attachments`` (also ``-``, ``_``
  or a space before ``附件``) next to the notice; or
* the notice's text names it on an attachment line, ``附件：1.XXX`` (with ``2.YYY`` … on the
  lines after) or ``附件：XXX.pdf``, and a file imported in the same run (in the notice's folder
  or below) has that name, that stem or that title.

The link is an ``attachment`` relation (attachment → notice), automatic and confirmed. An
attachment without a header block of its own gets kind ``other`` (a manifest ``kind`` wins).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from archive import Archive
from archive.relations import ATTACHMENT, AUTO, CONFIRMED, RelationError, Relations
from archive.vocab import NOTICE, OTHER

_SEP = r"[-_—－＿\s\u3000]"
_NUMBER = r"[0-9０-９一二三四五六七八九十]*"
#: ``<stem><sep>附件<n>`` optionally followed by more after a separator.
_SUFFIX_RE = re.compile(rf"{_SEP}+附件\s*{_NUMBER}(?=$|[-_—－＿\s\u3000：:.．、（(])")
#: A name that is only ``附件<n>…`` (no stem): an attachment, parent unknown by name.
_BARE_RE = re.compile(rf"^附件\s*{_NUMBER}(?=$|[-_—－＿\s\u3000：:.．、（(])")
_FOLDER_RE = re.compile(rf"^(?P<stem>.+?){_SEP}*(?:附件|attachments?)$", re.IGNORECASE)
#: ``附件：…`` / ``附件1：…`` at the start of a line.
_LINE_RE = re.compile(r"^\s*附\s*件\s*(?P<n>[0-9０-９]*)\s*[:：]\s*(?P<rest>.*)$")
_ITEM_RE = re.compile(r"^\s*(?P<n>[0-9０-９]{1,2})\s*[.．、]\s*(?P<name>\S.*)$")
_EXTENSIONS = re.compile(
    r"\.(pdf|docx?|wps|xlsx?|et|txt|md|html?|zip|rar|ofd|jpe?g|png)$", re.IGNORECASE
)
_NOISE = re.compile(r"[\s\u3000《》〈〉“”\"'「」]")


def parent_stems(stem: str) -> list[str]:
    """The stems of the notice a file named ``stem`` would be an attachment of, longest
    first (``通知-附件1-申请表`` → [``通知``])."""
    found = [stem[: m.start()] for m in _SUFFIX_RE.finditer(stem) if m.start() > 0]
    return sorted({s.rstrip("-_—－＿ \u3000") for s in found if s.strip()}, key=len)[::-1]


def folder_parent(folder: Path) -> str:
    """The notice stem an attachment folder belongs to (``通知附件`` → ``通知``), or ""."""
    match = _FOLDER_RE.match(folder.name)
    return match["stem"].rstrip("-_—－＿ \u3000") if match else ""


def named_as_attachment(path: Path) -> bool:
    """Whether the file's own name or folder says it is an attachment (see module doc)."""
    return bool(parent_stems(path.stem) or _BARE_RE.match(path.stem) or folder_parent(path.parent))


def listed_attachments(text: str) -> list[str]:
    """The names a notice's attachment lines give (``附件：1.XXX`` ``2.YYY`` / ``附件：X.pdf``)."""
    names: list[str] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        match = _LINE_RE.match(lines[i])
        i += 1
        if not match or len(lines[i - 1]) > 200:
            continue
        rest = match["rest"].strip()
        if rest:
            item = _ITEM_RE.match(rest)
            names.append(item["name"] if item else rest)
        while i < len(lines):  # 2.YYY, 3.ZZZ … on the following lines
            item = _ITEM_RE.match(lines[i])
            if not item or len(lines[i]) > 200:
                break
            names.append(item["name"])
            i += 1
    return [n for n in (_clean(n) for n in names) if n]


def _clean(name: str) -> str:
    return name.strip().rstrip("。；;，,").strip()


def name_key(name: str) -> str:
    """A file name, stem or title in comparable form: no extension, quotes, spaces or
    ``附件N`` prefix."""
    key = _EXTENSIONS.sub("", name.strip())
    key = _NOISE.sub("", key)
    key = re.sub(rf"^附件{_NUMBER}[-_—－＿：:.．、]*", "", key)
    return key


@dataclass
class RunFile:
    """One archived document seen in an import run (imported or found a duplicate)."""

    id: str
    path: Path | None  # None for a manifest row's inline body
    kind_given: bool = False  # the manifest row set the kind


@dataclass
class AttachmentReport:
    linked: list[tuple[str, str]] = field(default_factory=list)  # (attachment, notice)
    kind_changed: list[str] = field(default_factory=list)


def link_attachments(archive: Archive, run: Iterable[RunFile]) -> AttachmentReport:
    """Link the attachments among the documents of one import run to their notices."""
    files = [f for f in run if f.id]
    report = AttachmentReport()
    if not files:
        return report
    by_id = {f.id: f for f in files}
    by_stem: dict[tuple[Path, str], str] = {}
    for f in files:
        if f.path is not None:
            by_stem.setdefault((f.path.parent, f.path.stem), f.id)
    pairs: dict[tuple[str, str], str] = {}  # (attachment, notice) → evidence

    for f in files:
        if f.path is None:
            continue
        for stem in parent_stems(f.path.stem):
            notice = by_stem.get((f.path.parent, stem))
            if notice:
                pairs.setdefault((f.id, notice), f"文件名：{f.path.name}")
                break
        stem = folder_parent(f.path.parent)
        notice = by_stem.get((f.path.parent.parent, stem)) if stem else None
        if notice:
            pairs.setdefault((f.id, notice), f"附件文件夹：{f.path.parent.name}")

    titles = {r["id"]: r["title"] for r in archive.fields(["id", "title"], by_id)}
    keys: dict[str, set[str]] = {}
    for f in files:
        wanted = {name_key(titles.get(f.id, ""))}
        if f.path is not None:
            wanted |= {name_key(f.path.name)}
            wanted |= {name_key(f.path.stem[m.end() :]) for m in _SUFFIX_RE.finditer(f.path.stem)}
        keys[f.id] = {k for k in wanted if len(k) >= 2}
    for notice, text in archive.texts_containing("附件", by_id):
        home = by_id[notice].path
        for name in listed_attachments(text):
            key = name_key(name)
            if len(key) < 2:
                continue
            for f in files:
                if f.id == notice or key not in keys[f.id]:
                    continue
                if home is not None and (f.path is None or not f.path.is_relative_to(home.parent)):
                    continue
                pairs.setdefault((f.id, notice), f"附件：{name}")

    relations = Relations(archive)
    with relations.transaction():
        for (attachment, notice), evidence in sorted(pairs.items()):
            if relations.find(notice, ATTACHMENT, attachment):  # never both ways
                continue
            try:
                _, changed = relations.add(
                    attachment,
                    ATTACHMENT,
                    notice,
                    origin=AUTO,
                    state=CONFIRMED,
                    evidence=evidence,
                    actor="import",
                )
            except RelationError:
                continue
            if changed:
                report.linked.append((attachment, notice))
            if not by_id[attachment].kind_given and _make_other(archive, attachment, notice):
                report.kind_changed.append(attachment)
    return report


def _make_other(archive: Archive, doc_id: str, notice: str) -> bool:
    """Give an attachment kind ``other`` when it is a plain notice without a header block of
    its own (no 文号, 索引号, 发布机构 or 有效性); recorded in its history."""
    header = ["kind", "doc_number", "index_number", "agency", "validity_raw"]
    row = next(archive.fields(header, [doc_id]), None)
    if row is None or row["kind"] != NOTICE:
        return False
    if any(row[name] for name in header[1:]):
        return False
    return archive.set_kind(doc_id, OTHER, actor="import", why=f"附件 of {notice}")


__all__ = [
    "AttachmentReport",
    "RunFile",
    "link_attachments",
    "listed_attachments",
    "name_key",
    "named_as_attachment",
    "parent_stems",
]
