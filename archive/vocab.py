"""The controlled vocabularies of the archive: validity (有效性) and document kinds."""

from __future__ import annotations

import re

VALID = "有效"
NOT_YET = "尚未生效"
AMENDED = "已修改"
PARTLY_INVALID = "部分失效"
EXPIRED = "失效"
REPEALED = "已废止"
UNKNOWN = "未知"

#: Canonical validity values, in the order they are shown.
VALIDITY = (VALID, NOT_YET, AMENDED, PARTLY_INVALID, EXPIRED, REPEALED, UNKNOWN)
#: Values under which a document may be relied on today.
IN_FORCE = frozenset({VALID, PARTLY_INVALID})

_SYNONYMS = {
    "有效": VALID,
    "现行有效": VALID,
    "现行": VALID,
    "继续有效": VALID,
    "有效性:有效": VALID,
    "尚未生效": NOT_YET,
    "未生效": NOT_YET,
    "尚未施行": NOT_YET,
    "已修改": AMENDED,
    "已修订": AMENDED,
    "修改": AMENDED,
    "已被修改": AMENDED,
    "部分失效": PARTLY_INVALID,
    "部分有效": PARTLY_INVALID,
    "部分废止": PARTLY_INVALID,
    "失效": EXPIRED,
    "已失效": EXPIRED,
    "过期": EXPIRED,
    "已过期": EXPIRED,
    "废止": REPEALED,
    "已废止": REPEALED,
    "已撤销": REPEALED,
    "撤销": REPEALED,
    "未知": UNKNOWN,
    "": UNKNOWN,
}


def canonical_validity(raw: str | None) -> str | None:
    """Map a published validity word (现行有效, 废止, 已失效 …) to its canonical value.

    Returns ``None`` for a word that is not a validity at all, so that callers can report it
    instead of guessing.
    """
    text = re.sub(r"\s+", "", raw or "")
    return _SYNONYMS.get(text)


NOTICE = "notice"
INTERPRETATION = "interpretation"
REQUEST_ANSWER = "request_answer"
#: A reply to a 人大代表建议 or 政协委员提案 (建议提案办理结果).
PROPOSAL_REPLY = "proposal_reply"
OTHER = "other"

KINDS = (NOTICE, INTERPRETATION, REQUEST_ANSWER, PROPOSAL_REPLY, OTHER)
#: Kinds whose documents answer the documents they cite (relation ``answers``).
ANSWERING_KINDS = (REQUEST_ANSWER, PROPOSAL_REPLY)
KIND_LABELS = {
    NOTICE: "文件",
    INTERPRETATION: "政策解读",
    REQUEST_ANSWER: "依申请公开答复",
    PROPOSAL_REPLY: "建议提案答复",
    OTHER: "其他",
}
_KIND_SYNONYMS = {
    **{k: k for k in KINDS},
    **{v: k for k, v in KIND_LABELS.items()},
    "通知": NOTICE,
    "文件": NOTICE,
    "公告": NOTICE,
    "规章": NOTICE,
    "规范性文件": NOTICE,
    "地方性法规": NOTICE,
    "政府规章": NOTICE,
    "解读": INTERPRETATION,
    "答复": REQUEST_ANSWER,
    "依申请公开": REQUEST_ANSWER,
    "依申请公开答复": REQUEST_ANSWER,
    "政府信息公开申请答复": REQUEST_ANSWER,
    "建议答复": PROPOSAL_REPLY,
    "提案答复": PROPOSAL_REPLY,
    "建议提案办理结果": PROPOSAL_REPLY,
}


#: Common English names of the kinds (and of the document types, which are all 文件 — notices —
#: except the last three), as archivists write them in manifests.
_KIND_ENGLISH = {
    "document": NOTICE,
    "file": NOTICE,
    "regulation": NOTICE,
    "regulations": NOTICE,
    "rule": NOTICE,
    "rules": NOTICE,
    "normative": NOTICE,
    "normative document": NOTICE,
    "law": NOTICE,
    "admin_regulation": NOTICE,
    "local_regulation": NOTICE,
    "policy": NOTICE,
    "interpretations": INTERPRETATION,
    "policy interpretation": INTERPRETATION,
    "explanation": INTERPRETATION,
    "request answer": REQUEST_ANSWER,
    "foi answer": REQUEST_ANSWER,
    "foi reply": REQUEST_ANSWER,
    "answer": REQUEST_ANSWER,
    "reply": REQUEST_ANSWER,
    "proposal reply": PROPOSAL_REPLY,
    "proposal answer": PROPOSAL_REPLY,
    "proposal": PROPOSAL_REPLY,
}


