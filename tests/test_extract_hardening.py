"""Hostile and odd files, generated here: CJK PDFs (checked character for character), PDFs with
a broken or missing text layer, .docx with header tables, legacy Word files, and the limits
(size, pages, characters, nesting, binary junk, empty files, permissions, symlink loops)."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pytest
from helpers import cjk_pdf

from indexer import pipeline
from indexer.building import build_document
from indexer.extract import ExtractionError, extract, ocr, pdf
from indexer.extract.html import MAX_DEPTH
from indexer.extract.office import libreoffice
from indexer.items import FAILED, IMPORTED, SKIPPED, ImportReport
from indexer.reading import file_items, iter_files

LINES = [
    "关于做好春季农田水利建设工作的通知",
    "各区县农业农村局：",
    "为切实抓好今年春季农田水利建设，现将有关事项通知如下。",
    "一、加强组织领导，落实工作责任（第３条）。",
]


def image_only_pdf() -> bytes:
    """A 'scan': one page with a picture and no text at all."""
    from PIL import Image, ImageDraw
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    image = Image.new("RGB", (400, 200), "white")
    draw = ImageDraw.Draw(image)
    for y in range(20, 180, 20):
        draw.line((20, y, 380, y), fill="black", width=3)
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer)
    c.drawImage(ImageReader(image), 50, 500, width=400, height=200)
    c.showPage()
    c.save()
    return buffer.getvalue()


def raw_pdf(content: bytes, fonts: dict[str, bytes], extra_objects: list[bytes]) -> bytes:
    """A minimal hand-written one-page PDF with a correct xref table.

    ``fonts`` maps a resource name to the number (as bytes) of its font object; the font
    objects are ``extra_objects``, numbered from 5.
    """
    font_dict = b" ".join(
        b"/" + name.encode() + b" " + num + b" 0 R" for name, num in fonts.items()
    )
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << " + font_dict + b" >> >> >>",
        b"<< /Length " + str(len(content)).encode() + b" >>\nstream\n" + content + b"\nendstream",
        *extra_objects,
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out.getvalue()


# A Type0 font with Identity-H encoding, an "Identity" ordering and no ToUnicode map: the
# glyph codes mean nothing to an extractor, as in PDFs whose ToUnicode map was lost.
UNMAPPED_FONT = [
    b"<< /Type /Font /Subtype /Type0 /BaseFont /Lost /Encoding /Identity-H "
    b"/DescendantFonts [6 0 R] >>",
    b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /Lost "
    b"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
    b"/FontDescriptor 7 0 R /DW 1000 >>",
    b"<< /Type /FontDescriptor /FontName /Lost /Flags 4 /FontBBox [0 0 1000 1000] "
    b"/ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 700 /StemV 80 >>",
    b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
]
GLYPHS = b"<" + b"".join(f"{0x0100 + i:04X}".encode() for i in range(40)) + b">"


def broken_pdf(readable: bytes = b"") -> bytes:
    """A page whose text is glyph codes without any Unicode mapping (plus ``readable`` ASCII)."""
    content = b"BT /F1 18 Tf 50 760 Td " + GLYPHS + b" Tj ET"
    if readable:
        content += b"\nBT /F2 12 Tf 50 700 Td (" + readable + b") Tj ET"
    return raw_pdf(content, {"F1": b"5", "F2": b"8"}, UNMAPPED_FONT)


# -- PDF -------------------------------------------------------------------------------------


def test_cjk_pdf_character_for_character() -> None:
    result = extract(Path("a.pdf"), cjk_pdf(LINES))
    assert result.extractor == "pdf:pdfminer"
    got = [line.strip() for line in result.text.splitlines() if line.strip()]
    assert got == LINES
    assert result.extra.get("needs_ocr") is None
    assert result.extra["pages"] == 1


def test_clean_cjk_removes_layout_spaces_and_folds_radicals() -> None:
    assert pdf.clean_cjk("关 于 ⽂ 件") == "关于文件"
    assert pdf.clean_cjk("第 3 条") == "第 3 条"  # spaces next to digits are real


def test_assess_counts_cid_tokens_and_replacement_chars() -> None:
    good = pdf.assess("关于做好工作的通知")
    assert not good.broken and good.unreadable == 0
    cids = pdf.assess("(cid:12)(cid:34)(cid:56) 通知")
    assert cids.chars == 5 and cids.unreadable == 3 and cids.broken
    assert pdf.assess("\ufffd\ufffd通知通知").broken
    assert pdf.assess("   \n ").broken  # no text at all
    assert not pdf.assess("通" * 95 + "\ufffd" * 5).broken  # 5% is below the threshold


def test_image_only_pdf_is_refused_as_needing_ocr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GONGKAI_OCR", "off")  # the OCR path: tests/test_ocr.py
    with pytest.raises(ExtractionError, match="no text layer; needs OCR"):
        extract(Path("scan.pdf"), image_only_pdf())


def test_unmapped_glyphs_fall_back_then_fail_as_needing_ocr(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = broken_pdf()
    assert pdf.assess(pdf._with_pdfminer(data)).broken  # the file really is broken
    monkeypatch.setenv("GONGKAI_OCR", "off")  # the OCR path: tests/test_ocr.py
    with pytest.raises(ExtractionError, match="needs OCR"):
        extract(Path("lost.pdf"), data)


def test_broken_layer_with_some_text_is_kept_and_flagged(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GONGKAI_OCR", "off")  # the OCR path: tests/test_ocr.py
    result = extract(Path("partly.pdf"), broken_pdf(b"Page 1 of 1"))
    assert result.extra["needs_ocr"] is True
    assert "Page 1 of 1" in result.text
    assert "(cid:" not in result.text and "\ufffd" not in result.text
    assert result.extractor in ("pdf:pdfminer", "pdf:pypdfium2")


def test_falls_back_to_pdfium_when_pdfminer_layer_is_broken(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # pdfminer's text is replaced by what a broken layer yields; PDFium reads the real file.
    monkeypatch.setattr(pdf, "_with_pdfminer", lambda data: "(cid:1)(cid:2)(cid:3)(cid:4)")
    result = extract(Path("a.pdf"), cjk_pdf(LINES))
    assert result.extractor == "pdf:pypdfium2"
    assert result.extra["fallback_from"] == "pdf:pdfminer"
    got = [line.strip() for line in result.text.splitlines() if line.strip()]
    assert got == LINES


def test_pdfium_text_of_cjk_pdf_matches() -> None:
    text = pdf._with_pdfium(cjk_pdf(LINES))
    assert text is not None
    assert [line.strip() for line in text.splitlines() if line.strip()] == LINES


@pytest.mark.skipif(
    not ocr.tesseract_available(), reason="tesseract-ocr with chi_sim not installed"
)
def test_tesseract_reads_an_image_of_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GONGKAI_OCR", "tesseract")
    from PIL import Image, ImageDraw, ImageFont
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    image = Image.new("RGB", (1200, 200), "white")
    ImageDraw.Draw(image).text(
        (20, 60), "NOTICE 2024", fill="black", font=ImageFont.load_default(60)
    )
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer)
    c.drawImage(ImageReader(image), 20, 600, width=560, height=94)
    c.save()
    result = extract(Path("scan.pdf"), buffer.getvalue())
    assert result.extractor == "ocr" and result.extra["ocr_engine"] == "tesseract"
    assert "2024" in result.text


def test_too_many_pages_is_refused() -> None:
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    c = canvas.Canvas(buffer)
    for _ in range(pdf.MAX_PAGES + 1):
        c.showPage()
    c.save()
    with pytest.raises(ExtractionError, match="2,001 pages, over the limit of 2,000"):
        extract(Path("bomb.pdf"), buffer.getvalue())


def test_too_much_text_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdf, "MAX_CHARS", 200)
    with pytest.raises(ExtractionError, match="over the limit of 200 characters"):
        extract(Path("long.pdf"), cjk_pdf(LINES, pages=4))


def test_not_a_pdf_and_truncated_pdf() -> None:
    with pytest.raises(ExtractionError, match="no %PDF signature"):
        extract(Path("x.pdf"), b"<html>not a pdf</html>")
    data = cjk_pdf(LINES)
    with pytest.raises(ExtractionError):
        extract(Path("cut.pdf"), data[: len(data) // 3])


def test_needs_ocr_and_extractor_reach_the_document(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GONGKAI_OCR", "off")  # the OCR path: tests/test_ocr.py
    doc = build_document(Path("partly.pdf"), broken_pdf(b"Some readable words here"))
    assert doc.extra["needs_ocr"] is True
    assert doc.extractor.startswith("pdf:")
    doc = build_document(Path("a.pdf"), cjk_pdf(LINES))
    assert doc.extractor == "pdf:pdfminer"
    assert "needs_ocr" not in doc.extra


# -- Word ------------------------------------------------------------------------------------


def make_docx() -> bytes:
    import docx

    document = docx.Document()
    table = document.add_table(rows=2, cols=4)
    for cell, value in zip(
        table.rows[0].cells + table.rows[1].cells,
        ["名称", "关于开展节水宣传周活动的通知", "文号", "东江水〔2023〕7号",
         "发布机构", "东江市水务局", "有效性", "有效"],
        strict=True,
    ):  # fmt: skip
        cell.text = value
    document.add_paragraph("各有关单位：")
    document.add_paragraph("为增强全社会节水意识，定于五月开展节水宣传周活动。")
    body = document.add_table(rows=2, cols=2)
    body.rows[0].cells[0].text = "活动"
    body.rows[0].cells[1].text = "时间"
    body.rows[1].cells[0].text = "节水进社区"
    body.rows[1].cells[1].text = "五月十日"
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_docx_paragraphs_tables_and_header() -> None:
    result = extract(Path("n.docx"), make_docx())
    assert result.extractor == "docx:python-docx"
    assert "为增强全社会节水意识，定于五月开展节水宣传周活动。" in result.text
    assert "节水进社区" in result.text and "五月十日" in result.text
    assert result.text.index("各有关单位") < result.text.index("节水进社区")  # document order
    doc = build_document(Path("n.docx"), make_docx())
    assert doc.title == "关于开展节水宣传周活动的通知"
    assert doc.doc_number == "东江水〔2023〕7号"
    assert doc.agency == "东江市水务局"
    assert doc.validity == "有效"


def test_docx_that_is_not_a_zip_or_is_a_bomb() -> None:
    with pytest.raises(ExtractionError, match="not a ZIP package"):
        extract(Path("old.docx"), b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("word/document.xml", b"<" + b" " * (201 * 1024 * 1024) + b"/>")
    with pytest.raises(ExtractionError, match="over the limit"):
        extract(Path("bomb.docx"), buffer.getvalue())


@pytest.mark.skipif(libreoffice() is not None, reason="LibreOffice is installed here")
def test_doc_and_wps_without_libreoffice_fail_clearly() -> None:
    for suffix in (".doc", ".wps"):
        with pytest.raises(ExtractionError, match=rf"unsupported: \{suffix} needs LibreOffice"):
            extract(Path("old" + suffix), b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\1" * 600)


@pytest.mark.skipif(libreoffice() is None, reason="LibreOffice (soffice) is not installed")
def test_doc_via_libreoffice(tmp_path: Path) -> None:  # pragma: no cover - needs LibreOffice
    import subprocess

    source = tmp_path / "n.docx"
    source.write_bytes(make_docx())
    exe = libreoffice()
    subprocess.run(
        [exe, "--headless", "--convert-to", "doc", "--outdir", str(tmp_path), str(source)],
        check=True,
        capture_output=True,
        timeout=180,
    )
    result = extract(Path("n.doc"), (tmp_path / "n.doc").read_bytes())
    assert "节水宣传周" in result.text


# -- other limits and odd files ---------------------------------------------------------------


def test_deeply_nested_html_is_refused() -> None:
    depth = MAX_DEPTH + 50
    html = "<html><body>" + "<div>" * depth + "深层文字" + "</div>" * depth + "</body></html>"
    with pytest.raises(ExtractionError, match=f"nested deeper than {MAX_DEPTH} levels"):
        extract(Path("deep.html"), html.encode())
    # 100,000 levels: refused before parsing (lexbor takes time quadratic in the depth).
    bomb = "<body>" + "<div><span>" * 50_000 + "x" + "</span></div>" * 50_000
    with pytest.raises(ExtractionError, match="nested deeper"):
        extract(Path("bomb.html"), bomb.encode())
    shallow = "<html><body>" + "<div>" * 50 + "浅层文字内容" + "</div>" * 50 + "</body></html>"
    assert "浅层文字内容" in extract(Path("ok.html"), shallow.encode()).text
    # Paragraphs and list items left unclosed, as old sites write them, are not nesting.
    flat = "<html><body><div>" + "<p>段落<li>条目" * 2000 + "</div></body></html>"
    assert "段落" in extract(Path("flat.html"), flat.encode()).text


def test_binary_junk_renamed_txt_and_empty_files() -> None:
    junk = bytes(range(256)) * 64
    with pytest.raises(ExtractionError, match="binary data"):
        extract(Path("junk.txt"), junk)
    random_like = bytes((i * 7919 + 13) % 251 + 1 for i in range(8192))  # no NUL bytes
    with pytest.raises(ExtractionError):
        extract(Path("junk2.txt"), random_like)
    for name in ("empty.txt", "empty.pdf", "empty.html", "empty.docx"):
        with pytest.raises(ExtractionError, match="empty file"):
            extract(Path(name), b"")
    with pytest.raises(ExtractionError, match="empty file"):
        extract(Path("blank.txt"), b" \n\t\n")


def _run(files: list[tuple[Path, str]], **kwargs):
    """The import's read, build and commit stages alone (no linking, no index)."""
    from archive import Archive

    report = ImportReport()
    stages = pipeline.plan(Archive.open(kwargs.pop("root")), report, **kwargs)
    return pipeline.run(stages, file_items(files), report)


