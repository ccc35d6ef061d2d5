"""OCR benchmark: character error rate on degraded scans of pages we make, and pages/s.

Steps:

1. ``--pages`` (50) A4 pages are rendered at 200 dpi with WenQuanYi Micro Hei (Debian's
   ``fonts-wqy-microhei``): a red header (an invented agency's 红头 and a red rule), a title
   and about 20 lines of body text made at random (fixed seed) from the word list below,
   which was written for this benchmark; then degraded as a scanner and a stamp would: a red
   seal over the last lines, a slight rotation (±1.5°), Gaussian noise, a grey cast. Each page
   becomes an image-only PDF (Pillow) in a temp folder, never in the repository.
2. ``gongkai import`` of the folder with ``--workers 1`` and with ``--workers 2`` (the library
   call, each into a fresh data directory), timed: pages/s, the model loading included (once
   per worker).
3. The character error rate of the archived text of each page against what was drawn
   (header and body, whitespace removed): the edit distance over the length of the truth;
   mean, median and worst page, and the mean confidence the engine reported.

Prints the figures and writes ``bench/out/ocr.json``. Usage::

    .venv/bin/python bench/ocr.py                      # 50 pages; ~10-20 min on 2 busy cores
    .venv/bin/python bench/ocr.py --pages 6            # quick look
    GONGKAI_OCR=tesseract .venv/bin/python bench/ocr.py  # the other engine
"""

from __future__ import annotations

import argparse
import json
import math
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from indexer.extract import ocr  # noqa: E402
from indexer.items import ImportReport  # noqa: E402
from indexer.service import Gongkai  # noqa: E402

FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
DPI = 200
A4 = (round(8.27 * DPI), round(11.69 * DPI))
SEED = 17

#: Words of the kind these documents use, written for this benchmark (no corpus text).
_WORD_BLOCK = (
    "加强 完善 推进 落实 建立 健全 规范 管理 服务 保障 监督 检查 统筹 协调 组织 实施 "
    "街道 社区 居民 村民 单位 部门 企业 学校 医院 市场 道路 桥梁 河道 公园 绿地 停车 "
    "排水 供水 燃气 消防 安全 卫生 环境 垃圾 分类 噪声 施工 工地 车辆 交通 公交 站点 "
    "资金 补贴 申请 审核 公示 备案 登记 许可 证明 材料 档案 信息 公开 查询 办理 窗口 "
    "年度 季度 月底 之前 以后 期间 每日 每周 及时 按时 逐步 全面 重点 有关 相关 具体 "
    "责任 考核 评估 整改 通报 奖励 处罚 投诉 举报 热线 网站 平台 系统 数据 统计 报告 "
    "春季 夏季 秋季 冬季 防汛 防火 防疫 植树 养护 维修 更新 改造 清理 整治 巡查 值守"
)
WORDS = _WORD_BLOCK.split()
AGENCIES = ("梧川市人民政府文件", "青岚区住房和建设局文件", "石桥镇人民政府文件")
PUNCT = "，。；、"


def make_lines(rng: random.Random, count: int, width: int = 24) -> list[str]:
    lines = []
    for _ in range(count):
        line = ""
        while len(line) < width - 2:
            line += rng.choice(WORDS)
            if rng.random() < 0.25:
                line += rng.choice(PUNCT)
        lines.append(line[:width])
    return lines


