"""The synonyms table: the shipped file is valid, lookups work both ways, the matching rule keeps
short abbreviations from matching inside other words, bad files name their line, and staff
entries extend or override the shipped groups."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from archive.errors import EXIT_USAGE, InvalidInput
from indexer import synonyms
from indexer.synonyms import DEFAULT_PATH, DOMAINS, TYPES, Extension, SynonymsError, load, loads

# A small table of our own for the rule tests, so they do not move when the shipped file grows.
SMALL = "\n".join(
    [
        "# test table",
        "最低生活保障|低保\tabbreviation\tsocial_security\ttest",
        "最低生活保障家庭|低保户\tabbreviation\tsocial_security\ttest",
        "政府和社会资本合作|PPP\tabbreviation\tfinance\ttest",
        "第五代移动通信|5G\tabbreviation\tdigital\ttest",
        "国家发展和改革委员会|国家发改委\tagency\tgovernment\ttest",
        "发展和改革委员会|发改委\tagency\tgovernment\ttest",
        "",
        "保障|保费\tguard\tsocial_security\ttest",
        "降低\tguard\tsocial_security\ttest",
    ]
)


@pytest.fixture(scope="module")
def shipped() -> synonyms.Synonyms:
    return load()


def found(table: synonyms.Synonyms, text: str) -> list[tuple[str, str]]:
    return [(m.term, m.group.canonical) for m in table.groups_for_text(text)]


# ── the shipped file ─────────────────────────────────────────────────────────────────────────────


def test_shipped_file_loads_and_is_large(shipped):
    assert len(shipped) >= 400
    assert len(shipped.guards) > 0
    for group in shipped.groups:
        assert len(group.terms) >= 2
        assert group.type in TYPES and group.type != "guard"
        assert group.domain in DOMAINS
        assert group.source.strip()
        assert group.origin.startswith("synonyms.tsv:")
        assert not group.staff


def test_shipped_file_covers_every_type_and_the_areas_asked_for(shipped):
    types = {g.type for g in shipped.groups}
    assert types == {"abbreviation", "synonym", "agency", "programme"}
    for term in ["公租房", "低保", "个税", "专票", "个体户", "人社局", "市监局", "放管服", "非遗"]:
        assert term in shipped, term
    assert "国务院令" in shipped and "三农" in shipped and "双减" in shipped


def test_shipped_file_is_packaged():
    text = (Path(__file__).parents[1] / "pyproject.toml").read_text(encoding="utf-8")
    assert 'indexer = ["data/*.tsv"]' in text
    assert DEFAULT_PATH.parent.name == "data" and DEFAULT_PATH.is_file()


def test_load_is_cached_per_process_and_rereads_an_edited_file(tmp_path):
    assert load() is load()
    path = tmp_path / "s.tsv"
    path.write_text(SMALL, encoding="utf-8")
    first = load(path)
    assert load(str(path)) is first
    path.write_text(
        SMALL + "\n公共租赁住房|公租房\tabbreviation\thousing\ttest\n", encoding="utf-8"
    )
    os.utime(path, ns=(1, 1))
    second = load(path)
    assert second is not first
    assert second.expand("公租房") == ["公共租赁住房"]


def test_missing_and_undecodable_files_raise_clear_errors(tmp_path):
    with pytest.raises(SynonymsError, match="cannot read"):
        load(tmp_path / "absent.tsv")
    bad = tmp_path / "gbk.tsv"
    bad.write_bytes("公租房|公共租赁住房\tabbreviation\thousing\tx\n".encode("gbk"))
    with pytest.raises(SynonymsError, match="not UTF-8"):
        load(bad)


# ── expand ─────────────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("short", "full"),
    [
        ("公租房", "公共租赁住房"),
        ("低保", "最低生活保障"),
        ("人社局", "人力资源和社会保障局"),
        ("市监局", "市场监督管理局"),
        ("个体户", "个体工商户"),
        ("非遗", "非物质文化遗产"),
        ("放管服", "简政放权、放管结合、优化服务"),
        ("国务院令", "中华人民共和国国务院令"),
        ("劳动法", "中华人民共和国劳动法"),
    ],
)
def test_expand_works_both_ways(shipped, short, full):
    assert full in shipped.expand(short)
    assert short in shipped.expand(full)
    assert short not in shipped.expand(short)
    assert shipped.group_of(short) is shipped.group_of(full)


def test_expand_puts_the_canonical_form_first(shipped):
    assert shipped.expand("经适房") == ["经济适用住房", "经济适用房"]


def test_expand_folds_width_and_case_and_ignores_unknown_terms(shipped):
    assert shipped.expand("ＰＰＰ") == shipped.expand("ppp") == ["政府和社会资本合作"]
    assert shipped.expand(" 公租房 ") == ["公共租赁住房"]
    assert shipped.expand("不存在的词") == []


def test_each_administrative_level_is_its_own_group(shipped):
    assert "人力资源和社会保障部" not in shipped.expand("人社局")
    assert "人社厅" not in shipped.expand("人社局")
    # a historical body is not merged with the one that replaced it
    assert "卫健委" not in shipped.expand("卫计委")


# ── groups_for_text: the matching rule ─────────────────────────────────────────────────────────


def test_longest_match_wins_and_spans_point_into_the_original_text():
    table = loads(SMALL)
    text = "关于ＰＰＰ和国家发改委、低保户的通知"
    matches = table.groups_for_text(text)
    assert [(m.term, m.group.canonical) for m in matches] == [
        ("ＰＰＰ", "政府和社会资本合作"),
        ("国家发改委", "国家发展和改革委员会"),
        ("低保户", "最低生活保障家庭"),
    ]
    for m in matches:
        assert text[m.start : m.end] == m.term


def test_a_guard_inside_and_past_the_end_refuses_the_term():
    table = loads(SMALL)
    assert found(table, "低保障") == []  # 低|保障, not 低保|障
    assert found(table, "低保费用") == []
    assert found(table, "低保保障") == [("低保", "最低生活保障")]  # guard starts at the end


def test_a_guard_before_the_term_is_consumed():
    assert found(loads(SMALL), "降低保险") == []


def test_ascii_terms_do_not_match_inside_longer_ascii_words():
    table = loads(SMALL)
    assert found(table, "PPPoE拨号") == []
    assert found(table, "15G") == []
    assert found(table, "5G基站和PPP项目") == [
        ("5G", "第五代移动通信"),
        ("PPP", "政府和社会资本合作"),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("低保户申请", [("低保户", "最低生活保障家庭")]),
        ("最低保障标准", []),
        ("降低保费", []),
        ("兽医保健", []),
        ("并非遗漏", []),
        ("非遗传承人", [("非遗传承人", "非物质文化遗产代表性传承人")]),
        ("北京市发改委关于", [("发改委", "发展和改革委员会")]),
        ("劳动法律法规", []),
        ("中国企业", []),
        ("国企改革", [("国企", "国有企业")]),
        ("政府办公会议", []),
        ("个人行为", []),
        ("各个税种", []),
        ("个税汇算", [("个税", "个人所得税")]),
        ("法定公积金", []),
        ("国家标准化管理委员会", []),
        ("工作协调", []),
        ("“十四五”规划", [("“十四五”规划", "国民经济和社会发展第十四个五年规划")]),
        ("公租房和廉租房", [("公租房", "公共租赁住房"), ("廉租房", "廉租住房")]),
    ],
)
def test_shipped_table_on_real_query_shapes(shipped, text, expected):
    assert found(shipped, text) == expected


# ── bad files ──────────────────────────────────────────────────────────────────────────────────

GOOD = "公共租赁住房|公租房\tabbreviation\thousing\tsource"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("公共租赁住房|公租房\tabbreviation\thousing", "expected 4 tab-separated columns"),
        ("公共租赁住房 公租房  abbreviation  housing  source", "found 1"),
        ("公共租赁住房||公租房\tabbreviation\thousing\tx", "empty term"),
        ("公共租赁住房|公租房|\tabbreviation\thousing\tx", "empty term"),
        ("公共租赁住房|公 租房\tabbreviation\thousing\tx", "'公 租房' contains white space"),
        ("公共租赁住房|公租房 \tabbreviation\thousing\tx", "white space around the terms"),
        ("公共租赁住房|公租房\tabbrev\thousing\tx", "unknown type 'abbrev'"),
        ("公共租赁住房|公租房\tabbreviation\tHousing\tx", "unknown domain 'Housing'"),
        ("公共租赁住房|公租房\tabbreviation\thousing\t", "the source column is empty"),
        ("廉租住房\tabbreviation\thousing\tx", "at least two terms"),
        ("公共租赁住房|公租房|公租房\tabbreviation\thousing\tx", "'公租房' appears twice"),
        ("政府和社会资本合作|PPP|ppp\tabbreviation\tfinance\tx", "'ppp' appears twice"),
        ("政府和社会资本合作|ＰＰＰ\tabbreviation\tfinance\tx", "not NFKC-normalised"),
    ],
)
def test_bad_lines_raise_an_error_naming_the_line(line, message):
    text = f"# header\n\n{GOOD}\n{line}\n"
    with pytest.raises(SynonymsError) as caught:
        loads(text, "t.tsv")
    assert "t.tsv, line 4:" in str(caught.value)
    assert message in str(caught.value)
    assert isinstance(caught.value, InvalidInput)
    assert caught.value.exit_code == EXIT_USAGE


def test_a_term_in_two_groups_names_both_lines():
    text = f"{GOOD}\n# c\n公共租赁住房|公租屋\tsynonym\thousing\tx\n"
    with pytest.raises(
        SynonymsError, match=r"line 3: term '公共租赁住房' is already defined at line 1"
    ):
        loads(text)


def test_a_guard_may_not_also_be_a_term():
    with pytest.raises(SynonymsError, match="line 2: term '公租房' is already defined at line 1"):
        loads(f"{GOOD}\n公租房\tguard\thousing\tx\n")


def test_byte_order_mark_and_crlf_are_accepted(tmp_path):
    path = tmp_path / "win.tsv"
    path.write_bytes(("\ufeff# c\r\n" + GOOD + "\r\n").encode("utf-8"))
    assert load(path).expand("公租房") == ["公共租赁住房"]


# ── staff entries ──────────────────────────────────────────────────────────────────────────────


def test_a_plain_staff_group_extends_the_group_it_overlaps(shipped):
    table = shipped.extended([["人社局", "人力社保局"]])
    assert table.expand("人力社保局")[0] == "人力资源和社会保障局"  # shipped canonical stays first
    assert "人力社保局" in table.expand("人力资源和社会保障局")
    group = table.group_of("人社局")
    assert group.staff and "staff" in group.source and group.origin.startswith("synonyms.tsv:")
    assert len(table) == len(shipped)
    assert shipped.expand("人力社保局") == []  # the shipped table is not changed


def test_a_staff_group_with_new_terms_is_a_new_group(shipped):
    table = shipped.extended([Extension(["城市更新行动", "城更行动"], note="本市用语")])
    assert table.expand("城更行动") == ["城市更新行动"]
    group = table.group_of("城更行动")
    assert group.origin == "staff entry 1" and group.source == "staff: 本市用语"
    assert len(table) == len(shipped) + 1
    assert found(table, "推进城更行动") == [("城更行动", "城市更新行动")]


def test_replace_overrides_the_shipped_groups(shipped):
    table = shipped.extended([Extension(["社会保障", "社保"], replace=True)])
    assert table.expand("社保") == ["社会保障"]
    assert table.expand("社会保险") == []  # left alone with one term: dropped
    table = shipped.extended([Extension(["人大"], replace=True)])
    assert table.expand("人大") == [] and "人大" not in table
    assert table.expand("全国人大") == ["全国人民代表大会"]


def test_staff_entries_apply_in_order(shipped):
    table = shipped.extended(
        [Extension(["低保"], replace=True), ["最低生活保障", "低保", "低保障待遇"]]
    )
    assert table.expand("低保") == ["最低生活保障", "低保障待遇"]


def test_a_staff_term_overrides_a_guard(shipped):
    assert found(shipped, "降低") == []
    table = shipped.extended([["降低", "下调"]])
    assert found(table, "降低") == [("降低", "降低")]


def test_a_plain_staff_group_may_not_join_two_groups(shipped):
    with pytest.raises(
        SynonymsError,
        match=r"staff entry 2: it would join 人力资源和社会保障厅 .* and 人力资源和社会保障局",
    ):
        shipped.extended([["城更行动", "城市更新行动"], ["人社局", "人社厅"]])


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (["公租房", ""], "empty term"),
        (["公租房", "公 租"], "white space"),
        (["公租房", "公租|房"], "without '|'"),
        (["公租房"], "at least two terms"),
        ([], "no terms"),
        ("公租房", "not one string"),
        (Extension(["甲", "乙"], domain="nowhere"), "unknown domain"),
    ],
)
def test_bad_staff_entries_name_the_entry(shipped, entry, message):
    with pytest.raises(SynonymsError) as caught:
        shipped.extended([["城更行动", "城市更新行动"], entry])
    assert str(caught.value).startswith("staff entry 2:")
    assert message in str(caught.value)


def test_every_shipped_term_is_found_on_its_own(shipped):
    missed = []
    for group in shipped.groups:
        for term in group.terms:
            matches = shipped.groups_for_text(term)
            if [(m.group, m.start, m.end) for m in matches] != [(group, 0, len(term))]:
                missed.append(term)
    assert missed == []
