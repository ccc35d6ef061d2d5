"""What type of document this is — 法律, 行政法规, 地方性法规, 规章, 规范性文件, 其他文件, or one of
the answering kinds — the way people filter gov.cn (公文种类) and flk.npc.gov.cn (法律性质).

``kind`` says how a document relates to others (an interpretation interprets, an answer
answers); the type says what legal force the document has, and it is read from what the
document says about itself, most explicit first:

1. the three answering kinds (政策解读, 依申请公开答复, 建议提案答复) are their own type;
2. the header says so: a 文种 / 公文种类 / 效力级别 field, or a 主题分类 part, naming a type
   (规范性文件, 政府规章, 地方性法规 …);
3. the 文号: a decree number — 主席令 → 法律, 国务院令 → 行政法规, any other …令第N号 (部门令,
   省政府令, 市政府令) → 规章; a 人大常委会公告 → 地方性法规 (法律 for the national one); a
   规范性文件 number (…规〔2020〕3号, …规字〔…〕) → 规范性文件. A decree or 公告 number in the first
   lines of the text counts as well (a published 规章 opens with 第N号令);
4. the issuer and the title: anything of 全国人大 / 全国人大常委会 → 法律 (but a …条例 whose
   title names a province or city → 地方性法规: a mislabelled issuer), …法 of the
   中华人民共和国 → 法律; …条例/规定/办法/细则 by 国务院 → 行政法规; …条例/规定/办法/规则/决定
   …守则 by a local 人大 or its 常委会 → 地方性法规; any other …条例 → 地方性法规 when the title
   names a place, else 行政法规; …办法/规定/细则/规则 by a government or department (no 令)
   → 规范性文件;
5. anything else → 其他文件.

A type given by a manifest or by staff is never inferred again (``Document.doc_type_origin``).
"""

from __future__ import annotations

import itertools
import re

from archive import Document
from archive.vocab import (
    ADMIN_REGULATION,
    ANSWERING_KINDS,
    INTERPRETATION,
    LAW,
    LOCAL_REGULATION,
    NORMATIVE,
    OTHER_DOCUMENT,
    RULE,
    canonical_doc_type,
    doc_type_label,
)
from indexer.normalize import fold, normalize_doc_number

#: How much of the text's start is read for a decree or 公告 number (第12号令, 国务院令第656号).
TEXT_HEAD = 300

_NATIONAL_CONGRESS = re.compile(r"^(?:中华人民共和国)?全国人民代表大会|^全国人大")
_LOCAL_CONGRESS = re.compile(r"人民代表大会|人大常委会|人大")
_STATE_COUNCIL = re.compile(r"^(?:中华人民共和国)?国务院$")
_GOVERNMENT = re.compile(r"政府|办公厅|办公室|部$|委员会|委$|厅|局|署|总局|行$|院$|中心$|处$|所$")
_NUM = r"[0-9０-９零〇一二三四五六七八九十百千]+"
#: A decree number: 国务院令第656号, 上海市人民政府令（第3号）, 第12号令, 主席令第二十四号.
_DECREE = re.compile(
    rf"(?P<issuer>[\u4e00-\u9fff]{{0,30}}?)令\s*[（(]?\s*第\s*{_NUM}\s*号\s*[)）]?|"
    rf"第\s*{_NUM}\s*号\s*(?P<issuer2>[\u4e00-\u9fff]{{0,12}}?)令"
)
#: A decree number with a year, as :func:`normalize_doc_number` writes it (部令〔2019〕3号).
_DATED_DECREE = re.compile(r"(?P<issuer>[\u4e00-\u9fff]{0,30}?)令〔\d{4}〕")
#: A 公告 of a 人大常委会 (how local regulations are promulgated), with its number if any.
_CONGRESS_NOTICE = re.compile(
    rf"[\u4e00-\u9fff]{{0,30}}(?:人民代表大会常务委员会|人大常委会)公告"
    rf"\s*(?:[（(〔\[][^）)〕\]]{{0,12}}[）)〕\]])?\s*(?:第\s*{_NUM}\s*号)?"
)
#: A 规范性文件 number: the issuer's code ends in 规 (青人社规〔2018〕3号, 沪府规〔2020〕3号).
_NORMATIVE_NUMBER = re.compile(r"规字?〔\d{4}〕")
_PLACE = re.compile(r"^[\u4e00-\u9fff]{1,10}?(?:省|市|自治区|自治州|县|区|盟|旗)")
_LAW_TITLE = re.compile(r"(?<![办方做算看说用写])法典?$")
#: How many of the text's first lines may hold a decree or 公告 number (see :func:`_from_head`).
HEAD_LINES = 8


def _core_title(title: str) -> str:
    """The title of the act itself: 关于印发《X办法》的通知 → X办法; (试行)/(草案) dropped."""
    t = fold(title).strip()
    quoted = re.search(r"《([^《》]+)》", t)
    if quoted and re.match(r"^(?:.*?关于)?(?:印发|公布|发布)", t):
        t = quoted.group(1)
    return re.sub(r"[（(](?:试行|暂行|修订|修正|草案|\d{4}年?修[订正]?)[)）]$", "", t).strip()


