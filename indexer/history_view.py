"""A document's history as staff read it: local time, who, what was done in words, and for a
change of validity what it was before and after.

The archive keeps history as append-only rows with JSON details (:meth:`Archive.history`);
``gongkai history --json`` gives them as they are. People need them said: the 历史记录 section
of the document page (staff) and ``gongkai history`` without ``--json`` both read
:func:`readable`, so the two say the same thing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from archive import Archive, Document
from archive.dates import local_time
from archive.outcomes import OUTCOME_LABELS
from archive.vocab import (
    ACTION_LABELS,
    KIND_LABELS,
    LINKER_ACTOR,
    STATE_LABELS,
    TYPE_LABELS,
    doc_type_label,
)

#: What happened to a relation (``detail.change`` of a ``relation`` entry), in words.
CHANGES = {
    "added": "建立",
    "updated": "更新",
    "confirmed": "确认",
    "rejected": "驳回",
    "proposed": "改回待确认",
}


@dataclass
class HistoryLine:
    """One history entry in words."""

    seq: int
    at: str  # local time, YYYY-MM-DD HH:MM
    actor: str  # the account, or 自动识别 for the import's linker
    action: str  # ACTION_LABELS
    what: str  # the change in a sentence
    before: str = ""  # for a change of validity: the status before …
    after: str = ""  # … and after

    def text(self) -> str:
        """One line for the terminal."""
        line = f"{self.at}  {self.actor}  {self.action}：{self.what}"
        if self.before or self.after:
            line += f"（{self.before or '—'} → {self.after or '—'}）"
        return line

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def readable(archive: Archive, entries: Sequence[Mapping[str, Any]]) -> list[HistoryLine]:
    """``entries`` (rows of :meth:`Archive.history`) in words, naming documents by title and
    文号 (one query for all the documents they mention)."""
    mentioned: set[str] = set()
    for entry in entries:
        detail = entry.get("detail") or {}
        for key in ("src", "dst", "by"):
            if isinstance(detail.get(key), str) and detail[key]:
                mentioned.add(detail[key])
        for side in ("before", "after"):
            state = detail.get(side)
            if isinstance(state, dict):
                for key in ("by", "current_version"):
                    if state.get(key):
                        mentioned.add(str(state[key]))
    docs = archive.get_many(sorted(mentioned)) if mentioned else {}
    return [_line(entry, docs) for entry in entries]


def _name(doc_id: str, docs: Mapping[str, Document]) -> str:
    doc = docs.get(doc_id)
    if doc is None:
        return doc_id
    return f"《{doc.title.strip('《》')}》" + (f"（{doc.doc_number}）" if doc.doc_number else "")


def _status(state: Mapping[str, Any] | None, docs: Mapping[str, Document]) -> str:
    """A status as recorded in history (see ``indexer.curation.brief_status``) in words."""
    if not state:
        return ""
    words = str(state.get("validity") or "")
    if state.get("since"):
        words += f"，自 {state['since']}"
    if state.get("by"):
        words += f"，依据{_name(str(state['by']), docs)}"
    return words


def _origin(detail: Mapping[str, Any]) -> str:
    """Where an imported file came from (staff only: it names internal folders)."""
    parts = []
    if detail.get("path"):
        parts.append(f"路径 {detail['path']}")
    if detail.get("manifest_row"):
        parts.append(f"清单 {detail['manifest_row']}")
    if detail.get("run"):
        parts.append(f"导入批次 #{detail['run']}")
    return f"（{'，'.join(parts)}）" if parts else ""


def _line(entry: Mapping[str, Any], docs: Mapping[str, Document]) -> HistoryLine:
    action = str(entry.get("action", ""))
    detail: Mapping[str, Any] = entry.get("detail") or {}
    actor = str(entry.get("actor", ""))
    line = HistoryLine(
        seq=int(entry.get("seq") or 0),
        at=local_time(str(entry.get("at", ""))),
        actor="自动识别" if actor == LINKER_ACTOR else actor,
        action=ACTION_LABELS.get(action, action),
        what="",
    )
    why = f"；理由：{detail['why']}" if detail.get("why") else ""
    if action == "import":
        line.what = f"导入文件 {detail.get('source') or ''}".strip() + _origin(detail)
    elif action == "copy":
        how = "相同文本" if detail.get("match") == "same-text" else "近似文本"
        if detail.get("match") != "same-text" and detail.get("similarity"):
            how += f" {float(detail['similarity']):.0%}"
        line.what = f"收到副本 {detail.get('source') or ''}（{how}，原件已保存）" + _origin(detail)
    elif action == "upload":
        line.what = f"通过网页上传 {detail.get('file') or ''}".strip()
    elif action == "kind":
        before, after = str(detail.get("before", "")), str(detail.get("after", ""))
        line.what = "修改文件类别" + why
        line.before, line.after = KIND_LABELS.get(before, before), KIND_LABELS.get(after, after)
    elif action == "doc_type":
        before, after = str(detail.get("before", "")), str(detail.get("after", ""))
        origin = str(detail.get("origin", ""))
        line.what = f"改为“{doc_type_label(after)}”" + (
            "（交回自动识别）" if origin == "auto" else ""
        )
        line.what += why
        line.before, line.after = doc_type_label(before), doc_type_label(after)
    elif action == "outcome":
        before, after = str(detail.get("before", "")), str(detail.get("after", ""))
        line.what = f"依申请公开办理结果改为“{OUTCOME_LABELS.get(after, after)}”" + why
        line.before = OUTCOME_LABELS.get(before, before) or "—"
        line.after = OUTCOME_LABELS.get(after, after)
    elif action == "relation":
        change = str(detail.get("change", ""))
        rel_type = str(detail.get("type", ""))
        line.what = (
            f"{CHANGES.get(change, change)}关联：{_name(str(detail.get('src', '')), docs)} "
            f"{TYPE_LABELS.get(rel_type, rel_type)} {_name(str(detail.get('dst', '')), docs)}" + why
        )
        old: Mapping[str, Any] = detail.get("before") or {}
        new: Mapping[str, Any] = detail.get("after") or {}
        if old and old.get("state") != new.get("state"):
            line.before = STATE_LABELS.get(str(old.get("state")), str(old.get("state")))
            line.after = STATE_LABELS.get(str(new.get("state")), str(new.get("state")))
    elif action == "validity":
        line.what = "有效性随之改变"
        line.before = _status(detail.get("before"), docs)
        line.after = _status(detail.get("after"), docs)
    elif action == "status":
        validity = str(detail.get("validity", ""))
        if validity in ("", "(derived)"):
            line.what = "撤销工作人员的有效性记录（按原文与关联推定）" + why
        else:
            line.what = f"记录为“{validity}”"
            if detail.get("effective"):
                line.what += f"，自 {detail['effective']} 起"
            if detail.get("by"):
                line.what += f"，依据{_name(str(detail['by']), docs)}"
            line.what += why
    elif action == "date_effective":
        line.what = f"施行日期 {detail.get('after', '')}" + (
            f"（{detail['why']}）" if detail.get("why") else ""
        )
    elif action == "expiry":
        after = str(detail.get("after", ""))
        line.what = (f"有效期届满，自 {after} 起失效" if after else "不再有有效期") + (
            f"（{detail['why']}）" if detail.get("why") else ""
        )
        if detail.get("before"):  # found again, with another date (the text changed)
            line.before, line.after = str(detail["before"]), after or "—"
    elif action == "edit":
        changes: Mapping[str, Any] = detail.get("changes") or {}
        parts = [
            f"{FIELD_LABELS.get(name, name)} "
            f"{_value(name, c.get('before'))} → {_value(name, c.get('after'))}"
            for name, c in changes.items()
            if isinstance(c, Mapping)
        ]
        line.what = "；".join(parts) + why
        if detail.get("source"):
            line.what += f"；来自 {detail['source']}"
    elif action == "withdraw":
        line.what = "撤回（不再公开）" + why
    elif action == "restore":
        line.what = "恢复公开" + why
    else:
        line.what = "；".join(f"{k}：{v}" for k, v in detail.items() if v not in ("", None))
    return line


#: The fields of an ``edit`` entry in staff words.
FIELD_LABELS = {
    "title": "标题",
    "doc_number": "文号",
    "index_number": "索引号",
    "agency": "发布机构",
    "category": "主题分类",
    "date_written": "成文日期",
    "date_issued": "发布日期",
    "date_effective": "施行日期",
    "validity": "有效性（原文）",
    "validity_raw": "有效性原文",
    "kind": "类别",
    "doc_type": "文件类型",
}


def _value(name: str, value: object) -> str:
    if value in ("", None):
        return "（空）"
    if name == "kind":
        value = KIND_LABELS.get(str(value), value)
    elif name == "doc_type":
        value = doc_type_label(str(value))
    return f"“{value}”"
