"""Search parameters shared by the results page, the JSON API and the feed.

The page and the API take the same names as ``gongkai search`` options: ``q``, ``agency``,
``category``, ``kind``, ``doc_type`` (a code or Chinese name: 规章, 规范性文件 …), ``year``,
``validity`` (each repeatable), ``valid_only``, ``from``,
``to``, ``sort``, ``expand`` (``expand=0``: no synonyms, like ``--no-synonyms``); the page
adds an advanced form (``title_only``, ``phrase``, ``wenhao``) that is folded into the query
text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from werkzeug.datastructures import MultiDict

from archive.dates import parse_date
from archive.errors import InvalidInput
from archive.vocab import DOC_TYPES, IN_FORCE, KINDS, VALIDITY, canonical_doc_type
from indexer.engines.base import SORTS, Filters

FILTER_NAMES = ("agency", "category", "year", "validity", "kind", "doc_type")
_CHUNK = re.compile(r'"[^"]*"|“[^”]*”|「[^」]*」|\S+')
_TRUE = {"1", "true", "yes", "on"}


class ParamError(InvalidInput):
    """A request parameter that cannot be used; the message names it."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name


@dataclass
class SearchParams:
    q: str = ""
    phrase: str = ""
    wenhao: str = ""
    title_only: bool = False
    agency: list[str] = field(default_factory=list)
    category: list[str] = field(default_factory=list)
    kind: list[str] = field(default_factory=list)
    doc_type: list[str] = field(default_factory=list)
    validity: list[str] = field(default_factory=list)
    year: list[int] = field(default_factory=list)
    valid_only: bool = False
    date_from: str = ""
    date_to: str = ""
    sort: str = "relevance"
    as_of: str = ""  # judge validity (filters, badges) on this date; default today
    expand: bool = True  # also search synonyms and abbreviations (公租房 ↔ 公共租赁住房)

    def effective_as_of(self) -> str:
        """The date validity filters are judged on: ``as_of`` or today (never the index's
        stored header value, which relations and staff records may have overtaken)."""
        return self.as_of or date.today().isoformat()

    def query(self) -> str:
        """The query text the engine is given."""
        parts = []
        if self.q.strip():
            parts.append(title_only(self.q) if self.title_only else self.q.strip())
        phrase = re.sub(r'["“”「」]', " ", self.phrase).strip()
        if phrase:
            parts.append(f'{"title:" if self.title_only else ""}"{phrase}"')
        wenhao = re.sub(r"\s+", "", self.wenhao)
        if wenhao:
            parts.append(wenhao)
        return " ".join(parts)

    def filters(self) -> Filters:
        validities = list(self.validity)
        if self.valid_only:
            validities = (
                sorted(IN_FORCE) if not validities else [v for v in validities if v in IN_FORCE]
            ) or ["-"]  # asked for valid only and only invalid values: nothing matches
        return Filters(
            agency=list(self.agency),
            category=list(self.category),
            kind=list(self.kind),
            doc_type=list(self.doc_type),
            validity=validities,
            year=list(self.year),
            date_from=self.date_from,
            date_to=self.date_to,
        )

    def active_filters(self) -> list[tuple[str, str]]:
        """(param name, value) of every restriction, for "drop this filter" links."""
        active: list[tuple[str, str]] = []
        for name in FILTER_NAMES:
            active += [(name, str(v)) for v in getattr(self, name)]
        if self.valid_only:
            active.append(("valid_only", "1"))
        if self.date_from:
            active.append(("from", self.date_from))
        if self.date_to:
            active.append(("to", self.date_to))
        if self.as_of:
            active.append(("as_of", self.as_of))
        return active


def title_only(q: str) -> str:
    """Prefix each clause of ``q`` with ``title:`` (operators and prefixed clauses kept)."""
    out = []
    for chunk in _CHUNK.findall(q):
        if chunk == "OR" or re.match(r"-|(title|标题|body|正文)[:：]", chunk, re.I):
            out.append(chunk)
        else:
            out.append("title:" + chunk)
    return " ".join(out)


def _date(args: MultiDict, name: str) -> str:
    value = (args.get(name) or "").strip()
    if not value:
        return ""
    try:
        return parse_date(value)
    except InvalidInput:
        raise ParamError(name, f"{name} 必须是 YYYY-MM-DD 格式的日期（got {value!r}）") from None


def parse_search(args: MultiDict) -> SearchParams:
    """Read and check search parameters; raises :class:`ParamError`."""
    params = SearchParams(
        q=args.get("q", ""),
        phrase=args.get("phrase", ""),
        wenhao=args.get("wenhao", ""),
        title_only=args.get("title_only", "").lower() in _TRUE,
        valid_only=args.get("valid_only", "").lower() in _TRUE,
        date_from=_date(args, "from"),
        date_to=_date(args, "to"),
        as_of=_date(args, "as_of"),
        sort=args.get("sort", "relevance") or "relevance",
        expand=args.get("expand", "1").lower() not in ("0", "false", "no", "off"),
    )
    if params.sort not in SORTS:
        raise ParamError("sort", f"sort 只能是 {', '.join(SORTS)}（got {params.sort!r}）")
    for name in ("agency", "category"):
        setattr(params, name, [v.strip() for v in args.getlist(name) if v.strip()])
    for value in args.getlist("kind"):
        if value and value not in KINDS:
            raise ParamError("kind", f"kind 只能是 {', '.join(KINDS)}（got {value!r}）")
        if value:
            params.kind.append(value)
    for value in args.getlist("doc_type"):
        if not value.strip():
            continue
        doc_type = canonical_doc_type(value)
        if doc_type is None:
            raise ParamError(
                "doc_type", f"doc_type 只能是 {', '.join(DOC_TYPES)} 或其中文名称（got {value!r}）"
            )
        if doc_type not in params.doc_type:
            params.doc_type.append(doc_type)
    for value in args.getlist("validity"):
        if value and value not in VALIDITY:
            raise ParamError("validity", f"validity 只能是 {'、'.join(VALIDITY)}（got {value!r}）")
        if value:
            params.validity.append(value)
    for value in args.getlist("year"):
        if not value:
            continue
        if not (value.isascii() and value.isdigit()) or len(value) != 4:
            raise ParamError("year", f"year 必须是四位年份（got {value!r}）")
        params.year.append(int(value))
    return params


def int_param(args: MultiDict, name: str, default: int, low: int, high: int) -> int:
    raw = args.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ParamError(name, f"{name} 必须是整数（got {raw!r}）") from None
    if not low <= value <= high:
        raise ParamError(name, f"{name} 必须在 {low} 到 {high} 之间（got {value}）")
    return value
