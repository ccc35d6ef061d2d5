"""Text extraction, one module per format, chosen by file suffix from :data:`EXTRACTORS`.

Every extractor takes the file's bytes and returns :class:`Extracted`, or raises
:class:`ExtractionError` with a reason a person can act on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


class ExtractionError(ValueError):
    """The file cannot be read as a document; the message says why."""


@dataclass
class Extracted:
    text: str
    media_type: str
    extractor: str


Extractor = Callable[[bytes], Extracted]


def _registry() -> dict[str, Extractor]:
    from indexer.extract import html, pdf, text

    return {
        ".txt": text.extract_text,
        ".text": text.extract_text,
        ".md": text.extract_markdown,
        ".markdown": text.extract_markdown,
        ".html": html.extract_html,
        ".htm": html.extract_html,
        ".shtml": html.extract_html,
        ".pdf": pdf.extract_pdf,
    }


EXTRACTORS: dict[str, Extractor] = {}


def supported_suffixes() -> set[str]:
    if not EXTRACTORS:
        EXTRACTORS.update(_registry())
    return set(EXTRACTORS)


def extract(path: Path, data: bytes) -> Extracted:
    """Extract the text of ``data``, read from ``path`` (whose suffix picks the extractor)."""
    suffix = path.suffix.lower()
    if suffix not in supported_suffixes():
        raise ExtractionError(f"unsupported file type {suffix or '(none)'}")
    if not data.strip():
        raise ExtractionError("empty file")
    result = EXTRACTORS[suffix](data)
    if not result.text.strip():
        raise ExtractionError("no text could be extracted")
    return result
