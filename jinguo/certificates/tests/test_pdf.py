"""The PDF: drawn from the snapshot alone, the Chinese font embedded, the text readable back (through the font's
ToUnicode map), the QR code an image, long tables paged with the header repeated, 已作废 on every page of a revoked
one, the same bytes every time, and fast."""

import time

from jinguo.certificates import pdf, services
from jinguo.certificates.models import CertificateStatus

from .pdftext import font_maps, pages_text, text_of


def snapshot(records: int = 3, **extra) -> dict:
    rows = [
        {
            "date": f"2026-03-{(i % 28) + 1:02d}",
            "start": "09:00",
            "end": "11:30",
            "hours": "2.50",
            "activity": "关爱空巢老人入户走访" if i % 2 else "社区普法宣传",
            "content": "",
            "organiser": "思明区巾帼服务队",
            "method": "队长名单签到" if i % 3 == 0 else "扫码签到",
            "entered_by_other": i % 3 == 0,
            "mark": "代录" if i % 3 == 0 else "",
        }
        for i in range(records)
    ]
    snap = {
        "version": 1,
        "title": "志愿服务记录证明",
        "number": "JGZM2026000042",
        "short_code": "ABCD2345",
        "issued_on": "2026-11-23",
        "name": "甄证明",
        "volunteer_number": "JG2600000042",
        "id_type": "居民身份证",
        "id_number_masked": "350203********002X",
        "period_start": "2026-03-01",
        "period_end": "2026-11-23",
        "total_hours": f"{2.5 * records:.2f}",
        "record_count": records,
        "records": rows,
        "includes_subtree": False,
        "issuer": {
            "name": "思明区巾帼服务队",
            "person_in_charge": "林秀英",
            "handler": "王经办",
            "contact": "0592-1234567",
            "seal_text": "",
        },
        "self_service": False,
        "verify_url": "https://zyfw.example.cn/v/ABCD2345/",
    }
    snap.update(extra)
    return snap


def test_the_pdf_embeds_the_chinese_font_and_the_qr_image():
    data = pdf.render_pdf(snapshot())
    assert data.startswith(b"%PDF-")
    assert b"/BaseFont /AAAAAA+WenQuanYiMicroHei-0" in data  # a subset of the configured font ...
    assert b"/FontFile2" in data  # ... embedded, not referenced
    assert data.count(b"/Subtype /Image") == 1  # the QR code
    assert any(table for table in font_maps(data).values())


def test_the_pdf_says_what_the_snapshot_says():
    text = text_of(pdf.render_pdf(snapshot()))
    for expected in [
        "志愿服务记录证明",
        "证明编号：JGZM2026000042",
        "查验码：ABCD-2345",
        "甄证明",
        "JG2600000042",
        "居民身份证",
        "350203********002X",
        "2026年3月1日 至 2026年11月23日",
        "7.5 小时（3 条记录）",
        "社区普法宣传",
        "关爱空巢老人入户走访",
        "代录",
        "出具单位：思明区巾帼服务队",
        "负责人：林秀英",
        "经办人：王经办",
        "联系电话：0592-1234567",
        "出具日期：2026年11月23日",
        "https://zyfw.example.cn/v/ABCD2345/",
        "本证明免费出具",
        "第 1 页 / 共 1 页",
    ]:
        assert expected in text, expected
    assert "已作废" not in text


def test_the_same_snapshot_gives_the_same_bytes():
    assert pdf.render_pdf(snapshot()) == pdf.render_pdf(snapshot())
    assert pdf.render_pdf(snapshot()) != pdf.render_pdf(snapshot(name="甄另一"))


def test_a_long_table_is_paged_with_the_header_repeated():
    pages = pages_text(pdf.render_pdf(snapshot(records=70)))
    assert len(pages) == 3
    for number, page in enumerate(pages, start=1):
        assert f"第 {number} 页 / 共 3 页" in page
    assert all("服务日期" in page for page in pages[:2])  # the header row on every page with rows
    assert "志愿服务记录证明（续）" in pages[1]
    last_rows = [line for line in "".join(pages).splitlines() if line.strip() == "70"]
    assert last_rows  # the 70th row is there
    assert "负责人：林秀英" in pages[-1]


def test_a_revoked_certificate_is_stamped_on_every_page():
    revoked = {"date": "2026-11-24", "reason": "服务记录已更正", "replacement": "JGZM2026000043"}
    pages = pages_text(pdf.render_pdf(snapshot(records=70), revoked=revoked))
    assert len(pages) == 3
    for page in pages:
        assert "已作废" in page
        assert "本证明已于2026年11月24日作废，原因：服务记录已更正；替代证明编号：JGZM2026000043。" in page


def test_a_minimal_snapshot_still_renders():
    text = text_of(pdf.render_pdf({"name": "甄最少", "volunteer_number": "JG2600000099"}))
    assert "甄最少" in text
    assert "JG2600000099" in text


def test_a_stored_certificate_renders_from_its_snapshot_and_status(world, served):
    volunteer, _records = served
    certificate = services.certificate_issue(actor=world.leader, volunteer=volunteer, issuer=world.team.node)
    text = text_of(pdf.render_certificate(certificate))
    full_id = volunteer.decrypt_id_number()
    assert volunteer.id_number_masked in text
    assert full_id not in text  # masked everywhere (R3)
    assert volunteer.phone not in text
    assert "代录" in text  # the roster entry (R27)
    assert "湖里区巡逻" not in text  # another organiser's record (R14)
    services.certificate_revoke(actor=world.leader, certificate=certificate, reason="打印错误")
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.REVOKED
    assert "已作废" in text_of(pdf.render_certificate(certificate))


def test_one_certificate_renders_well_within_the_budget():
    """A regression guard only (the measured figure is in bench/certificates.py): ~20 records, median of 5,
    with a generous bound because the test machine may be busy."""
    snap = snapshot(records=20)
    pdf.render_pdf(snap)  # font loaded once per process
    timings = []
    for _ in range(5):
        start = time.process_time()
        pdf.render_pdf(snap)
        timings.append(time.process_time() - start)
    assert sorted(timings)[2] < 0.2
