"""Validity on a date: the status published in the header, weighed against dated relations.

(Interface fixed; the relation logic is filled in by the validity work — see issue 3.)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date

from archive.document import Document


@dataclass
class Status:
    """The status of one document on one date, and why."""

    doc_id: str
    as_of: str  # YYYY-MM-DD
    validity: str  # canonical value in effect on ``as_of``
    since: str = ""  # when that status began, if known
    by: str = ""  # id of the document that caused it (repealing / amending / superseding)
    current_version: str = ""  # id of the current version when this one is superseded
    published: str = ""  # validity as published on the original (header)
    source: str = "header"  # "header" or "relation": which one decided ``validity``
    note: str = ""  # when header and relations disagree: both, which wins and why

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass
class Cluster:
    """Everything linked to one document, for the document page and ``show``."""

    doc_id: str
    interpretations: list[Document] = field(default_factory=list)
    answers: list[Document] = field(default_factory=list)
    versions: list[Document] = field(default_factory=list)  # oldest first, this one included
    repealed_by: list[Document] = field(default_factory=list)
    repeals: list[Document] = field(default_factory=list)
    amended_by: list[Document] = field(default_factory=list)
    amends: list[Document] = field(default_factory=list)
    interprets: list[Document] = field(default_factory=list)  # for an interpretation
    answers_about: list[Document] = field(default_factory=list)  # for a request answer
    cites: list[Document] = field(default_factory=list)
    cited_by: list[Document] = field(default_factory=list)


def today() -> str:
    return date.today().isoformat()


def status_on(doc: Document, as_of: str | None = None) -> Status:
    """The status of ``doc`` on ``as_of`` (default today). Header only until relations land."""
    return Status(
        doc_id=doc.id, as_of=as_of or today(), validity=doc.validity, published=doc.validity
    )
