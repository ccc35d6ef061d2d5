"""The outcome of an answer to a 依申请公开 request, read from its text, for the annual report.

An answer says what the agency decided in a handful of set phrases (本机关决定予以公开, 经检索，
未找到……, 属于国家秘密, 不予公开); the 2021 national report format counts answers by them
(:data:`archive.outcomes.OUTCOME_ROWS`). The first rule that matches decides, most specific
first: 部分公开 (whose answers also cite the reasons for what was withheld); the reasons for
不予公开, each only beside 不予公开 or a plain refusal (不予提供, 不能公开); then the three kinds
of 无法提供, 不予处理 and 其他处理; 予以公开 last (an answer refusing one part often says
其余部分予以公开, which is 部分公开). A text that matches no rule has no outcome: staff set it
(``gongkai outcome``), and the report lists it as unread, never guessed.
"""

from __future__ import annotations

import re

from archive import outcomes as o
from indexer.normalize import fold

_REFUSAL = r"(?:不予公开|不予提供|不能公开|不能提供|不公开)"

#: (outcome, pattern) in the order they are tried.
RULES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (code, re.compile(pattern))
    for code, pattern in (
        (o.PARTLY, r"部分(?:予以)?公开|予以部分公开|部分信息(?:予以)?公开|区分处理"),
        (
            o.REFUSED_SECRET,
            rf"(?<!不)(?:属于|涉及)国家秘密.{{0,60}}{_REFUSAL}|{_REFUSAL}.{{0,40}}国家秘密",
        ),
        (
            o.REFUSED_SECURITY,
            rf"(?:危及|影响)国家安全、?公共安全、?经济安全(?:和|、)?社会稳定.{{0,60}}{_REFUSAL}"
            rf"|三安全一稳定",
        ),
        (
            o.REFUSED_THIRD_PARTY,
            rf"(?:第三方合法权益|商业秘密|个人隐私).{{0,80}}{_REFUSAL}"
            rf"|{_REFUSAL}.{{0,40}}(?:第三方合法权益|商业秘密|个人隐私)",
        ),
        (
            o.REFUSED_INTERNAL,
            rf"(?:人事管理|后勤管理|内部工作流程|内部事务信息).{{0,80}}{_REFUSAL}"
            rf"|{_REFUSAL}.{{0,40}}内部事务信息",
        ),
        (
            o.REFUSED_PROCESS,
            rf"(?:讨论记录|过程稿|磋商信函|请示报告|过程性信息).{{0,80}}{_REFUSAL}"
            rf"|{_REFUSAL}.{{0,40}}过程性信息",
        ),
        (o.REFUSED_ENFORCEMENT, rf"行政执法案卷.{{0,80}}{_REFUSAL}|{_REFUSAL}.{{0,40}}执法案卷"),
        (o.REFUSED_INQUIRY, rf"行政查询事项|查询事项.{{0,60}}{_REFUSAL}"),
        (
            o.REFUSED_LAW,
            rf"法律、?行政法规(?:禁止|规定不得)公开.{{0,60}}{_REFUSAL}?|{_REFUSAL}.{{0,40}}法律、?"
            rf"行政法规禁止公开",
        ),
        (
            o.UNABLE_NOT_READY,
            r"另行制作|没有现成(?:的)?信息|需要?(?:对.{0,20})?(?:加工|汇总|分析)(?:、|和)?"
            r"(?:分析|统计|加工)?",
        ),
        (o.UNABLE_UNCLEAR, r"补正后.{0,30}(?:仍|依然|还)不明确|申请内容(?:仍)?不明确"),
        (
            o.UNABLE_NOT_HELD,
            r"不掌握|经(?:认真)?(?:检索|查找|查询|查询检索).{0,60}?(?:不存在|未(?:能)?检索到|未(?:能)?"
            r"(?:找到|查到|发现)|没有(?:找到|查到|检索到|制作|保存|该))|该信息不存在|所申请(?:公开)?的"
            r"(?:政府)?信息不存在",
        ),
        (
            o.NOT_PROCESSED,
            r"不予处理|不作为政府信息公开申请(?:处理)?|重复申请|公开出版物|信访、?投诉、?举报",
        ),
        (o.OTHER, r"其他处理|撤回(?:了)?(?:本次)?申请|视为放弃|逾期未补正|未按(?:要求|期)补正"),
        (
            o.DISCLOSED,
            r"(?:决定|同意)?予以公开|决定公开|同意公开|现将.{0,40}(?:提供|告知|答复)如下|已(?:经)?"
            r"主动公开|可(?:以)?(?:在|通过|登录).{0,40}(?:查阅|获取|查询|下载)",
        ),
    )
)

#: How much of the matched words (with context) is kept as evidence.
EVIDENCE_CHARS = 60


def read_outcome(text: str) -> tuple[str, str] | None:
    """(outcome, the words it was read from) for an answer's ``text``, or None when no rule
    matches."""
    words = re.sub(r"\s+", "", text)
    flat = fold(words)  # same length: the evidence is cut from the words as written
    for code, pattern in RULES:
        found = pattern.search(flat)
        if found:
            start = max(found.start() - 10, 0)
            return code, words[start : start + EVIDENCE_CHARS]
    return None


__all__ = ["RULES", "read_outcome"]
