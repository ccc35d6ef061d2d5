"""Text of scanned pages by OCR: image-only PDFs (pages rendered by PDFium) and image files.

Chinese government archives are full of scanned 红头文件, so OCR works from a plain ``pip
install``: RapidOCR (``rapidocr-onnxruntime``, whose wheel carries the PP-OCRv4 Chinese models,
so nothing is downloaded at run time) is the default engine; Debian's ``tesseract`` with the
``chi_sim`` language is the alternative when installed. ``GONGKAI_OCR`` chooses:
``rapidocr``, ``tesseract``, ``off``, or unset for the first one available. The importer reads
that setting and hands it to its workers (:func:`use`), so every worker of one import uses the
same engine.

The model is loaded lazily, once per process: the first page a worker reads pays for it
(about a second), the pages after it do not (:func:`engine`). Loading it widens the worker's
memory limit by :data:`MODEL_MEMORY`, what the model and one page need.

OCR'd text is recorded with ``extractor="ocr"`` and, in ``Document.extra``, the engine, the
mean confidence (0–1, weighted by characters) and the pages read; pages and search results
mark it as possibly misread (可能存在识别误差).

Costs are bounded: at most :data:`MAX_PAGES` pages are read (the rest are left out and the
document says so, ``ocr_pages_skipped``), an image over :data:`MAX_PIXELS` pixels is refused
before it is decoded (a decompression bomb: Pillow's ``MAX_IMAGE_PIXELS`` is set to the same
number), and a page is scaled down to :data:`MAX_SIDE` pixels on its longest side before it
is read. An image that cannot be decoded fails with a reason a person can act on.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from indexer.extract import ExtractionError

if TYPE_CHECKING:
    from PIL.Image import Image

#: Environment variable choosing the engine: rapidocr, tesseract, off (unset: first available).
ENGINE_ENV = "GONGKAI_OCR"
RAPIDOCR, TESSERACT, OFF = "rapidocr", "tesseract", "off"
ENGINE_NAMES = (RAPIDOCR, TESSERACT)
#: Pages of one document read by OCR at most (``GONGKAI_OCR_MAX_PAGES`` overrides).
MAX_PAGES = int(os.environ.get("GONGKAI_OCR_MAX_PAGES", "100"))
#: Pixels of one image at most (checked before decoding; Pillow's own bomb limit is set to it).
MAX_PIXELS = 80_000_000
#: Longest side of a page as it is read: larger scans are scaled down first.
MAX_SIDE = 3500
#: Resolution at which PDF pages are rendered for OCR.
RENDER_DPI = 200
#: Seconds tesseract may take for one page.
TESSERACT_TIMEOUT = 120
#: Address space a worker's memory limit grows by when it loads RapidOCR (the model and
#: ONNX Runtime's buffers for one 200-dpi page take about 1.5 GB of it, 0.7 GB resident);
#: ``GONGKAI_OCR_MEMORY_MB`` overrides.
MODEL_MEMORY = int(os.environ.get("GONGKAI_OCR_MEMORY_MB", "2048")) * 1024 * 1024
#: What pages and the JSON say of OCR'd text.
OCR_NOTE = "可能存在识别误差"


@dataclass
class PageText:
    """What an engine read on one page: lines of text and a confidence for each line."""

    lines: list[tuple[str, float]]

    @property
    def text(self) -> str:
        return "\n".join(line for line, _ in self.lines)


@dataclass
class OcrResult:
    """The text of all pages read (lines as the engine read them: :func:`clean_cjk
    <indexer.extract.pdf.clean_cjk>` rejoins them), the engine and its mean confidence."""

    text: str
    engine: str
    confidence: float
    pages: int
    skipped: int = 0

    def extra(self) -> dict[str, object]:
        """What goes into ``Document.extra``."""
        extra: dict[str, object] = {
            "ocr_engine": self.engine,
            "ocr_confidence": round(self.confidence, 3),
            "ocr_pages": self.pages,
        }
        if self.skipped:
            extra["ocr_pages_skipped"] = self.skipped
        return extra


class Engine(Protocol):
    name: str

    def read(self, image: Image) -> PageText: ...


class RapidOcrEngine:
    """RapidOCR on ONNX Runtime, one thread (the import runs one worker per core)."""

    name = RAPIDOCR

    def __init__(self) -> None:
        from rapidocr_onnxruntime import RapidOCR

        self._ocr = RapidOCR(
            intra_op_num_threads=1,
            inter_op_num_threads=1,
            det_limit_type="max",  # never scale a page up for detection
            print_verbose=False,
        )

    def read(self, image: Image) -> PageText:
        import numpy as np

        found, _elapsed = self._ocr(np.asarray(image.convert("RGB")))
        boxes = [(box, str(text), float(score)) for box, text, score in found or []]
        return PageText(_lines(boxes))


def _lines(boxes: list[tuple[Any, str, float]]) -> list[tuple[str, float]]:
    """Boxes of text joined into lines: boxes whose vertical middles lie within half a box
    height of each other are one line, read left to right."""
    placed = []
    for box, text, score in boxes:
        ys = [point[1] for point in box]
        xs = [point[0] for point in box]
        placed.append(((min(ys) + max(ys)) / 2, max(ys) - min(ys), min(xs), text, score))
    placed.sort()
    rows: list[list[tuple[float, float, float, str, float]]] = []
    for entry in placed:
        if rows and abs(entry[0] - rows[-1][0][0]) < max(entry[1], rows[-1][0][1]) / 2:
            rows[-1].append(entry)
        else:
            rows.append([entry])
    lines = []
    for row in rows:
        row.sort(key=lambda e: e[2])
        text = "".join(e[3] for e in row)
        chars = sum(len(e[3]) for e in row) or 1
        lines.append((text, sum(e[4] * len(e[3]) for e in row) / chars))
    return lines


class TesseractEngine:
    """Debian's ``tesseract`` (chi_sim+eng), one page at a time, confidence from its TSV."""

    name = TESSERACT

    def __init__(self) -> None:
        if not tesseract_available():
            raise ExtractionError("tesseract with the chi_sim language is not installed")
        self._exe = shutil.which("tesseract") or "tesseract"

    def read(self, image: Image) -> PageText:
        with tempfile.TemporaryDirectory(prefix="gongkai-ocr-") as tmp:
            png = Path(tmp) / "page.png"
            image.save(png)
            try:
                result = subprocess.run(
                    [self._exe, str(png), "stdout", "-l", "chi_sim+eng", "--psm", "6", "tsv"],
                    capture_output=True,
                    text=True,
                    timeout=TESSERACT_TIMEOUT,
                    check=False,
                )
            except subprocess.TimeoutExpired as exc:
                raise ExtractionError(
                    f"OCR took longer than {TESSERACT_TIMEOUT} s for one page"
                ) from exc
        return PageText(_tsv_lines(result.stdout))


