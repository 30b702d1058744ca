"""Search and rosters (F4), a volunteer's record (masked, reveal audited, edit by those who may change)."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from jinguo.core.models import AuditLog
from jinguo.volunteers import services
from jinguo.volunteers.models import Volunteer

from .ui_helpers import login

LIST = reverse("volunteers:list")


def _names(response) -> set[str]:
    """The names in the roster table (each row links the name to the record)."""
    html = response.content.decode()
    return set(re.findall(r'<td class="jg-nowrap"><a href="/volunteers/\d+/">([^<]+)</a></td>', html)) - set(
        re.findall(r'<a href="/volunteers/\d+/">(JG\d+)</a>', html)
    )


@pytest.fixture
def people(world, make_volunteer):
    today = timezone.localdate()
    return {
        "lin": make_volunteer(
            team=world.team.node, name="林秀英", phone="13844440001", skills="心理疏导", categories=["care"]
        ),
        "wang": make_volunteer(
            name="王芳",
            phone="13844440002",
            sex="M",
            force_type="professional",
            honours=["sanba"],
            born=today.replace(year=today.year - 65),
        ),
        "pending": make_volunteer(team=world.subteam.node, name="陈静", phone="13844440003", confirm=False),
        "outside": make_volunteer(team=world.team_b.node, home=world.other_community, name="黄丽", phone="13844440004"),
    }


def test_roster_shows_scope_masked(world, people):
    response = login(world.district_admin).get(LIST)
    html = response.content.decode()
    assert _names(response) == {"林秀英", "王芳", "陈静"}
    lin = people["lin"]
    assert lin.id_number_masked in html
    assert lin.phone_masked in html
    assert lin.decrypt_id_number() not in html
    assert lin.phone not in html
    assert "待本人确认" in html  # the pending one is shown, marked unconfirmed (R25)
    assert "思明区巾帼服务队" in html  # her team, prefetched
    assert _names(login(world.outsider_admin).get(LIST)) == {"黄丽"}
    assert _names(login(world.leader).get(LIST)) == {"林秀英", "陈静"}
    assert _names(login(world.city_admin).get(LIST)) == {"林秀英", "王芳", "陈静", "黄丽"}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "林秀"}, {"林秀英"}),
        ({"q": "lxy"}, {"林秀英"}),
        ({"q": "0002"}, {"王芳"}),
        ({"status": "pending"}, {"陈静"}),
        ({"status": "active"}, {"林秀英", "王芳"}),
        ({"category": "care"}, {"林秀英"}),
        ({"skill": "心理"}, {"林秀英"}),
        ({"force_type": "professional"}, {"王芳"}),
        ({"honours": "sanba"}, {"王芳"}),
        ({"age_band": "60+"}, {"王芳"}),
        ({"sex": "M"}, {"王芳"}),
        ({"sex": "F", "category": "legal"}, {"陈静"}),
    ],
)
def test_roster_filters(world, people, params, expected):
    assert _names(login(world.district_admin).get(LIST, params)) == expected


def test_roster_filters_by_number_team_and_region(world, people):
    client = login(world.district_admin)
    assert _names(client.get(LIST, {"q": people["wang"].number})) == {"王芳"}
    assert _names(client.get(LIST, {"team": world.team.node.pk})) == {"林秀英", "陈静"}  # sub-teams included
    assert _names(client.get(LIST, {"team": world.subteam.node.pk})) == {"陈静"}
    assert _names(client.get(LIST, {"region": world.street.pk})) == {"林秀英", "王芳", "陈静"}
    # A team or region outside her scope is not a valid choice: no rows of it leak.
    outside = client.get(LIST, {"team": world.team_b.node.pk})
    assert "黄丽" not in outside.content.decode()


def test_roster_sorts(world, people):
    client = login(world.district_admin)
    html = client.get(LIST, {"sort": "age"}).content.decode()
    assert people["wang"].birth_date < people["lin"].birth_date
    assert html.index("王芳") < html.index("林秀英")  # oldest first
    html = client.get(LIST, {"sort": "number"}).content.decode()
    numbers = re.findall(r'<a href="/volunteers/\d+/">(JG\d+)</a>', html)
    assert numbers == sorted(numbers)


def test_htmx_refreshes_only_the_table_and_carries_filters_to_export(world, people):
    response = login(world.district_admin).get(LIST, {"q": "林", "status": "active"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<html" not in html
    assert "林秀英" in html
    assert "王芳" not in html
    assert '<input type="hidden" form="export-form" name="q" value="林">' in html
    assert '<input type="hidden" form="export-form" name="status" value="active">' in html
    page = login(world.district_admin).get(LIST).content.decode()
    assert f'action="{reverse("volunteers:roster_export")}"' in page
    assert reverse("volunteers:import_start") in page


def test_roster_queries_do_not_grow_with_rows(world, make_volunteer):
    client = login(world.district_admin)
    for _ in range(2):
        make_volunteer(team=world.team.node)
    client.get(LIST)  # the first request after login refreshes the session (SlidingSessionMiddleware)
    with CaptureQueriesContext(connection) as few:
        client.get(LIST)
    for _ in range(8):
        make_volunteer(team=world.team.node)
    with CaptureQueriesContext(connection) as many:
        client.get(LIST)
    assert len(many) == len(few)
    # The count is capped (a LIMIT inside the COUNT), never a full scan of the table.
    counts = [
        q["sql"] for q in many.captured_queries if "COUNT(" in q["sql"].upper() and "volunteers_volunteer" in q["sql"]
    ]
    assert counts
    assert all("LIMIT" in sql.upper() for sql in counts)


def test_roster_is_for_staff_only(world, member):
    assert login(member.user).get(LIST).status_code == 404
    assert login(world.nobody).get(LIST).status_code == 404
    assert login(world.district_staff).get(LIST).status_code == 200
    assert "登记志愿者" not in login(world.district_staff).get(LIST).content.decode()


def test_empty_roster_says_what_to_do(world):
    html = login(world.district_admin).get(LIST).content.decode()
    assert "没有符合条件的志愿者" in html
    assert reverse("volunteers:create") in html


# ---- a volunteer's record -------------------------------------------------------------------------------------


def test_detail_is_masked_and_shows_history(world, member):
    response = login(world.district_admin).get(reverse("volunteers:detail", args=[member.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert member.id_number_masked in html
    assert member.decrypt_id_number() not in html
    assert member.phone_masked in html
    assert member.phone not in html
    assert "思明区巾帼服务队" in html  # memberships
    assert "个人信息处理" in html  # consents
    assert "工作人员录入，待本人确认" in html
    assert "本人确认登记信息" in html
    assert "显示完整证件号" not in html  # district_admin has no personal-data right


def test_outsiders_get_404_on_detail_edit_and_reveal(world, member, make_volunteer):
    other = make_volunteer(team=world.team_b.node, home=world.other_community)
    for user in (world.outsider_admin, world.outsider_leader, other.user, world.nobody):
        client = login(user)
        assert client.get(reverse("volunteers:detail", args=[member.pk])).status_code == 404
        assert client.get(reverse("volunteers:edit", args=[member.pk])).status_code == 404
        assert client.post(reverse("volunteers:reveal_id", args=[member.pk])).status_code == 404
    assert not AuditLog.objects.filter(action="volunteer.id_viewed").exists()


def test_reveal_id_is_audited_and_refused_without_the_right(world, member):
    url = reverse("volunteers:reveal_id", args=[member.pk])
    assert login(world.district_admin).post(url).status_code == 403
    assert not AuditLog.objects.filter(action="volunteer.id_viewed").exists()
    client = login(world.city_admin)
    assert "显示完整证件号" in client.get(reverse("volunteers:detail", args=[member.pk])).content.decode()
    assert client.get(url).status_code == 405
    response = client.post(url, HTTP_HX_REQUEST="true")
    assert member.decrypt_id_number() in response.content.decode()
    assert "<html" not in response.content.decode()
    # Without HTMX the number comes on a page of its own (and is audited the same).
    page = client.post(url).content.decode()
    assert "<html" in page
    assert member.decrypt_id_number() in page
    entries = AuditLog.objects.filter(action="volunteer.id_viewed")
    assert entries.count() == 2
    entry = entries.first()
    assert (entry.actor, entry.target_id, entry.node_path) == (world.city_admin, str(member.pk), world.community.path)


def test_read_only_staff_cannot_edit(world, member):
    client = login(world.district_staff)
    url = reverse("volunteers:edit", args=[member.pk])
    assert "修改信息" not in client.get(reverse("volunteers:detail", args=[member.pk])).content.decode()
    assert client.get(url).status_code == 403
    assert client.post(url, {"name": "改名", "id_type": "resident", "skills": "x"}).status_code == 403
    member.refresh_from_db()
    assert member.name != "改名"


def _edit_data(volunteer, **overrides):
    data = {
        "name": volunteer.name,
        "id_type": volunteer.id_type,
        "id_number": "",
        "phone": "",
        "home_node": volunteer.home_node_id,
        "ethnicity": volunteer.ethnicity,
        "political_status": volunteer.political_status,
        "education": volunteer.education,
        "skills": volunteer.skills,
        "categories": volunteer.categories,
        "availability": volunteer.availability,
        "force_type": volunteer.force_type,
    }
    data.update(overrides)
    return data


def test_admin_edits_a_record(world, member):
    client = login(world.district_admin)
    url = reverse("volunteers:edit", args=[member.pk])
    html = client.get(url).content.decode()
    assert member.decrypt_id_number() not in html
    assert f"当前：{member.id_number_masked}" in html
    old_id = member.decrypt_id_number()
    response = client.post(url, _edit_data(member, skills="急救、摄影", home_node=world.street.pk))
    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.skills, member.home_node, member.decrypt_id_number()) == ("急救、摄影", world.street, old_id)
    entry = AuditLog.objects.filter(action="volunteer.updated", target_id=str(member.pk)).get()
    assert entry.summary == "修改：技能特长、居住地"


def test_edit_errors_keep_input(world, member):
    client = login(world.district_admin)
    url = reverse("volunteers:edit", args=[member.pk])
    response = client.post(url, _edit_data(member, id_number="123", skills="急救"))
    html = response.content.decode()
    assert "身份证号码应为18位" in html
    assert 'value="急救"' in html
    member.refresh_from_db()
    assert member.skills != "急救"
    # A home outside her subtree is refused.
    response = client.post(url, _edit_data(member, home_node=world.other_community.pk))
    assert response.status_code == 200
    member.refresh_from_db()
    assert member.home_node == world.community


def test_pending_record_says_so(world, make_volunteer):
    pending = make_volunteer(confirm=False)
    html = login(world.district_admin).get(reverse("volunteers:detail", args=[pending.pk])).content.decode()
    assert "本人尚未确认" in html
    services.volunteer_deny(volunteer=pending, phone=pending.phone)
    html = login(world.district_admin).get(reverse("volunteers:detail", args=[pending.pk])).content.decode()
    assert "已冻结" in html
    assert "本人否认登记" in html


def test_her_own_detail_sends_her_to_her_page(world, member):
    assert login(member.user).get(reverse("volunteers:detail", args=[member.pk])).url == reverse("volunteers:me")


def test_minor_is_marked(world, make_volunteer):
    today = timezone.localdate()
    minor = make_volunteer(born=today.replace(year=today.year - 16) - datetime.timedelta(days=1))
    html = login(world.district_admin).get(reverse("volunteers:detail", args=[minor.pk])).content.decode()
    assert "16 岁" in html
    assert "未成年" in html
    assert Volunteer.objects.count() == 1


def test_filter_options_stay_bounded_but_any_node_in_scope_works(world, people):
    client = login(world.city_admin)
    html = client.get(LIST).content.decode()
    region_select = html.split('name="region"', 1)[1].split("</select>", 1)[0]
    assert "思明区妇联" in region_select
    assert "筼筜街道" in region_select
    assert "湖滨社区" not in region_select  # two levels below her city, no deeper
    team_select = html.split('name="team"', 1)[1].split("</select>", 1)[0]
    assert "思明区巾帼服务队" in team_select
    # A deeper node still filters (from a link, or typed by hand).
    assert _names(client.get(LIST, {"region": world.community.pk})) == {"林秀英", "王芳", "陈静"}