def canonical_kind(raw: str | None) -> str | None:
    """A kind (``notice`` …) from its code, its label (政策解读), a common Chinese name (通知,
    规章, 规范性文件, 建议提案办理结果 …) or English name (regulation, rule, interpretation …);
    None for anything else (see :func:`kind_choices` for what to say)."""
    text = (raw or "").strip()
    found = _KIND_SYNONYMS.get(text) or _KIND_SYNONYMS.get(re.sub(r"\s+", "", text))
    if found:
        return found
    english = re.sub(r"[\s_-]+", " ", text.lower()).strip()
    found = _KIND_ENGLISH.get(english) or _KIND_ENGLISH.get(english.replace(" ", "_"))
    if found or not english:
        return found
    doc_type = canonical_doc_type(text)
    if doc_type:  # 法律, 部门规章, 行政规范性文件 …: 文件 unless it is one of the last three
        return doc_type if doc_type in KINDS else NOTICE
    return _KIND_SYNONYMS.get(english.replace(" ", "_"))


def kind_choices() -> str:
    """The allowed kinds for an error message: each code with its Chinese name, and examples
    of the other names accepted."""
    codes = ", ".join(f"{k} ({KIND_LABELS[k]})" for k in KINDS)
    return f"{codes}; also 通知, 规章, 规范性文件, 解读, 建议提案办理结果, regulation, rule …"


#: Document types people filter by (公文种类 on gov.cn, 法律性质 on flk.npc.gov.cn), finer than
#: ``kind``: a separate field (``Document.doc_type``, migration 8), inferred at import by
#: :mod:`indexer.doctypes` and correctable by staff. The last three are the kinds of the same name.
LAW = "law"
ADMIN_REGULATION = "admin_regulation"
LOCAL_REGULATION = "local_regulation"
RULE = "rule"
NORMATIVE = "normative"
OTHER_DOCUMENT = "other"
DOC_TYPES = (
    LAW,
    ADMIN_REGULATION,
    LOCAL_REGULATION,
    RULE,
    NORMATIVE,
    OTHER_DOCUMENT,
    INTERPRETATION,
    REQUEST_ANSWER,
    PROPOSAL_REPLY,
)
DOC_TYPE_LABELS = {
    LAW: "法律",
    ADMIN_REGULATION: "行政法规",
    LOCAL_REGULATION: "地方性法规",
    RULE: "规章",
    NORMATIVE: "规范性文件",
    OTHER_DOCUMENT: "其他文件",
    INTERPRETATION: "政策解读",
    REQUEST_ANSWER: "依申请公开答复",
    PROPOSAL_REPLY: "建议提案答复",
}
#: Who decided a document's type (``Document.doc_type_origin``): inferred, a manifest's
#: ``doc_type`` column, or staff. Re-inference (``gongkai retype``) never overrides the last two.
DOC_TYPE_ORIGINS = ("auto", "manifest", "staff")
_DOC_TYPE_SYNONYMS = {
    **{t: t for t in DOC_TYPES},
    **{v: k for k, v in DOC_TYPE_LABELS.items()},
    "法律解释": LAW,
    "有关法律问题的决定": LAW,
    "国务院行政法规": ADMIN_REGULATION,
    "地方法规": LOCAL_REGULATION,
    "自治条例": LOCAL_REGULATION,
    "单行条例": LOCAL_REGULATION,
    "自治条例和单行条例": LOCAL_REGULATION,
    "经济特区法规": LOCAL_REGULATION,
    "部门规章": RULE,
    "政府规章": RULE,
    "地方政府规章": RULE,
    "地方规章": RULE,
    "行政规章": RULE,
    "行政规范性文件": NORMATIVE,
    "其他规范性文件": NORMATIVE,
    "其他": OTHER_DOCUMENT,
    "rules": RULE,
    "administrative_regulation": ADMIN_REGULATION,
    "normative_document": NORMATIVE,
    "normative_documents": NORMATIVE,
    "解读": INTERPRETATION,
    "依申请公开": REQUEST_ANSWER,
    "建议答复": PROPOSAL_REPLY,
    "提案答复": PROPOSAL_REPLY,
    "建议提案办理结果": PROPOSAL_REPLY,
}


def canonical_doc_type(raw: str | None) -> str | None:
    """A document type (``law`` …) from its code or Chinese name (法律, 部门规章, 规范性文件 …);
    None for anything else (通知, 意见: a 文种, not a type)."""
    found = _DOC_TYPE_SYNONYMS.get(re.sub(r"\s+", "", raw or ""))
    return found or _DOC_TYPE_SYNONYMS.get(re.sub(r"[\s-]+", "_", (raw or "").strip().lower()))


