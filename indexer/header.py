"""The 政府信息公开 header block (名称, 索引号, 发布机构, 文号 …), the page chrome that saved
pages carry at the end, and the title of documents that have no header."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from archive.dates import find_date
from archive.vocab import INTERPRETATION, NOTICE, PROPOSAL_REPLY, REQUEST_ANSWER

#: Published label spellings → our field names. Inner spaces are removed before lookup.
LABELS = {
    "名称": "title",
    "标题": "title",
    "文件名称": "title",
    "索引号": "index_number",
    "发布机构": "agency",
    "发文机关": "agency",
    "发文机构": "agency",
    "发布单位": "agency",
    "制发机关": "agency",
    "文号": "doc_number",
    "发文字号": "doc_number",
    "发文文号": "doc_number",
    "主题分类": "category",
    "分类": "category",
    "主题词": "keywords",
    "成文日期": "date_written",
    "发文日期": "date_issued",
    "发布日期": "date_issued",
    "公布日期": "date_issued",
    "生效日期": "date_effective",
    "施行日期": "date_effective",
    "实施日期": "date_effective",
    "有效性": "validity",
    "时效性": "validity",
    "效力状态": "validity",
    "有效状态": "validity",
    "有效期": "expiry",
    "有效期至": "expiry",
    "有效期限": "expiry",
    "建议编号": "proposal_number",
    "提案编号": "proposal_number",
    "建议号": "proposal_number",
    "提案号": "proposal_number",
    # The document's type as the site states it (规章, 规范性文件 …; see indexer/doctypes.py).
    "文种": "genre",
    "公文种类": "genre",
    "效力级别": "genre",
    "法律性质": "genre",
    "文件类型": "genre",
}
_SPACES = re.compile(r"[\s\u3000]+")
_LABEL_ALT = "|".join(
    sorted(("[\\s\u3000]*".join(re.escape(ch) for ch in label) for label in LABELS), key=len)[::-1]
)
_PAIR_RE = re.compile(rf"(?P<label>{_LABEL_ALT})[\s\u3000]*[:：][\s\u3000]*")

#: Lines that mark the start of the page chrome a saved web page carries after the text.
_CHROME_MARKERS = re.compile(
    r"^(扫一扫在手机(上)?打开当前页|【?打印本页】?|【?关闭窗口】?|【打印】|【关闭】|分享到[:：]?|"
    r"相关链接|相关文章|相关阅读|相关新闻|网站地图|版权所有|主办单位[:：]|网站标识码|全国各省市政府网站)"
)


@dataclass
class Header:
    fields: dict[str, str] = field(default_factory=dict)
    body: str = ""


def parse_date(value: str) -> str:
    """``2017年6月20日`` / ``2017-06-20`` / ``2017.6.20`` → ``2017-06-20``; "" if none."""
    return find_date(value)


def _pairs(line: str) -> list[tuple[str, str]]:
    """Label/value pairs in one line; a table row may hold two (名称: … 索引号: …)."""
    matches = list(_PAIR_RE.finditer(line))
    if not matches or matches[0].start() != 0:
        return []
    pairs = []
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(line)
        label = _SPACES.sub("", match["label"])
        pairs.append((LABELS[label], line[match.end() : end].strip()))
    return pairs


def parse_header(text: str) -> Header:
    """Split ``text`` into the header fields and the body after them.

    The header is the run of ``label: value`` lines at the top (blank lines between them
    allowed); it ends at the first line that is not one. Unknown labels end it too, so body text
    that happens to contain a colon is never taken for metadata.
    """
    lines = text.splitlines()
    found: dict[str, str] = {}
    end = 0
    for i, raw in enumerate(lines):
        line = raw.strip()
        if not line:
            if found:
                end = i + 1
            continue
        pairs = _pairs(line)
        if not pairs:
            break
        for name, value in pairs:
            found.setdefault(name, value)
        end = i + 1
    if not found:
        return Header({}, text)
    return Header(found, "\n".join(lines[end:]))


def strip_chrome(text: str) -> str:
    """Cut the page chrome (扫一扫在手机打开当前页, link lists …) off the end of a saved page.

    The cut is made at the first chrome marker line after which everything is short lines
    (links); the marker line must be short too, so a document that merely mentions 网站地图 in a
    sentence keeps its text.
    """
    lines = text.rstrip().splitlines()

    def short(line: str) -> bool:
        return len(line) <= 40 and "。" not in line

    # links_after[i]: every non-empty line after line i is short
    links_after = [True] * (len(lines) + 1)
    for i in range(len(lines) - 1, -1, -1):
        links_after[i] = links_after[i + 1] and short(lines[i].strip())
    for i, line in enumerate(lines):
        marker = line.strip()
        is_marker = _CHROME_MARKERS.match(marker) and len(marker) <= 80 and "。" not in marker
        if is_marker and links_after[i + 1]:
            return "\n".join(lines[:i]).rstrip()
    return "\n".join(lines).rstrip()


def first_title(text: str) -> str:
    """The title of a document without a header: its first heading or first non-empty line."""
    for line in text.splitlines():
        line = line.strip().lstrip("#").strip()
        if line:
            return line[:200]
    return ""


_INTERPRETATION_RE = re.compile(r"解读|答记者问|政策问答|问答|图解")
_REQUEST_ANSWER_RE = re.compile(
    r"依申请公开|信息公开申请|申请公开.*答复|答复书|告知书|办理结果|答复意见"
)

#: Replies to 人大代表建议 / 政协委员提案: 对市十六届人大一次会议第12号建议的答复, 关于……建议的
#: 答复, 对政协……第3号提案的答复, 关于……提案的复函.
_PROPOSAL_REPLY_RE = re.compile(
    r"(?:代表|委员|人大|政协)[^。]{0,40}第\s*[0-9０-９]+\s*号(?:建议|提案|议案)[^。]{0,6}(?:答复|复函)|"
    r"(?:建议|提案|议案)(?:办理)?的?(?:答复|复函|办理结果)"
)


def infer_kind(title: str) -> str:
    """notice, interpretation, request_answer or proposal_reply, from the title's wording."""
    if _PROPOSAL_REPLY_RE.search(title):
        return PROPOSAL_REPLY
    if _REQUEST_ANSWER_RE.search(title):
        return REQUEST_ANSWER
    if _INTERPRETATION_RE.search(title):
        return INTERPRETATION
    return NOTICE
