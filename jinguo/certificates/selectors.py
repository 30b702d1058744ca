"""Reads about certificates: what a certificate would contain, who can issue it, lists within the reader's scope."""

import datetime
from decimal import Decimal

from django.db.models import Count, Max, Min, Q, Sum

from jinguo.core.masking import mask_name
from jinguo.hours.models import RecordStatus, ServiceRecord
from jinguo.orgs.models import Node
from jinguo.volunteers.models import Volunteer

from .models import Certificate, CertificateStatus, IssuerProfile

ZERO = Decimal("0")


def counted_records(volunteer: Volunteer, issuer: Node, start: datetime.date | None, end: datetime.date | None):
    """The records a certificate of `issuer` may include (R14): hers, counted, current (not superseded by a
    correction), with hours, organised by the issuer or a node below it, dated within the period."""
    qs = ServiceRecord.objects.filter(
        volunteer=volunteer,
        status=RecordStatus.VERIFIED,
        superseded_by__isnull=True,
        hours__gt=0,
        organiser__path__startswith=issuer.path,
    )
    if start is not None:
        qs = qs.filter(service_date__gte=start)
    if end is not None:
        qs = qs.filter(service_date__lte=end)
    return qs.select_related("organiser", "activity").order_by("start_at", "id")


def issuer_options(volunteer: Volunteer) -> list[dict]:
    """The organisers she served with (counted records), for her own certificate: node, hours, records, years."""
    rows = (
        ServiceRecord.objects.filter(
            volunteer=volunteer, status=RecordStatus.VERIFIED, superseded_by__isnull=True, hours__gt=0
        )
        .values("organiser_id")
        .annotate(hours=Sum("hours"), records=Count("id"), first=Min("service_date"), last=Max("service_date"))
        .order_by("-hours")
    )
    rows = list(rows)
    nodes = Node.objects.in_bulk([r["organiser_id"] for r in rows])
    options = []
    for row in rows:
        node = nodes[row["organiser_id"]]
        options.append(
            {
                "node": node,
                "hours": row["hours"] or ZERO,
                "records": row["records"],
                "first": row["first"],
                "last": row["last"],
                "years": list(range(row["last"].year, row["first"].year - 1, -1)),
            }
        )
    return options


def issuer_info(issuer: Node) -> dict:
    """Person in charge, default handler, contact and seal text of an issuing node: its profile, else (for a team)
    its registration. Empty strings where nothing is known."""
    profile = IssuerProfile.objects.filter(node=issuer).first()
    team = getattr(issuer, "team", None) if issuer.is_team else None
    person = (profile.person_in_charge if profile else "") or (team.leader_name if team else "")
    contact = (profile.contact_phone if profile else "") or (team.phone or team.leader_phone if team else "")
    return {
        "name": issuer.name,
        "person_in_charge": person,
        "handler": (profile.handler if profile else "") or "",
        "contact": contact,
        "seal_text": (profile.seal_text if profile else "") or "",
    }


def certificates_for(user, *, q: str = "", issuer: Node | None = None, status: str = "", year: int | None = None):
    """The certificate list: the reader's scope (issuer subtree; a volunteer her own), then the filters."""
    qs = Certificate.objects.restrict(user, "view").select_related("volunteer", "issuer")
    q = (q or "").strip()
    if q:
        upper = q.upper()
        if upper.startswith("JGZM"):
            qs = qs.filter(number=upper)
        elif upper.startswith("JG") and upper[2:].isdigit():
            qs = qs.filter(volunteer__number=upper)
        else:
            qs = qs.filter(Q(volunteer__name__contains=q) | Q(short_code=upper.replace("-", "")))
    if issuer is not None:
        qs = qs.filter(issuer__path__startswith=issuer.path)
    if status:
        qs = qs.filter(status=status)
    if year:
        qs = qs.filter(issued_at__year=year)
    return qs.order_by("-issued_at", "-id")


def mask_volunteer_number(number: str) -> str:
    """JG2600000123 -> JG26****0123: enough to match a paper, not enough to look her up."""
    if not number or len(number) < 8:
        return "****"
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def public_facts(certificate: Certificate) -> dict:
    """What the public verification page shows: masked, nothing that leads to her (R3, PIPL)."""
    snap = certificate.snapshot or {}
    name = snap.get("name") or certificate.volunteer.name
    replacement = certificate.replaced_by.number if certificate.replaced_by_id else ""
    return {
        "number": certificate.number,
        "masked_name": mask_name(name),
        "masked_number": mask_volunteer_number(snap.get("volunteer_number") or ""),
        "issuer": (snap.get("issuer") or {}).get("name") or certificate.issuer.name,
        "period_start": certificate.period_start,
        "period_end": certificate.period_end,
        "total_hours": certificate.total_hours,
        "record_count": snap.get("record_count", len(certificate.record_ids or [])),
        "issued_at": certificate.issued_at,
        "valid": certificate.status == CertificateStatus.VALID,
        # Not the reason: a reason typed by hand may name people; the date and the replacement are enough.
        "revoked_at": certificate.revoked_at,
        "replacement": replacement,
    }
