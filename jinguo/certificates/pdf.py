"""The 志愿服务记录证明 as an A4 PDF, drawn with reportlab's canvas from the certificate's snapshot alone.

Why the canvas and not platypus: the layout is fixed (a header, a facts grid, one table, a signature block), and
drawing it directly keeps one certificate at a few milliseconds, which a batch of a thousand multiplies.
The same snapshot always gives the same bytes (`invariant=1` fixes the creation date and the document id); a revoked
certificate is the same document stamped 已作废 on every page.

The Chinese font (settings.CERTIFICATE_FONT, Debian's wqy-microhei .ttc) is embedded as a subset.
"""

import io
import threading
from dataclasses import dataclass

import segno
from django.conf import settings
from django.utils import timezone
from reportlab.lib.colors import Color, HexColor, white
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

FONT = "WQYMicroHei"
BRAND = HexColor("#b0245a")
GOLD = HexColor("#d4a017")
INK = HexColor("#222222")
MUTED = HexColor("#666666")
RULE = HexColor("#c9b3bd")
HEADER_BG = HexColor("#f6e9ef")
STAMP = Color(0.8, 0.05, 0.1, alpha=0.35)
PAGE_W, PAGE_H = A4
MARGIN = 48
CONTENT_W = PAGE_W - 2 * MARGIN
FOOTER_Y = 30

_font_lock = threading.Lock()
_font_ready = False


def ensure_font() -> None:
    """Register the CJK font once per process (parsing the .ttc takes ~0.2 s; every PDF after that reuses it)."""
    global _font_ready
    if _font_ready:
        return
    with _font_lock:
        if not _font_ready:
            pdfmetrics.registerFont(TTFont(FONT, settings.CERTIFICATE_FONT, subfontIndex=0))
            _font_ready = True


# ---- text helpers -----------------------------------------------------------------------------------------------


_char_widths: dict[str, float] = {}


def _width(text: str, size: float) -> float:
    """Width at `size` from per-character widths at 1 pt, cached: wrapping measures every character."""
    total = 0.0
    for char in text:
        w = _char_widths.get(char)
        if w is None:
            w = _char_widths[char] = pdfmetrics.stringWidth(char, FONT, 1)
        total += w
    return total * size


NO_LINE_START = set("，。、；：？！）》」』”’…%")


def wrap(text: str, size: float, width: float, max_lines: int | None = None) -> list[str]:
    """Break text into lines no wider than `width`, character by character (Chinese has no spaces to break at).
    With max_lines, the last line ends in an ellipsis when the text does not fit."""
    text = str(text or "")
    lines: list[str] = []
    line = ""
    line_w = 0.0
    for char in text:
        if char == "\n":
            lines.append(line)
            line, line_w = "", 0.0
            continue
        w = _width(char, size)
        # Closing punctuation never starts a line (it may overhang the column by a character instead).
        if line and line_w + w > width and char not in NO_LINE_START:
            lines.append(line)
            line, line_w = "", 0.0
        line += char
        line_w += w
    if line or not lines:
        lines.append(line)
    if max_lines is not None and len(lines) > max_lines:
        last = lines[max_lines - 1]
        while last and _width(last + "…", size) > width:
            last = last[:-1]
        lines = [*lines[: max_lines - 1], last + "…"]
    return lines


def fit_size(text: str, size: float, width: float, smallest: float) -> float:
    """The largest size from `size` down to `smallest` (in half points) at which the text fits on one line."""
    while size > smallest and _width(str(text or ""), size) > width:
        size -= 0.5
    return size


def _date_cn(iso: str) -> str:
    """2026-03-05 -> 2026年3月5日."""
    try:
        year, month, day = (int(part) for part in str(iso).split("-"))
    except ValueError:
        return str(iso or "")
    return f"{year}年{month}月{day}日"


def _hours(value) -> str:
    """Decimal text without trailing zeros: "3.50" -> "3.5", "2.00" -> "2"."""
    text = str(value or "0")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


# ---- the brand logo (jinguo/static/img/logo.svg, redrawn with canvas primitives) -------------------------------


