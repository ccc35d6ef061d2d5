"""Render the example notice 青住建发〔2021〕6号 to
``examples/zhujian-2021-06-rental-housing-review.pdf``.

The PDF is made by a real tool (reportlab) with the built-in CID font STSong-Light, so that the
text can be extracted again the way it would be from a PDF published on a government site.

    python examples/tools/make_pdf.py            # writes next to the other examples
    python examples/tools/make_pdf.py out.pdf    # or to another path

Requires reportlab. The output is deterministic (fixed creation date, invariant mode) so that
re-running the script does not change the committed file.
"""

from __future__ import annotations

import sys
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

FONT = "STSong-Light"
OUT = Path(__file__).resolve().parent.parent / "zhujian-2021-06-rental-housing-review.pdf"

HEADER = [
    ("名  称", "关于做好2021年度公共租赁住房资格复核工作的通知"),
    ("索引号", "31-0415-2021-00006"),
    ("发布机构", "青湖区住房和城乡建设局"),
    ("文  号", "青住建发〔2021〕6号"),
    ("主题分类", "住房保障"),
    ("成文日期", "2021-04-09"),
    ("发文日期", "2021-04-12"),
    ("有效性", "有效"),
]

TITLE = "关于做好2021年度公共租赁住房资格复核工作的通知"

BODY = """\
各街道办事处、镇人民政府，区住房保障服务中心：
根据《青湖区公共租赁住房管理办法》（青住建规〔2019〕4号）有关规定，为确保公共租赁住房公平分配和有效使用，现就做好2021年度公共租赁住房承租家庭资格复核工作通知如下：
一、复核对象
截至2020年12月31日已与区住房保障服务中心签订租赁合同的公共租赁住房承租家庭，共计1386户。其中，2020年度新配租的家庭本年度不参加复核。
二、复核内容
（一）承租家庭成员的户籍或者居住证、社会保险缴纳情况；
（二）承租家庭上一年度的人均收入；
（三）承租家庭在本区的住房情况；
（四）承租人是否按照合同约定实际居住，是否存在转借、转租、闲置或者改变用途等情形；
（五）租金交纳情况。
三、时间安排
（一）申报阶段（2021年4月20日至5月10日）。承租家庭通过临江市住房保障信息平台或者到所在街道（镇）如实填报《公共租赁住房承租家庭资格复核申报表》，并作出书面承诺。
（二）审核阶段（2021年5月11日至6月10日）。街道（镇）会同区住房保障服务中心，通过部门数据比对和入户核查相结合的方式开展审核，入户核查比例不低于30%。
（三）处理阶段（2021年6月30日前）。区住房保障服务中心汇总复核结果，报区住房和城乡建设局审定。
四、复核结果处理
经复核仍符合条件的，继续承租；收入或者住房状况发生变化、不再符合条件的，应当在3个月过渡期内腾退，过渡期内按照市场租金交纳租金；存在转借、转租、闲置等违规行为的，依法收回住房，并记入个人诚信档案。逾期未申报且经催告仍不申报的，视为放弃承租资格。
五、工作要求
各街道（镇）要高度重视，明确专人负责，通过社区公告、短信、上门告知等方式确保每户承租家庭知晓复核要求。区住房保障服务中心要做好政策解释和技术支持，对复核中发现的问题及时研究处理。复核结果以不公开个人隐私为前提，在区人民政府门户网站予以公布，接受社会监督。
联系电话：区住房保障服务中心　86120451
"""

SIGNATURE = ["青湖区住房和城乡建设局", "2021年4月12日", "（此件主动公开）"]


def wrap(text: str, font: str, size: float, width: float, first: float | None = None) -> list[str]:
    """Break ``text`` into lines no wider than ``width`` points (``first`` for the first line),
    character by character: Chinese has no spaces to break at. Closing punctuation never starts a
    line (it hangs into the right margin instead), and a run of ASCII digits/letters is kept
    together."""
    no_start = set("，。、；：？！）》」』”’〕】")
    lines: list[str] = []
    line = ""
    for ch in text:
        limit = first if (first is not None and not lines) else width
        if line and pdfmetrics.stringWidth(line + ch, font, size) > limit:
            if ch in no_start:
                line += ch
                continue
            if ch.isascii() and ch.isalnum():
                j = len(line)
                while j > 0 and line[j - 1].isascii() and line[j - 1].isalnum():
                    j -= 1
                if j > 0:
                    lines.append(line[:j])
                    line = line[j:] + ch
                    continue
            lines.append(line)
            line = ch
        else:
            line += ch
    if line:
        lines.append(line)
    return lines


class Page:
    """A cursor over A4 pages with a 公文-style page number at the foot."""

    def __init__(self, path: Path) -> None:
        self.c = canvas.Canvas(str(path), pagesize=A4, invariant=1)
        self.c.setTitle(TITLE)
        self.c.setAuthor("青湖区住房和城乡建设局")
        self.c.setSubject("青住建发〔2021〕6号")
        self.c.setCreator("Gongkai examples/tools/make_pdf.py (reportlab)")
        self.width, self.height = A4
        self.left = 28 * mm
        self.right = self.width - 26 * mm
        self.top = self.height - 37 * mm
        self.bottom = 35 * mm
        self.number = 1
        self.y = self.top

    def need(self, height: float) -> None:
        if self.y - height < self.bottom:
            self.finish_page()
            self.c.showPage()
            self.number += 1
            self.y = self.top

    def finish_page(self) -> None:
        self.c.setFont(FONT, 10.5)
        self.c.drawCentredString(self.width / 2, 20 * mm, f"— {self.number} —")

    def text(
        self,
        s: str,
        size: float = 12,
        indent: float = 0,
        leading: float = 1.75,
        align: str = "left",
    ) -> None:
        avail = self.right - self.left
        for i, line in enumerate(wrap(s, FONT, size, avail, first=avail - indent)):
            self.need(size * leading)
            self.c.setFont(FONT, size)
            if align == "center":
                self.c.drawCentredString(self.width / 2, self.y - size, line)
            elif align == "right":
                self.c.drawRightString(self.right, self.y - size, line)
            else:
                self.c.drawString(self.left + (indent if i == 0 else 0), self.y - size, line)
            self.y -= size * leading

    def space(self, height: float) -> None:
        self.y -= height

    def save(self) -> None:
        self.finish_page()
        self.c.save()


def main(argv: list[str]) -> Path:
    out = Path(argv[1]) if len(argv) > 1 else OUT
    pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    page = Page(out)
    for label, value in HEADER:
        page.text(f"{label}: {value}", size=10.5, leading=1.5)
    page.space(10)
    page.c.setLineWidth(0.6)
    page.c.line(page.left, page.y, page.right, page.y)
    page.space(22)
    page.text(TITLE, size=18, leading=1.6, align="center")
    page.text("青住建发〔2021〕6号", size=12, align="center")
    page.space(8)
    for para in BODY.splitlines():
        if not para.strip():
            continue
        first = para.startswith("各街道")
        page.text(para, size=12, indent=0 if first else 24)
    page.space(12)
    for line in SIGNATURE:
        page.text(line, size=12, align="right")
    page.save()
    return out


if __name__ == "__main__":
    print(main(sys.argv))
