"""PDF text via pdfminer.six, with the clean-up CJK needs, and fall-backs for broken text layers.

Layout analysis puts spaces between Han characters and breaks lines in mid-sentence; those are
removed here. Radical look-alikes (⽂ for 文) are folded by the analyzer's normalization for
search, and here in the stored text too.

A text layer can be broken: fonts without a ToUnicode map come out as ``(cid:NN)`` tokens or
U+FFFD, and scanned pages have no text at all. :func:`assess` measures that; a broken result
from pdfminer is retried with pypdfium2 (PDFium's own text extraction), then with OCR
(:mod:`indexer.extract.ocr`: RapidOCR by default, or tesseract). What is still broken (OCR
turned off with ``GONGKAI_OCR=off``) is flagged ``needs_ocr`` (kept only if some real text
remains; otherwise a clear failure).

Limits against zip-bomb-like files: at most :data:`MAX_PAGES` pages and :data:`MAX_CHARS`
extracted characters, and no compressed (FlateDecode) stream inflated past
:data:`MAX_STREAM_BYTES` by pdfminer, each refused with a clear error. (PDFium is native code;
the memory limit of the worker process that extracts every PDF bounds it, see
:mod:`indexer.building`.)
"""

from __future__ import annotations

import io
import re
import types
import unicodedata
import zlib
from dataclasses import dataclass

from indexer.extract import Extracted, ExtractionError

MAX_PAGES = 2000
MAX_CHARS = 5_000_000
MAX_STREAM_BYTES = 64 * 1024 * 1024  # one inflated stream (a page, a font) at most
BROKEN_SHARE = 0.10  # above this share of unreadable glyphs, a text layer counts as broken

_HAN = r"\u3400-\u9fff\uf900-\ufaff"
_CJK_PUNCT = r"\u3000-\u303f\uff00-\uffef"
_SPACE_BETWEEN = re.compile(rf"(?<=[{_HAN}{_CJK_PUNCT}])[ \t]+(?=[{_HAN}{_CJK_PUNCT}])")
_RADICALS = re.compile(r"[\u2e80-\u2fdf]")
_CID = re.compile(r"\(cid:\d+\)")
_UNREADABLE = re.compile(r"[\ufffd\ue000-\uf8ff]")  # replacement char, private use area
_SPACE = re.compile(r"\s+")


def clean_cjk(text: str) -> str:
    """Remove spaces layout analysis put between Han characters; fold radical look-alikes;
    rejoin paragraphs that the page width broke into lines; drop page numbers."""
    text = _RADICALS.sub(lambda m: unicodedata.normalize("NFKC", m.group(0)), text)
    text = _SPACE_BETWEEN.sub("", text)
    return reflow(text.replace("\x0c", "\n"))


_PAGE_NUMBER = re.compile(
    r"^\s*(?:[—\-－–]\s*\d{1,4}\s*[—\-－–]|第\s*\d{1,4}\s*页(?:\s*共\s*\d+\s*页)?|\d{1,4})\s*$"
)
_NEW_ITEM = re.compile(
    r"^\s*(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[）)]|\d+[.、．]|第[一二三四五六七八九十百\d]+[条章节])"
)


def reflow(text: str) -> str:
    """Join lines that run to the full line width with the line after them.

    A PDF line that is (nearly) as long as the longest lines of the document was ended by the
    page edge, not by the author; a shorter line ends a paragraph. Lines that start a new item
    (一、 （二） 3. 第四条) always start a new paragraph.
    """
    lines = [line.strip() for line in text.splitlines()]
    lines = [line for line in lines if line and not _PAGE_NUMBER.match(line)]
    if not lines:
        return ""
    lengths = sorted(len(line) for line in lines)
    full = lengths[int(len(lengths) * 0.9)] if len(lengths) >= 5 else lengths[-1]
    paragraphs: list[str] = []
    current = previous = ""
    for line in lines:
        if current and (_NEW_ITEM.match(line) or len(previous) < 0.85 * full):
            paragraphs.append(current)
            current = ""
        current += line
        previous = line
    paragraphs.append(current)
    return "\n\n".join(paragraphs)