def draw_logo(c: canvas.Canvas, x: float, y: float, size: float) -> None:
    """The logo in a size x size box whose lower left corner is (x, y). SVG units: a 64 x 64 box, y downwards."""
    s = size / 64.0

    def pt(px: float, py: float) -> tuple[float, float]:
        return x + px * s, y + (64 - py) * s

    c.saveState()
    c.setFillColor(white)
    c.circle(*pt(32, 32), 30 * s, stroke=0, fill=1)
    c.setFillColor(BRAND)
    c.circle(*pt(32, 32), 27 * s, stroke=0, fill=1)
    heart = c.beginPath()
    heart.moveTo(*pt(32, 49))
    heart.curveTo(*pt(18, 39), *pt(14, 31), *pt(17, 25))
    heart.curveTo(*pt(20, 19), *pt(28, 19), *pt(32, 26))
    heart.curveTo(*pt(36, 19), *pt(44, 19), *pt(47, 25))
    heart.curveTo(*pt(50, 31), *pt(46, 39), *pt(32, 49))
    heart.close()
    c.setFillColor(white)
    c.drawPath(heart, stroke=0, fill=1)
    smile = c.beginPath()
    smile.moveTo(*pt(24, 31))
    smile.curveTo(*pt(27, 36), *pt(37, 36), *pt(40, 31))
    c.setStrokeColor(GOLD)
    c.setLineWidth(3 * s)
    c.setLineCap(1)
    c.drawPath(smile, stroke=1, fill=0)
    c.setFillColor(GOLD)
    c.circle(*pt(32, 14), 3 * s, stroke=0, fill=1)
    c.restoreState()


def qr_image(url: str) -> ImageReader:
    """The QR code as a tiny 1-bit PNG (one pixel per module); the PDF scales it up without smoothing."""
    buf = io.BytesIO()
    segno.make(url, error="m").save(buf, kind="png", scale=1, border=2)
    buf.seek(0)
    return ImageReader(buf)


# ---- the records table --------------------------------------------------------------------------------------------

# (title, width, alignment) — widths add up to CONTENT_W (499.3 pt on A4 with 48 pt margins)
COLUMNS = [
    ("序号", 26, "c"),
    ("服务日期", 58, "c"),
    ("起止时间", 58, "c"),
    ("服务内容", 170, "l"),
    ("组织单位", 108, "l"),
    ("时长（小时）", 52, "r"),
    ("备注", CONTENT_W - 472, "c"),
]
TABLE_SIZE = 8
LINE_H = 10.5
CELL_PAD = 3.5


@dataclass
class Row:
    cells: list[list[str]]
    height: float


def _table_rows(records: list[dict]) -> list[Row]:
    rows = []
    for index, rec in enumerate(records, start=1):
        content = rec.get("activity") or rec.get("content") or ""
        if rec.get("content") and rec.get("content") != content:
            content = f"{content}（{rec['content']}）"
        values = [
            str(index),
            str(rec.get("date", "")),
            f"{rec.get('start', '')}-{rec.get('end', '')}" if rec.get("start") else "",
            content,
            rec.get("organiser", ""),
            _hours(rec.get("hours")),
            rec.get("mark", ""),
        ]
        cells = [
            wrap(value, TABLE_SIZE, width - 2 * CELL_PAD, max_lines=3)
            for value, (_title, width, _align) in zip(values, COLUMNS, strict=True)
        ]
        height = max(len(lines) for lines in cells) * LINE_H + 2 * CELL_PAD - 2
        rows.append(Row(cells, height))
    return rows


def _draw_header_row(c: canvas.Canvas, top: float) -> float:
    height = LINE_H + 2 * CELL_PAD
    c.setFillColor(HEADER_BG)
    c.rect(MARGIN, top - height, CONTENT_W, height, stroke=0, fill=1)
    c.setFillColor(INK)
    c.setFont(FONT, TABLE_SIZE)
    x = MARGIN
    for title, width, _align in COLUMNS:
        c.drawCentredString(x + width / 2, top - CELL_PAD - TABLE_SIZE, title)
        x += width
    _hline(c, top)
    _hline(c, top - height)
    return top - height


def _hline(c: canvas.Canvas, y: float) -> None:
    c.setStrokeColor(RULE)
    c.setLineWidth(0.6)
    c.line(MARGIN, y, MARGIN + CONTENT_W, y)


def _draw_row(c: canvas.Canvas, row: Row, top: float) -> float:
    c.setFillColor(INK)
    c.setFont(FONT, TABLE_SIZE)
    x = MARGIN
    for lines, (_title, width, align) in zip(row.cells, COLUMNS, strict=True):
        y = top - CELL_PAD - TABLE_SIZE
        for line in lines:
            if align == "c":
                c.drawCentredString(x + width / 2, y, line)
            elif align == "r":
                c.drawRightString(x + width - CELL_PAD, y, line)
            else:
                c.drawString(x + CELL_PAD, y, line)
            y -= LINE_H
        x += width
    _hline(c, top - row.height)
    return top - row.height


