"""PDF text via pdfminer.six, with the clean-up CJK needs.

Layout analysis puts spaces between Han characters and breaks lines in mid-sentence; those are
removed here. Radical look-alikes (⽂ for 文) are folded by the analyzer's normalization for
search, and here in the stored text too.
"""

from __future__ import annotations

import io
import re
import unicodedata

from indexer.extract import Extracted, ExtractionError

_HAN = r"\u3400-\u9fff\uf900-\ufaff"
_CJK_PUNCT = r"\u3000-\u303f\uff00-\uffef"
_SPACE_BETWEEN = re.compile(rf"(?<=[{_HAN}{_CJK_PUNCT}])[ \t]+(?=[{_HAN}{_CJK_PUNCT}])")
_RADICALS = re.compile(r"[\u2e80-\u2fdf]")


def clean_cjk(text: str) -> str:
    """Remove spaces layout analysis put between Han characters; fold radical look-alikes."""
    text = _RADICALS.sub(lambda m: unicodedata.normalize("NFKC", m.group(0)), text)
    text = _SPACE_BETWEEN.sub("", text)
    return text.replace("\x0c", "\n")


def extract_pdf(data: bytes) -> Extracted:
    from pdfminer.high_level import extract_text
    from pdfminer.layout import LAParams
    from pdfminer.pdfparser import PDFSyntaxError

    if not data.startswith(b"%PDF"):
        raise ExtractionError("not a PDF (no %PDF signature)")
    try:
        text = extract_text(io.BytesIO(data), laparams=LAParams(char_margin=4.0))
    except PDFSyntaxError as exc:
        raise ExtractionError(f"broken PDF: {exc}") from exc
    except Exception as exc:  # pdfminer raises many kinds on damaged files
        raise ExtractionError(f"PDF could not be read: {type(exc).__name__}: {exc}") from exc
    return Extracted(clean_cjk(text), "application/pdf", "pdf:pdfminer")
