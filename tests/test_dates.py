"""The one date parser (``archive.dates``) and the three doors that use it: a CLI option, a web
search parameter and the batch check's date. Each door keeps its own wording of the error."""

from __future__ import annotations

import pytest
from helpers import Corpus, run_cli

from archive.dates import find_date, parse_date
from archive.errors import InvalidInput


@pytest.mark.parametrize(
    ("raw", "iso"),
    [
        ("2020-07-01", "2020-07-01"),
        ("2020-7-1", "2020-07-01"),
        ("2020年7月1日", "2020-07-01"),
        ("2020年12月31日", "2020-12-31"),
        ("2020.7.1", "2020-07-01"),
        ("2020/07/01", "2020-07-01"),
        ("20200701", "2020-07-01"),
        (" 2024-02-29 ", "2024-02-29"),
        ("２０２０年７月１日", "2020-07-01"),  # full-width digits, as pasted from a web page
    ],
)
def test_parse_date_accepts_the_ways_dates_are_written(raw: str, iso: str) -> None:
    assert parse_date(raw) == iso


@pytest.mark.parametrize(
    "raw",
    ["2019-02-30", "2023年2月29日", "0000-00-00", "2021-13-01", "2021-00-10", "20211301"],
)
def test_parse_date_rejects_dates_not_on_the_calendar(raw: str) -> None:
    with pytest.raises(InvalidInput, match="not a date on the calendar") as caught:
        parse_date(raw)
    assert raw in str(caught.value)
    assert caught.value.exit_code == 2


@pytest.mark.parametrize(
    "raw", ["", "yesterday", "2020-07", "2020-07-01T00:00", "发布于2020年7月1日", "2020-W27-3"]
)
def test_parse_date_rejects_what_is_not_a_date(raw: str) -> None:
    with pytest.raises(InvalidInput, match=r"is not a date \(use YYYY-MM-DD\)"):
        parse_date(raw)


def test_find_date_reads_a_date_inside_text() -> None:
    assert find_date("成文日期：2017年6月20日") == "2017-06-20"
    assert find_date("本办法自2019年2月30日起施行") == ""  # not on the calendar
    assert find_date("索引号 1234-56-78") == ""  # not a plausible year
    assert find_date("") == ""


def test_cli_date_options_use_the_one_parser(corpus: Corpus) -> None:
    ok = run_cli(corpus.data, "search", "--json", "--as-of", "2020年7月1日", "政务公开")
    assert ok.exit_code == 0, ok.stderr
    bad = run_cli(corpus.data, "search", "--as-of", "2019-02-30", "政务公开")
    assert bad.exit_code == 2
    assert bad.stderr == "gongkai: error: --as-of: not a date: '2019-02-30' (use YYYY-MM-DD)\n"


def test_web_date_parameters_use_the_one_parser(corpus: Corpus) -> None:
    from search_app import create_app

    app = create_app({"DATA_DIR": corpus.data, "TESTING": True, "SECRET_KEY": "t"})
    client = app.test_client()
    assert client.get("/api/v1/search?q=政务公开&from=2019年1月1日").status_code == 200
    bad = client.get("/api/v1/search?q=政务公开&from=2019-02-30")
    assert bad.status_code == 400
    assert bad.get_json()["error"]["param"] == "from"
    assert "from 必须是 YYYY-MM-DD 格式的日期" in bad.get_json()["error"]["message"]
    check = client.get("/api/v1/check?ref=国办发〔2019〕2号&as_of=2019-02-30")
    assert check.status_code == 400
    assert "日期必须是 YYYY-MM-DD 格式" in check.get_json()["error"]["message"]
    assert client.get("/api/v1/check?ref=国办发〔2019〕2号&as_of=2019.2.28").status_code == 200