# ---- the pages ------------------------------------------------------------------------------------------------------

SIGN_BLOCK_H = 118  # the QR code, the issuer block and the seal box at the end of the last page
NOTE_H = 30


def _facts(snapshot: dict) -> list[tuple[str, str]]:
    total = _hours(snapshot.get("total_hours"))
    count = snapshot.get("record_count", len(snapshot.get("records") or []))
    period = ""
    if snapshot.get("period_start") or snapshot.get("period_end"):
        period = f"{_date_cn(snapshot.get('period_start', ''))} 至 {_date_cn(snapshot.get('period_end', ''))}"
    return [
        ("姓名", snapshot.get("name", "")),
        ("志愿者编号", snapshot.get("volunteer_number", "")),
        ("证件类型", snapshot.get("id_type", "")),
        ("证件号码", snapshot.get("id_number_masked", "")),
        ("服务期间", period),
        ("累计服务时长", f"{total} 小时（{count} 条记录）"),
    ]


def _draw_first_page_top(c: canvas.Canvas, snapshot: dict) -> float:
    """Logo, title, number and the facts grid; returns the y below them."""
    top = PAGE_H - MARGIN
    draw_logo(c, MARGIN, top - 44, 44)
    c.setFillColor(BRAND)
    c.setFont(FONT, 10)
    c.drawString(MARGIN + 52, top - 18, "巾帼志愿服务")
    c.setFillColor(MUTED)
    c.setFont(FONT, 8)
    c.drawString(MARGIN + 52, top - 32, "奉献 友爱 互助 进步")
    c.setFillColor(INK)
    c.setFont(FONT, 9.5)
    c.drawRightString(PAGE_W - MARGIN, top - 18, f"证明编号：{snapshot.get('number', '')}")
    c.drawRightString(PAGE_W - MARGIN, top - 32, f"查验码：{format_code(snapshot.get('short_code', ''))}")

    c.setFillColor(BRAND)
    c.setFont(FONT, 24)
    c.drawCentredString(PAGE_W / 2, top - 84, snapshot.get("title") or "志愿服务记录证明")
    c.setStrokeColor(BRAND)
    c.setLineWidth(1.2)
    c.line(PAGE_W / 2 - 110, top - 94, PAGE_W / 2 + 110, top - 94)

    # The facts: two label/value pairs per row, in a ruled box.
    y = top - 118
    facts = _facts(snapshot)
    row_h = 22
    label_w, value_w = 74, CONTENT_W / 2 - 74
    c.setStrokeColor(RULE)
    c.setLineWidth(0.6)
    rows = (len(facts) + 1) // 2
    c.rect(MARGIN, y - rows * row_h, CONTENT_W, rows * row_h, stroke=1, fill=0)
    for i, (label, value) in enumerate(facts):
        col, line = i % 2, i // 2
        x = MARGIN + col * (CONTENT_W / 2)
        cell_top = y - line * row_h
        c.setFillColor(HEADER_BG)
        c.rect(x, cell_top - row_h, label_w, row_h, stroke=0, fill=1)
        c.setFillColor(MUTED)
        c.setFont(FONT, 9)
        c.drawString(x + 6, cell_top - 14.5, label)
        c.setFillColor(INK)
        size = fit_size(value, 10.5, value_w - 10, smallest=8)
        c.setFont(FONT, size)
        c.drawString(x + label_w + 6, cell_top - 15, wrap(value, size, value_w - 10, max_lines=1)[0])
    for line in range(1, rows):
        _hline(c, y - line * row_h)
    c.line(MARGIN + CONTENT_W / 2, y, MARGIN + CONTENT_W / 2, y - rows * row_h)
    y -= rows * row_h + 20

    c.setFont(FONT, 10.5)
    for line in wrap(_statement(snapshot), 10.5, CONTENT_W):
        c.drawString(MARGIN, y, line)
        y -= 16
    return y - 4


def _draw_continuation_top(c: canvas.Canvas, snapshot: dict) -> float:
    top = PAGE_H - MARGIN
    c.setFillColor(BRAND)
    c.setFont(FONT, 11)
    c.drawString(MARGIN, top - 10, f"{snapshot.get('title') or '志愿服务记录证明'}（续）")
    c.setFillColor(MUTED)
    c.setFont(FONT, 9)
    c.drawRightString(PAGE_W - MARGIN, top - 10, f"{snapshot.get('name', '')} · 证明编号 {snapshot.get('number', '')}")
    return top - 22


