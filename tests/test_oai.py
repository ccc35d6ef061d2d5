"""OAI-PMH 2.0 at /oai: every verb's answer valid against our schemas of the protocol
(tests/schemas/oai_pmh.xsd with oai_dc.xsd, written from the specification), the schemas
refusing wrong answers, the error codes, resumption tokens, sets, and a real harvester (sickle)
taking every record from the real server across several pages."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import xmlschema
from flask.testing import FlaskClient
from helpers import Corpus, serving

from archive.vocab import DOC_TYPE_LABELS
from indexer import oai
from indexer.service import Gongkai
from search_app import create_app

SCHEMAS = Path(__file__).parent / "schemas"
NS = {"o": "http://www.openarchives.org/OAI/2.0/", "dc": "http://purl.org/dc/elements/1.1/"}
BASE = "https://gk.example.gov"
NOPE = "oai:gk.example.gov:nope"


@pytest.fixture(scope="module")
def schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(
        SCHEMAS / "oai_pmh.xsd",
        locations=[("http://www.openarchives.org/OAI/2.0/oai_dc/", str(SCHEMAS / "oai_dc.xsd"))],
    )


@pytest.fixture
def client(corpus: Corpus) -> FlaskClient:
    app = create_app({"DATA_DIR": corpus.data, "BASE_URL": BASE, "OAI_PAGE_SIZE": 5})
    return app.test_client()


def ask(client: FlaskClient, schema: xmlschema.XMLSchema, **args: str) -> ET.Element:
    """The answer to /oai?args, after checking it against the schema."""
    response = client.get("/oai", query_string=args)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
    schema.validate(response.data.decode("utf-8"), use_location_hints=False)
    return ET.fromstring(response.data)


def get_record(client: FlaskClient, schema: xmlschema.XMLSchema, doc_id: str) -> ET.Element:
    """The Dublin Core record of ``doc_id``, checked against the schema."""
    return ask(
        client,
        schema,
        verb="GetRecord",
        identifier=f"oai:gk.example.gov:{doc_id}",
        metadataPrefix="oai_dc",
    )


def errors(tree: ET.Element) -> list[str]:
    return [e.get("code", "") for e in tree.findall("o:error", NS)]


def archive_rows(corpus: Corpus) -> dict[str, Any]:
    with Gongkai(corpus.data, readonly=True) as gk:
        return {
            r["id"]: r
            for r in gk.archive.fields(
                ["id", "title", "agency", "doc_number", "doc_type", "updated_at"]
            )
        }


def harvest(client: FlaskClient, schema: xmlschema.XMLSchema, **args: str) -> list[ET.Element]:
    """Every record (or header) of a list, following resumption tokens."""
    verb = args["verb"]
    tree = ask(client, schema, **args)
    items: list[ET.Element] = []
    cursors = []
    while True:
        assert not errors(tree), ET.tostring(tree)
        listed = tree.find(f"o:{verb}", NS)
        assert listed is not None
        items += listed.findall("o:header" if verb == "ListIdentifiers" else "o:record", NS)
        token = listed.find("o:resumptionToken", NS)
        if token is None or not token.text:
            if token is not None:
                cursors.append(int(token.get("cursor", "-1")))
            break
        cursors.append(int(token.get("cursor", "-1")))
        tree = ask(client, schema, verb=verb, resumptionToken=token.text)
    assert cursors == sorted(cursors)
    return items


def test_identify_and_formats_are_valid(client: FlaskClient, schema: xmlschema.XMLSchema) -> None:
    identify = ask(client, schema, verb="Identify").find("o:Identify", NS)
    assert identify is not None
    assert identify.findtext("o:baseURL", namespaces=NS) == f"{BASE}/oai"
    assert identify.findtext("o:granularity", namespaces=NS) == "YYYY-MM-DD"
    assert identify.findtext("o:deletedRecord", namespaces=NS) == "no"
    formats = ask(client, schema, verb="ListMetadataFormats")
    assert [e.text for e in formats.iter(f"{{{NS['o']}}}metadataPrefix")] == ["oai_dc"]


def test_list_records_pages_through_the_whole_archive(
    client: FlaskClient, schema: xmlschema.XMLSchema, corpus: Corpus
) -> None:
    rows = archive_rows(corpus)
    records = harvest(client, schema, verb="ListRecords", metadataPrefix="oai_dc")
    assert len(rows) > 10  # several pages of 5
    seen = {}
    for record in records:
        identifier = record.findtext("o:header/o:identifier", namespaces=NS) or ""
        seen[identifier.removeprefix("oai:gk.example.gov:")] = record
    assert len(records) == len(seen) == len(rows)
    assert set(seen) == set(rows)
    for doc_id, record in seen.items():
        row = rows[doc_id]
        assert record.findtext("o:header/o:datestamp", namespaces=NS) == row["updated_at"][:10]
        dc = record.find("o:metadata/{http://www.openarchives.org/OAI/2.0/oai_dc/}dc", NS)
        assert dc is not None
        assert dc.findtext("dc:title", namespaces=NS) == row["title"]
        identifiers = [e.text for e in dc.findall("dc:identifier", NS)]
        assert f"{BASE}/doc/{doc_id}" in identifiers
        if row["doc_number"]:
            assert f"文号：{row['doc_number']}" in identifiers
        if row["agency"]:
            assert dc.findtext("dc:creator", namespaces=NS) == row["agency"]
        assert dc.findtext("dc:language", namespaces=NS) == "zh"
        assert (dc.findtext("dc:description", namespaces=NS) or "").startswith("有效性：")
    identifiers = harvest(client, schema, verb="ListIdentifiers", metadataPrefix="oai_dc")
    assert len(identifiers) == len(rows)


def test_sets_select_their_documents(
    client: FlaskClient, schema: xmlschema.XMLSchema, corpus: Corpus
) -> None:
    rows = archive_rows(corpus)
    sets = ask(client, schema, verb="ListSets")
    specs = {
        s.findtext("o:setSpec", namespaces=NS): s.findtext("o:setName", namespaces=NS)
        for s in sets.iter(f"{{{NS['o']}}}set")
    }
    agency = next(r["agency"] for r in rows.values() if r["agency"])
    spec = oai.agency_spec(agency)
    assert specs[spec] == agency
    doc_type = next(r["doc_type"] for r in rows.values() if r["doc_type"])
    assert specs[f"type:{doc_type}"] == DOC_TYPE_LABELS[doc_type]
    for set_spec, wanted in (
        (spec, {i for i, r in rows.items() if r["agency"] == agency}),
        (f"type:{doc_type}", {i for i, r in rows.items() if r["doc_type"] == doc_type}),
        ("agency", {i for i, r in rows.items() if r["agency"]}),
    ):
        headers = harvest(
            client, schema, verb="ListIdentifiers", metadataPrefix="oai_dc", set=set_spec
        )
        got = {(h.findtext("o:identifier", namespaces=NS) or "").rsplit(":", 1)[1] for h in headers}
        assert got == wanted, set_spec
        if ":" in set_spec:
            assert all(set_spec in [s.text for s in h.findall("o:setSpec", NS)] for h in headers)


def test_get_record_and_dates(
    client: FlaskClient, schema: xmlschema.XMLSchema, corpus: Corpus
) -> None:
    rows = archive_rows(corpus)
    doc_id = sorted(rows)[3]
    tree = get_record(client, schema, doc_id)
    assert tree.findtext(".//dc:title", namespaces=NS) == rows[doc_id]["title"]
    day = rows[doc_id]["updated_at"][:10]
    same_day = harvest(
        client, schema, verb="ListIdentifiers", metadataPrefix="oai_dc", **{"from": day}
    )
    assert len(same_day) == len([r for r in rows.values() if r["updated_at"][:10] >= day])
    later = ask(
        client, schema, verb="ListRecords", metadataPrefix="oai_dc", **{"from": "2999-01-01"}
    )
    assert errors(later) == ["noRecordsMatch"]
    until = ask(client, schema, verb="ListRecords", metadataPrefix="oai_dc", until="1999-12-31")
    assert errors(until) == ["noRecordsMatch"]


@pytest.mark.parametrize(
    ("args", "code"),
    [
        ({}, "badVerb"),
        ({"verb": "Harvest"}, "badVerb"),
        ({"verb": "Identify", "x": "1"}, "badArgument"),
        ({"verb": "ListRecords"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2020-13-01"}, "badArgument"),
        (
            {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2020-01-01T00:00:00Z"},
            "badArgument",
        ),
        (
            {
                "verb": "ListRecords",
                "metadataPrefix": "oai_dc",
                "from": "2021-01-01",
                "until": "2020-01-01",
            },
            "badArgument",
        ),
        ({"verb": "ListRecords", "metadataPrefix": "marc21"}, "cannotDisseminateFormat"),
        ({"verb": "GetRecord", "metadataPrefix": "oai_dc", "identifier": NOPE}, "idDoesNotExist"),
        (
            {"verb": "GetRecord", "metadataPrefix": "oai_dc", "identifier": "not-ours"},
            "idDoesNotExist",
        ),
        ({"verb": "ListMetadataFormats", "identifier": NOPE}, "idDoesNotExist"),
        (
            {"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "agency:000000000000"},
            "noRecordsMatch",
        ),
        ({"verb": "ListRecords", "resumptionToken": "garbled!!"}, "badResumptionToken"),
        (
            {"verb": "ListRecords", "resumptionToken": "x", "metadataPrefix": "oai_dc"},
            "badArgument",
        ),
        ({"verb": "ListSets", "resumptionToken": "x"}, "badResumptionToken"),
    ],
)
def test_errors_are_the_protocols(
    client: FlaskClient, schema: xmlschema.XMLSchema, args: dict[str, str], code: str
) -> None:
    tree = ask(client, schema, **args)
    assert errors(tree) == [code]
    request = tree.find("o:request", NS)
    assert request is not None and request.text == f"{BASE}/oai"
    if code in ("badVerb", "badArgument"):
        assert not request.attrib  # the protocol: no arguments echoed after these


def test_repeated_arguments_are_bad(client: FlaskClient, schema: xmlschema.XMLSchema) -> None:
    response = client.get("/oai?verb=Identify&verb=Identify")
    assert b'code="badVerb"' in response.data
    response = client.get("/oai?verb=ListRecords&metadataPrefix=oai_dc&metadataPrefix=oai_dc")
    assert b'code="badArgument"' in response.data
    schema.validate(response.data.decode(), use_location_hints=False)


def test_tokens_that_are_altered_or_expired_are_refused(corpus: Corpus) -> None:
    repo = oai.Repository("t", BASE, "a@b.cd")
    args = {"verb": ["ListIdentifiers"], "metadataPrefix": ["oai_dc"]}
    with Gongkai(corpus.data, readonly=True) as gk:
        first = oai.handle(gk.archive, args, repo, page_size=2, now=1_000_000)
        assert first.token is not None and first.token.value
        token = first.token.value
        resumed = {"verb": ["ListIdentifiers"], "resumptionToken": [token]}
        ok = oai.handle(gk.archive, resumed, repo, page_size=2, now=1_000_100)
        assert not ok.errors and ok.records[0].identifier > first.records[-1].identifier
        late = oai.handle(gk.archive, resumed, repo, page_size=2, now=1_000_000 + 2 * 86400)
        assert [e.code for e in late.errors] == ["badResumptionToken"]
        altered = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
        bad = {"verb": ["ListIdentifiers"], "resumptionToken": [altered]}
        assert [e.code for e in oai.handle(gk.archive, bad, repo, now=1_000_100).errors] == [
            "badResumptionToken"
        ]
        forged = oai.encode_token({"after": 5, "cursor": 0, "filters": {}, "issued": 1, "size": 1})
        bad = {"verb": ["ListIdentifiers"], "resumptionToken": [forged]}
        assert [e.code for e in oai.handle(gk.archive, bad, repo, now=100).errors] == [
            "badResumptionToken"
        ]


def test_control_characters_never_reach_the_xml(
    fresh_corpus: Corpus, schema: xmlschema.XMLSchema
) -> None:
    doc_id = sorted(fresh_corpus.ids.values())[0]
    with Gongkai(fresh_corpus.data) as gk:
        gk.archive.conn.execute(
            "UPDATE documents SET title = ? WHERE id = ?", ("坏\x01标题\x0b", doc_id)
        )
    client = create_app({"DATA_DIR": fresh_corpus.data, "BASE_URL": BASE}).test_client()
    tree = get_record(client, schema, doc_id)
    assert tree.findtext(".//dc:title", namespaces=NS) == "坏标题"


def test_a_real_harvester_takes_every_record_from_the_server(corpus: Corpus) -> None:
    from sickle import Sickle

    rows = archive_rows(corpus)
    with serving(corpus.data, {"GONGKAI_OAI_PAGE_SIZE": "4"}) as base:
        harvester = Sickle(f"{base}/oai", max_retries=0, timeout=30)
        identify = harvester.Identify()
        assert identify.protocolVersion == "2.0"
        records = list(harvester.ListRecords(metadataPrefix="oai_dc"))
        sets = {s.setSpec for s in harvester.ListSets()}
        one = harvester.GetRecord(identifier=records[0].header.identifier, metadataPrefix="oai_dc")
    assert len(rows) > 8  # three pages or more
    got = {r.header.identifier.rsplit(":", 1)[1]: r for r in records}
    assert len(got) == len(records) == len(rows)
    for doc_id, record in got.items():
        assert record.metadata["title"] == [rows[doc_id]["title"]]
        assert record.header.datestamp == rows[doc_id]["updated_at"][:10]
    assert {oai.agency_spec(r["agency"]) for r in rows.values() if r["agency"]} <= sets
    assert one.metadata["title"] == records[0].metadata["title"]


def served(client: FlaskClient, **args: str) -> bytes:
    response = client.get("/oai", query_string=args)
    assert response.status_code == 200
    return response.data


def refused(schema: xmlschema.XMLSchema, data: bytes, change: Callable[[ET.Element], None]) -> None:
    """``data`` is valid as served, and invalid once ``change`` breaks one rule."""
    schema.validate(data.decode("utf-8"), use_location_hints=False)
    tree = ET.fromstring(data)
    change(tree)
    with pytest.raises(xmlschema.XMLSchemaValidationError):
        schema.validate(ET.tostring(tree, encoding="unicode"), use_location_hints=False)


def only(tree: ET.Element, path: str) -> ET.Element:
    found = tree.find(path, NS)
    assert found is not None, path
    return found


def test_the_schema_refuses_answers_that_break_the_protocol(
    client: FlaskClient, schema: xmlschema.XMLSchema, corpus: Corpus
) -> None:
    doc_id = sorted(archive_rows(corpus))[0]
    record = served(
        client, verb="GetRecord", identifier=f"oai:gk.example.gov:{doc_id}", metadataPrefix="oai_dc"
    )
    header = "o:GetRecord/o:record/o:header"
    dc = "o:GetRecord/o:record/o:metadata/{http://www.openarchives.org/OAI/2.0/oai_dc/}dc"

    def drop_datestamp(tree: ET.Element) -> None:
        only(tree, header).remove(only(tree, f"{header}/o:datestamp"))

    def local_time_datestamp(tree: ET.Element) -> None:
        only(tree, f"{header}/o:datestamp").text = "2020-01-01T08:00:00"

    def metadata_before_header(tree: ET.Element) -> None:
        parent = only(tree, "o:GetRecord/o:record")
        first = only(tree, header)
        parent.remove(first)
        parent.append(first)

    def unknown_format(tree: ET.Element) -> None:
        metadata = only(tree, "o:GetRecord/o:record/o:metadata")
        metadata.remove(only(tree, dc))
        ET.SubElement(metadata, "{urn:example:unknown}record")

    def misspelt_dc_element(tree: ET.Element) -> None:
        ET.SubElement(only(tree, dc), "{http://purl.org/dc/elements/1.1/}titel").text = "x"

    def bad_status(tree: ET.Element) -> None:
        only(tree, header).set("status", "removed")

    for change in (
        drop_datestamp,
        local_time_datestamp,
        metadata_before_header,
        unknown_format,
        misspelt_dc_element,
        bad_status,
    ):
        refused(schema, record, change)

    def unknown_error_code(tree: ET.Element) -> None:
        only(tree, "o:error").set("code", "notFound")

    def error_and_answer(tree: ET.Element) -> None:
        one_set = ET.SubElement(ET.SubElement(tree, f"{{{NS['o']}}}ListSets"), f"{{{NS['o']}}}set")
        ET.SubElement(one_set, f"{{{NS['o']}}}setSpec").text = "agency"
        ET.SubElement(one_set, f"{{{NS['o']}}}setName").text = "发布机构"

    missing = served(client, verb="GetRecord", identifier=NOPE, metadataPrefix="oai_dc")
    refused(schema, missing, unknown_error_code)
    refused(schema, missing, error_and_answer)

    identify = served(client, verb="Identify")
    for name, wrong in (
        ("protocolVersion", "1.1"),
        ("granularity", "YYYY-MM"),
        ("deletedRecord", "sometimes"),
        ("adminEmail", "nobody"),
    ):
        refused(
            schema,
            identify,
            lambda tree, name=name, wrong=wrong: setattr(
                only(tree, f"o:Identify/o:{name}"), "text", wrong
            ),
        )

    page = served(client, verb="ListIdentifiers", metadataPrefix="oai_dc")
    refused(
        schema,
        page,
        lambda tree: only(tree, "o:ListIdentifiers/o:resumptionToken").set("cursor", "-1"),
    )