@dataclass
class Quality:
    """How readable an extracted text layer is."""

    chars: int  # non-space characters, each (cid:NN) token counted as one
    unreadable: int  # (cid:NN) tokens, U+FFFD and private-use characters

    @property
    def share(self) -> float:
        return self.unreadable / self.chars if self.chars else 1.0

    @property
    def broken(self) -> bool:
        return self.chars == 0 or self.share > BROKEN_SHARE

    @property
    def readable(self) -> int:
        return self.chars - self.unreadable


def assess(text: str) -> Quality:
    """Measure ``text`` from a PDF: how many characters, how many of them unreadable."""
    cids = len(_CID.findall(text))
    rest = _SPACE.sub("", _CID.sub("", text))
    return Quality(chars=cids + len(rest), unreadable=cids + len(_UNREADABLE.findall(rest)))


def echoes_glyph_codes(broken: str, other: str) -> bool:
    """True when ``other`` merely spells out the glyph codes that ``broken`` shows as
    ``(cid:NN)``: PDFium maps an unmapped glyph code to the code point of the same number,
    which gives plausible-looking nonsense (Ā, ā, …) rather than a replacement character.
    Codes that land on Han characters or ASCII are not counted (CIDs that equal Unicode)."""
    codes = {int(m) for m in re.findall(r"\(cid:(\d+)\)", broken)}
    chars = _SPACE.sub("", other)
    if not codes or not chars:
        return False
    han = re.compile(rf"[{_HAN}]")
    echoed = sum(1 for ch in chars if ord(ch) in codes and ord(ch) > 0x7F and not han.match(ch))
    return echoed / len(chars) > BROKEN_SHARE


def strip_unreadable(text: str) -> str:
    """``text`` without ``(cid:NN)`` tokens and replacement/private-use characters."""
    return _UNREADABLE.sub("", _CID.sub("", text))


class _CappedWriter(io.StringIO):
    """A text sink that refuses more than :data:`MAX_CHARS` characters."""

    def write(self, s: str) -> int:
        if self.tell() + len(s) > MAX_CHARS:
            raise ExtractionError(f"PDF text is over the limit of {MAX_CHARS:,} characters")
        return super().write(s)


def _page_count(data: bytes) -> int | None:
    """Pages in the PDF according to PDFium (cheap: no page is parsed), or None."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except Exception:  # PdfiumError and friends: let pdfminer give its own reason
        return None
    try:
        return len(pdf)
    finally:
        pdf.close()


def inflate_bounded(data: bytes, limit: int | None = None) -> bytes:
    """``zlib.decompress(data)``, refusing to inflate past ``limit`` bytes (default
    :data:`MAX_STREAM_BYTES`): a FlateDecode bomb of a few hundred KB would otherwise become
    gigabytes in memory before anything could look at its size."""
    limit = MAX_STREAM_BYTES if limit is None else limit
    inflater = zlib.decompressobj()
    out = inflater.decompress(data, limit + 1)
    if len(out) > limit:
        raise ExtractionError(
            f"PDF has a compressed stream that inflates past the limit of {limit:,} bytes"
        )
    if not inflater.eof:
        raise zlib.error("incomplete or truncated stream")  # as zlib.decompress says
    return out


#: What pdfminer's stream decoder sees as ``zlib`` (see :func:`_bound_pdfminer`).
_BOUNDED_ZLIB = types.SimpleNamespace(
    decompress=inflate_bounded, decompressobj=zlib.decompressobj, error=zlib.error
)


def _bound_pdfminer() -> None:
    """Make pdfminer inflate FlateDecode streams with :func:`inflate_bounded`."""
    from pdfminer import pdftypes

    pdftypes.zlib = _BOUNDED_ZLIB  # type: ignore[assignment]


def _with_pdfminer(data: bytes) -> str:
    from pdfminer.high_level import extract_text_to_fp
    from pdfminer.layout import LAParams
    from pdfminer.pdfparser import PDFSyntaxError

    _bound_pdfminer()

    out = _CappedWriter()
    try:
        extract_text_to_fp(
            io.BytesIO(data),
            out,
            laparams=LAParams(char_margin=4.0, detect_vertical=True),
            maxpages=MAX_PAGES,
        )
    except ExtractionError:
        raise
    except PDFSyntaxError as exc:
        raise ExtractionError(f"broken PDF: {exc}") from exc
    except Exception as exc:  # pdfminer raises many kinds on damaged files
        raise ExtractionError(f"PDF could not be read: {type(exc).__name__}: {exc}") from exc
    return clean_cjk(out.getvalue())


def _with_pdfium(data: bytes) -> str | None:
    """Text by PDFium, page by page; None when PDFium cannot open the file."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except Exception:
        return None
    parts: list[str] = []
    total = 0
    try:
        for index in range(min(len(pdf), MAX_PAGES)):
            page = pdf[index]
            textpage = page.get_textpage()
            text = textpage.get_text_range()
            textpage.close()
            page.close()
            total += len(text)
            if total > MAX_CHARS:
                raise ExtractionError(f"PDF text is over the limit of {MAX_CHARS:,} characters")
            parts.append(text)
    except ExtractionError:
        raise
    except Exception:
        return None
    finally:
        pdf.close()
    return clean_cjk("\n\n".join(parts).replace("\r\n", "\n").replace("\r", "\n"))


