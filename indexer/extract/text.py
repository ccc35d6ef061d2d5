"""Plain text and Markdown: UTF-8 (with or without BOM), GB18030/GBK, UTF-16 with BOM."""

from __future__ import annotations

from indexer.extract import Extracted, ExtractionError

_ENCODINGS = ("utf-8", "gb18030")


def decode(data: bytes) -> tuple[str, str]:
    """Decode ``data`` and name the encoding; refuses binary files renamed to text."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    if b"\x00" in data[:4096]:
        raise ExtractionError("binary data, not text (NUL bytes)")
    for encoding in _ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _looks_like_text(text):
            return text, encoding
    raise ExtractionError("unknown text encoding (tried UTF-8 and GB18030)")


def _looks_like_text(text: str) -> bool:
    """Rejects decodings full of control characters (binary junk that happens to decode)."""
    sample = text[:20000]
    if not sample:
        return True
    control = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\r\n\t\f")
    return control / len(sample) < 0.01


def extract_text(data: bytes) -> Extracted:
    text, encoding = decode(data)
    return Extracted(
        text.replace("\r\n", "\n").replace("\r", "\n"), "text/plain", f"text:{encoding}"
    )


def extract_markdown(data: bytes) -> Extracted:
    text, encoding = decode(data)
    return Extracted(
        text.replace("\r\n", "\n").replace("\r", "\n"), "text/markdown", f"markdown:{encoding}"
    )
