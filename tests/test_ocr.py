"""Scanned documents read by OCR (issue 17 item 5): a scanned PDF and image files made here by
rendering our own words with a CJK font, read by RapidOCR (the default, from the wheel) and by
tesseract (when installed), imported through the real workers and found by search.

The images are small (a few lines) so that OCR stays fast; the RapidOCR model is loaded once
per session in this process (``rapid``) for the tests that extract in-process. The imports
run in worker processes, which load their own model once each."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from helpers import html, one, search_json

from indexer.building import build_document
from indexer.extract import ExtractionError, extract, ocr, pdf
from indexer.service import Gongkai
from search_app import create_app

FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
TITLE = "关于整修梧桐巷排水沟的通知"
BODY = "请沿街商户于九月十日前清理门前杂物。"


@pytest.fixture(scope="session")
def font() -> object:
    if not FONT.exists():
        pytest.skip(f"CJK font {FONT} missing (Debian package fonts-wqy-microhei)")
    from PIL import ImageFont

    return ImageFont.truetype(str(FONT), 34)


@pytest.fixture(scope="session")
def rapid() -> ocr.Engine:
    """RapidOCR, loaded once for the session (in this process)."""
    reader = ocr.engine(ocr.RAPIDOCR)
    assert reader is not None, "rapidocr-onnxruntime is a runtime dependency"
    return reader


def scan(font: object, lines: list[str], *, width: int = 820) -> object:
    """A white page with ``lines`` in black, as a scanner would give it (RGB)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (width, 60 + 70 * len(lines)), "white")
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        draw.text((30, 30 + 70 * i), line, font=font, fill=(20, 20, 20))
    return image


def as_bytes(image: object, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)  # type: ignore[attr-defined]
    return buffer.getvalue()


def scanned_pdf(font: object, lines: list[str]) -> bytes:
    """An image-only PDF: the rendered page wrapped by Pillow, no text layer at all."""
    return as_bytes(scan(font, lines), "PDF", resolution=200)


# -- extraction ------------------------------------------------------------------------------


def test_scanned_pdf_is_read_by_rapidocr(font: object, rapid: ocr.Engine) -> None:
    data = scanned_pdf(font, [TITLE, BODY])
    assert pdf._with_pdfminer(data) == ""  # really no text layer
    result = extract(Path("scan.pdf"), data)
    assert result.extractor == "ocr"
    assert result.extra["ocr_engine"] == "rapidocr"
    assert 0.8 < float(result.extra["ocr_confidence"]) <= 1  # type: ignore[arg-type]
    assert result.extra["ocr_pages"] == result.extra["pages"] == 1
    assert "needs_ocr" not in result.extra
    assert TITLE in result.text and "九月十日前" in result.text


def test_png_and_jpeg_scans_are_read(font: object, rapid: ocr.Engine) -> None:
    image = scan(font, [TITLE, BODY])
    for name, data in (
        ("scan.png", as_bytes(image, "PNG")),
        ("scan.JPG", as_bytes(image, "JPEG", quality=80)),
    ):
        result = extract(Path(name), data)
        assert result.extractor == "ocr", name
        assert result.media_type in ("image/png", "image/jpeg")
        assert TITLE in result.text, (name, result.text)


