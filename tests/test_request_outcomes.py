"""The outcome of a 依申请公开 answer read from its words (indexer/request_outcomes.py): one
answer of our own writing per rule, and the phrasings that must not be taken for another."""

from __future__ import annotations

import pytest

from archive.outcomes import OUTCOME_LABELS, OUTCOMES, canonical_outcome
from indexer.request_outcomes import read_outcome

CASES = [
    ("经审查，本机关决定予以公开，现将相关文件提供给您。", "disclosed"),
    ("您申请的信息已主动公开，可通过本局门户网站查阅。", "disclosed"),
    ("您申请的信息中涉及第三方个人隐私的部分不予公开，其余部分予以公开。", "partly"),
    ("本机关决定部分公开。", "partly"),
    ("您所申请的信息属于国家秘密，依法不予公开。", "refused_secret"),
    ("公开后可能危及国家安全、公共安全、经济安全和社会稳定，不予公开。", "refused_security"),
    ("公开会损害第三方合法权益，第三方不同意公开，决定不予公开。", "refused_third_party"),
    ("该信息属于人事管理、后勤管理、内部工作流程等方面的信息，不予公开。", "refused_internal"),
    ("您申请的会议讨论记录、过程稿属于过程性信息，不予公开。", "refused_process"),
    ("您申请的材料属于行政执法案卷信息，本机关不予公开。", "refused_enforcement"),
    ("您的申请属于行政查询事项，请通过相关查询渠道办理。", "refused_inquiry"),
    ("该信息属于法律、行政法规禁止公开的信息，不予公开。", "refused_law"),
    ("经检索，本机关没有找到您申请的文件。", "unable_not_held"),
    ("经查询检索，未检索到相关信息。", "unable_not_held"),
    ("本机关不掌握您所申请的政府信息。", "unable_not_held"),
    ("该信息需要对现有数据进行汇总、分析，属于需要另行制作的情形。", "unable_not_ready"),
    ("本机关已告知您补正，补正后申请内容仍不明确，无法提供。", "unable_unclear"),
    ("您的申请属于信访、投诉、举报事项，本机关不予处理。", "not_processed"),
    ("您已于当日撤回申请。", "other"),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_each_rule_reads_its_outcome(text: str, expected: str) -> None:
    found = read_outcome(text)
    assert found is not None and found[0] == expected
    assert found[1] and found[1] in text.replace(" ", "")  # evidence: the words themselves


def test_every_outcome_has_a_case() -> None:
    assert {e for _, e in CASES} == set(OUTCOMES)


@pytest.mark.parametrize(
    "text",
    ["您的来信已收悉。", "关于加强岸线管理的通知", "第一条 为了规范管理，制定本办法。", ""],
)
def test_no_rule_no_outcome(text: str) -> None:
    assert read_outcome(text) is None


def test_spacing_and_full_width_do_not_matter() -> None:
    assert read_outcome("经 检 索 ，本机关 未检索到 该信息")[0] == "unable_not_held"  # type: ignore[index]


def test_labels_and_codes_name_outcomes() -> None:
    for code in OUTCOMES:
        assert canonical_outcome(code) == code
        assert canonical_outcome(OUTCOME_LABELS[code]) == code
    assert canonical_outcome("本机关不掌握相关政府信息") == "unable_not_held"
    assert canonical_outcome("部分公开") == "partly"
    assert canonical_outcome("随便") is None
