"""As-of searches as a date-range filter the engine applies (:mod:`indexer.engines.spans`).

A document's timeline (:func:`archive.timeline.timeline`) must give, on every date, exactly
what :func:`archive.validity.status_on` gives (a property test over random documents,
relations, staff records and expiries); its spans must keep that exactness or ask
(``to_spans``); and on every engine, the ids a validity filter on a date finds, and the
validity facet on that date, must be the archive's answer — for a repeal effective tomorrow
(today pinned), an amendment, a document not yet in force, an expiry, staff records with and
without a date, and a document with more changes than the spans hold."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from itertools import pairwise
from pathlib import Path

import pytest
from helpers import import_docs, run_cli, write_doc
from hypothesis import given, settings
from hypothesis import strategies as st

from archive import Document
from archive.relations import AMENDS, REPEALS, SUPERSEDES, Expiry, Relation, StatusChange
from archive.timeline import timeline
from archive.validity import status_on
from archive.vocab import VALIDITY
from indexer.config import init_data_dir
from indexer.engines.base import Filters
from indexer.engines.spans import ASK, FIRST_DAY, LAST_DAY, SLOTS, day_number, to_spans
from indexer.indexing import validity_at
from indexer.service import Gongkai

TODAY = "2024-06-15"
TOMORROW = "2024-06-16"

# -- the timeline is status_on on every date ----------------------------------------------

_days = st.integers(min_value=0, max_value=3000).map(
    lambda n: (date(2016, 1, 1) + timedelta(days=n)).isoformat()
)
_maybe_day = st.one_of(st.just(""), _days)
_validity = st.sampled_from([v for v in VALIDITY])


@st.composite
def _case(draw: st.DrawFn) -> tuple[Document, dict[str, object]]:
    doc = Document(
        id="d",
        title="t",
        text="",
        date_issued=draw(_maybe_day),
        date_effective=draw(_maybe_day),
        validity=draw(st.sampled_from(["", *VALIDITY])),
    )
    incoming = [
        Relation(
            id=i + 1,
            src=f"s{i}",
            dst="d",
            type=draw(st.sampled_from([REPEALS, AMENDS, SUPERSEDES])),
            effective=draw(_maybe_day),
            created_at=draw(_days) + "T00:00:00",
        )
        for i in range(draw(st.integers(0, 3)))
    ]
    changes = [
        StatusChange(
            seq=i + 1,
            doc_id="d",
            validity=draw(st.one_of(st.just(""), _validity)),
            effective=draw(_maybe_day),
            created_at=draw(_days) + "T00:00:00",
        )
        for i in range(draw(st.integers(0, 3)))
    ]
    dates = {r.src: draw(_maybe_day) for r in incoming}
    expires = draw(_maybe_day)
    expiry = Expiry("d", expires, "本文件正文：有效期三年") if expires else None
    return doc, {"incoming": incoming, "changes": changes, "dates": dates, "expiry": expiry}


@settings(max_examples=300, deadline=None)
@given(_case(), st.lists(_days, min_size=1, max_size=12))
def test_the_timeline_is_the_status_on_every_date(
    case: tuple[Document, dict[str, object]], asked: list[str]
) -> None:
    doc, facts = case
    found = timeline(doc, **facts)  # type: ignore[arg-type]
    assert found[0][0] == ""
    assert all(a[1] != b[1] for a, b in pairwise(found))
    points = [p for p, _ in found]
    for day in [*asked, *points[1:]]:
        expected = status_on(doc, day, **facts).validity  # type: ignore[arg-type]
        assert validity_at(found, day) == expected, (day, found)
        spans = to_spans(found)
        number = day_number(day)
        covering = [v for start, end, v in spans if start <= number < end]  # type: ignore[operator]
        assert len(covering) == 1
        assert covering[0] in (expected, ASK)
        if len(found) <= SLOTS:
            assert covering[0] == expected


def test_spans_stop_being_exact_where_the_dates_stop_fitting() -> None:
    assert to_spans([("", "尚未生效"), ("2020-01-01", "有效")]) == (
        (FIRST_DAY, day_number("2020-01-01"), "尚未生效"),
        (day_number("2020-01-01"), LAST_DAY, "有效"),
    )
    many = [("", "尚未生效")] + [(f"202{i}-01-01", "有效" if i % 2 else "失效") for i in range(6)]
    spans = to_spans(many)
    assert len(spans) == SLOTS
    assert spans[-1] == (day_number(f"202{SLOTS - 2}-01-01"), LAST_DAY, ASK)
    assert [v for _, _, v in spans[:-1]] == [v for _, v in many[: SLOTS - 1]]
    # a date that is not a plain day: ask from the span before it
    odd = to_spans([("", "尚未生效"), ("2020-01-01", "有效"), ("2021-02", "失效")])
    assert odd == (
        (FIRST_DAY, day_number("2020-01-01"), "尚未生效"),
        (day_number("2020-01-01"), LAST_DAY, ASK),
    )
    assert to_spans([("", "有效"), ("2020", "失效")]) == ((FIRST_DAY, LAST_DAY, ASK),)


# -- every engine answers as the archive does ------------------------------------------------


def _pin(monkeypatch: pytest.MonkeyPatch, day: str) -> None:
    import archive.validity
    import indexer.indexing
    import indexer.validity_view

    for module in (archive.validity, indexer.indexing, indexer.validity_view):
        monkeypatch.setattr(module, "today", lambda: day)


def _write_corpus(folder: Path) -> None:
    plain = "各单位应当遵照执行。"
    write_doc(
        folder,
        "repealed_tomorrow.txt",
        title="青测市摊点管理办法",
        body=plain,
        issued="2019-01-10",
        validity="有效",
    )
    write_doc(
        folder,
        "repealer.txt",
        title="青测市关于废止摊点管理办法的决定",
        body=plain,
        issued="2024-06-01",
    )
    write_doc(
        folder,
        "amended.txt",
        title="青测市河道保洁规定",
        body=plain,
        issued="2018-03-01",
        validity="有效",
    )
    write_doc(
        folder,
        "amender.txt",
        title="青测市关于修改河道保洁规定的决定",
        body=plain,
        issued="2021-04-20",
        effective="2021-05-01",
    )
    write_doc(
        folder,
        "not_yet.txt",
        title="青测市路灯维护细则",
        body=plain,
        issued="2024-05-01",
        effective="2024-09-01",
        validity="尚未生效",
    )
    write_doc(
        folder,
        "expiring.txt",
        title="青测市停车收费暂行规定",
        body="公共停车场应当明码标价。\n本规定有效期三年。",
        issued="2019-12-01",
        validity="有效",
    )
    write_doc(
        folder,
        "staff_dated.txt",
        title="青测市公厕管理规定",
        body=plain,
        issued="2017-07-01",
        validity="有效",
    )
    write_doc(
        folder,
        "staff_undated.txt",
        title="青测市绿化养护规定",
        body=plain,
        issued="2016-02-01",
        validity="有效",
    )
    write_doc(
        folder,
        "many_changes.txt",
        title="青测市夜市管理办法",
        body=plain,
        issued="2017-01-01",
        validity="有效",
    )
    write_doc(
        folder,
        "header_expired.txt",
        title="青测市旧城改造通知",
        body=plain,
        issued="2015-05-05",
        validity="失效",
    )
    write_doc(folder, "unknown.txt", title="青测市社区服务通知", body=plain, issued="2022-08-08")


def _dates_to_ask(gk: Gongkai) -> list[str]:
    from archive.timeline import timelines

    points = {
        p
        for line in timelines(gk.archive, gk.archive.iter_documents()).values()
        for p, _ in line
        if p
    }
    asked = {TODAY, TOMORROW, "2010-01-01", "2030-01-01"}
    for point in points:
        day = date.fromisoformat(point)
        asked |= {
            point,
            (day - timedelta(days=1)).isoformat(),
            (day + timedelta(days=1)).isoformat(),
        }
    return sorted(asked)


@pytest.mark.parametrize("engine", ["whoosh", "tantivy", "typesense"])
def test_a_validity_filter_on_any_date_is_the_archives_answer(
    tmp_path: Path, engine: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    init_data_dir(data, engine)
    _write_corpus(tmp_path / "src")
    _pin(monkeypatch, TODAY)
    ids = import_docs(data, tmp_path / "src")
    with Gongkai(data) as gk:
        gk.link(ids["repealer.txt"], REPEALS, ids["repealed_tomorrow.txt"], date=TOMORROW)
        gk.link(ids["amender.txt"], AMENDS, ids["amended.txt"])
        gk.set_status(ids["staff_dated.txt"], "失效", date="2023-02-01")
        gk.set_status(ids["staff_undated.txt"], "部分失效")
        many = ids["many_changes.txt"]
        for i, day in enumerate(
            ["2019-01-01", "2019-06-01", "2020-01-01", "2020-06-01", "2021-01-01"]
        ):
            gk.set_status(many, "失效" if i % 2 == 0 else "有效", date=day)

    with Gongkai(data, readonly=True) as gk:
        assert gk.engine.timeline
        docs = list(gk.archive.iter_documents())
        assert len(docs) == len(ids)
        for day in _dates_to_ask(gk):
            truth = {i: s.validity for i, s in gk.validity.statuses(docs, day).items()}
            assert gk.validity._on_spans(gk.engine, day)  # the engine filters, no archive pass
            for validity in sorted(set(truth.values()) | {"有效", "已废止"}):
                found = gk.search(
                    "",
                    filters=Filters(validity=[validity]),
                    as_of=day,
                    limit=100,
                    sort="newest",
                    relaxed=False,
                )
                expected = {i for i, v in truth.items() if v == validity}
                assert {h.id for h in found.hits} == expected, (day, validity)
                assert found.total == len(expected)
            in_force = gk.search(
                "",
                filters=Filters(validity=["有效", "部分失效"]),
                as_of=day,
                limit=100,
                relaxed=False,
            )
            assert {h.id for h in in_force.hits} == {
                i for i, v in truth.items() if v in ("有效", "部分失效")
            }
            facet = gk.search("", facets=True, as_of=day, limit=1, relaxed=False).facets["validity"]
            assert facet == dict(Counter(truth.values())), day
            # a text query too (every title has 青测市): a status none has is not counted
            worded = gk.search("青测市", facets=True, as_of=day, limit=1, relaxed=False)
            assert worded.facets["validity"] == dict(Counter(truth.values())), day
        # the cases the brief names, on the days that matter
        statuses = {
            day: {i: s.validity for i, s in gk.validity.statuses(docs, day).items()}
            for day in (TODAY, TOMORROW, "2020-03-01", "2023-03-01")
        }
        assert statuses[TODAY][ids["repealed_tomorrow.txt"]] == "有效"
        assert statuses[TOMORROW][ids["repealed_tomorrow.txt"]] == "已废止"
        assert statuses[TODAY][ids["not_yet.txt"]] == "尚未生效"
        assert statuses["2023-03-01"][ids["expiring.txt"]] == "失效"
        assert statuses["2020-03-01"][many] == "失效"
        assert gk.validity.asked(gk.engine, day_number("2022-01-01"), "2022-01-01") == {
            many: "失效"
        }


@pytest.mark.parametrize("engine", ["whoosh", "tantivy", "typesense"])
def test_a_repeal_due_at_midnight_flips_without_a_sync(
    tmp_path: Path, engine: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The index's copy of today is stale after midnight: the spans answer, and the answer
    and facet are those of the old path (a pass over the archive), and of the copy after a
    sync."""
    data = tmp_path / "data"
    init_data_dir(data, engine)
    _write_corpus(tmp_path / "src")
    _pin(monkeypatch, TODAY)
    ids = import_docs(data, tmp_path / "src")
    rule = ids["repealed_tomorrow.txt"]
    with Gongkai(data) as gk:
        gk.link(ids["repealer.txt"], REPEALS, rule, date=TOMORROW)
    in_force = Filters(validity=["有效", "部分失效"])

    def answer(gk: Gongkai) -> tuple[set[str], dict[str, int]]:
        found = gk.search("", filters=in_force, limit=100, relaxed=False)
        return {h.id for h in found.hits}, gk.search("", facets=True, relaxed=False).facets[
            "validity"
        ]

    with Gongkai(data, readonly=True) as gk:
        valid_today, _ = answer(gk)
        assert rule in valid_today
    _pin(monkeypatch, TOMORROW)
    with Gongkai(data, readonly=True) as gk:
        assert not gk.validity.index_answers(None)
        spans_answer = answer(gk)
        assert rule not in spans_answer[0]
        # the path of an index without spans: a pass over the archive
        monkeypatch.setattr(gk.validity, "_on_spans", lambda engine, as_of: 0)
        assert answer(gk) == spans_answer
    with Gongkai(data) as gk:
        gk.sync_index()
        assert gk.validity.index_answers(None)
        assert answer(gk) == spans_answer


