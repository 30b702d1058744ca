"""Journey: a district admin imports volunteers from a spreadsheet with bad rows; the preview lists each bad row
with its row, column and reason, nothing is written until she chooses; she imports only the good rows."""

import pytest

from jinguo.core.models import Job
from jinguo.volunteers.choices import VolunteerStatus
from jinguo.volunteers.models import Volunteer
from jinguo.volunteers.tests.test_import_volunteers import bad_checksum, person, write_xlsx

from .conftest import login, shot

pytestmark = pytest.mark.django_db(transaction=True)


def test_import_with_bad_rows_shows_its_report_then_imports_the_good_rows(new_page, world, tmp_path):
    rows = [
        person(1),
        person(2, id_number=bad_checksum(person(2)["id_number"])),  # row 3: bad check character
        person(3, phone="1380013800"),  # row 4: ten digits
        person(4, id_number=person(1)["id_number"]),  # row 5: same person as row 2
        person(5, name=""),  # row 6: no name
        person(6, phone="１３９ ０５９２ ００６６"),  # full-width digits and spaces: fine
    ]
    path = write_xlsx(tmp_path / "思明区志愿者.xlsx", rows)

    page = new_page()
    login(page, "district_admin")
    page.goto("/")
    page.get_by_role("button", name="志愿者", exact=True).click()  # the menu groups import under 志愿者
    page.get_by_role("link", name="批量导入").click()
    page.select_option("#id_team", label="思明区巾帼服务队（350203-001）")
    page.set_input_files("#id_file", str(path))
    page.get_by_role("button", name="上传并检查").click()
    page.wait_for_url("**/jobs/*/")
    page.get_by_text("仅导入有效行（2）").wait_for()
    assert Volunteer.objects.count() == 0  # the preview writes nothing

    report = page.locator("table", has=page.locator("th", has_text="问题")).first
    text = report.inner_text()
    assert "校验位错误" in text
    assert "格式不正确" in text
    assert "与第 2 行重复" in text
    assert "姓名不能为空" in text
    for row in ("3", "4", "5", "6"):
        assert report.locator("tr td:first-child", has_text=row).count() >= 1
    shot(page, "import-preview")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="仅导入有效行（2）").click()
    page.get_by_role("link", name="查看队伍名册").wait_for()
    shot(page, "import-done")

    imported = Volunteer.objects.order_by("pk")
    assert [v.phone for v in imported] == [person(1)["phone"], "13905920066"]
    assert {v.status for v in imported} == {VolunteerStatus.PENDING}  # R25: until each confirms herself
    assert Job.objects.get().status == Job.Status.SUCCEEDED
