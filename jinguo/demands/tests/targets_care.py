"""Scope-coverage targets: care pairings (part E of issue 4), all inside 思明区.

    care_staff      湖滨社区's federation admin: she may see the recipient's details (R23) and edit her
    care_recipient  厉结对, an empty-nest elder of t.community, entered by care_staff with her own consent
    care_pairing    one-to-one, weekly, world.team responsible, t.server the lead (arranged by the district admin)
    care_visit      t.server's visit yesterday, logged by herself: one service record
"""

import datetime

from django.utils import timezone

from jinguo.demands import services_care
from jinguo.orgs import services as org_services
from jinguo.orgs.choices import Role


def build(t) -> None:
    """Add this part's objects inside 思明区 to `t`."""
    from conftest import make_user

    t.care_staff = make_user("care_community_admin")
    org_services.role_grant(actor=t.root_user, user=t.care_staff, role=Role.FEDERATION_ADMIN, node=t.community)
    t.care_recipient = services_care.recipient_create(
        actor=t.care_staff, node=t.community,
        data={"name": "厉结对", "sex": "F", "birth_year": 1941, "category": "empty_nest", "phone": "13912340201",
              "address": "湖滨东路结对小区3号", "guardian_name": "厉秘女", "guardian_relation": "女儿",
              "guardian_phone": "13912340202", "notes": "高血压秘密病情，独自在家", "consent_by": "厉结对",
              "consent_relation": "本人"},
    )  # fmt: skip
    today = timezone.localdate()
    t.care_pairing = services_care.pairing_create(
        actor=t.district_admin, recipient=t.care_recipient, organiser=t.team.node, kind="one",
        volunteers=[t.server], start_date=today - datetime.timedelta(days=20), frequency="weekly",
    )  # fmt: skip
    start = (timezone.now() - datetime.timedelta(days=1)).replace(hour=2, minute=0, second=0, microsecond=0)
    t.care_visit = services_care.visit_log_create(
        actor=t.server.user, pairing=t.care_pairing, volunteers=[t.server], start_at=start,
        end_at=start + datetime.timedelta(hours=1, minutes=30), content="上门陪伴聊天，打扫卫生", situation="秘密近况：血压偏高",
    )  # fmt: skip


def care_secrets(t) -> list[str]:
    """What no outsider may see of the recipient: name, phones (full and masked), address, guardian, notes."""
    r = t.care_recipient
    return [r.name, r.phone, r.phone_masked, r.address, r.guardian_name, r.guardian_phone, r.notes,
            t.care_visit.situation]
