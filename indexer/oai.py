"""OAI-PMH 2.0: the protocol as data, so that libraries and aggregators can harvest the catalogue.

Libraries harvest catalogues with OAI-PMH (https://www.openarchives.org/OAI/openarchivesprotocol.html).
This module is the protocol's logic and nothing else: :func:`handle` takes the request's
arguments and returns an :class:`OaiResponse` (the verb's answer or its errors); the web app
(:mod:`search_app.views.oai`) only writes it as XML. Kept apart so the rules (which argument
each verb takes, the error codes, the resumption tokens) are tested without a server.

- Records are the archive's documents; the identifier is ``oai:<host>:<id>``; the datestamp
  is the day of ``updated_at`` (day granularity, UTC), so a staff change makes the record new
  again for incremental harvests (``from``).
- Sets: ``agency:<hash>`` per 发布机构 (the first 12 hex digits of the SHA-1 of its name: a
  setSpec may hold ASCII only) and ``type:<doc_type>`` per document type, under the parent
  sets ``agency`` and ``type``.
- ``oai_dc`` only: title, creator (agency), date (发文日期, else 成文日期), identifier (the page's
  URL, 文号, 索引号), type (the document type's label), subject (主题分类), description (the
  status today, the one answer of :class:`~indexer.validity_view.ValidityView`), language zh.
- Lists come :data:`PAGE_SIZE` records a page, read in id order after the last id sent
  (:func:`archive.harvest.harvest_rows`: one query, no text). The resumption token carries that
  id, the filters, the cursor, the list's size and when it was issued; it expires after
  :data:`TOKEN_LIFETIME`. A token that does not decode, is altered, or has expired is
  ``badResumptionToken``.
- Deleted records: none (documents are never deleted), declared ``deletedRecord: no``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from archive import Archive
from archive.document import Document
from archive.harvest import agencies, datestamp_bounds, doc_types, harvest_count, harvest_rows
from archive.vocab import DOC_TYPE_LABELS
from indexer.validity_view import ValidityView

#: Records (or headers) per page of ListRecords / ListIdentifiers.
PAGE_SIZE = 100
#: How long a resumption token may be used, seconds.
TOKEN_LIFETIME = 24 * 3600

OAI_DC = {
    "metadataPrefix": "oai_dc",
    "schema": "http://www.openarchives.org/OAI/2.0/oai_dc.xsd",
    "metadataNamespace": "http://www.openarchives.org/OAI/2.0/oai_dc/",
}
VERBS = {
    # verb → (required, optional, exclusive) arguments
    "Identify": ((), (), None),
    "ListMetadataFormats": ((), ("identifier",), None),
    "ListSets": ((), (), "resumptionToken"),
    "ListIdentifiers": (("metadataPrefix",), ("from", "until", "set"), "resumptionToken"),
    "ListRecords": (("metadataPrefix",), ("from", "until", "set"), "resumptionToken"),
    "GetRecord": (("identifier", "metadataPrefix"), (), None),
}
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_SECONDS = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")


@dataclass(frozen=True)
class OaiError:
    code: str  # badArgument, badVerb, badResumptionToken, cannotDisseminateFormat, ...
    message: str


@dataclass
class Record:
    identifier: str
    datestamp: str  # YYYY-MM-DD
    sets: list[str]
    metadata: dict[str, list[str]] | None = None  # Dublin Core element → values


@dataclass(frozen=True)
class Token:
    value: str
    cursor: int  # how many records came before this page's successor
    complete_size: int
    expires: str  # YYYY-MM-DDThh:mm:ssZ


@dataclass
class OaiResponse:
    """What one request is answered with; ``errors`` non-empty means only errors."""

    verb: str  # "" when the verb itself is wrong
    arguments: dict[str, str]  # echoed in <request> (empty after badVerb / badArgument)
    errors: list[OaiError] = field(default_factory=list)
    identify: dict[str, str] = field(default_factory=dict)
    formats: list[dict[str, str]] = field(default_factory=list)
    sets: list[tuple[str, str]] = field(default_factory=list)  # (setSpec, setName)
    records: list[Record] = field(default_factory=list)
    token: Token | None = None  # None on the last (or only) page
    last_page: bool = False  # a resumed list's last page: an empty token is written


@dataclass(frozen=True)
class Repository:
    """What Identify says, and how records are named and linked."""

    name: str
    base_url: str  # the site's root: https://gongkai.example.gov
    admin_email: str

    @property
    def oai_url(self) -> str:
        return self.base_url + "/oai"

    @property
    def prefix(self) -> str:
        return f"oai:{urlsplit(self.base_url).hostname or 'localhost'}:"

    def document_url(self, doc_id: str) -> str:
        return f"{self.base_url}/doc/{doc_id}"


def agency_spec(agency: str) -> str:
    """The setSpec of one 发布机构."""
    return "agency:" + hashlib.sha1(agency.encode("utf-8")).hexdigest()[:12]


def handle(
    archive: Archive,
    args: Mapping[str, Sequence[str]],
    repo: Repository,
    *,
    page_size: int = PAGE_SIZE,
    now: float | None = None,
) -> OaiResponse:
    """The answer to one OAI-PMH request with these arguments (name → every value given)."""
    now = time.time() if now is None else now
    verbs = list(args.get("verb", []))
    if len(verbs) != 1 or verbs[0] not in VERBS:
        shown = ", ".join(verbs) or "(none)"
        return OaiResponse("", {}, [OaiError("badVerb", f"not an OAI-PMH verb: {shown}")])
    verb = verbs[0]
    given = {k: list(v) for k, v in args.items() if k != "verb"}
    problem = _argument_problem(verb, given)
    if problem:
        return OaiResponse(verb, {}, [OaiError("badArgument", problem)])
    arguments = {k: v[0] for k, v in given.items()}
    response = OaiResponse(verb, arguments)
    try:
        if verb == "Identify":
            response.identify = _identify(archive, repo)
        elif verb == "ListMetadataFormats":
            if "identifier" in arguments:
                _document_id(archive, repo, arguments["identifier"])
            response.formats = [OAI_DC]
        elif verb == "ListSets":
            if "resumptionToken" in arguments:
                raise _Fail("badResumptionToken", "ListSets is answered whole: no token applies")
            response.sets = list_sets(archive)
        elif verb == "GetRecord":
            _check_prefix(arguments["metadataPrefix"])
            doc_id = _document_id(archive, repo, arguments["identifier"])
            rows = harvest_rows(archive, ids=[doc_id], limit=1)
            response.records = _records(archive, repo, rows, metadata=True)
        else:
            _list(archive, repo, response, page_size=page_size, now=now)
    except _Fail as fail:
        response.errors = [OaiError(fail.code, fail.message)]
    return response


class _Fail(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def _argument_problem(verb: str, given: dict[str, list[str]]) -> str:
    required, optional, exclusive = VERBS[verb]
    for name, values in given.items():
        if name not in (*required, *optional, exclusive):
            return f"{verb} does not take the argument {name!r}"
        if len(values) != 1:
            return f"the argument {name!r} is given more than once"
    if exclusive and exclusive in given:
        if len(given) > 1:
            return f"{exclusive} must be the only argument besides verb"
        return ""
    missing = [name for name in required if name not in given]
    if missing:
        return f"{verb} needs the argument {missing[0]!r}"
    return ""


def _identify(archive: Archive, repo: Repository) -> dict[str, str]:
    earliest = datestamp_bounds(archive)[0][:10] or time.strftime("%Y-%m-%d", time.gmtime())
    return {
        "repositoryName": repo.name,
        "baseURL": repo.oai_url,
        "protocolVersion": "2.0",
        "adminEmail": repo.admin_email,
        "earliestDatestamp": earliest,
        "deletedRecord": "no",
        "granularity": "YYYY-MM-DD",
    }


def list_sets(archive: Archive) -> list[tuple[str, str]]:
    """Every set: the two parents, then one per agency and one per document type in use."""
    sets = [("agency", "按发布机构"), ("type", "按文件类型")]
    sets += [(agency_spec(a), a) for a in agencies(archive)]
    sets += [(f"type:{t}", DOC_TYPE_LABELS.get(t, t)) for t in doc_types(archive)]
    return sets


def _check_prefix(prefix: str) -> None:
    if prefix != OAI_DC["metadataPrefix"]:
        raise _Fail("cannotDisseminateFormat", f"only oai_dc is offered (not {prefix!r})")


def _document_id(archive: Archive, repo: Repository, identifier: str) -> str:
    doc_id = identifier.removeprefix(repo.prefix) if identifier.startswith(repo.prefix) else ""
    if not doc_id or not harvest_rows(archive, ids=[doc_id], limit=1):
        raise _Fail("idDoesNotExist", f"no record has the identifier {identifier!r}")
    return doc_id


def _day(name: str, value: str) -> str:
    if _DAY.fullmatch(value):
        try:
            time.strptime(value, "%Y-%m-%d")
        except ValueError:
            raise _Fail("badArgument", f"{name} is not a real date: {value!r}") from None
        return value
    if _SECONDS.fullmatch(value):
        raise _Fail("badArgument", f"{name}: this repository's granularity is YYYY-MM-DD")
    raise _Fail("badArgument", f"{name} must be a date as YYYY-MM-DD (got {value!r})")


def _set_filters(archive: Archive, spec: str) -> dict[str, Any]:
    """The archive filters of one setSpec; raises noRecordsMatch for a set that is not."""
    if spec == "agency":
        return {"any_agency": True}
    if spec == "type":
        return {"any_doc_type": True}
    if spec.startswith("type:"):
        return {"doc_type": spec.removeprefix("type:")}
    if spec.startswith("agency:"):
        for agency in agencies(archive):
            if agency_spec(agency) == spec:
                return {"agency": agency}
    raise _Fail("noRecordsMatch", f"there is no set {spec!r} (see ListSets)")


def _list(
    archive: Archive, repo: Repository, response: OaiResponse, *, page_size: int, now: float
) -> None:
    arguments = response.arguments
    if "resumptionToken" in arguments:
        state = decode_token(arguments["resumptionToken"], now=now)
        response.last_page = True
    else:
        _check_prefix(arguments["metadataPrefix"])
        since = _day("from", arguments["from"]) if "from" in arguments else ""
        until = _day("until", arguments["until"]) if "until" in arguments else ""
        if since and until and since > until:
            raise _Fail("badArgument", "from is later than until")
        filters = {"since": since, "until": until}
        if "set" in arguments:
            filters.update(_set_filters(archive, arguments["set"]))
        state = {"after": "", "cursor": 0, "filters": filters}
        state["size"] = harvest_count(archive, **filters)
    rows = harvest_rows(archive, after=state["after"], limit=page_size + 1, **state["filters"])
    if not rows:
        if state["cursor"] == 0:
            raise _Fail("noRecordsMatch", "no record matches these from, until and set")
        raise _Fail("badResumptionToken", "this token's list has changed: start again")
    more, rows = len(rows) > page_size, rows[:page_size]
    headers_only = response.verb == "ListIdentifiers"
    response.records = _records(archive, repo, rows, metadata=not headers_only)
    if more:
        cursor = state["cursor"] + len(rows)
        following = {**state, "after": rows[-1]["id"], "cursor": cursor, "issued": int(now)}
        expires = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now + TOKEN_LIFETIME))
        size = max(int(state["size"]), cursor + 1)
        response.token = Token(encode_token(following), state["cursor"], size, expires)
    elif response.last_page:
        size = max(int(state["size"]), state["cursor"] + len(rows))
        response.token = Token("", state["cursor"], size, "")


def encode_token(state: dict[str, Any]) -> str:
    """A resumption token: the paging state as JSON, base64url, with a checksum."""
    body = json.dumps(state, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    raw = body.encode("utf-8")
    digest = hashlib.sha256(raw).digest()[:6]
    return base64.urlsafe_b64encode(digest + raw).decode("ascii").rstrip("=")


def decode_token(token: str, *, now: float) -> dict[str, Any]:
    """The paging state of ``token``; raises badResumptionToken when it is garbled, altered,
    of another shape or expired."""
    bad = _Fail("badResumptionToken", "this resumptionToken is not valid (garbled or expired)")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        raise bad from None
    digest, body = raw[:6], raw[6:]
    if hashlib.sha256(body).digest()[:6] != digest:
        raise bad
    try:
        state = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise bad from None
    if not _well_formed(state):
        raise bad
    if not 0 <= now - state["issued"] <= TOKEN_LIFETIME:
        raise _Fail("badResumptionToken", "this resumptionToken has expired: start again")
    return state


def _well_formed(state: object) -> bool:
    if not isinstance(state, dict) or set(state) != {
        "after",
        "cursor",
        "filters",
        "issued",
        "size",
    }:
        return False
    filters = state["filters"]
    allowed = {"since", "until", "agency", "doc_type", "any_agency", "any_doc_type"}
    return (
        isinstance(state["after"], str)
        and all(isinstance(state[k], int) and state[k] >= 0 for k in ("cursor", "issued", "size"))
        and isinstance(filters, dict)
        and set(filters) <= allowed
        and all(isinstance(v, str | bool) for v in filters.values())
    )


def _records(
    archive: Archive, repo: Repository, rows: list[dict[str, Any]], *, metadata: bool
) -> list[Record]:
    statuses = {}
    if metadata and rows:
        docs = [Document.from_row({**row, "text": ""}) for row in rows]
        statuses = ValidityView(archive).statuses(docs)
    records = []
    for row in rows:
        sets = [agency_spec(row["agency"])] if row["agency"] else []
        sets += [f"type:{row['doc_type']}"] if row["doc_type"] else []
        record = Record(repo.prefix + row["id"], row["updated_at"][:10], sets)
        if metadata:
            status = statuses.get(row["id"])
            record.metadata = dublin_core(row, repo, status.validity if status else "")
        records.append(record)
    return records


def dublin_core(row: Mapping[str, Any], repo: Repository, validity: str) -> dict[str, list[str]]:
    """The ``oai_dc`` elements of one document (empty ones left out), in schema order."""
    date = row["date_issued"] or row["date_written"]
    elements = {
        "title": [row["title"]],
        "creator": [row["agency"]],
        "subject": [row["category"]],
        "description": [f"有效性：{validity}" if validity else ""],
        "date": [date],
        "type": [DOC_TYPE_LABELS.get(row["doc_type"], row["doc_type"])],
        "identifier": [
            repo.document_url(row["id"]),
            f"文号：{row['doc_number']}" if row["doc_number"] else "",
            f"索引号：{row['index_number']}" if row["index_number"] else "",
        ],
        "language": ["zh"],
    }
    return {k: [v for v in values if v] for k, values in elements.items() if any(values)}
