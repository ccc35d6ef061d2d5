"""Word files: .docx with python-docx (paragraphs and tables, in document order); .doc and .wps
converted to .docx by LibreOffice when it is installed, otherwise a clear "unsupported" failure.

Header tables (名称 | X | 文号 | Y) become ``label：value`` lines, as for HTML, so
:mod:`indexer.header` finds the metadata. A .docx is a ZIP: its declared uncompressed size is
checked before anything is inflated, so a zip bomb is refused rather than unpacked.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

from indexer.extract import Extracted, ExtractionError
from indexer.extract.html import table_row

MAX_UNZIPPED = 200 * 1024 * 1024  # bytes a .docx may inflate to
CONVERT_TIMEOUT = 180  # seconds for LibreOffice to convert one file
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _check_zip(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            inflated = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as exc:
        raise ExtractionError("not a .docx (not a ZIP package; an old .doc renamed?)") from exc
    if "word/document.xml" not in names:
        raise ExtractionError("not a .docx (no word/document.xml in the package)")
    if inflated > MAX_UNZIPPED:
        raise ExtractionError(
            f".docx unpacks to {inflated:,} bytes, over the limit of {MAX_UNZIPPED:,}"
        )


def _cell_texts(row) -> list[str]:
    """Texts of a table row's cells; a merged cell, repeated by python-docx, counts once."""
    cells: list[str] = []
    previous = None
    for cell in row.cells:
        if previous is not None and cell._tc is previous:
            continue
        previous = cell._tc
        cells.append(re.sub(r"\s+", " ", cell.text).strip())
    return cells


def docx_text(data: bytes) -> str:
    """Paragraphs and table rows of a .docx, in document order, one per line."""
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    _check_zip(data)
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises KeyError, ValueError, lxml errors...
        raise ExtractionError(f".docx could not be read: {type(exc).__name__}: {exc}") from exc
    lines: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            lines.append(block.text)
        elif isinstance(block, Table):
            lines.append("")
            for row in block.rows:
                lines.append(table_row(_cell_texts(row)))
            lines.append("")
    text = "\n".join(line.rstrip() for line in lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def extract_docx(data: bytes) -> Extracted:
    return Extracted(docx_text(data), DOCX_TYPE, "docx:python-docx")


def libreoffice() -> str | None:
    """Path of LibreOffice's ``soffice`` (or ``libreoffice``) program, if installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def via_libreoffice(suffix: str) -> Callable[[bytes], Extracted]:
    """An extractor for ``suffix`` (.doc, .wps) that converts to .docx with LibreOffice."""
    media = {".doc": "application/msword", ".wps": "application/vnd.ms-works"}[suffix]

    def extract_legacy(data: bytes) -> Extracted:
        exe = libreoffice()
        if exe is None:
            raise ExtractionError(
                f"unsupported: {suffix} needs LibreOffice (soffice), which is not installed"
            )
        with tempfile.TemporaryDirectory(prefix="gongkai-lo-") as tmp:
            source = Path(tmp) / f"input{suffix}"
            source.write_bytes(data)
            profile = Path(tmp) / "profile"  # own profile: conversions can run side by side
            try:
                subprocess.run(
                    [
                        exe,
                        f"-env:UserInstallation=file://{profile}",
                        "--headless",
                        "--convert-to",
                        "docx",
                        "--outdir",
                        tmp,
                        str(source),
                    ],
                    capture_output=True,
                    timeout=CONVERT_TIMEOUT,
                    check=False,
                    env={**os.environ, "HOME": tmp},
                )
            except subprocess.TimeoutExpired as exc:
                raise ExtractionError(
                    f"LibreOffice did not convert the {suffix} file within {CONVERT_TIMEOUT} s"
                ) from exc
            converted = Path(tmp) / "input.docx"
            if not converted.exists():
                raise ExtractionError(f"LibreOffice could not convert the {suffix} file")
            text = docx_text(converted.read_bytes())
        return Extracted(text, media, f"{suffix[1:]}:libreoffice+python-docx")

    return extract_legacy
