"""Batch issuing (F7): staff choose a node in their scope and a period; the task worker issues one certificate per
eligible volunteer through the same service as a single issue, draws each PDF and packs them, with a list, into a
zip in the job's private folder. The page shows a progress bar (core.jobs) and the zip to download
(core.views.job_download audits each download)."""

import csv
import datetime
import io
import zipfile
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Sum
from django.utils import timezone

from jinguo.core import audit, jobs
from jinguo.core.errors import DomainError
from jinguo.core.models import Job
from jinguo.hours.models import RecordStatus, ServiceRecord
from jinguo.orgs.models import Node
from jinguo.orgs.services import require_scope
from jinguo.volunteers.choices import MembershipStatus
from jinguo.volunteers.models import Membership, Volunteer

from . import pdf, services

KIND = "certificate_batch"
REPORT_EVERY = 10
WHO_CHOICES = [
    ("all", "在此期间有已计入服务记录的所有志愿者"),
    ("members", "仅本单位及下属队伍的现有成员"),
]
WHO_LABELS = dict(WHO_CHOICES)
MANIFEST_HEADERS = [
    "证明编号",
    "姓名",
    "志愿者编号",
    "证件号码",
    "服务期间",
    "服务时长（小时）",
    "记录条数",
    "查验码",
    "说明",
]


def batch_candidates(
    user,
    node: Node,
    *,
    period_start: datetime.date | None,
    period_end: datetime.date,
    who: str = "all",
    min_hours: Decimal | None = None,
):
    """(volunteer_id, hours, records) of everyone with counted, current records organised in the node's subtree
    in the period, through the user's scope; optionally only current members, or only from a number of hours."""
    qs = ServiceRecord.objects.restrict(user, "change").filter(
        organiser__path__startswith=node.path,
        status=RecordStatus.VERIFIED,
        superseded_by__isnull=True,
        hours__gt=0,
        service_date__lte=period_end,
    )
    if period_start is not None:
        qs = qs.filter(service_date__gte=period_start)
    if who == "members":
        qs = qs.filter(
            Exists(
                Membership.objects.filter(
                    volunteer=OuterRef("volunteer_id"),
                    team__path__startswith=node.path,
                    status=MembershipStatus.ACTIVE,
                )
            )
        )
    rows = qs.values("volunteer_id").annotate(hours=Sum("hours"), records=Count("id"))
    if min_hours:
        rows = rows.filter(hours__gte=min_hours)
    return rows.order_by("volunteer_id")


def _dates(params: dict) -> tuple[datetime.date | None, datetime.date]:
    start = datetime.date.fromisoformat(params["period_start"]) if params.get("period_start") else None
    return start, datetime.date.fromisoformat(params["period_end"])


def certificate_batch_start(
    *,
    actor,
    node: Node,
    period_start: datetime.date | None,
    period_end: datetime.date | None,
    who: str = "all",
    min_hours: Decimal | None = None,
    base_url: str | None = None,
) -> Job:
    """Queue a batch. Refuses outright what the worker would refuse: a node out of scope, a bad period, nobody."""
    require_scope(actor, node)
    period_end = period_end or timezone.localdate()
    if period_start is not None and period_start > period_end:
        raise DomainError("bad_period", "起始日期不能晚于截止日期。", field="period_start")
    if who not in WHO_LABELS:
        raise DomainError("bad_filter", "请选择出具对象。", field="who")
    count = batch_candidates(
        actor, node, period_start=period_start, period_end=period_end, who=who, min_hours=min_hours
    ).count()
    if not count:
        raise DomainError(
            "nobody", f"「{node.name}」在所选期间没有符合条件、已计入的服务记录，没有可出具证明的志愿者。", field="node"
        )
    with transaction.atomic():
        job = Job.objects.create(
            kind=KIND,
            user=actor,
            title=f"批量出具志愿服务记录证明：{node.name}",
            params={
                "node_id": node.pk,
                "node_path": node.path,
                "node_name": node.name,
                "period_start": period_start.isoformat() if period_start else "",
                "period_end": period_end.isoformat(),
                "who": who,
                "min_hours": str(min_hours) if min_hours else "",
                "base_url": base_url or "",
                "expected": count,
            },
        )
        audit.record(
            actor,
            "certificate.batch_started",
            target=job,
            node_path=node.path,
            summary=f"批量出具证明：{node.name}，{period_start or '不限'} 至 {period_end}，预计 {count} 人",
        )
        jobs.start(job)
    return job