def _draw_footer(c: canvas.Canvas, snapshot: dict, page: int, pages: int) -> None:
    c.setFillColor(MUTED)
    c.setFont(FONT, 8)
    c.drawString(
        MARGIN,
        FOOTER_Y,
        f"证明编号 {snapshot.get('number', '')} · 查验码 {format_code(snapshot.get('short_code', ''))}",
    )
    c.drawRightString(PAGE_W - MARGIN, FOOTER_Y, f"第 {page} 页 / 共 {pages} 页")
    c.setStrokeColor(RULE)
    c.setLineWidth(0.4)
    c.line(MARGIN, FOOTER_Y + 10, PAGE_W - MARGIN, FOOTER_Y + 10)


def _draw_note(c: canvas.Canvas, snapshot: dict, y: float) -> float:
    c.setFillColor(MUTED)
    c.setFont(FONT, 8)
    notes = ["备注中标“代录”的记录不是本人扫码或签到码签到形成的，由组织方代为录入、审核或更正。"]
    notes.append("本证明免费出具。可扫描二维码或登录平台输入查验码核验真伪。")
    for note in notes:
        for line in wrap(note, 8, CONTENT_W):
            y -= 11
            c.drawString(MARGIN, y, line)
    return y


def _draw_sign_block(c: canvas.Canvas, snapshot: dict, top: float) -> None:
    """QR code with the verification address on the left; issuer, person in charge, handler, contact, date and
    the seal box on the right."""
    issuer = snapshot.get("issuer", {}) or {}
    url = snapshot.get("verify_url", "")
    qr_size = 78
    if url:
        c.drawImage(qr_image(url), MARGIN, top - qr_size, qr_size, qr_size)
    c.setFillColor(MUTED)
    c.setFont(FONT, 8)
    text_x = MARGIN + qr_size + 8
    y = top - 14
    for line in ["扫码核验本证明", f"查验码：{format_code(snapshot.get('short_code', ''))}", "也可访问以下网址核验："]:
        c.drawString(text_x, y, line)
        y -= 12
    c.setFont(FONT, 7.5)
    y = top - qr_size - 10
    for line in wrap(url, 7.5, 214, max_lines=2):
        c.drawString(MARGIN + 4, y, line)
        y -= 10

    seal = 88
    seal_x = PAGE_W - MARGIN - seal
    seal_y = top - seal - 4
    c.saveState()
    c.setStrokeColor(BRAND)
    c.setDash(3, 2)
    c.setLineWidth(0.8)
    c.rect(seal_x, seal_y, seal, seal, stroke=1, fill=0)
    c.restoreState()
    c.setFillColor(BRAND)
    c.setFont(FONT, 8.5)
    seal_lines = wrap(issuer.get("seal_text") or issuer.get("name", ""), 8.5, seal - 12, max_lines=3)
    y = seal_y + seal / 2 + (len(seal_lines) * 11) / 2 - 4
    for line in seal_lines:
        c.drawCentredString(seal_x + seal / 2, y, line)
        y -= 11
    c.setFillColor(MUTED)
    c.setFont(FONT, 7.5)
    c.drawCentredString(seal_x + seal / 2, seal_y + 6, "（盖章）")

    x = MARGIN + 222
    y = top - 12
    c.setFillColor(INK)
    for label, value in [
        ("出具单位", issuer.get("name", "")),
        ("负责人", issuer.get("person_in_charge", "")),
        ("经办人", issuer.get("handler", "")),
        ("联系电话", issuer.get("contact", "")),
        ("出具日期", _date_cn(snapshot.get("issued_on", ""))),
    ]:
        c.setFont(FONT, 9.5)
        lines = wrap(f"{label}：{value}", 9.5, seal_x - x - 8, max_lines=2)
        for line in lines:
            c.drawString(x, y, line)
            y -= 15


