"""In-app notifications: the bell's unread count, the list, marking one or all read; each user sees only her own,
a platform administrator included."""

from django.test import Client
from django.urls import reverse

from jinguo.core import notify
from jinguo.core.models import Notification


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_bell_counts_her_unread_messages_only(world):
    notify.notify([world.leader, world.leader], "报名成功", "请准时参加")
    notify.notify([world.district_admin], "有活动待审核")
    page = client_for(world.leader).get(reverse("notification_list")).content.decode()
    assert '<span class="badge rounded-pill text-bg-danger jg-bell-count">1</span>' in page
    assert "报名成功" in page
    assert "有活动待审核" not in page


def test_marking_one_read_follows_its_local_link_only(world):
    notify.notify([world.leader], "活动已取消", "下雨", link="/activities/")
    note = Notification.objects.get()
    client = client_for(world.leader)
    response = client.post(reverse("notification_read", args=[note.pk]), {"follow": "1"})
    assert response["Location"] == "/activities/"
    note.refresh_from_db()
    assert note.read_at is not None
    Notification.objects.filter(pk=note.pk).update(link="https://evil.example/")
    response = client.post(reverse("notification_read", args=[note.pk]), {"follow": "1"})
    assert response["Location"] == reverse("notification_list")


def test_nobody_reads_or_marks_anyone_elses(world, root_user):
    notify.notify([world.leader], "秘密通知")
    note = Notification.objects.get()
    for user in (world.outsider_admin, world.district_admin, root_user):
        client = client_for(user)
        assert client.post(reverse("notification_read", args=[note.pk])).status_code == 404
        assert "秘密通知" not in client.get(reverse("notification_list")).content.decode()
        client.post(reverse("notification_read_all"))
    note.refresh_from_db()
    assert note.read_at is None


def test_mark_all_read(world):
    notify.notify([world.leader], "一")
    notify.notify([world.leader], "二")
    notify.notify([world.district_admin], "三")
    client = client_for(world.leader)
    client.post(reverse("notification_read_all"))
    assert Notification.objects.filter(user=world.leader, read_at__isnull=True).count() == 0
    assert Notification.objects.filter(user=world.district_admin, read_at__isnull=True).count() == 1
    page = client.get(reverse("notification_list")).content.decode()
    assert "jg-bell-count" not in page