def ocr_available() -> bool:
    """True when scanned pages can be read by OCR here (see :mod:`indexer.extract.ocr`)."""
    from indexer.extract import ocr

    return ocr.available()


def extract_pdf(data: bytes) -> Extracted:
    """Text of a PDF: pdfminer, then PDFium, then OCR, whichever first gives a sound layer."""
    if not data.startswith(b"%PDF"):
        raise ExtractionError("not a PDF (no %PDF signature)")
    pages = _page_count(data)
    if pages is not None and pages > MAX_PAGES:
        raise ExtractionError(f"PDF has {pages:,} pages, over the limit of {MAX_PAGES:,}")
    meta: dict[str, object] = {}
    if pages is not None:
        meta["pages"] = pages

    candidates: list[tuple[str, str]] = []
    text = _with_pdfminer(data)
    candidates.append(("pdf:pdfminer", text))
    if not assess(text).broken:
        return _result(text, "pdf:pdfminer", meta)

    first = text
    found = _with_pdfium(data)
    if found is not None:
        text = _echoed_removed(first, found) if echoes_glyph_codes(first, found) else found
        if not assess(text).broken:
            return _result(text, "pdf:pypdfium2", {**meta, "fallback_from": "pdf:pdfminer"})
        candidates.append(("pdf:pypdfium2", text))

    from indexer.extract import ocr

    read = ocr.ocr_pdf(data)
    if read is not None and not assess(text := clean_cjk(read.text)).broken:
        return _result(text, "ocr", {**meta, "fallback_from": "pdf:pdfminer", **read.extra()})

    name, text = max(candidates, key=lambda c: assess(c[1]).readable)
    quality = assess(text)
    if quality.readable == 0 and read is not None:
        raise ExtractionError("no text layer, and OCR found no text on its pages")
    if quality.readable == 0:
        raise ExtractionError("no text layer; needs OCR (scanned or image-only PDF)")
    meta.update(needs_ocr=True, unreadable_share=round(quality.share, 3))
    return _result(text, name, meta)


def _echoed_removed(broken: str, other: str) -> str:
    """``other`` with the echoed glyph codes (see :func:`echoes_glyph_codes`) made U+FFFD."""
    codes = {int(m) for m in re.findall(r"\(cid:(\d+)\)", broken)}
    return "".join("\ufffd" if ord(ch) in codes and ord(ch) > 0x7F else ch for ch in other)


def _result(text: str, extractor: str, extra: dict[str, object]) -> Extracted:
    quality = assess(text)
    if quality.unreadable:
        extra = {**extra, "unreadable_glyphs": quality.unreadable}
        text = strip_unreadable(text)
    return Extracted(text, "application/pdf", extractor, extra)