def _decree_type(issuer: str) -> str:
    if "主席" in issuer:
        return LAW
    if "国务院" in issuer and not re.search(r"国务院(?:.+)(?:部|委|局|署|办)", issuer):
        return ADMIN_REGULATION
    return RULE


def _from_number(number: str) -> str | None:
    """The type a 文号 (or a decree/公告 number in the text) says, or None."""
    if not number:
        return None
    norm = normalize_doc_number(number)
    if _CONGRESS_NOTICE.search(norm):
        return LAW if _NATIONAL_CONGRESS.search(norm) else LOCAL_REGULATION
    decree = _DECREE.search(norm)
    if decree:
        return _decree_type(decree["issuer"] or decree["issuer2"] or "")
    dated = _DATED_DECREE.search(norm)  # 交通运输部令2019年第3号 → 交通运输部令〔2019〕3号
    if dated:
        return _decree_type(dated["issuer"])
    if _NORMATIVE_NUMBER.search(norm):
        return NORMATIVE
    return None


def _from_head(head: str) -> str | None:
    """The type a decree or 公告 number standing as a line of its own near the top says (a
    published 规章 opens with 上海市人民政府令 / 第12号). A number cited in a sentence (根据……
    （国务院令第492号）) is not one: only whole lines, or two adjacent ones, count."""
    head = fold(head)
    if "令" not in head and "公告" not in head:  # what both patterns need (most texts: fast)
        return None
    lines = [ln.strip().lstrip("#").strip() for ln in head.splitlines() if ln.strip()]
    lines = lines[:HEAD_LINES]
    candidates = lines + [a + b for a, b in itertools.pairwise(lines)]
    for line in candidates:
        line = re.sub(r"\s+", "", line)
        if _CONGRESS_NOTICE.fullmatch(line) or _DECREE.fullmatch(line):
            return _from_number(line)
    return None


def _declared(doc: Document) -> str | None:
    """A type the header names: 文种/效力级别 (kept in ``extra['genre']``) or 主题分类."""
    genre = doc.extra.get("genre")
    for value in ([str(genre)] if genre else []) + [doc.category, *doc.categories]:
        found = canonical_doc_type(value)
        if found and found not in ANSWERING_KINDS and found != INTERPRETATION:
            return found
    return None


def infer_doc_type(doc: Document) -> str:
    """The type of ``doc`` from its kind, header, 文号, issuer and title (see the module)."""
    if doc.kind in (INTERPRETATION, *ANSWERING_KINDS):
        return doc.kind
    declared = _declared(doc)
    if declared:
        return declared
    by_number = _from_number(doc.doc_number)
    if by_number:
        return by_number
    by_head = _from_head(doc.text[:TEXT_HEAD])
    if by_head:
        return by_head
    return _from_issuer_and_title(fold(doc.agency).strip(), _core_title(doc.title))


def _from_issuer_and_title(agency: str, title: str) -> str:
    act = re.search(r"(条例|规定|办法|细则|规则|守则|决定|决议|法|法典)$", title)
    suffix = act.group(1) if act else ""
    local_act = bool(suffix) and bool(_PLACE.match(title)) and not title.startswith("中华人民")
    if agency and _NATIONAL_CONGRESS.search(agency):
        return LOCAL_REGULATION if local_act else LAW
    if _LAW_TITLE.search(title) and (title.startswith("中华人民共和国") or not agency):
        return LAW
    if agency and _STATE_COUNCIL.match(agency):
        return ADMIN_REGULATION if suffix in ("条例", "规定", "办法", "细则") else OTHER_DOCUMENT
    if agency and _LOCAL_CONGRESS.search(agency):
        return LOCAL_REGULATION if suffix else OTHER_DOCUMENT
    if suffix == "条例" and not title.startswith("中国共产党"):
        return LOCAL_REGULATION if _PLACE.match(title) else ADMIN_REGULATION
    if suffix in ("办法", "规定", "细则", "规则") and (not agency or _GOVERNMENT.search(agency)):
        return NORMATIVE
    return OTHER_DOCUMENT


def assign_doc_type(doc: Document) -> None:
    """Type ``doc`` (at import) unless a manifest or staff already did."""
    if doc.doc_type_origin in ("manifest", "staff") and doc.doc_type:
        return
    doc.doc_type, doc.doc_type_origin = infer_doc_type(doc), "auto"


__all__ = ["HEAD_LINES", "TEXT_HEAD", "assign_doc_type", "infer_doc_type"]


def retype_lines(report: dict[str, object]) -> list[str]:
    """``gongkai retype``'s report as text: how many changed, then the count of each type."""
    counts = report["by_doc_type"]
    assert isinstance(counts, dict)
    lines = [f"changed {report['changed']} of {report['documents']}"]
    return lines + [f"  {doc_type_label(code) or '（未分类）'}: {n}" for code, n in counts.items()]