def _tsv_lines(tsv: str) -> list[tuple[str, float]]:
    """Lines of tesseract's TSV output, each with its words' mean confidence (0–1)."""
    lines: dict[tuple[str, str, str, str], list[tuple[str, float]]] = {}
    for row in tsv.splitlines()[1:]:
        cols = row.split("\t")
        if len(cols) < 12 or cols[0] != "5" or not cols[11].strip():
            continue
        key = (cols[1], cols[2], cols[3], cols[4])
        lines.setdefault(key, []).append((cols[11].strip(), max(float(cols[10]), 0.0) / 100))
    out = []
    for words in lines.values():
        chars = sum(len(w) for w, _ in words) or 1
        out.append((" ".join(w for w, _ in words), sum(c * len(w) for w, c in words) / chars))
    return out


def tesseract_available() -> bool:
    """True when the ``tesseract`` program with the ``chi_sim`` language is installed."""
    exe = shutil.which("tesseract")
    if not exe:
        return False
    try:
        result = subprocess.run(
            [exe, "--list-langs"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return "chi_sim" in result.stdout.split()


def rapidocr_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("rapidocr_onnxruntime") is not None


_CHOICE: list[str] = []  # the importer's setting, handed to this worker (see use())
_LOADED: dict[str, Engine] = {}  # engines loaded in this process, by name


def setting() -> str:
    """The engine asked for by ``GONGKAI_OCR`` (``""``: the first available)."""
    value = os.environ.get(ENGINE_ENV, "").strip().lower()
    if value and value not in (*ENGINE_NAMES, OFF):
        raise ExtractionError(
            f"{ENGINE_ENV}={value!r} is not an OCR engine (use rapidocr, tesseract or off)"
        )
    return value


def use(name: str) -> None:
    """Make ``name`` (a :func:`setting` value) this process's choice (in an import worker,
    the importer's setting)."""
    _CHOICE[:] = [name]


def chosen() -> str:
    """The engine this process uses: ``rapidocr``, ``tesseract`` or ``off``."""
    name = _CHOICE[0] if _CHOICE else setting()
    if name:
        return name
    if rapidocr_available():
        return RAPIDOCR
    return TESSERACT if tesseract_available() else OFF


def available() -> bool:
    """Whether scanned pages can be read by OCR here."""
    name = chosen()
    if name == RAPIDOCR:
        return rapidocr_available()
    return name == TESSERACT and tesseract_available()


def engine(name: str | None = None) -> Engine | None:
    """The engine ``name`` (default: :func:`chosen`), loaded once per process; None when OCR
    is off or the engine is not installed."""
    name = name or chosen()
    if name == OFF:
        return None
    if name not in _LOADED:
        if name == RAPIDOCR and not rapidocr_available():
            return None
        if name == TESSERACT and not tesseract_available():
            return None
        if name == RAPIDOCR:
            _widen_memory_limit(MODEL_MEMORY)
        _LOADED[name] = RapidOcrEngine() if name == RAPIDOCR else TesseractEngine()
    return _LOADED[name]


def _widen_memory_limit(extra: int) -> None:
    """In a worker whose address space is limited (:func:`indexer.workers.limit_memory`),
    raise the limit by ``extra`` for the model: a bound stays, now sized for OCR."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY:
        return
    wider = soft + extra if hard == resource.RLIM_INFINITY else min(soft + extra, hard)
    resource.setrlimit(resource.RLIMIT_AS, (wider, hard))


def read_pages(images: Iterable[Image], total: int, reader: Engine) -> OcrResult:
    """OCR ``images`` (the first :data:`MAX_PAGES` of ``total`` pages) with ``reader``."""
    texts: list[str] = []
    weighted = chars = pages = 0.0
    for image in images:
        page = reader.read(_fit(image))
        pages += 1
        texts.append(page.text)
        for line, confidence in page.lines:
            weighted += confidence * len(line)
            chars += len(line)
    return OcrResult(
        text="\n\n".join(texts),
        engine=reader.name,
        confidence=weighted / chars if chars else 0.0,
        pages=int(pages),
        skipped=max(total - int(pages), 0),
    )


def _fit(image: Image) -> Image:
    """``image`` scaled down to :data:`MAX_SIDE` on its longest side, in RGB."""
    image = image.convert("RGB")
    if max(image.size) > MAX_SIDE:
        image.thumbnail((MAX_SIDE, MAX_SIDE))
    return image


def ocr_pdf(data: bytes) -> OcrResult | None:
    """The text of a PDF's pages read by OCR (rendered by PDFium at :data:`RENDER_DPI`);
    None when no OCR engine is available or PDFium cannot open the file."""
    reader = engine()
    if reader is None:
        return None
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except Exception:
        return None
    try:
        total = len(pdf)

        def rendered() -> Iterator[Image]:
            for index in range(min(total, MAX_PAGES)):
                page = pdf[index]
                width, height = page.get_size()  # points
                scale = RENDER_DPI / 72
                if width * height * scale * scale > MAX_PIXELS:
                    scale = (MAX_PIXELS / (width * height)) ** 0.5
                yield page.render(scale=scale).to_pil()
                page.close()

        return read_pages(rendered(), total, reader)
    finally:
        pdf.close()