def render_page(rng: random.Random, number: int) -> tuple[object, str]:
    """One degraded scan and the text drawn on it (header and body)."""
    from PIL import Image, ImageDraw, ImageFilter, ImageFont

    page = Image.new("RGB", A4, "white")
    draw = ImageDraw.Draw(page)
    red = (200, 20, 30)
    agency = rng.choice(AGENCIES)
    big = ImageFont.truetype(FONT, 88)
    width = draw.textlength(agency, font=big)
    draw.text(((A4[0] - width) / 2, 180), agency, font=big, fill=red)
    draw.line((150, 330, A4[0] - 150, 330), fill=red, width=6)
    title = f"关于做好第{number + 1}批{rng.choice(WORDS)}{rng.choice(WORDS)}工作的通知"
    head = ImageFont.truetype(FONT, 56)
    draw.text(((A4[0] - draw.textlength(title, font=head)) / 2, 400), title, font=head, fill=0)
    body_font = ImageFont.truetype(FONT, 46)  # about 16.5 pt at 200 dpi
    body = make_lines(rng, 22)
    for i, line in enumerate(body):
        draw.text((180, 540 + i * 72), line, font=body_font, fill=(25, 25, 25))
    # the seal: a red ring with a star and text, over the last lines, drawn semi-opaque
    seal = Image.new("RGBA", A4, (0, 0, 0, 0))
    sd = ImageDraw.Draw(seal)
    cx, cy, r = A4[0] - 520, 540 + 19 * 72, 210
    sd.ellipse((cx - r, cy - r, cx + r, cy + r), outline=(*red, 170), width=14)
    sd.regular_polygon((cx, cy, 60), 5, fill=(*red, 170))
    small = ImageFont.truetype(FONT, 40)
    for k, ch in enumerate(agency[:-2]):
        angle = math.radians(200 + k * 140 / max(len(agency) - 3, 1))
        x, y = cx + (r - 55) * math.cos(angle), cy + (r - 55) * math.sin(angle)
        sd.text((x - 20, y - 20), ch, font=small, fill=(*red, 170))
    page = Image.alpha_composite(page.convert("RGBA"), seal).convert("RGB")
    page = page.rotate(rng.uniform(-1.5, 1.5), resample=Image.BICUBIC, fillcolor="white")
    noise = Image.effect_noise(A4, 24).convert("RGB")
    page = Image.blend(page, noise, 0.12).filter(ImageFilter.GaussianBlur(0.6))
    truth = agency + title + "".join(body)
    return page, truth


def edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def squeeze(text: str) -> str:
    return "".join(text.split())


def timed_import(folder: Path, workers: int) -> tuple[float, ImportReport, Path]:
    data = Path(tempfile.mkdtemp(prefix=f"ocr-bench-w{workers}-"))
    started = time.perf_counter()
    with Gongkai(data) as gk:
        report = gk.import_paths([folder], workers=workers)
    return time.perf_counter() - started, report, data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=50)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    if not Path(FONT).exists():
        sys.exit(f"needs the CJK font {FONT} (Debian package fonts-wqy-microhei)")
    rng = random.Random(SEED)
    folder = Path(tempfile.mkdtemp(prefix="ocr-bench-scans-"))
    truths: dict[str, str] = {}
    for n in range(args.pages):
        image, truth = render_page(rng, n)
        name = f"scan-{n:03d}.pdf"
        image.save(folder / name, "PDF", resolution=DPI)  # type: ignore[attr-defined]
        truths[name] = truth
    engine = ocr.chosen()
    print(f"{args.pages} pages at {DPI} dpi, {A4[0]}x{A4[1]} px; engine {engine}")

    results: dict[str, object] = {"pages": args.pages, "dpi": DPI, "engine": engine}
    first: tuple[ImportReport, Path] | None = None
    for workers in args.workers:
        seconds, report, data = timed_import(folder, workers)
        first = first or (report, data)
        rate = args.pages / seconds
        results[f"workers_{workers}"] = {"seconds": round(seconds, 1), "pages_per_s": rate}
        print(f"workers={workers}: {seconds:.1f} s, {rate:.3f} pages/s, {report.counts()}")

    assert first is not None
    ids = {Path(o.path).name: o.id for o in first[0].outcomes}
    rates, confidences = [], []
    with Gongkai(first[1], readonly=True) as gk:
        for name, truth in truths.items():
            doc = gk.archive.get(ids[name]) if ids.get(name) else None
            got = squeeze(doc.text) if doc else ""  # a failed page counts as all wrong
            rates.append(edit_distance(truth, got) / len(truth))
            if doc:
                confidences.append(float(doc.extra.get("ocr_confidence", 0)))  # type: ignore[arg-type]
    cer = {
        "mean": statistics.mean(rates),
        "median": statistics.median(rates),
        "worst": max(rates),
        "confidence_mean": statistics.mean(confidences) if confidences else 0.0,
    }
    results["cer"] = cer
    print(
        f"character error rate: mean {cer['mean']:.2%}, median {cer['median']:.2%}, "
        f"worst page {cer['worst']:.2%}; mean confidence {cer['confidence_mean']:.3f}"
    )
    out = REPO / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / "ocr.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(f"written {out / 'ocr.json'}; scans in {folder}")


if __name__ == "__main__":
    main()