def test_multipage_tiff_reads_every_frame_up_to_the_page_limit(
    font: object, rapid: ocr.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = scan(font, [TITLE]), scan(font, ["第二页：梧桐巷南段同步施工。"])
    data = as_bytes(first, "TIFF", save_all=True, append_images=[second])
    result = extract(Path("scan.tif"), data)
    assert result.extra["ocr_pages"] == 2 and result.media_type == "image/tiff"
    assert "南段同步施工" in result.text
    monkeypatch.setattr(ocr, "MAX_PAGES", 1)
    result = extract(Path("scan.tiff"), data)
    assert result.extra["ocr_pages"] == 1 and result.extra["ocr_pages_skipped"] == 1
    assert "南段" not in result.text


def test_unreadable_images_fail_with_a_reason(
    font: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PIL import Image

    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", Image.MAX_IMAGE_PIXELS)  # restored after
    png = as_bytes(scan(font, [TITLE]), "PNG")
    with pytest.raises(ExtractionError, match="not a readable JPG image"):
        extract(Path("x.jpg"), b"this is not a picture at all")
    with pytest.raises(ExtractionError, match="damaged or truncated"):
        extract(Path("cut.png"), png[: len(png) // 2])
    monkeypatch.setattr(ocr, "MAX_PIXELS", 60_000)  # a decompression bomb, in small
    with pytest.raises(ExtractionError, match=r"820×130 pixels, over the limit of 60,000"):
        extract(Path("big.png"), png)
    monkeypatch.setattr(ocr, "MAX_PIXELS", 10_000)  # over twice the limit: Pillow refuses
    with pytest.raises(ExtractionError, match=r"image is over the limit of 10,000 pixels"):
        extract(Path("big.png"), png)


def test_ocr_off_leaves_scans_flagged(font: object, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ocr.ENGINE_ENV, "off")
    assert not pdf.ocr_available()
    with pytest.raises(ExtractionError, match="needs OCR"):
        extract(Path("scan.pdf"), scanned_pdf(font, [TITLE]))
    with pytest.raises(ExtractionError, match="image needs OCR"):
        extract(Path("scan.png"), as_bytes(scan(font, [TITLE]), "PNG"))
    monkeypatch.setenv(ocr.ENGINE_ENV, "abbyy")
    with pytest.raises(ExtractionError, match="use rapidocr, tesseract or off"):
        ocr.chosen()


def test_boxes_are_joined_into_lines_left_to_right() -> None:
    def box(x: float, y: float) -> list[list[float]]:
        return [[x, y], [x + 50, y], [x + 50, y + 30], [x, y + 30]]

    lines = ocr._lines(
        [(box(100, 12), "巷", 0.5), (box(0, 10), "梧桐", 1.0), (box(0, 60), "下", 1)]
    )
    assert [text for text, _ in lines] == ["梧桐巷", "下"]
    assert lines[0][1] == pytest.approx((2 * 1.0 + 0.5) / 3)  # weighted by characters


def test_tesseract_tsv_lines_and_confidence() -> None:
    tsv = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tl\tt\tw\th\tconf\ttext\n"
    tsv += "5\t1\t1\t1\t1\t1\t0\t0\t9\t9\t90\t梧桐\n5\t1\t1\t1\t1\t2\t0\t0\t9\t9\t60\t巷\n"
    tsv += "5\t1\t1\t1\t2\t1\t0\t0\t9\t9\t-1\t \n"
    assert ocr._tsv_lines(tsv) == [("梧桐 巷", pytest.approx((0.9 * 2 + 0.6) / 3))]


# -- import, search, page, JSON: on both engines ---------------------------------------------

ENGINES = [
    ocr.RAPIDOCR,
    pytest.param(
        ocr.TESSERACT,
        marks=pytest.mark.skipif(
            not ocr.tesseract_available(),
            reason="tesseract with chi_sim not installed (Debian: tesseract-ocr-chi-sim)",
        ),
    ),
]


@pytest.mark.parametrize("engine", ENGINES)
def test_scans_imported_by_the_workers_are_searchable(
    engine: str, font: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ocr.ENGINE_ENV, engine)
    src = tmp_path / "scans"
    src.mkdir()
    (src / "排水沟.pdf").write_bytes(scanned_pdf(font, [TITLE, BODY]))
    other = ["关于开放银杏公园东门的通告", "东门自十月一日起每日开放。"]
    (src / "银杏公园.png").write_bytes(as_bytes(scan(font, other), "PNG"))
    data = tmp_path / "data"
    with Gongkai(data) as gk:
        report = gk.import_paths([src])
    by_name = {Path(o.path).name: o for o in report.outcomes}
    assert {o.status for o in report.outcomes} == {"imported"}, report.outcomes
    for query, name in (("排水沟", "排水沟.pdf"), ("银杏公园", "银杏公园.png")):
        hits = search_json(data, query)["hits"]
        assert [h["id"] for h in hits] == [by_name[name].id], (query, hits)

    doc_id = by_name["排水沟.pdf"].id
    with Gongkai(data, readonly=True) as gk:
        doc = gk.archive.get(doc_id)
    assert doc is not None and doc.extractor == "ocr"
    assert doc.extra["ocr_engine"] == engine and doc.title.startswith("关于整修梧桐巷")
    app = create_app({"DATA_DIR": data, "TESTING": True, "SECRET_KEY": "t"})
    client = app.test_client()
    note = one(html(client.get(f"/doc/{doc_id}")), "#ocr-note").text()
    assert "可能存在识别误差" in note and "置信度" in note
    payload = client.get(f"/api/v1/documents/{doc_id}").get_json()
    assert payload["extractor"] == "ocr"
    assert payload["ocr"]["engine"] == engine and payload["ocr"]["note"] == "可能存在识别误差"
    assert 0 < payload["ocr"]["confidence"] <= 1


def test_text_pdfs_are_not_marked(tmp_path: Path) -> None:
    from helpers import cjk_pdf

    doc = build_document(Path("a.pdf"), cjk_pdf([TITLE, BODY]))
    assert doc.extractor == "pdf:pdfminer" and "ocr_engine" not in doc.extra


def test_loading_the_model_widens_a_workers_memory_limit() -> None:
    """A worker may grow by 1 GB (indexer.workers.limit_memory); RapidOCR and one 200-dpi
    page need about 1.5 GB of address space, so loading it widens the limit by
    ocr.MODEL_MEMORY (a full page failed as 'crashed' in the benchmark before)."""
    import subprocess
    import sys

    script = (
        "import resource\n"
        "from indexer.workers import limit_memory\n"
        "from indexer.extract import ocr\n"
        "limit_memory(1 << 30)\n"
        "before = resource.getrlimit(resource.RLIMIT_AS)[0]\n"
        "ocr.engine('rapidocr')\n"
        "print(resource.getrlimit(resource.RLIMIT_AS)[0] - before)\n"
    )
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=root, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.strip()) == ocr.MODEL_MEMORY
