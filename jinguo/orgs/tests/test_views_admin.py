"""The Django admin: platform administrators (superusers) only, read-mostly, writes through services."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from jinguo.core.models import AuditLog

User = get_user_model()


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_superuser_browses_the_admin(world):
    root = client_for(world.root_user)
    assert root.get(reverse("admin:index")).status_code == 200
    teams = root.get(reverse("admin:orgs_team_changelist"))
    assert teams.status_code == 200
    assert "思明区巾帼服务队" in teams.content.decode()
    assert root.get(reverse("admin:orgs_team_change", args=[world.team.pk])).status_code == 200
    assert root.get(reverse("admin:core_auditlog_changelist")).status_code == 200


@pytest.mark.parametrize("who", ["city_admin", "district_admin", "leader", "nobody"])
def test_everyone_else_is_refused_even_with_is_staff(world, who):
    user = getattr(world, who)
    user.is_staff = True
    user.save()
    client = client_for(user)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    assert client.get(reverse("admin:orgs_team_changelist")).status_code == 302


def test_admin_is_read_only(world):
    root = client_for(world.root_user)
    assert root.get(reverse("admin:orgs_node_add")).status_code == 403
    before = list(AuditLog.objects.values_list("pk", flat=True))
    response = root.post(reverse("admin:orgs_team_change", args=[world.team.pk]), {"leader_name": "改"})
    assert response.status_code == 403
    assert root.post(reverse("admin:orgs_node_delete", args=[world.community.pk]), {"post": "yes"}).status_code == 403
    assert list(AuditLog.objects.values_list("pk", flat=True)) == before


def test_deactivate_action_goes_through_the_service(world):
    root = client_for(world.root_user)
    response = root.post(
        reverse("admin:core_user_changelist"),
        {"action": "deactivate", "_selected_action": [world.leader.pk]},
        follow=True,
    )
    assert response.status_code == 200
    world.leader.refresh_from_db()
    assert not world.leader.is_active
    entry = AuditLog.objects.get(action="account.deactivated")
    assert (entry.actor, entry.target_id) == (world.root_user, str(world.leader.pk))
