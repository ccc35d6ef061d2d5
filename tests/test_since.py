""" "Since when" is a fact about the past (issue 13): the date a status began is the same
whichever later date the status is asked on. It used to be the date of the latest event in
force, so a document amended twice read 已修改 自 <second amendment> today and 自 <first
amendment> on a date between the two."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import import_docs, write_doc

from archive import Document
from archive.relations import Relation, StatusChange
from archive.validity import status_on
from indexer.service import Gongkai

RULE = Document(
    title="青测市集贸市场管理办法", text="", id="rule", validity="有效", date_issued="2015-03-01"
)


def amended(rel_id: int, by: str, effective: str) -> Relation:
    return Relation(rel_id, by, RULE.id, "amends", effective=effective, created_at="2024-01-01")


def repealed(rel_id: int, by: str, effective: str) -> Relation:
    return Relation(rel_id, by, RULE.id, "repeals", effective=effective, created_at="2024-01-01")


TWICE = [amended(1, "first", "2019-07-01"), amended(2, "second", "2023-04-01")]


@pytest.mark.parametrize(
    "as_of", ["2019-07-01", "2020-06-30", "2023-03-31", "2023-04-01", "2024-12-31", "2099-01-01"]
)
def test_amended_twice_is_amended_since_the_first(as_of: str) -> None:
    status = status_on(RULE, as_of, incoming=TWICE)
    assert (status.validity, status.since) == ("已修改", "2019-07-01")
    # the document the status rests on is still the latest amendment in force
    assert status.by == ("second" if as_of >= "2023-04-01" else "first")


def test_before_any_change_it_is_valid_since_it_took_effect() -> None:
    for as_of in ("2015-03-01", "2017-01-01", "2019-06-30"):
        status = status_on(RULE, as_of, incoming=TWICE)
        assert (status.validity, status.since) == ("有效", "2015-03-01")


def test_a_new_status_starts_a_new_since() -> None:
    events = [*TWICE, repealed(3, "third", "2025-01-01")]
    for as_of in ("2025-01-01", "2026-06-30", "2099-01-01"):
        status = status_on(RULE, as_of, incoming=events)
        assert (status.validity, status.since) == ("已废止", "2025-01-01")
    assert status_on(RULE, "2024-12-31", incoming=events).since == "2019-07-01"


def test_a_staff_record_in_between_breaks_the_run() -> None:
    valid_again = StatusChange(
        seq=1,
        doc_id=RULE.id,
        validity="有效",
        effective="2021-01-01",
        by_doc="",
        note="核对后恢复",
        actor="alice",
        created_at="2024-02-01",
    )
    for as_of in ("2021-01-01", "2023-03-31"):
        status = status_on(RULE, as_of, incoming=TWICE, changes=[valid_again])
        assert (status.validity, status.since) == ("有效", "2021-01-01")
    for as_of in ("2023-04-01", "2099-01-01"):
        status = status_on(RULE, as_of, incoming=TWICE, changes=[valid_again])
        assert (status.validity, status.since) == ("已修改", "2023-04-01")


def test_since_is_stable_through_the_archive_check_and_page(tmp_path: Path) -> None:
    """The same, end to end: two amendments linked by staff, asked through ``Gongkai.status``,
    ``check`` and the document page on several dates."""
    src = tmp_path / "src"
    paths = [
        write_doc(
            src,
            "rule.txt",
            title=RULE.title,
            number="青测发〔2015〕2号",
            issued="2015-03-01",
            validity="有效",
            body="第一条 为管理集贸市场，制定本办法。",
        ),
        write_doc(
            src,
            "first.txt",
            title="关于修改集贸市场管理办法的决定",
            number="青测发〔2019〕5号",
            issued="2019-06-01",
            validity="有效",
            body="一、将第一条修改为：……",
        ),
        write_doc(
            src,
            "second.txt",
            title="关于再次修改集贸市场管理办法的决定",
            number="青测发〔2023〕3号",
            issued="2023-03-01",
            validity="有效",
            body="一、将第一条再次修改为：……",
        ),
    ]
    data = tmp_path / "data"
    ids = import_docs(data, *paths)
    with Gongkai(data) as gk:
        gk.link(ids["first.txt"], "amends", ids["rule.txt"], date="2019-07-01", actor="t")
        gk.link(ids["second.txt"], "amends", ids["rule.txt"], date="2023-04-01", actor="t")
    from search_app import create_app

    client = create_app({"DATA_DIR": data, "TESTING": True, "SECRET_KEY": "t"}).test_client()
    with Gongkai(data, readonly=True) as gk:
        rule = gk.archive.get(ids["rule.txt"])
        for as_of in ("2020-06-30", "2023-04-01", "2099-01-01", None):
            assert gk.status(rule, as_of).since == "2019-07-01", as_of
            [result] = gk.check(["青测发〔2015〕2号"], as_of)
            assert result.matches[0][1].since == "2019-07-01"
            page = client.get(f"/doc/{rule.id}" + (f"?as_of={as_of}" if as_of else ""))
            assert "2019年7月1日" in page.get_data(as_text=True)  # the plain status sentence
