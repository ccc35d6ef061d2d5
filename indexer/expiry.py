"""The end of a document's own 有效期, as its text or header states it.

Many 规范性文件 carry a period of validity: ``本规定有效期三年``, ``本办法自2020年1月1日起施行，
有效期5年``, ``有效期至2025年12月31日``, ``本意见试行两年``, or a header field ``有效期：三年``.
Once the period is over the document is 失效, whatever the header's 有效性 still says (portals
rarely update it). :func:`find_expiry` turns such a clause into the first day the document is
失效 (:class:`archive.relations.Expiry`), which the linker stores at import and
:mod:`archive.validity` weighs with relations and staff records.

"有效期" is far more often about something else: 许可证有效期为三年, 药品有效期, 投标有效期.
A sentence counts only when it is about the document itself: it opens with 本办法 / 本规定 /
本通知 … (after an article number such as 第十条), with the document's own 自……起施行, or is
nothing but the period (``有效期三年。``) near the end of the text.

The dates: ``有效期至D`` (D included) makes the document 失效 from the day after D; ``有效期N年``
counts N years from the start the same sentence names (自……起施行), else the document's
施行日期 (header, else its text), else its date of issue: 施行 2018-06-01 + 三年 → 失效 from
2021-06-01 (valid 2018-06-01 … 2021-05-31).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta

from archive import Document
from archive.relations import Expiry
from indexer.header import parse_date

_DATE = r"(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|(?:19|20)\d{2}-\d{1,2}-\d{1,2}"
_NUMBER = r"[0-9０-９]{1,2}|[一二两三四五六七八九十]{1,3}"
_UNIT = r"年|个月"
_NOUNS = (
    "办法|规定|通知|意见|决定|方案|细则|规则|条例|批复|标准|措施|制度|公告|通告|文件|指引|指南|"
    "规范|目录|清单|政策|计划|规划|导则|纲要|实施意见|实施方案|实施细则"
)
#: The sentence is about the document itself: 本办法 / 本暂行规定 / 本实施细则 …
_SUBJECT = re.compile(rf"^本[\u4e00-\u9fff]{{0,6}}?(?:{_NOUNS})")
#: What may open a sentence before its subject: 第十条 / 十、/ （三）/ 3.
_ARTICLE = re.compile(
    r"^(?:(?P<article>第[一二三四五六七八九十百零〇\d]{1,6}条)|[一二三四五六七八九十]{1,3}、|"
    r"[（(][一二三四五六七八九十\d]{1,3}[）)]|\d{1,3}\s*[.、．])\s*"
)
#: The document's own start named in the sentence: 自2020年1月1日起施行 / 自印发之日起实施.
_OWN_START = re.compile(
    rf"自\s*(?P<date>{_DATE}|(?:发布|印发|公布|颁布)之日)\s*起\s*(?:施行|实施|执行|生效|试行)?"
)
_UNTIL = re.compile(
    rf"有效期(?:限)?(?:为|是)?(?:自?\s*(?:{_DATE})\s*起?)?\s*(?:至|到|截至|截止(?:到|至)?)"
    rf"\s*(?P<date>{_DATE})(?:止)?"
)
_PERIOD = re.compile(
    rf"(?:有效期(?:限)?|试行期?)(?:为|是|暂定(?:为)?)?\s*(?P<n>{_NUMBER})\s*(?P<unit>{_UNIT})"
)
_SENTENCE_END = re.compile(r"[。；;！!？?\n]")
#: A bare sentence (``有效期三年。``) counts only in the last part of the text (this share of
#: it, or this many characters before its end).
_BARE_TAIL = 0.4
_BARE_END = 200

_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def chinese_number(text: str) -> int:
    """``三`` → 3, ``两`` → 2, ``十二`` → 12, ``二十`` → 20, ``5`` / ``５`` → 5; 0 if none."""
    text = unicodedata.normalize("NFKC", text)
    if text.isdigit():
        return int(text)
    if "十" in text:
        tens, _, ones = text.partition("十")
        return (_DIGITS.get(tens, 0) if tens else 1) * 10 + (_DIGITS.get(ones, 0) if ones else 0)
    return _DIGITS.get(text, 0) if len(text) == 1 else 0


def add_period(start: str, n: int, unit: str) -> str:
    """``start`` (YYYY-MM-DD) plus ``n`` years or months (``unit`` 年 / 个月): the first day
    after a period of that length. A day the target month lacks (2月29日) rolls to the 1st of
    the next month."""
    day = date.fromisoformat(start)
    months = day.month - 1 + (n * 12 if unit == "年" else n)
    year, month = day.year + months // 12, months % 12 + 1
    try:
        return date(year, month, day.day).isoformat()
    except ValueError:
        return (date(year, month, 1) + timedelta(days=31)).replace(day=1).isoformat()


def _day_after(value: str) -> str:
    return (date.fromisoformat(value) + timedelta(days=1)).isoformat()


def _start(value: str, doc: Document) -> str:
    return doc.date_issued if value.endswith("之日") else parse_date(value)


def _compact(text: str) -> str:
    return re.sub(r"[\s\u3000]+", "", text)


def _from_sentence(sentence: str, doc: Document, own_start: str) -> tuple[str, str, str] | None:
    """(expires, what the clause says, basis) for one sentence already known to be about the
    document, or None."""
    until = _UNTIL.search(sentence)
    if until:
        last = parse_date(until["date"])
        if last:
            return _day_after(last), until.group(0), ""
    period = _PERIOD.search(sentence)
    if not period:
        return None
    n = chinese_number(period["n"])
    if not 0 < n <= 50:
        return None
    named = _OWN_START.search(sentence[: period.start()])
    start = (_start(named["date"], doc) if named else "") or own_start
    if not start:
        return None
    return (
        add_period(start, n, period["unit"]),
        period.group(0),
        f"自 {start} 起算",
    )


def find_expiry(doc: Document, own_start: str = "") -> Expiry | None:
    """The end of ``doc``'s own 有效期, from its text, else its header's 有效期 field
    (``doc.extra["expiry"]``); None when neither states one. ``own_start`` is the document's
    施行日期 as known (header, else its text); its date of issue is the last resort."""
    own_start = own_start or doc.date_effective or doc.date_issued
    text = doc.text
    if "有效期" in text or "试行" in text:
        start = 0
        length = max(len(text), 1)
        for match in [*_SENTENCE_END.finditer(text), None]:
            end = match.end() if match else len(text)
            raw = text[start:end]
            offset, start = start, end
            if "有效期" not in raw and "试行" not in raw:
                continue
            sentence = _compact(raw)
            article = _ARTICLE.match(sentence)
            body = sentence[article.end() :] if article else sentence
            about_itself = bool(
                _SUBJECT.match(body)
                or _OWN_START.match(body)
                or (
                    (_UNTIL.match(body) or _PERIOD.match(body))
                    and (offset / length >= 1 - _BARE_TAIL or len(text) - end <= _BARE_END)
                )
            )
            if not about_itself:
                continue
            found = _from_sentence(body, doc, own_start)
            if found is None:
                continue
            expires, said, basis = found
            where = article["article"] if article and article["article"] else "正文"
            return Expiry(
                doc.id,
                expires,
                clause=f"本文件{where}：{said}",
                basis=basis,
                evidence=re.sub(r"\s+", " ", raw).strip().rstrip("。；;")[:160],
            )
    raw = str(doc.extra.get("expiry") or "").strip()
    if raw:
        value = _compact(raw)
        if not value.startswith(("有效期", "试行")):
            bare_date = re.match(_DATE, value) and not re.search(r"至|到|截", value)
            value = ("有效期至" if bare_date else "有效期") + value
        found = _from_sentence(value, doc, own_start)
        if found is not None:
            expires, _said, basis = found
            return Expiry(
                doc.id, expires, clause=f"发布信息“有效期”：{raw}", basis=basis, evidence=raw
            )
    return None