def _manifest_row(certificate, note: str) -> list:
    snap = certificate.snapshot
    return [
        certificate.number,
        snap.get("name", ""),
        snap.get("volunteer_number", ""),
        snap.get("id_number_masked", ""),
        f"{certificate.period_start:%Y-%m-%d} 至 {certificate.period_end:%Y-%m-%d}",
        snap.get("total_hours", ""),
        snap.get("record_count", ""),
        pdf.format_code(certificate.short_code),
        note,
    ]


def _safe_name(text: str) -> str:
    return "".join(ch for ch in text if ch not in '\\/:*?"<>|\r\n\t')[:40]


@jobs.register(KIND)
def run_certificate_batch(job: Job, report) -> None:
    user = job.user
    params = job.params
    # The scope is checked again in the worker: it may have changed since the job was queued.
    node = Node.objects.restrict(user, "change").filter(pk=params["node_id"]).first()
    if node is None:
        raise DomainError("out_of_scope", "所选单位已不在您的管理范围内，未出具任何证明。")
    period_start, period_end = _dates(params)
    min_hours = Decimal(params["min_hours"]) if params.get("min_hours") else None
    rows = list(
        batch_candidates(
            user,
            node,
            period_start=period_start,
            period_end=period_end,
            who=params.get("who", "all"),
            min_hours=min_hours,
        )
    )
    total = len(rows)
    volunteers = Volunteer.objects.in_bulk([row["volunteer_id"] for row in rows])
    report(0, total, "正在出具证明")
    path = jobs.job_dir(job) / f"certificates-{job.pk}.zip"
    manifest = io.StringIO()
    writer = csv.writer(manifest)
    writer.writerow(MANIFEST_HEADERS)
    issued = reused = 0
    skipped = []
    # PDFs are compressed already: storing them is as small as deflating them, and much faster.
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        for done, row in enumerate(rows, start=1):
            volunteer = volunteers[row["volunteer_id"]]
            try:
                certificate, created = services.certificate_issue_or_reuse(
                    actor=user,
                    volunteer=volunteer,
                    issuer=node,
                    period_start=period_start,
                    period_end=period_end,
                    base_url=params.get("base_url") or None,
                )
            except DomainError as exc:
                skipped.append({"name": volunteer.name, "number": volunteer.number, "reason": exc.message})
                writer.writerow(["", volunteer.name, volunteer.number, "", "", "", "", "", f"未出具：{exc.message}"])
            else:
                if created:
                    issued += 1
                else:
                    reused += 1
                archive.writestr(
                    f"{certificate.number}-{_safe_name(volunteer.name)}.pdf", pdf.render_certificate(certificate)
                )
                writer.writerow(
                    _manifest_row(certificate, "新出具" if created else "已有相同内容的有效证明，沿用原证明")
                )
            if done % REPORT_EVERY == 0 or done == total:
                report(done, total, "正在出具证明并生成 PDF")
        archive.writestr("证明清单.csv", "\ufeff" + manifest.getvalue())  # BOM: Excel opens UTF-8 CSV correctly
    report(total, total, "已全部完成")
    if not issued and not reused:
        path.unlink(missing_ok=True)
        raise DomainError(
            "nothing_issued", "没有出具任何证明：" + "；".join(f"{s['name']}：{s['reason']}" for s in skipped[:5])
        )
    stamp = timezone.localtime()
    job.result_path = str(path)
    job.result_name = f"志愿服务记录证明-{_safe_name(node.name)}-{stamp:%Y%m%d-%H%M}.zip"
    job.report = {
        "total": total,
        "issued": issued,
        "reused": reused,
        "skipped": skipped[:200],
        "skipped_count": len(skipped),
        "node_name": node.name,
        "period_start": params.get("period_start") or "",
        "period_end": params["period_end"],
        "who": WHO_LABELS.get(params.get("who", "all"), ""),
        "min_hours": params.get("min_hours") or "",
    }
    audit.record(
        user,
        "certificate.batch_issued",
        target=job,
        node_path=node.path,
        summary=f"批量出具证明：{node.name}，新出具 {issued} 份，沿用 {reused} 份，未出具 {len(skipped)} 人",
        detail={"issued": issued, "reused": reused, "skipped": len(skipped)},
    )