def _draw_stamp(c: canvas.Canvas, revoked: dict) -> None:
    """已作废, large and diagonal, plus the date, the reason and the replacing certificate, on every page."""
    c.saveState()
    c.setFillColor(STAMP)
    c.setStrokeColor(STAMP)
    c.translate(PAGE_W / 2, PAGE_H / 2)
    c.rotate(30)
    c.setFont(FONT, 96)
    c.drawCentredString(0, -20, "已作废")
    c.setLineWidth(4)
    c.rect(-190, -60, 380, 130, stroke=1, fill=0)
    c.restoreState()
    c.saveState()
    c.setFillColor(HexColor("#c00000"))
    c.setFont(FONT, 9)
    text = f"本证明已于{_date_cn(revoked.get('date', ''))}作废"
    if revoked.get("reason"):
        text += f"，原因：{revoked['reason']}"
    if revoked.get("replacement"):
        text += f"；替代证明编号：{revoked['replacement']}"
    text += "。"
    y = PAGE_H - 22
    for line in wrap(text, 9, CONTENT_W):
        c.drawString(MARGIN, y, line)
        y -= 12
    c.restoreState()


def format_code(code: str) -> str:
    """ABCD2345 -> ABCD-2345, easier to read out and type."""
    code = str(code or "")
    return f"{code[:4]}-{code[4:]}" if len(code) == 8 else code


def _paginate(first_top: float, rows: list[Row]) -> list[list[Row]]:
    """Split the rows into pages: the first page starts below the facts, later ones at the top margin; each page
    repeats the header row. The last page must also hold the note and the signature block, or gets its own."""
    header_h = LINE_H + 2 * CELL_PAD
    bottom = FOOTER_Y + 24
    pages: list[list[Row]] = [[]]
    y = first_top - header_h
    for row in rows:
        if y - row.height < bottom:
            pages.append([])
            y = PAGE_H - MARGIN - 22 - header_h
        pages[-1].append(row)
        y -= row.height
    if y - NOTE_H - SIGN_BLOCK_H < bottom:
        pages.append([])  # the signature block moves to a page of its own
    return pages


def render_pdf(snapshot: dict, *, revoked: dict | None = None) -> bytes:
    """The certificate as PDF bytes. `revoked` ({date, reason, replacement}) stamps every page 已作废."""
    ensure_font()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=1, pageCompression=1)
    c.setTitle(f"志愿服务记录证明 {snapshot.get('number', '')}")
    c.setAuthor((snapshot.get("issuer") or {}).get("name", ""))
    c.setSubject("志愿服务记录证明")
    c.setCreator(settings.PLATFORM_NAME)

    rows = _table_rows(snapshot.get("records") or [])
    first_top = _measure_first_top(snapshot)
    pages = _paginate(first_top, rows)
    for number, page_rows in enumerate(pages, start=1):
        if number == 1:
            y = _draw_first_page_top(c, snapshot)
        else:
            y = _draw_continuation_top(c, snapshot)
        if page_rows or (number == 1):
            y = _draw_header_row(c, y)
            for row in page_rows:
                y = _draw_row(c, row, y)
        if number == len(pages):
            y = _draw_note(c, snapshot, y - 4)
            _draw_sign_block(c, snapshot, y - 16)
        _draw_footer(c, snapshot, number, len(pages))
        if revoked:
            _draw_stamp(c, revoked)
        c.showPage()
    c.save()
    return buf.getvalue()


def _measure_first_top(snapshot: dict) -> float:
    """Where the table starts on page one: the same arithmetic as _draw_first_page_top, without drawing."""
    facts_rows = (len(_facts(snapshot)) + 1) // 2
    y = PAGE_H - MARGIN - 118 - facts_rows * 22 - 20
    return y - 16 * len(wrap(_statement(snapshot), 10.5, CONTENT_W)) - 4


def _statement(snapshot: dict) -> str:
    issuer = snapshot.get("issuer", {}) or {}
    below = "及其下属队伍" if snapshot.get("includes_subtree") else ""
    return (
        f"兹证明志愿者{snapshot.get('name', '')}在上述期间参加{issuer.get('name') or '本单位'}{below}组织的志愿服务活动，"
        "经核实的服务记录如下（服务时长为实际服务时间，不含往返路途）："
    )


def revocation_of(certificate) -> dict | None:
    """The 已作废 stamp's facts from the certificate's status (None while it is valid)."""
    if certificate.status != "revoked":
        return None
    when = certificate.revoked_at
    return {
        "date": (timezone.localtime(when).date().isoformat() if when else ""),
        "reason": certificate.revoke_reason,
        "replacement": certificate.replaced_by.number if certificate.replaced_by_id else "",
    }


def render_certificate(certificate) -> bytes:
    """The PDF of a stored certificate: its snapshot, stamped when it has been revoked."""
    return render_pdf(certificate.snapshot or {}, revoked=revocation_of(certificate))
