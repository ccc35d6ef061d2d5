"""Text extraction, one module per format, chosen by file suffix from :data:`EXTRACTORS`.

Every extractor takes the file's bytes and returns :class:`Extracted`, or raises
:class:`ExtractionError` with a reason a person can act on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from archive.errors import InvalidInput

MAX_TEXT_CHARS = 5_000_000  # extracted text longer than this is refused (zip-bomb-like input)


class ExtractionError(InvalidInput):
    """The file cannot be read as a document; the message says why."""


@dataclass
class Extracted:
    """Text of a file, its media type, which extractor produced it (e.g. ``pdf:pypdfium2``) and
    facts worth keeping in ``Document.extra`` (e.g. ``needs_ocr``, ``pages``)."""

    text: str
    media_type: str
    extractor: str
    extra: dict[str, object] = field(default_factory=dict)


Extractor = Callable[[bytes], Extracted]


def _registry() -> dict[str, Extractor]:
    from indexer.extract import html, image, office, pdf, text

    return {
        ".txt": text.extract_text,
        ".text": text.extract_text,
        ".md": text.extract_markdown,
        ".markdown": text.extract_markdown,
        ".html": html.extract_html,
        ".htm": html.extract_html,
        ".shtml": html.extract_html,
        ".pdf": pdf.extract_pdf,
        ".docx": office.extract_docx,
        ".doc": office.via_libreoffice(".doc"),
        ".wps": office.via_libreoffice(".wps"),
        **{suffix: image.image_extractor(suffix) for suffix in image.IMAGE_TYPES},
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
    if len(result.text) > MAX_TEXT_CHARS:
        raise ExtractionError(
            f"extracted text is {len(result.text):,} characters, over the limit of "
            f"{MAX_TEXT_CHARS:,}"
        )
    if not result.text.strip():
        raise ExtractionError("no text could be extracted")
    return result
