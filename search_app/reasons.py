"""Import failure reasons in Chinese, for the staff upload page.

The import reports why a file failed in English (``FileOutcome.reason``: stable text that the
CLI's ``--json``, reports and tests read, and that the upload's JSON keeps). Staff read the
upload page in Chinese: :func:`reason_zh` gives each known reason its Chinese wording, numbers
and names carried over. A reason not listed here (a library's own error) is not shown as is,
since it may hold exception text: the page says the file could not be read.
"""

from __future__ import annotations

import re

_N = r"([\d,]+)"

#: (pattern of the English reason, Chinese wording with the pattern's groups as {0}, {1} …)
REASONS: tuple[tuple[str, str], ...] = (
    (r"same bytes as (\S+?)(; its missing or damaged original file was restored)?$",
     "与已归档的文件内容完全相同"),
    (r"empty file$|empty body$", "文件为空"),
    (r"unsupported file type (.+)$", "不支持的文件类型 {0}"),
    (r"not a supported file type \((.+)\)$", "不支持的文件类型（{0}）"),
    (rf"file is {_N} bytes, over the limit of {_N}$", "文件大小 {0} 字节，超过上限 {1} 字节"),
    (rf"file is over the limit of {_N} bytes$", "文件大小超过上限 {0} 字节"),
    (r"permission denied$", "没有读取该文件的权限"),
    (r"cannot read: (.+)$", "无法读取该文件"),
    (r"binary data, not text", "不是文本文件（含有二进制数据）"),
    (r"unknown text encoding", "无法识别文本编码（已尝试 UTF-8 和 GB18030）"),
    (r"no text could be extracted$", "未能提取到任何文字"),
    (rf"extracted text is {_N} characters, over the limit of {_N}$",
     "提取出的文字有 {0} 个字符，超过上限 {1} 个"),
    (r"not a PDF", "不是 PDF 文件（缺少 %PDF 文件头）"),
    (r"broken PDF|PDF could not be read", "PDF 文件已损坏，无法读取"),
    (rf"PDF has {_N} pages, over the limit of {_N}$", "PDF 共 {0} 页，超过上限 {1} 页"),
    (r"PDF text is over the limit", "PDF 中的文字超过长度上限"),
    (r"PDF has a compressed stream that inflates past", "PDF 中的压缩数据解压后过大，已拒绝"),
    (r"no text layer; needs OCR", "PDF 没有文字层（扫描件），需要 OCR 识别，但本机未启用 OCR"),
    (r"no text layer, and OCR found no text", "PDF 没有文字层，OCR 也未识别出文字"),
    (r"not a readable (\S+) image$", "无法读取的 {0} 图片"),
    (r"image is damaged or truncated", "图片已损坏或不完整"),
    (r"image is ([\d,]+×[\d,]+) pixels, over the limit of " + _N,
     "图片为 {0} 像素，超过上限 {1} 像素"),
    (rf"image is over the limit of {_N} pixels", "图片超过像素上限 {0}"),
    (r"image needs OCR", "图片需要 OCR 识别，但本机未启用 OCR"),
    (r"no text found in the image by OCR", "OCR 未在图片中识别出文字"),
    (r"OCR took longer than (\d+) s", "OCR 识别单页超过 {0} 秒，已停止"),
    (r"not a \.docx", "不是有效的 .docx 文件"),
    (r"\.docx could not be read", ".docx 文件已损坏，无法读取"),
    (r"LibreOffice", "需要 LibreOffice 转换此格式，但转换失败或未安装"),
    (r"HTML nested deeper than (\d+) levels", "HTML 嵌套超过 {0} 层"),
    (r"HTML has no body", "HTML 没有正文"),
    (r"id (\S+) is already used by another document", "编号 {0} 已被另一件文件使用"),
    (r"the extractor crashed", "提取程序在此文件上崩溃（或超出单个文件的内存上限）"),
    (r"out of memory while extracting", "提取时内存不足（超过单个文件的上限）"),
    (r"file too deeply structured", "文件结构嵌套过深，无法读取"),
    (r"disk", "磁盘空间不足，导入已停止"),
)  # fmt: skip
_COMPILED = tuple((re.compile(pattern), words) for pattern, words in REASONS)
UNKNOWN = "无法读取该文件（格式不受支持或文件已损坏）"


def reason_zh(reason: str, *, failed: bool = True) -> str:
    """The Chinese wording of an import reason (``""`` for none). An unknown reason reads
    as :data:`UNKNOWN` for a failed file, and as nothing for any other outcome."""
    if not reason:
        return ""
    for pattern, words in _COMPILED:
        match = pattern.match(reason) or pattern.search(reason)
        if match:
            return words.format(*(g or "" for g in match.groups()))
    return UNKNOWN if failed else ""