def test_an_index_made_before_the_spans_keeps_answering_and_verify_says_reindex(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tantivy index of layout 4 (no span fields, made here as that version made it):
    as-of searches come from the archive, writes leave the spans out, verify is still ok and
    says a reindex makes as-of searches fast; after the reindex the spans answer."""
    import indexer.engines.spans
    import indexer.engines.tantivy

    data = tmp_path / "data"
    with monkeypatch.context() as old:
        old.setattr(indexer.engines.tantivy, "SCHEMA_VERSION", "4")
        old.setattr(indexer.engines.spans, "SLOTS", 0)
        init_data_dir(data, "tantivy")
        _write_corpus(tmp_path / "src")
        _pin(monkeypatch, TODAY)
        ids = import_docs(data, tmp_path / "src")
    rule = ids["repealed_tomorrow.txt"]
    with Gongkai(data) as gk:
        assert not gk.engine.timeline
        gk.link(ids["repealer.txt"], REPEALS, rule, date=TOMORROW)  # written without spans
        report = gk.verify(quick=True)
        assert report["ok"] and report["as_of_spans"] is False
    out = run_cli(data, "verify", "--quick")
    assert "gongkai reindex" in out.output and "--as-of" in out.output

    def repealed_on(gk: Gongkai, day: str) -> set[str]:
        found = gk.search("", filters=Filters(validity=["已废止"]), as_of=day, relaxed=False)
        return {h.id for h in found.hits}

    with Gongkai(data) as gk:
        assert repealed_on(gk, TOMORROW) == {rule} and repealed_on(gk, TODAY) == set()
        gk.reindex()
        assert gk.engine.timeline and gk.verify(quick=True)["as_of_spans"] is True
        assert gk.validity._on_spans(gk.engine, TOMORROW)
        assert repealed_on(gk, TOMORROW) == {rule} and repealed_on(gk, TODAY) == set()
