"""API lists cost a fixed number of queries, however many rows a page holds (no query per row)."""

import pytest
from django.test import Client

from jinguo.orgs import services


@pytest.mark.parametrize(
    ("url", "limit"),
    [("/api/v1/teams/", 10), ("/api/v1/volunteers/", 9), ("/api/v1/memberships/", 8), ("/api/v1/nodes/", 8)],
)
def test_list_queries_do_not_grow_with_rows(world, make_volunteer, django_assert_max_num_queries, url, limit):
    for i in range(12):
        services.team_create(actor=world.root_user, parent=world.district, name=f"第{i}服务队", data={})
        make_volunteer(team=world.team.node)
    client = Client()
    client.force_login(world.district_admin)
    # The limit counts the session, the user and her roles too.
    with django_assert_max_num_queries(limit):
        response = client.get(url)
    assert response.status_code == 200
    assert response.json()["count"] >= 12
