"""The commit inserts the rows the preview prepared, without reading the file twice, and refuses anything stale."""

import pytest

from jinguo.core.errors import DomainError
from jinguo.volunteers.imports import services
from jinguo.volunteers.models import Membership, Volunteer

from .test_import_volunteers import person, write_xlsx


@pytest.fixture
def previewed(world, tmp_path):
    path = write_xlsx(tmp_path / "v.xlsx", [person(n) for n in range(1, 6)])
    keep = tmp_path / "prepared-rows.pickle"
    report = services.validate_file(path, actor=world.district_admin, team=world.team, keep_to=keep)
    assert report.valid_rows == [2, 3, 4, 5, 6]
    assert report.prepared_digest
    assert Volunteer.objects.count() == 0  # the preview writes nothing to the database
    return path, keep, report


def commit(world, path, keep, report, **overrides):
    options = {
        "actor": world.district_admin,
        "team": world.team,
        "only_valid": False,
        "expected_valid_rows": report.valid_rows,
        "prepared": keep,
        "prepared_digest": report.prepared_digest,
    }
    options.update(overrides)
    return services.commit_file(path, **options)


def test_prepared_rows_are_imported_like_a_full_check(world, previewed):
    path, keep, report = previewed
    done = commit(world, path, keep, report)
    assert done.created == 5
    assert done.valid_rows == [2, 3, 4, 5, 6]
    names = sorted(Volunteer.objects.values_list("name", flat=True))
    assert names == sorted(person(n)["name"] for n in range(1, 6))
    volunteer = Volunteer.objects.get(phone=person(3)["phone"])
    assert volunteer.decrypt_id_number() == person(3)["id_number"]
    assert volunteer.status == "pending"
    assert Membership.objects.filter(team=world.team.node, status="active").count() == 5


def test_a_tampered_prepared_file_is_never_loaded(world, previewed):
    path, keep, report = previewed
    keep.write_bytes(keep.read_bytes() + b"x")
    with pytest.raises(DomainError) as excinfo:
        commit(world, path, keep, report)
    assert excinfo.value.code == "changed"
    assert Volunteer.objects.count() == 0


def test_a_changed_spreadsheet_makes_the_preview_stale(world, previewed, tmp_path):
    path, keep, report = previewed
    write_xlsx(path, [person(n) for n in range(1, 7)])
    with pytest.raises(DomainError) as excinfo:
        commit(world, path, keep, report)
    assert "预览结果已失效" in excinfo.value.message
    assert Volunteer.objects.count() == 0


def test_someone_registered_meanwhile_refuses_the_whole_import(world, previewed, make_volunteer):
    path, keep, report = previewed
    make_volunteer(team=world.team_b.node, home=world.other_community, id_number=person(4)["id_number"])
    with pytest.raises(DomainError) as excinfo:
        commit(world, path, keep, report)
    assert excinfo.value.code == "changed"
    assert Volunteer.objects.count() == 1  # only the one registered meanwhile


def test_a_dissolved_community_since_the_preview_refuses(world, previewed, make_volunteer):
    from jinguo.orgs import services as org_services

    path, keep, report = previewed
    org_services.node_dissolve(actor=world.root_user, node=world.community, reason="撤并")
    with pytest.raises(DomainError) as excinfo:
        commit(world, path, keep, report)
    assert excinfo.value.code == "changed"
    assert Volunteer.objects.count() == 0
