"""Scope-coverage registry of the in-app notifications (each user's own). See tests/routes.py for the Route fields.

The target is a notification of t.volunteer (made here on first use): nobody else may read or mark it."""

from tests.routes import Route

OWN = "本人的通知：每个登录用户只看到发给自己的通知"


def her_notification(t):
    if not hasattr(t, "notification"):
        from jinguo.core.models import Notification

        t.notification = Notification.objects.create(
            user=t.volunteer.user, title="秘密通知：报名成功", body="请准时到湖滨社区活动室", link="/activities/"
        )
    return t.notification


def secrets(t) -> list[str]:
    return [her_notification(t).title, her_notification(t).body]


ROUTES = [
    Route("notification_list", secrets=secrets, extra={"outsider_ok": OWN}),
    Route("notification_read", kwargs=lambda t: {"pk": her_notification(t).pk}, methods=("POST",), secrets=secrets),
    Route("notification_read_all", methods=("POST",), secrets=secrets, extra={"outsider_ok": OWN}),
]