def doc_type_label(doc_type: str) -> str:
    """How a document type reads (规章); "" for a document not yet typed."""
    return DOC_TYPE_LABELS.get(doc_type, doc_type)


REPEALS, AMENDS, SUPERSEDES = "repeals", "amends", "supersedes"
INTERPRETS, ANSWERS, CITES = "interprets", "answers", "cites"
#: ``src`` is an attachment (附件) of ``dst``, published with it (migration 5 allows it).
ATTACHMENT = "attachment"
RELATION_TYPES = (REPEALS, AMENDS, SUPERSEDES, INTERPRETS, ANSWERS, CITES, ATTACHMENT)
#: Relation types that change the validity of their target, and to what.
VALIDITY_EFFECT = {REPEALS: REPEALED, AMENDS: AMENDED, SUPERSEDES: AMENDED}
#: How each type reads in Chinese, from the target's side ("废止" → 被……废止).
TYPE_LABELS = {
    REPEALS: "废止",
    AMENDS: "修改",
    SUPERSEDES: "替代（新版本）",
    INTERPRETS: "解读",
    ANSWERS: "答复",
    CITES: "引用",
    ATTACHMENT: "附件",
}


#: The parts of a document's cluster (``Gongkai.cluster``), in the order the document page shows
#: them: attribute, heading on the web page, short label in the CLI (``show``, ``search``).
CLUSTER_PARTS = (
    ("repealed_by", "废止本文件的文件", "被废止于"),
    ("amended_by", "修改本文件的文件", "被修改于"),
    ("versions", "历次版本", "版本"),
    ("interpretations", "政策解读", "政策解读"),
    ("answers", "依申请公开答复", "依申请公开答复"),
    ("proposal_replies", "建议提案答复", "建议提案答复"),
    ("interprets", "本解读所解读的文件", "解读的文件"),
    ("answers_about", "本答复涉及的文件", "答复涉及的文件"),
    ("repeals", "本文件废止的文件", "废止了"),
    ("amends", "本文件修改的文件", "修改了"),
    ("cites", "本文件引用的文件", "引用"),
    ("cited_by", "引用本文件的文件", "被引用于"),
    ("attachment_of", "本附件所属的文件", "所属文件（本文件是其附件）"),
    ("attachments", "附件", "附件"),
)
#: (attribute, heading) for the web page and the JSON API, in page order.
CLUSTER_SECTIONS = tuple((attr, heading) for attr, heading, _ in CLUSTER_PARTS)
#: attribute → short label, for terminal output.
CLUSTER_LABELS = {attr: label for attr, _, label in CLUSTER_PARTS}

#: How a check query found its documents, in staff words (the keys are ``matched_by``).
MATCH_LABELS = {
    "id": "编号",
    "doc_number": "文号",
    "index_number": "索引号",
    "title": "名称",
    "title_similar": "名称近似（请核对）",
    "title_fuzzy": "名称相近，可能有错字（请核对）",
    "none": "未找到",
}

#: The actor the import's linker records its relations under.
LINKER_ACTOR = "linker"

#: Who made a relation (``Relation.origin``), in staff words.
ORIGIN_LABELS = {"manual": "工作人员确认", "auto": "自动识别", "manifest": "导入清单"}

#: What a relation's state means to staff (``Relation.state``).
STATE_LABELS = {"proposed": "待确认", "confirmed": "已确认", "rejected": "已驳回"}


def origin_label(origin: str, state: str = "confirmed", actor: str = "", machine: str = "") -> str:
    """How a relation came to be: 自动识别, 工作人员确认, or 自动识别，工作人员确认 for a
    detected relation a person (``actor`` other than the ``machine`` actor) confirmed."""
    label = ORIGIN_LABELS.get(origin, origin)
    if origin == "auto" and state == "confirmed" and actor and machine and actor != machine:
        label += "，工作人员确认"
    return label


#: History actions (``history.action``) in staff words.
ACTION_LABELS = {
    "import": "导入",
    "copy": "副本",
    "upload": "网页上传",
    "kind": "修改类别",
    "relation": "关联",
    "validity": "有效性变化",
    "status": "工作人员记录有效性",
    "date_effective": "施行日期（正文）",
    "expiry": "有效期",
    "doc_type": "修改文件类型",
    "edit": "修改元数据",
    "withdraw": "撤回",
    "restore": "恢复公开",
    "outcome": "修改依申请公开办理结果",
}
