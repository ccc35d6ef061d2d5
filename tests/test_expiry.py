"""Expiry: a document whose own 有效期 is over is 失效 from the day after it.

The clause forms (有效期至……, 有效期三年 / 5年 / 两年, 有效期为……, 试行两年, 自……起施行，有效期……,
the header's 有效期 field) and the sentences that must not count (a licence's 有效期); the date
computed; the status before and after that day, with the clause shown; a staff record that
overrides it; ``check`` exiting 3; and the index's "valid today" flipping on the day through
``Relations.due_between``, on both engines. Statuses are asked on fixed dates, or with
``today`` pinned, so the tests do not depend on the calendar."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import cli_json, html, import_docs, run_cli, write_doc

from archive import Document
from archive.relations import Relations
from indexer.config import init_data_dir
from indexer.engines.base import Filters
from indexer.expiry import add_period, chinese_number, find_expiry
from indexer.service import Gongkai
from indexer.validity_view import VALIDITY_INDEXED_ON

#: Every test here runs on an SQLite and on a PostgreSQL archive.
pytestmark = pytest.mark.usefixtures("archive_backend")


def _doc(text: str, *, issued: str = "2019-12-01", effective: str = "", **extra: str) -> Document:
    return Document(
        title="青测市测试办法",
        text=text,
        id="t1",
        date_issued=issued,
        date_effective=effective,
        extra=dict(extra),
    )


@pytest.mark.parametrize(
    ("text", "expires", "clause"),
    [
        # 有效期至D: D is the last day; 失效 from the day after
        ("第十条 本办法自发布之日起施行，有效期至2025年12月31日。", "2026-01-01", "本文件第十条"),
        ("本通知有效期至2024年2月29日。", "2024-03-01", "本文件正文"),
        ("本方案有效期自2021年1月1日至2023年6月30日止。", "2023-07-01", "本文件正文"),
        # 有效期N年 from the start named in the same sentence
        ("第九条 本办法自2020年1月1日起施行，有效期5年。", "2025-01-01", "本文件第九条"),
        ("第九条 本办法自2020年1月1日起施行，有效期五年。", "2025-01-01", "本文件第九条"),
        ("二、本意见自2021年3月15日起实施，有效期两年。", "2023-03-15", "本文件正文"),
        # … else from the issue date (no 施行日期 anywhere)
        ("公共设施应当定期维护。\n本规定有效期三年。", "2022-12-01", "本文件正文"),
        ("本规定有效期为2年。", "2021-12-01", "本文件正文"),
        ("本暂行办法试行两年。", "2021-12-01", "本文件正文"),
        ("本方案试行期为十二个月。", "2020-12-01", "本文件正文"),
        # a bare sentence at the end of the text
        ("各单位应当遵照执行。\n有效期三年。", "2022-12-01", "本文件正文"),
        ("自2020年7月1日起施行，有效期三年。", "2023-07-01", "本文件正文"),
    ],
)
def test_each_clause_form_gives_the_first_day_after_the_period(
    text: str, expires: str, clause: str
) -> None:
    found = find_expiry(_doc(text))
    assert found is not None
    assert found.expires == expires
    assert found.clause.startswith(clause + "：")


def test_a_period_counts_from_the_documents_own_start() -> None:
    """施行日期 from the header (or the text, as the linker hands it over) beats the issue date."""
    doc = _doc("本规定有效期三年。", issued="2018-05-20", effective="2018-06-01")
    found = find_expiry(doc)
    assert found is not None and found.expires == "2021-06-01"
    assert found.basis == "自 2018-06-01 起算"
    assert find_expiry(_doc("本规定有效期三年。", issued="2018-05-20"), "2018-07-01").expires == (
        "2021-07-01"
    )


@pytest.mark.parametrize(
    ("value", "expires"),
    [
        ("三年", "2022-12-01"),
        ("5年", "2024-12-01"),
        ("2025年12月31日", "2026-01-01"),
        ("2021年1月1日至2025年12月31日", "2026-01-01"),
        ("有效期至2023年6月30日", "2023-07-01"),
    ],
)
def test_the_header_field_counts_when_the_text_says_nothing(value: str, expires: str) -> None:
    found = find_expiry(_doc("第一条 为规范管理，制定本办法。", expiry=value))
    assert found is not None and found.expires == expires
    assert found.clause == f"发布信息“有效期”：{value}"


@pytest.mark.parametrize(
    "text",
    [
        "第十三条 《司法鉴定许可证》有效期5年。\n第二十条 本办法自2020年1月1日起施行。",
        "燃气经营许可证的有效期为八年，期满需要延续的，应当提前申请。\n本条例自2020年1月1日起施行。",
        "药品有效期不满二年的，保存期不得少于三年。\n本规定自2019年1月1日起施行。",
        "有效期届满需要延续的，应当在届满三十日前提出申请。",
        "第一条 有效期三年。\n" + "第二条 各单位应当做好巡查工作，逾期未报的予以通报。" * 30,
    ],
)
def test_other_things_validity_periods_do_not_count(text: str) -> None:
    assert find_expiry(_doc(text)) is None
    assert find_expiry(_doc(text, expiry="长期有效")) is None


def test_numbers_and_periods() -> None:
    assert [chinese_number(x) for x in ("三", "两", "十", "十二", "二十", "5", "１０")] == [
        3,
        2,
        10,
        12,
        20,
        5,
        10,
    ]
    assert add_period("2020-02-29", 1, "年") == "2021-03-01"
    assert add_period("2020-01-31", 1, "个月") == "2020-03-01"
    assert add_period("2018-06-01", 3, "年") == "2021-06-01"


# -- through an import -------------------------------------------------------------------------


def _write_expiring(folder: Path) -> dict[str, Path]:
    return {
        "rule": write_doc(
            folder,
            "rule.txt",
            title="青测市临时摊点管理办法",
            number="青测规〔2019〕11号",
            issued="2019-12-10",
            validity="有效",
            body="第一条 为规范临时摊点，制定本办法。\n"
            "第十条 本办法自2020年1月1日起施行，有效期两年。",
        ),
        "other": write_doc(
            folder,
            "other.txt",
            title="青测市摊点卫生管理办法",
            number="青测规〔2019〕12号",
            issued="2019-12-10",
            validity="有效",
            body="第一条 为规范摊点卫生，制定本办法。",
        ),
    }


@pytest.fixture
def expiring(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    data = tmp_path / "data"
    _write_expiring(tmp_path / "src")
    return data, import_docs(data, tmp_path / "src")


def test_status_before_and_after_the_day_shows_the_clause(expiring) -> None:
    data, ids = expiring
    with Gongkai(data, readonly=True) as gk:
        rule = gk.archive.get(ids["rule.txt"])
        before, after = gk.status(rule, "2021-12-31"), gk.status(rule, "2022-01-01")
        history = gk.archive.history(rule.id)
    assert before.validity == "有效" and before.in_force
    assert before.expires == after.expires == "2022-01-01"
    assert "将于 2022-01-01 起变为“失效”" in before.note
    assert after.validity == "失效" and not after.in_force
    assert after.since == "2022-01-01" and after.source == "expiry"
    assert after.expiry == "本文件第十条：有效期两年"
    assert "有效期届满" in after.note and "本文件第十条：有效期两年" in after.note
    assert "原文标注“有效”" in after.note  # the stale header is named
    assert any(e["action"] == "expiry" for e in history)


def test_a_staff_record_overrides_the_expiry(expiring) -> None:
    data, ids = expiring
    with Gongkai(data) as gk:
        gk.set_status(ids["rule.txt"], "有效", note="已延期三年", actor="alice")
        rule = gk.archive.get(ids["rule.txt"])
        status = gk.status(rule, "2099-01-01")
        assert status.validity == "有效" and status.source == "staff"
        gk.set_status(ids["rule.txt"], "", actor="alice")
        assert gk.status(rule, "2099-01-01").validity == "失效"


def test_check_exits_3_for_an_expired_document(expiring) -> None:
    data, _ = expiring
    result = run_cli(data, "check", "青测规〔2019〕11号")
    assert result.exit_code == 3, result.output
    found = cli_json(data, "check", "--json", "--as-of", "2021-12-31", "青测规〔2019〕11号")
    assert found  # in force the day before
    assert run_cli(data, "check", "--as-of", "2021-12-31", "青测规〔2019〕11号").exit_code == 0


def test_the_public_page_says_it_in_plain_words(expiring) -> None:
    from search_app import create_app

    data, ids = expiring
    client = create_app({"DATA_DIR": data, "TESTING": True}).test_client()
    page = html(client.get(f"/doc/{ids['rule.txt']}"))
    banner = page.css_first("#status-banner").text()
    assert "有效期已满（本文件第十条：有效期两年）" in banner
    assert "已于2022年1月1日失效" in banner
    earlier = html(client.get(f"/doc/{ids['rule.txt']}?as_of=2021-06-30")).text()
    assert "有效期至2021年12月31日" in earlier


def test_relinking_finds_it_again_and_a_changed_text_forgets_it(expiring) -> None:
    data, ids = expiring
    with Gongkai(data) as gk:
        relations = Relations(gk.archive)
        rule = gk.archive.get(ids["rule.txt"])
        assert relations.set_expiry(rule.id, find_expiry(rule, "2020-01-01"), actor="t") is False
        assert relations.set_expiry(rule.id, None, actor="t") is True
        assert relations.expiries([rule.id]) == {}
        assert gk.status(rule, "2099-01-01").validity == "有效"


@pytest.mark.parametrize("engine", ["whoosh", "tantivy"])
def test_the_index_copy_of_valid_today_flips_on_the_day(
    tmp_path: Path, engine: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import archive.validity
    import indexer.indexing
    import indexer.validity_view

    def pin(day: str) -> None:
        for module in (archive.validity, indexer.indexing, indexer.validity_view):
            monkeypatch.setattr(module, "today", lambda: day)

    data = tmp_path / "data"
    init_data_dir(data, engine)
    _write_expiring(tmp_path / "src")
    pin("2021-12-31")
    ids = import_docs(data, tmp_path / "src")
    rule = ids["rule.txt"]
    in_force = Filters(validity=["有效", "部分失效"])

    def valid_and_facet(gk: Gongkai) -> tuple[set[str], dict[str, int]]:
        valid = {h.id for h in gk.search("摊点", filters=in_force, limit=10).hits}
        return valid, gk.search("摊点", facets=True).facets["validity"]

    with Gongkai(data) as gk:
        assert Relations(gk.archive).meta(VALIDITY_INDEXED_ON) == "2021-12-31"
        assert gk.validity.index_answers(None)
        valid, facet = valid_and_facet(gk)
        assert rule in valid and facet == {"有效": 2}

    pin("2022-01-01")
    with Gongkai(data) as gk:
        assert Relations(gk.archive).due_between("2021-12-31", "2022-01-01") == {rule}
        assert not gk.validity.index_answers(None)  # the copy is stale: ask the archive
        valid, facet = valid_and_facet(gk)
        assert rule not in valid and facet == {"有效": 1, "失效": 1}
        gk.sync_index()  # the first sync of the day re-indexes what fell due
        assert gk.validity.index_answers(None)
        valid, facet = valid_and_facet(gk)
        assert rule not in valid and facet == {"有效": 1, "失效": 1}
        expired = gk.search("摊点", filters=Filters(validity=["失效"]), limit=10)
        assert [h.id for h in expired.hits] == [rule]
