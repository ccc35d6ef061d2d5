"""The outcome (办理结果) of each answered 依申请公开 request, as the annual report counts them.

The 2021 national format of the 政府信息公开工作年度报告 (section 三) counts the requests an agency
answered by outcome: 予以公开, 部分公开, 不予公开 (by reason), 无法提供 (by reason), 不予处理,
其他处理. An answer (kind ``request_answer``) says its outcome in words;
:mod:`indexer.request_outcomes` reads it (origin ``auto``) and staff may correct it (origin
``staff``, never read again). This module holds the vocabulary and the table (migration 11);
a staff change is a row change and a history entry in one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass

from archive.chunks import in_chunks
from archive.errors import InvalidInput, NotFoundError
from archive.store import Archive, now
from archive.vocab import REQUEST_ANSWER

DISCLOSED = "disclosed"
PARTLY = "partly"
REFUSED_SECRET = "refused_secret"
REFUSED_LAW = "refused_law"
REFUSED_SECURITY = "refused_security"
REFUSED_THIRD_PARTY = "refused_third_party"
REFUSED_INTERNAL = "refused_internal"
REFUSED_PROCESS = "refused_process"
REFUSED_ENFORCEMENT = "refused_enforcement"
REFUSED_INQUIRY = "refused_inquiry"
UNABLE_NOT_HELD = "unable_not_held"
UNABLE_NOT_READY = "unable_not_ready"
UNABLE_UNCLEAR = "unable_unclear"
NOT_PROCESSED = "not_processed"
OTHER = "other"

#: Every outcome, in the order of the format's rows: (code, group, row label).
OUTCOME_ROWS: tuple[tuple[str, str, str], ...] = (
    (DISCLOSED, "予以公开", "予以公开"),
    (PARTLY, "部分公开", "部分公开（区分处理的，只计这一情形，不计其他情形）"),
    (REFUSED_SECRET, "不予公开", "属于国家秘密"),
    (REFUSED_LAW, "不予公开", "其他法律行政法规禁止公开"),
    (REFUSED_SECURITY, "不予公开", "危及“三安全一稳定”"),
    (REFUSED_THIRD_PARTY, "不予公开", "保护第三方合法权益"),
    (REFUSED_INTERNAL, "不予公开", "属于三类内部事务信息"),
    (REFUSED_PROCESS, "不予公开", "属于四类过程性信息"),
    (REFUSED_ENFORCEMENT, "不予公开", "属于行政执法案卷"),
    (REFUSED_INQUIRY, "不予公开", "属于行政查询事项"),
    (UNABLE_NOT_HELD, "无法提供", "本机关不掌握相关政府信息"),
    (UNABLE_NOT_READY, "无法提供", "没有现成信息需要另行制作"),
    (UNABLE_UNCLEAR, "无法提供", "补正后申请内容仍不明确"),
    (NOT_PROCESSED, "不予处理", "不予处理"),
    (OTHER, "其他处理", "其他处理"),
)
OUTCOMES = tuple(code for code, _, _ in OUTCOME_ROWS)
OUTCOME_LABELS = {
    code: (label if group == label else f"{group}：{label}") for code, group, label in OUTCOME_ROWS
}
ORIGINS = ("auto", "staff")


def canonical_outcome(value: str) -> str | None:
    """An outcome code from a code or its Chinese label (予以公开, 本机关不掌握相关政府信息,
    不予公开：属于国家秘密 …); None if it names none."""
    text = value.strip()
    if text in OUTCOMES:
        return text
    for code, group, label in OUTCOME_ROWS:
        if text in (label, OUTCOME_LABELS[code], f"{group}/{label}", label.split("（")[0]):
            return code
    return None


@dataclass
class Outcome:
    doc_id: str
    outcome: str  # one of OUTCOMES
    origin: str  # auto or staff
    evidence: str = ""  # the words it was read from (auto) or the reason given (staff)
    actor: str = ""
    updated_at: str = ""

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


class Outcomes:
    """The ``request_outcomes`` table of one archive."""

    def __init__(self, archive: Archive) -> None:
        self.archive = archive
        self.conn = archive.conn

    def of(self, ids: Iterable[str]) -> dict[str, Outcome]:
        """The recorded outcome of each of ``ids`` that has one."""
        found: dict[str, Outcome] = {}
        wanted = list(ids)
        for chunk, marks in in_chunks(wanted):
            rows = self.conn.execute(
                f"SELECT * FROM request_outcomes WHERE doc_id IN ({marks})",
                chunk,
            )
            for row in rows:
                found[row["doc_id"]] = Outcome(**dict(row))
        return found

    def record_auto(self, found: Mapping[str, tuple[str, str]]) -> int:
        """Store outcomes read from the text (id → (outcome, evidence)) for documents that
        have none yet; a staff outcome is never replaced. Returns how many were stored."""
        stored = 0
        with self.archive.transaction():
            for doc_id, (outcome, evidence) in found.items():
                if outcome not in OUTCOMES:
                    raise InvalidInput(f"unknown outcome {outcome!r}")
                cur = self.conn.execute(
                    "INSERT OR IGNORE INTO request_outcomes "
                    "(doc_id, outcome, origin, evidence, actor, updated_at) "
                    "VALUES (?, ?, 'auto', ?, '', ?)",
                    (doc_id, outcome, evidence, now()),
                )
                stored += cur.rowcount
        return stored

    def set(self, doc_id: str, outcome: str, *, reason: str, actor: str) -> Outcome:
        """Record staff's outcome for the answer ``doc_id`` (kept from now on), with the
        reason, in its history."""
        if outcome not in OUTCOMES:
            raise InvalidInput(f"unknown outcome {outcome!r} (one of {', '.join(OUTCOMES)})")
        if not reason.strip():
            raise InvalidInput("give a reason for the outcome (--reason)")
        with self.archive.transaction():
            row = self.conn.execute("SELECT kind FROM documents WHERE id = ?", (doc_id,)).fetchone()
            if row is None:
                raise NotFoundError(f"no document {doc_id}")
            if row["kind"] != REQUEST_ANSWER:
                raise InvalidInput(
                    f"{doc_id} is not an answer to a 依申请公开 request (kind {row['kind']})"
                )
            before = self.of([doc_id]).get(doc_id)
            stamp = now()
            self.conn.execute(
                "INSERT INTO request_outcomes (doc_id, outcome, origin, evidence, actor, "
                "updated_at) VALUES (?, ?, 'staff', ?, ?, ?) ON CONFLICT(doc_id) DO UPDATE SET "
                "outcome = excluded.outcome, origin = 'staff', evidence = excluded.evidence, "
                "actor = excluded.actor, updated_at = excluded.updated_at",
                (doc_id, outcome, reason, actor, stamp),
            )
            self.archive.log(
                doc_id,
                actor,
                "outcome",
                {
                    "before": before.outcome if before else "",
                    "after": outcome,
                    "why": reason,
                },
            )
        return Outcome(doc_id, outcome, "staff", reason, actor, stamp)


__all__ = [
    "OUTCOMES",
    "OUTCOME_LABELS",
    "OUTCOME_ROWS",
    "Outcome",
    "Outcomes",
    "canonical_outcome",
]