def test_pipeline_reports_hostile_files_and_carries_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GONGKAI_OCR", "off")  # the OCR path: tests/test_ocr.py
    src = tmp_path / "src"
    src.mkdir()
    (src / "big.txt").write_text("大" * 30_000, encoding="utf-8")
    (src / "empty.txt").write_bytes(b"")
    (src / "junk.txt").write_bytes(bytes(range(256)) * 16)
    (src / "scan.pdf").write_bytes(image_only_pdf())
    (src / "good.txt").write_text("关于测试的通知\n\n正文内容。", encoding="utf-8")
    (src / "picture.png").write_bytes(b"\x89PNG\r\n")  # a scan format, but cut short
    (src / "picture.gif").write_bytes(b"GIF89a")
    report = _run(list(iter_files([src])), root=tmp_path / "data", max_bytes=50_000)
    by_name = {Path(o.path).name: o for o in report.outcomes}
    assert by_name["good.txt"].status == IMPORTED
    assert by_name["big.txt"].status == FAILED
    assert "over the limit of 50000" in by_name["big.txt"].reason
    assert by_name["empty.txt"].reason == "empty file"
    assert "binary" in by_name["junk.txt"].reason
    assert "needs OCR" in by_name["scan.pdf"].reason
    assert by_name["picture.png"].status == FAILED
    assert by_name["picture.png"].reason == "not a readable PNG image"
    assert by_name["picture.gif"].status == SKIPPED


