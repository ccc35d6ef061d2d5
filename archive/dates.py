"""Dates as people write them (2020-07-01, 2020年7月1日, 2020.7.1, 2020/07/01) → ``YYYY-MM-DD``.

One parser for every place a date comes in: a CLI option (``--as-of``, ``--date``), a web
parameter (``?as_of=``, ``?from=``), a form field, and a date found in a document's header.
Each caller used to have its own, and they disagreed on what a date is (one accepted
2020年7月1日, another only 2020-07-01, one let 2019-02-30 through to SQL). The archive stores
dates as ISO strings, so this lives in ``archive/`` next to the vocabulary.

:func:`parse_date` reads a whole value and raises :class:`~archive.errors.InvalidInput` with
a message a person can act on; :func:`find_date` finds the first date inside longer text
(a header line such as ``成文日期：2017年6月20日``) and answers ``""`` when there is none.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from archive.errors import InvalidInput

_SEP_YEAR = r"\s*[-年./／]\s*"
_SEP_MONTH = r"\s*[-月./／]\s*"
#: Year, month, day with any of the separators in use; 日 optional at the end.
_PARTS = rf"(\d{{4}}){_SEP_YEAR}(\d{{1,2}}){_SEP_MONTH}(\d{{1,2}})\s*日?"
_WHOLE = re.compile(rf"{_PARTS}|(\d{{4}})(\d{{2}})(\d{{2}})")
#: Inside running text only plausible years count (a 索引号 holds other four-digit runs).
_IN_TEXT = re.compile(rf"((?:19|20)\d{{2}}){_SEP_YEAR}(\d{{1,2}}){_SEP_MONTH}(\d{{1,2}})\s*日?")


def _iso(year: str, month: str, day: str) -> str:
    """The ISO form of a calendar date; ValueError for 2019-02-30, 2021-13-01, 0000-00-00."""
    return date(int(year), int(month), int(day)).isoformat()


def parse_date(value: str) -> str:
    """``value`` (the whole of it) as ``YYYY-MM-DD``.

    Accepts 2020-07-01, 2020-7-1, 2020/07/01, 2020.7.1, 2020年7月1日, 20200701 and their
    full-width forms. Raises :class:`InvalidInput` for anything else, including dates that
    are not on the calendar (2019-02-30, 0000-00-00).
    """
    text = unicodedata.normalize("NFKC", value or "").strip()
    match = _WHOLE.fullmatch(text)
    if match:
        year, month, day = (g for g in match.groups() if g is not None)
        try:
            return _iso(year, month, day)
        except ValueError:
            raise InvalidInput(f"{value!r} is not a date on the calendar") from None
    raise InvalidInput(f"{value!r} is not a date (use YYYY-MM-DD)")


def find_date(text: str) -> str:
    """The first real date in ``text`` as ``YYYY-MM-DD``; ``""`` if there is none."""
    match = _IN_TEXT.search(text or "")
    if not match:
        return ""
    try:
        return _iso(*match.groups())
    except ValueError:  # 2021-02-30, 2021-13-01: not a date
        return ""


def local_time(stamp: str) -> str:
    """A stored UTC time stamp (ISO 8601) as this machine's local time, ``YYYY-MM-DD HH:MM``;
    the stamp itself if it cannot be read."""
    from datetime import datetime

    try:
        moment = datetime.fromisoformat(stamp)
    except (TypeError, ValueError):
        return stamp
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")
