"""A document as the archive holds it, and what a document id may be.

Ids appear in URLs (``/doc/<id>``, ``/api/v1/documents/<id>``), file names and CSV cells, so
an id given in a manifest must be :data:`ID_PATTERN`: a letter or digit, then up to 63 letters,
digits, ``.``, ``_`` or ``-``. Ids with ``/``, ``?``, ``#``, ``<`` or ``..`` were once accepted,
listed in search and then answered 404 at their own page. Ids the archive makes itself (from
the content hash) are 12+ hex digits, which fit.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field, fields

from archive.errors import InvalidInput
from archive.vocab import NOTICE, UNKNOWN

#: A document id: ASCII letters and digits, then also ``.``, ``_``, ``-``; 1-64 characters.
ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def check_doc_id(value: str) -> str:
    """``value`` if it is a valid document id; :class:`InvalidInput` saying why otherwise."""
    if ID_PATTERN.fullmatch(value) and ".." not in value:
        return value
    shown = value if len(value) <= 40 else value[:40] + "…"
    raise InvalidInput(
        f"id {shown!r} is not a valid document id (1-64 characters: letters, digits, "
        "'.', '_', '-', starting with a letter or digit, no '..')"
    )


@dataclass
class Document:
    """One archived document: the published metadata, the extracted text and provenance.

    ``validity`` is the status as published on the original (the header's 有效性); the status on
    a given date, which also weighs relations, is computed by :mod:`archive.validity`.
    """

    title: str
    text: str
    id: str = ""
    index_number: str = ""
    agency: str = ""
    doc_number: str = ""
    category: str = ""
    date_written: str = ""
    date_issued: str = ""
    date_effective: str = ""
    validity: str = UNKNOWN
    validity_raw: str = ""
    kind: str = NOTICE
    #: 法律, 行政法规, 规章, 规范性文件 … (``archive.vocab.DOC_TYPES``); "" until typed.
    doc_type: str = ""
    doc_type_origin: str = ""  # auto, manifest or staff (archive.vocab.DOC_TYPE_ORIGINS)
    source_name: str = ""
    sha256: str = ""
    size: int = 0
    media_type: str = ""
    extractor: str = ""
    extra: dict[str, object] = field(default_factory=dict)
    # Set by the archive:
    rev: int = 0
    doc_number_norm: str = ""
    index_number_norm: str = ""
    created_at: str = ""
    updated_at: str = ""

    @property
    def categories(self) -> tuple[str, ...]:
        parts = self.category.replace("，", ",").replace("、", ",").replace(";", ",").split(",")
        return tuple(p.strip() for p in parts if p.strip())

    def to_dict(self, *, text: bool = True) -> dict[str, object]:
        # Not dataclasses.asdict: it deep-copies field by field, and the import calls this
        # for every document it commits. Only ``extra`` is mutable.
        data = {name: getattr(self, name) for name in _FIELD_NAMES}
        data["extra"] = copy.deepcopy(self.extra)
        if not text:
            data.pop("text")
        return data

    @classmethod
    def from_row(cls, row: dict[str, object]) -> Document:
        data = {k: v for k, v in row.items() if k in _FIELD_NAMES}
        extra = data.get("extra")
        if isinstance(extra, str):
            data["extra"] = json.loads(extra or "{}")
        return cls(**data)  # type: ignore[arg-type]


_FIELD_NAMES = tuple(f.name for f in fields(Document))