def test_symlink_loops_do_not_trap_the_walk(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "sub" / "a.txt").write_text("关于循环链接的通知\n\n内容。", encoding="utf-8")
    os.symlink(src, src / "sub" / "back")  # folder loop
    os.symlink("self.txt", src / "self.txt")  # a link to itself
    files = list(iter_files([src]))
    assert sorted(p.name for p, _ in files) == ["a.txt", "self.txt"]
    report = _run(files, root=tmp_path / "data")
    by_name = {Path(o.path).name: o for o in report.outcomes}
    assert by_name["a.txt"].status == IMPORTED
    assert by_name["self.txt"].status == FAILED
    assert "symbolic links" in by_name["self.txt"].reason


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read files whatever their permissions")
def test_unreadable_file_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "secret.txt"
    path.write_text("关于保密的通知", encoding="utf-8")
    path.chmod(0)
    try:
        report = _run([(path, "")], root=tmp_path / "data")
    finally:
        path.chmod(0o644)
    assert report.outcomes[0].status == FAILED
    assert report.outcomes[0].reason == "permission denied"


def test_vertical_pdf_text_reads_column_by_column_right_to_left() -> None:
    """Vertical Chinese (竖排): columns read top to bottom, the rightmost first."""
    import io

    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    from indexer.extract.pdf import extract_pdf

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    page = canvas.Canvas(buf)
    page.setFont("STSong-Light", 14)
    x = 500
    for column in ("关于加强垃圾分类工作的通知", "各街道办事处要认真落实"):
        y = 780
        for ch in column:
            page.drawString(x, y, ch)
            y -= 16
        x -= 24
    page.save()
    text = extract_pdf(buf.getvalue()).text
    assert text.index("关于加强垃圾分类工作的通知") < text.index("各街道办事处要认真落实")
